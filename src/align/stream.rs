//! Aligning distinct inserts to a reference as they first appear, while
//! reads are still being read: the trimming threads hand over the inserts
//! new to their own tables ([`NewInserts`]); the aligner keeps each insert
//! once, in the order it first came, and aligns them on its own thread (the
//! trimming threads keep the pool's cores busy) until reading ends; once
//! the insert table is built, the rest are aligned in parallel and every
//! insert's hits placed at its table index. Alignment is per insert, so the
//! hits are those of aligning the table after reading, whatever the order
//! inserts came in.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use super::cpu::{Scratch, Searcher};
use super::{AlignParams, EncodedSlice, FlatHits, TargetSet};
use crate::prep::sink::{InsertSink, NewInserts};
use crate::seq::encode_base;

impl InsertSink for Sender<NewInserts> {
    fn take(&self, inserts: NewInserts) {
        // the aligner stops taking only when the run fails
        let _ = self.send(inserts);
    }
}

/// Distinct inserts in the order they first came.
#[derive(Default)]
struct Seen {
    bases: Vec<u8>,
    /// One past each insert's last base.
    ends: Vec<usize>,
    /// Index of each insert in `ends`, hashed by its bases.
    index: HashTable<u32>,
}

impl Seen {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn seq(&self, i: usize) -> &[u8] {
        nth(&self.bases, &self.ends, i)
    }

    /// The index of `insert`, added when new.
    fn index_of(&mut self, insert: &[u8]) -> usize {
        let hash = FxBuildHasher.hash_one(insert);
        let Self { bases, ends, index } = self;
        if let Some(&i) = index.find(hash, |&i| nth(bases, ends, i as usize) == insert) {
            return i as usize;
        }
        let i = u32::try_from(ends.len()).expect("at most 2^32 distinct inserts");
        bases.extend_from_slice(insert);
        ends.push(bases.len());
        index.insert_unique(hash, i, |&j| {
            FxBuildHasher.hash_one(nth(bases, ends, j as usize))
        });
        i as usize
    }
}

/// The `i`th of the inserts concatenated in `bases`, each ending at its
/// entry of `ends`.
fn nth<'b>(bases: &'b [u8], ends: &[usize], i: usize) -> &'b [u8] {
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &bases[start..ends[i]]
}

/// The CPU engine aligning inserts as they come: every insert seen, the
/// hits of the first ones (in the order they came), and the time spent.
pub struct StreamAligner<'a> {
    searcher: Searcher<'a>,
    params: AlignParams,
    seen: Seen,
    /// Hits of `seen`'s first `hits.len()` inserts.
    hits: FlatHits,
    busy: Duration,
}

/// Inserts aligned at a time while reading goes on (the end of reading is
/// looked at between them).
const CHUNK: usize = 1024;

impl<'a> StreamAligner<'a> {
    /// Prepares `targets` for the CPU engine (its seed index).
    pub fn new(targets: &'a TargetSet, params: &AlignParams) -> Self {
        let started = Instant::now();
        let searcher = Searcher::new(targets);
        Self {
            searcher,
            params: *params,
            seen: Seen::default(),
            hits: FlatHits::default(),
            busy: started.elapsed(),
        }
    }

    /// Takes new inserts until every sender is gone, aligning them on this
    /// thread as they come until `done` (reading has ended, and the pool
    /// is free to align the rest in parallel: [`StreamAligner::place`]).
    pub fn take_all(&mut self, inserts: Receiver<NewInserts>, done: &AtomicBool) {
        let mut scratch = Scratch::default();
        let mut codes = Vec::new();
        for batch in inserts {
            self.add(&batch);
            if done.load(Ordering::Relaxed) {
                continue;
            }
            let started = Instant::now();
            while self.hits.len() < self.seen.len() && !done.load(Ordering::Relaxed) {
                let lo = self.hits.len();
                for i in lo..self.seen.len().min(lo + CHUNK) {
                    codes.clear();
                    codes.extend(self.seen.seq(i).iter().map(|&b| encode_base(b)));
                    self.searcher
                        .search_into(&codes, &self.params, &mut scratch);
                    self.hits.push(&scratch.hits);
                }
            }
            self.busy += started.elapsed();
        }
    }

    /// Adds inserts, each kept once.
    pub fn add(&mut self, inserts: &NewInserts) {
        for insert in inserts.iter() {
            self.seen.index_of(insert);
        }
    }

    /// Inserts aligned so far.
    pub fn aligned(&self) -> usize {
        self.hits.len()
    }

    /// The hits of the `n` inserts of a table (`insert(i)`), in table
    /// order: those not aligned yet (any left when reading ended, or that
    /// never came) are aligned now, in parallel in the current thread pool,
    /// `slice` at a time. With them, the seconds spent preparing, aligning
    /// and placing, all told.
    pub fn place<'b>(
        mut self,
        n: usize,
        insert: impl Fn(usize) -> &'b [u8],
        slice: usize,
    ) -> (FlatHits, Duration) {
        let started = Instant::now();
        let at: Vec<u32> = (0..n)
            .map(|i| self.seen.index_of(insert(i)) as u32)
            .collect();
        while self.hits.len() < self.seen.len() {
            let lo = self.hits.len();
            let hi = self.seen.len().min(lo + slice.max(1));
            let seen = &self.seen;
            let encoded = EncodedSlice::encode(hi - lo, |i| seen.seq(lo + i));
            self.searcher
                .align_into(&encoded.views(), &self.params, &mut self.hits);
        }
        let mut hits = FlatHits::default();
        for &j in &at {
            hits.push(self.hits.get(j as usize));
        }
        (hits, self.busy + started.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::cpu::CpuEngine;
    use crate::align::Engine;
    use crate::input::reference::{RefSeq, Reference};
    use crate::rng::Rng;
    use std::sync::mpsc::channel;

    /// A reference of random matures in hairpins, and inserts from them
    /// (trimmed, extended, mutated) with random ones among them.
    fn reference_and_inserts() -> (Reference, Vec<Vec<u8>>) {
        let mut rng = Rng::new(24);
        let seq = |rng: &mut Rng, n: usize| rng.seq_from(n, b"ACGT");
        let (mut matures, mut hairpins) = (Vec::new(), Vec::new());
        for i in 0..20 {
            let n = 20 + rng.below(4);
            let m = seq(&mut rng, n);
            let mut h = seq(&mut rng, 10);
            h.extend_from_slice(&m);
            h.extend(seq(&mut rng, 25));
            matures.push(RefSeq::new(
                &format!("xyz-miR-{i}"),
                std::str::from_utf8(&m).unwrap(),
            ));
            hairpins.push(RefSeq::new(
                &format!("xyz-mir-{i}"),
                std::str::from_utf8(&h).unwrap(),
            ));
        }
        let mut inserts = Vec::new();
        for _ in 0..3000 {
            let mut s = if rng.below(5) == 0 {
                let n = 15 + rng.below(10);
                seq(&mut rng, n)
            } else {
                let m = matures[rng.below(matures.len())].seq.clone();
                let cut = rng.below(3);
                let mut s = m[cut..].to_vec();
                let n = rng.below(3);
                s.extend(seq(&mut rng, n));
                s
            };
            if rng.below(3) == 0 {
                let i = rng.below(s.len());
                s[i] = b"ACGTN"[rng.below(5)];
            }
            inserts.push(s);
        }
        (Reference::from_sequences("xyz", matures, hairpins), inserts)
    }

    /// Inserts coming in batches (repeated, in any order, some never) give,
    /// placed in table order, the hits of aligning the table; whether
    /// reading ends before any is aligned or not.
    #[test]
    fn placed_hits_are_those_of_the_table() {
        let (reference, inserts) = reference_and_inserts();
        let targets = TargetSet::build(&reference, 3, 5);
        let params = AlignParams::default();
        let mut table: Vec<Vec<u8>> = inserts.clone();
        table.sort_unstable();
        table.dedup();
        let expected = {
            let prepared = CpuEngine.prepare(&targets, &params).unwrap();
            super::super::align_all(prepared.as_ref(), table.len(), |i| &table[i], 500).unwrap()
        };
        assert!(expected.total_hits() > 1000, "few hits: the test is weak");
        for reading_ended in [false, true] {
            let (tx, rx) = channel();
            // two "workers": each sends what is new to it, the last tenth never
            for worker in inserts[..inserts.len() * 9 / 10].chunks(700) {
                let mut batch = NewInserts::default();
                for s in worker {
                    batch.push_key(s);
                }
                tx.take(batch);
            }
            drop(tx);
            let mut aligner = StreamAligner::new(&targets, &params);
            aligner.take_all(rx, &AtomicBool::new(reading_ended));
            let streamed = aligner.aligned();
            assert_eq!(streamed == 0, reading_ended, "{streamed}");
            let (hits, _) = aligner.place(table.len(), |i| &table[i], 500);
            assert_eq!(hits, expected, "reading ended first: {reading_ended}");
        }
    }
}

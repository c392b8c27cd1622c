//! The CPU engine: exact seed lookup first, then pigeonhole seeds for hits
//! with mismatches, each candidate verified with [`super::verify`]. It returns
//! the same best hits as [`super::brute_force`] (tested on random inputs).

use rayon::prelude::*;

use super::index::{SeedIndex, MAX_SEED};
use super::{best_hits, brute_force, verify, AlignParams, Engine, Hit, TargetSet, Window};
use crate::error::Result;

/// Seed-and-verify alignment on the CPU, parallel over inserts.
#[derive(Debug, Default, Clone, Copy)]
pub struct CpuEngine;

impl Engine for CpuEngine {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn align(
        &self,
        targets: &TargetSet,
        inserts: &[&[u8]],
        params: &AlignParams,
    ) -> Result<Vec<Vec<Hit>>> {
        let searcher = Searcher::new(targets);
        Ok(inserts
            .par_iter()
            .with_min_len(256)
            .map(|insert| searcher.search(insert, params))
            .collect())
    }
}

/// A target set with its seed index, ready to search.
pub struct Searcher<'a> {
    ts: &'a TargetSet,
    index: SeedIndex,
    edge_windows: Vec<(u32, Window)>,
    /// Per target, the starts of its edge windows (empty for most hairpins).
    edge_starts: Vec<Vec<i32>>,
}

impl<'a> Searcher<'a> {
    /// Indexes the targets.
    pub fn new(ts: &'a TargetSet) -> Self {
        let edge_windows = ts.edge_windows();
        let mut edge_starts = vec![Vec::new(); ts.targets.len()];
        for (t, w) in &edge_windows {
            edge_starts[*t as usize].push(w.start);
        }
        Self {
            ts,
            index: SeedIndex::build(ts),
            edge_windows,
            edge_starts,
        }
    }

    /// Best hits of one insert (base codes).
    pub fn search(&self, insert: &[u8], params: &AlignParams) -> Vec<Hit> {
        let l = insert.len();
        if l == 0 {
            return Vec::new();
        }
        let ts = self.ts;
        let mut candidates: Vec<(u32, i32)> = Vec::new();

        // 1. Exact: a perfect hit (no mismatch, nothing free) contains the
        //    insert's first bases exactly, and no hit ranks better.
        let exact_len = l.min(MAX_SEED);
        self.index
            .for_each_occurrence(&insert[..exact_len], |t, p| candidates.push((t, p)));
        let exact = self.verify_all(&mut candidates, insert, params);
        if exact.first().is_some_and(|h| h.rank() == (0, 0)) {
            return exact;
        }

        // 2. Hits on real bases only: at most k mismatches in the first
        //    l - tmax bases, so one of k + 1 pieces of them is exact.
        let k = params.max_mismatches as usize;
        let tmax = (params.max_nontemplated as usize).min(l - 1);
        let region = 0..l - tmax;
        let all_offsets = ts.text.len();
        if !self.seed(insert, region, k, all_offsets, &mut candidates, |_, _| true) {
            return brute_force(ts, insert, params);
        }

        // 3. Hits covering wildcard pads lie near an edge window; their
        //    bases from window_5p to l - tmax - window_3p are real.
        if !self.edge_windows.is_empty() {
            let (w5, w3) = (ts.window_5p, ts.window_3p);
            let region = w5..(l - tmax).saturating_sub(w3).max(w5);
            let near_edge = |t: u32, o: i32| {
                self.edge_starts[t as usize]
                    .iter()
                    .any(|&start| (start - o).unsigned_abs() as usize <= w5)
            };
            let edge_offsets = self.edge_windows.len() * (2 * w5 + 1);
            if !self.seed(insert, region, k, edge_offsets, &mut candidates, near_edge) {
                for (t, w) in &self.edge_windows {
                    for o in w.start - w5 as i32..=w.start + w5 as i32 {
                        candidates.push((*t, o));
                    }
                }
            }
        }
        let mut hits = self.verify_all(&mut candidates, insert, params);
        hits.extend(exact);
        best_hits(hits)
    }

    /// Adds the offsets where one of `k + 1` pieces of `region` occurs exactly
    /// (and `keep` agrees). Returns false when the pieces are so short that
    /// their expected occurrences outnumber `exhaustive` (the offsets an
    /// exhaustive search would try), leaving the search to the caller.
    fn seed(
        &self,
        insert: &[u8],
        region: std::ops::Range<usize>,
        k: usize,
        exhaustive: usize,
        out: &mut Vec<(u32, i32)>,
        keep: impl Fn(u32, i32) -> bool,
    ) -> bool {
        let n = region.len();
        let piece = n / (k + 1);
        if piece == 0 {
            return false;
        }
        let expected =
            (k + 1) as f64 * self.index.len() as f64 / 4f64.powi(piece.min(MAX_SEED) as i32);
        if expected > exhaustive as f64 {
            return false;
        }
        for p in 0..=k {
            let start = region.start + p * piece;
            let end = if p == k { region.end } else { start + piece };
            let seed = &insert[start..end.min(start + MAX_SEED)];
            self.index.for_each_occurrence(seed, |t, pos| {
                let o = pos - start as i32;
                if keep(t, o) {
                    out.push((t, o));
                }
            });
        }
        true
    }

    fn verify_all(
        &self,
        candidates: &mut Vec<(u32, i32)>,
        insert: &[u8],
        params: &AlignParams,
    ) -> Vec<Hit> {
        candidates.sort_unstable();
        candidates.dedup();
        let hits = candidates
            .drain(..)
            .filter_map(|(t, o)| verify(self.ts, t as usize, o, insert, params))
            .collect();
        best_hits(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::{RefSeq, Reference};

    /// xorshift64*: reproducible without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545F4914F6CDD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn seq(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| b"ACGT"[self.below(4)]).collect()
        }
        /// A random sequence of `base + below(spread)` bases.
        fn seq_len(&mut self, base: usize, spread: usize) -> Vec<u8> {
            let n = base + self.below(spread);
            self.seq(n)
        }
    }

    fn random_reference(rng: &mut Rng, with_hairpins: bool) -> Reference {
        let mut matures = Vec::new();
        let mut hairpins = Vec::new();
        for i in 0..30 {
            let m = rng.seq_len(18, 8);
            let flank5 = rng.below(12);
            let mut h = rng.seq(flank5);
            h.extend_from_slice(&m);
            h.extend(rng.seq_len(20, 30));
            matures.push(RefSeq {
                name: format!("xyz-miR-{i}"),
                seq: m,
            });
            hairpins.push(RefSeq {
                name: format!("xyz-mir-{i}"),
                seq: h,
            });
        }
        // a family member one base off, and a shared mature
        let mut fam = matures[0].seq.clone();
        fam[10] = if fam[10] == b'A' { b'C' } else { b'A' };
        matures.push(RefSeq {
            name: "xyz-miR-fam".into(),
            seq: fam,
        });
        if !with_hairpins {
            hairpins.clear();
        }
        Reference::from_sequences("xyz", matures, hairpins)
    }

    fn read_from(rng: &mut Rng, r: &Reference) -> Vec<u8> {
        let m = &r.matures[rng.below(r.matures.len())].seq;
        let mut s: Vec<u8> = if rng.below(4) == 0 {
            rng.seq_len(1, 2)
        } else {
            Vec::new()
        };
        let cut5 = rng.below(3).min(m.len());
        let cut3 = rng.below(4).min(m.len() - cut5);
        s.extend_from_slice(&m[cut5..m.len() - cut3]);
        s.extend(rng.seq_len(0, 4));
        for _ in 0..rng.below(3) {
            if !s.is_empty() {
                let i = rng.below(s.len());
                s[i] = b"ACGTN"[rng.below(5)];
            }
        }
        s
    }

    #[test]
    fn seeded_search_equals_brute_force_on_random_inputs() {
        let mut rng = Rng(0x5EED_1234_ABCD_0001);
        for with_hairpins in [true, false] {
            let r = random_reference(&mut rng, with_hairpins);
            let ts = TargetSet::build(&r, 3, 5);
            let s = Searcher::new(&ts);
            for mm in 0..=2u8 {
                let params = AlignParams {
                    max_mismatches: mm,
                    max_nontemplated: 3,
                };
                for i in 0..400 {
                    let read = if i % 10 == 0 {
                        rng.seq_len(0, 40)
                    } else {
                        read_from(&mut rng, &r)
                    };
                    let codes = crate::seq::encode(&read);
                    assert_eq!(
                        s.search(&codes, &params),
                        brute_force(&ts, &codes, &params),
                        "read {} mm {mm} hairpins {with_hairpins}",
                        String::from_utf8_lossy(&read)
                    );
                }
            }
        }
    }
}

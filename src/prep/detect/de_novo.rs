//! De novo adapter candidates: sequences over-represented at *variable*
//! positions in the reads (a biological sequence sits at a fixed offset
//! from the read start; an adapter moves with the insert length).
//!
//! Up to [`MAX_DE_NOVO`] candidates: 10-mers found in at least
//! [`DE_NOVO_MIN_FRACTION`] of the reads at variable positions, grown base
//! by base while at least [`EXTEND_MIN_AGREEMENT`] of their reads agree on
//! the next base. A candidate is kept when its left end is where the reads
//! disagree (the insert's last bases are diverse; where most reads *start*
//! before they disagree, it is a biological fragment with ragged 5' ends),
//! its seed lies at three positions or more, none of them (nor the read
//! start) holding more than [`DE_NOVO_MAX_POSITION_SHARE`] of its reads, and
//! its reads mostly have one length ([`DE_NOVO_MIN_ONE_LENGTH`]: adapters
//! are read through in untrimmed reads; a sequence shared by trimmed reads
//! of many lengths is not one).
//!
//! **Cost.** The search counts the 10-mers of its reads in one pass, then
//! gathers the commonest one's positions, then, in one more pass, those of
//! the frequent k-mers still wanted (not in a candidate built by then). A
//! k-mer grows from the bases of its reads counted by offset, in blocks that
//! double as it grows, and stops as soon as it holds an earlier candidate's
//! seed, or, its start settled, is held by one (growing further could not
//! keep it). The calls are those of searching each seed with `memmem` and
//! growing offset by offset, which the tests check, together with a bound
//! on the work.

use memchr::memmem;
use rustc_hash::FxHashMap;

#[cfg(test)]
use super::known::work;
use super::known::{ReadSample, SEED_LEN};

/// k-mer length of the de novo search.
pub const DE_NOVO_K: usize = 10;
/// A de novo k-mer must occur in at least this share of the reads.
pub const DE_NOVO_MIN_FRACTION: f64 = 0.05;
/// At most this share of a de novo candidate's reads may have it at one
/// position (or at the read start).
pub const DE_NOVO_MAX_POSITION_SHARE: f64 = 0.8;
/// At least this share of a de novo candidate's reads must have one length:
/// an adapter is read through to the sequencer's last cycle, in reads
/// nobody has cut yet (a biological sequence in already-trimmed reads of
/// many lengths is not an adapter).
pub const DE_NOVO_MIN_ONE_LENGTH: f64 = 0.5;
/// Reads the de novo search looks at (spread evenly over the sample).
pub const DE_NOVO_READS: usize = 20_000;
/// De novo candidates kept.
pub const MAX_DE_NOVO: usize = 3;
/// A candidate grows by a base that this share of its reads agree on.
pub const EXTEND_MIN_AGREEMENT: f64 = 0.9;
/// Longest de novo candidate.
pub const MAX_DE_NOVO_LEN: usize = 30;
/// How far a de novo candidate is followed to the right to recognise the
/// k-mers of its read-through.
const MAX_DE_NOVO_EXTENT: usize = 80;
/// Frequent variable k-mers grown into candidates at most.
const DE_NOVO_ATTEMPTS: usize = 20;

/// De novo adapter candidates: over-represented k-mers at variable
/// positions, extended to where the reads stop agreeing.
pub(super) fn candidates(sample: &ReadSample) -> Vec<Vec<u8>> {
    let n = sample.len();
    if n == 0 {
        return Vec::new();
    }
    let step = n.div_ceil(DE_NOVO_READS);
    // the reads looked at, copied side by side: every pass below reads them
    // from one block (a cache's worth) instead of one in `step` of the
    // sample's
    let picked = sample.every(step);
    let reads: Vec<&[u8]> = picked.iter().collect();
    let min_reads = ((DE_NOVO_MIN_FRACTION * reads.len() as f64).ceil() as usize).max(10);
    let table = count_kmers(&reads);
    let count = |c: usize| (table[c] & 0xFFFF) as usize;
    let mut frequent: Vec<usize> = (0..table.len())
        .filter(|&c| count(c) >= min_reads)
        .collect();
    frequent.sort_by_key(|&c| (std::cmp::Reverse(count(c)), c));
    frequent.truncate(200);
    if frequent.is_empty() {
        return Vec::new();
    }
    // each frequent k-mer's first occurrence in each read holding it,
    // gathered when first needed (see Occurrences)
    let counts: Vec<usize> = frequent.iter().map(|&c| count(c)).collect();
    let occ = Occurrences::new(table, &frequent, counts);
    grow_frequent(&reads, &frequent, occ)
}

/// Reads per k-mer (each read counted once), packed in one word per k-mer:
/// the count in the low half, the last read counted (+ 1) in the high half
/// (at most [`DE_NOVO_READS`] reads: both fit).
fn count_kmers(reads: &[&[u8]]) -> Vec<u32> {
    const _: () = assert!(DE_NOVO_READS < 1 << 16);
    let mut table = crate::runtime::written_zeros::<u32>(1usize << (2 * DE_NOVO_K));
    #[cfg(test)]
    work::add(&work::KMER_PASSES, 1);
    for (r, read) in reads.iter().enumerate() {
        let tag = (r as u32 + 1) << 16;
        for_each_kmer(read, |_, code| {
            let e = &mut table[code];
            if *e & 0xFFFF_0000 != tag {
                *e = tag | ((*e & 0xFFFF) + 1);
            }
        });
    }
    table
}

/// Grows the frequent k-mers (commonest first) found at variable positions
/// into candidates, keeping those that look like adapters, until
/// [`MAX_DE_NOVO`] are kept or [`DE_NOVO_ATTEMPTS`] were grown.
fn grow_frequent(reads: &[&[u8]], frequent: &[usize], mut occ: Occurrences) -> Vec<Vec<u8>> {
    let mut found: Vec<Grown> = Vec::new();
    let mut attempts = 0;
    let mut at_position: Vec<u32> = Vec::new();
    for (s, &code) in frequent.iter().enumerate() {
        if found.len() >= MAX_DE_NOVO || attempts >= DE_NOVO_ATTEMPTS {
            break;
        }
        let kmer = decode_kmer(code);
        let in_found = |kmer: &[u8]| {
            found
                .iter()
                .any(|f| memmem::find(&f.extent, kmer).is_some())
        };
        if in_found(&kmer) {
            continue; // part of a candidate already built
        }
        let occ_s = occ.of(s, reads, |t| !in_found(&decode_kmer(frequent[t])));
        let total = occ_s.len();
        let modal = modal_count(occ_s, &mut at_position);
        if modal as f64 > DE_NOVO_MAX_POSITION_SHARE * total as f64 {
            continue; // a fixed position: biological
        }
        attempts += 1;
        // a candidate holding an earlier (more frequent) one's seed, or
        // held by it, is that one seen through a frequent insert end: it is
        // dropped as soon as it holds the seed (in any way it grows further
        // it still does), or as soon as its start is final and held
        let redundant = |extent: &[u8], start_final: bool| {
            found.iter().any(|f| {
                memmem::find(extent, &f.adapter[..SEED_LEN]).is_some()
                    || (start_final && memmem::find(&f.extent, &extent[..SEED_LEN]).is_some())
            })
        };
        let Some(extent) = grow(reads, &kmer, occ_s, redundant) else {
            continue;
        };
        if adapter_like(reads, &extent) {
            found.push(Grown::new(extent));
        }
    }
    found.into_iter().map(|g| g.adapter).collect()
}

/// The frequent k-mers' first occurrences `(read, position)` in the de
/// novo reads, gathered when first needed: the commonest k-mer's alone (it
/// is most often the adapter's, whose extent then holds most of the
/// others), then, in one pass over the reads, those of every later k-mer
/// still wanted (not in a candidate built by then). Two passes at most.
struct Occurrences<'a> {
    /// The k-mer count table, the frequent k-mers marked in it
    /// ([`Occurrences::FREQUENT`] and their index).
    table: Vec<u32>,
    frequent: &'a [usize],
    /// Reads holding each frequent k-mer.
    counts: Vec<usize>,
    /// Per frequent k-mer, its occurrences once gathered.
    gathered: Vec<Option<Vec<(u32, u32)>>>,
    passes: usize,
    /// One bit per k-mer code, set for the frequent ones: most k-mers of a
    /// pass are rare, and this (unlike the table) stays in cache.
    marked: Vec<u64>,
}

impl<'a> Occurrences<'a> {
    /// Marks a frequent k-mer in the table (whose tags, at most
    /// `DE_NOVO_READS << 16`, never set it).
    const FREQUENT: u32 = 1 << 31;

    fn new(mut table: Vec<u32>, frequent: &'a [usize], counts: Vec<usize>) -> Self {
        const _: () = assert!((DE_NOVO_READS as u32) < Occurrences::FREQUENT >> 16);
        let mut marked = crate::runtime::written_zeros::<u64>(table.len().div_ceil(64));
        for (s, &c) in frequent.iter().enumerate() {
            table[c] = Self::FREQUENT | s as u32;
            marked[c / 64] |= 1 << (c % 64);
        }
        Self {
            table,
            frequent,
            gathered: vec![None; frequent.len()],
            counts,
            passes: 0,
            marked,
        }
    }

    /// Frequent k-mer `s`'s occurrences; gathering them, also gathers every
    /// later k-mer `t` that `wanted(t)` (after the first pass).
    fn of(&mut self, s: usize, reads: &[&[u8]], wanted: impl Fn(usize) -> bool) -> &[(u32, u32)] {
        if self.gathered[s].is_none() {
            if self.passes == 0 {
                self.gather_one(s, reads);
            } else {
                let more: Vec<usize> = (s + 1..self.frequent.len())
                    .filter(|&t| self.gathered[t].is_none() && wanted(t))
                    .collect();
                self.gather(s, &more, reads);
            }
            self.passes += 1;
        }
        self.gathered[s].as_deref().unwrap_or_default()
    }

    /// One k-mer's occurrences, found with `memmem` (its first exact match
    /// is its first ACGT window).
    fn gather_one(&mut self, s: usize, reads: &[&[u8]]) {
        #[cfg(test)]
        work::add(&work::KMER_PASSES, 1);
        let finder = memmem::Finder::new(&decode_kmer(self.frequent[s])).into_owned();
        let mut occ = Vec::with_capacity(self.counts[s]);
        for (r, read) in reads.iter().enumerate() {
            if let Some(p) = finder.find(read) {
                occ.push((r as u32, p as u32));
            }
        }
        self.gathered[s] = Some(occ);
    }

    /// The occurrences of k-mer `s` and of `more`, in one pass.
    fn gather(&mut self, s: usize, more: &[usize], reads: &[&[u8]]) {
        #[cfg(test)]
        work::add(&work::KMER_PASSES, 1);
        let n = self.frequent.len();
        let mut wanted = vec![false; n];
        let mut occ: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n];
        for &t in std::iter::once(&s).chain(more) {
            wanted[t] = true;
            occ[t].reserve_exact(self.counts[t]);
        }
        let mut seen = vec![u32::MAX; n];
        let (table, marked) = (&self.table, &self.marked);
        for (r, read) in reads.iter().enumerate() {
            let r = r as u32;
            for_each_kmer(read, |p, code| {
                if marked[code / 64] >> (code % 64) & 1 == 0 {
                    return;
                }
                let e = table[code];
                if e & Self::FREQUENT != 0 {
                    let t = (e & !Self::FREQUENT) as usize;
                    if wanted[t] && seen[t] != r {
                        seen[t] = r;
                        occ[t].push((r, p as u32));
                    }
                }
            });
        }
        for (t, o) in occ.into_iter().enumerate() {
            if wanted[t] {
                self.gathered[t] = Some(o);
            }
        }
    }
}

/// Reads of the commonest position among occurrences `(read, position)`;
/// `counts` is scratch space, left zeroed.
fn modal_count(occ: &[(u32, u32)], counts: &mut Vec<u32>) -> u32 {
    let mut modal = 0;
    for &(_, p) in occ {
        let p = p as usize;
        if counts.len() <= p {
            counts.resize(p + 1, 0);
        }
        counts[p] += 1;
        modal = modal.max(counts[p]);
    }
    for &(_, p) in occ {
        counts[p as usize] = 0;
    }
    modal
}

/// A de novo candidate: the adapter sequence and, for recognising later
/// k-mers that lie in it, how far the reads agree beyond it.
struct Grown {
    adapter: Vec<u8>,
    extent: Vec<u8>,
}

impl Grown {
    /// The candidate of a grown extent: its first [`MAX_DE_NOVO_LEN`] bases.
    fn new(extent: Vec<u8>) -> Self {
        Self {
            adapter: extent[..extent.len().min(MAX_DE_NOVO_LEN)].to_vec(),
            extent,
        }
    }
}

/// Grows `kmer` to the left and right while the reads that contain it
/// agree on the next base, and keeps the result when it looks like an
/// adapter ([`grow`], [`adapter_like`]).
#[cfg(test)]
fn extend(reads: &[&[u8]], kmer: &[u8]) -> Option<Grown> {
    let finder = memmem::Finder::new(kmer);
    let occ: Vec<(u32, u32)> = reads
        .iter()
        .enumerate()
        .filter_map(|(r, read)| finder.find(read).map(|p| (r as u32, p as u32)))
        .collect();
    let extent = grow(reads, kmer, &occ, |_, _| false)?;
    adapter_like(reads, &extent).then(|| Grown::new(extent))
}

/// Grows `kmer`, first found in the reads at `occ` (read, position), to the
/// left and right while those reads agree on the next base: the sequence
/// the reads agree on around it (its *extent*), when its left end is where
/// the reads stop agreeing (the insert ends there; a sequence whose reads
/// mostly *start* before they disagree is a biological fragment with
/// ragged 5' ends) and it is at least [`SEED_LEN`] long.
///
/// Agreement is always counted over all reads containing `kmer`, not only
/// over those that agreed so far: a frequent insert end in front of the
/// adapter would otherwise creep into it.
///
/// `drop(extent, start_final)` is asked about the extent as it grows (from
/// [`SEED_LEN`] bases on; `start_final` once it grows to the right only):
/// once it says yes, growing stops and None is returned. It must say yes
/// for every extent grown further from one it said yes to (the caller
/// would drop those anyway).
fn grow(
    reads: &[&[u8]],
    kmer: &[u8],
    occ: &[(u32, u32)],
    drop: impl Fn(&[u8], bool) -> bool,
) -> Option<Vec<u8>> {
    let mut profile = Profile::new(reads, occ, kmer.len());
    // the base `offset` bases from each occurrence's start: Err(()) where
    // most reads have none (they start or end before), Ok(None) where they
    // disagree
    let mut agreed_at = |offset: isize| -> std::result::Result<Option<u8>, ()> {
        let counts = profile.at(offset);
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        if total * 2 < occ.len() {
            return Err(());
        }
        let acgt = [0, 1, 2, 3].map(|i| counts[i] as usize);
        Ok(agreed_base(&acgt, total))
    };
    let mut left = Vec::new();
    loop {
        match agreed_at(-(left.len() as isize) - 1) {
            Ok(Some(b)) => left.push(b),
            Ok(None) => break,      // the insert ends here
            Err(()) => return None, // the reads start here: not an adapter
        }
        if left.len() + kmer.len() >= SEED_LEN {
            let so_far: Vec<u8> = left.iter().rev().chain(kmer).copied().collect();
            if drop(&so_far, false) {
                return None;
            }
        }
    }
    let mut extent: Vec<u8> = left.into_iter().rev().collect();
    let body = extent.len();
    extent.extend_from_slice(kmer);
    loop {
        if extent.len() >= SEED_LEN && drop(&extent, true) {
            return None;
        }
        if extent.len() >= MAX_DE_NOVO_EXTENT {
            break;
        }
        match agreed_at((extent.len() - body) as isize) {
            Ok(Some(b)) => extent.push(b),
            _ => break,
        }
    }
    (extent.len() >= SEED_LEN).then_some(extent)
}

/// The bases of the reads at occurrences `(read, position)`, counted by
/// offset from the occurrences' start (A, C, G, T, N); filled in blocks of
/// offsets as they are asked for, each block in one pass over the reads,
/// the first [`Profile::FIRST_BLOCK`] offsets long and each next one as
/// long as all before it (most growths stop within a few bases; an
/// adapter's grows through its read-through). To the right, offsets start
/// after the k-mer itself.
struct Profile<'a> {
    reads: &'a [&'a [u8]],
    occ: &'a [(u32, u32)],
    /// The first offset to the right.
    right_from: usize,
    /// Offsets `right_from`, `right_from + 1`, ...
    right: Vec<[u32; 5]>,
    /// Offsets -1, -2, ...
    left: Vec<[u32; 5]>,
}

impl<'a> Profile<'a> {
    const FIRST_BLOCK: usize = 4;

    fn new(reads: &'a [&'a [u8]], occ: &'a [(u32, u32)], right_from: usize) -> Self {
        Self {
            reads,
            occ,
            right_from,
            right: Vec::new(),
            left: Vec::new(),
        }
    }

    fn at(&mut self, offset: isize) -> [u32; 5] {
        if offset >= 0 {
            let o = offset as usize - self.right_from;
            while self.right.len() <= o {
                self.fill_right();
            }
            self.right[o]
        } else {
            let o = (-offset - 1) as usize;
            while self.left.len() <= o {
                self.fill_left();
            }
            self.left[o]
        }
    }

    /// The next block of offsets to the right.
    fn fill_right(&mut self) {
        let from = self.right.len();
        self.right
            .resize(from + from.max(Self::FIRST_BLOCK), [0; 5]);
        let rows = &mut self.right[from..];
        #[cfg(test)]
        work::add(&work::PROFILE_CELLS, rows.len() * self.occ.len());
        for &(r, p) in self.occ {
            let read = self.reads[r as usize];
            let start = (p as usize + self.right_from + from).min(read.len());
            for (counts, &b) in rows.iter_mut().zip(&read[start..]) {
                counts[crate::seq::encode_base(b) as usize] += 1;
            }
        }
    }

    /// The next block of offsets to the left.
    fn fill_left(&mut self) {
        let from = self.left.len();
        self.left.resize(from + from.max(Self::FIRST_BLOCK), [0; 5]);
        let rows = &mut self.left[from..];
        #[cfg(test)]
        work::add(&work::PROFILE_CELLS, rows.len() * self.occ.len());
        for &(r, p) in self.occ {
            let read = self.reads[r as usize];
            // offset -(from + 1) is at p - from - 1, and so on leftwards
            let end = (p as usize).saturating_sub(from);
            for (counts, &b) in rows.iter_mut().zip(read[..end].iter().rev()) {
                counts[crate::seq::encode_base(b) as usize] += 1;
            }
        }
    }
}

/// Whether a grown sequence looks like an adapter: its seed is found in at
/// least [`DE_NOVO_MIN_FRACTION`] of the reads, at three positions or more,
/// at none of them (nor at the read start) in more than
/// [`DE_NOVO_MAX_POSITION_SHARE`] of its reads, and in reads mostly of one
/// length ([`DE_NOVO_MIN_ONE_LENGTH`]).
fn adapter_like(reads: &[&[u8]], extent: &[u8]) -> bool {
    // the seed's positions, and the lengths of the reads holding it
    let seed = memmem::Finder::new(&extent[..SEED_LEN]);
    let mut positions: FxHashMap<usize, usize> = FxHashMap::default();
    let mut lengths: FxHashMap<usize, usize> = FxHashMap::default();
    for read in reads {
        if let Some(p) = seed.find(read) {
            *positions.entry(p).or_default() += 1;
            *lengths.entry(read.len()).or_default() += 1;
        }
    }
    let total: usize = positions.values().sum();
    let modal = positions.values().copied().max().unwrap_or(0);
    let at_start = positions.get(&0).copied().unwrap_or(0);
    let modal_length = lengths.values().copied().max().unwrap_or(0);
    let limit = DE_NOVO_MAX_POSITION_SHARE * total as f64;
    total as f64 >= DE_NOVO_MIN_FRACTION * reads.len() as f64
        && modal as f64 <= limit
        && at_start as f64 <= limit
        && positions.len() >= 3
        && modal_length as f64 >= DE_NOVO_MIN_ONE_LENGTH * total as f64
}

/// The base that at least [`EXTEND_MIN_AGREEMENT`] of `total` bases are,
/// from the counts of A, C, G and T among them.
fn agreed_base(acgt: &[usize], total: usize) -> Option<u8> {
    let (i, &top) = acgt.iter().enumerate().max_by_key(|&(_, c)| *c)?;
    (total > 0 && top as f64 >= EXTEND_MIN_AGREEMENT * total as f64).then_some(b"ACGT"[i])
}

/// Calls `f(position, code)` for every k-mer of ACGT bases in `read`.
fn for_each_kmer(read: &[u8], mut f: impl FnMut(usize, usize)) {
    let mask = (1u64 << (2 * DE_NOVO_K)) - 1;
    // older bases shift out of the top unmasked: the mask stays off the
    // chain from one base to the next
    let mut code = 0u64;
    let mut valid = 0usize;
    for (i, &b) in read.iter().enumerate() {
        let x = crate::seq::encode_base(b) as u64;
        if x >= 4 {
            valid = 0;
            continue;
        }
        code = (code << 2) | x;
        valid += 1;
        if valid >= DE_NOVO_K {
            f(i + 1 - DE_NOVO_K, (code & mask) as usize);
        }
    }
}

fn decode_kmer(code: usize) -> Vec<u8> {
    (0..DE_NOVO_K)
        .rev()
        .map(|i| b"ACGT"[(code >> (2 * i)) & 3])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::input::library::TRUSEQ_SMALL_RNA;
    use crate::prep::detect::known::ReadSample;
    use crate::prep::detect::test_reads::{cat, library, TAIL};
    use crate::rng::Rng;

    #[test]
    fn a_sequence_whose_reads_start_before_they_disagree_is_not_grown() {
        // untrimmed reads of a fragment with ragged 5' ends: the bases
        // before any of its k-mers agree until most reads have started
        let mut rng = Rng::new(16);
        let fragment = rng.bases(34);
        let s = library(2000, 60, 16, |rng, _| fragment[rng.below(8)..].to_vec());
        let reads: Vec<&[u8]> = s.iter().collect();
        assert!(extend(&reads, &fragment[12..22]).is_none());
        // behind diverse inserts the same sequence is grown to its start
        let s = library(2000, 60, 16, |_, i| cat(&[i, &fragment]));
        let reads: Vec<&[u8]> = s.iter().collect();
        let g = extend(&reads, &fragment[12..22]).unwrap();
        assert_eq!(g.adapter, &fragment[..MAX_DE_NOVO_LEN]);
    }

    /// Grows `kmer` as detection did before the profile: one pass over the
    /// reads holding it for each offset, to the left, then to the right.
    fn grow_offset_by_offset(reads: &[&[u8]], kmer: &[u8]) -> Option<Vec<u8>> {
        let occ: Vec<(usize, usize)> = reads
            .iter()
            .enumerate()
            .filter_map(|(r, read)| memmem::find(read, kmer).map(|p| (r, p)))
            .collect();
        let agreed_at = |offset: isize| -> std::result::Result<Option<u8>, ()> {
            let bases: Vec<u8> = occ
                .iter()
                .filter_map(|&(r, p)| {
                    let at = p as isize + offset;
                    (at >= 0)
                        .then(|| reads[r].get(at as usize).copied())
                        .flatten()
                })
                .collect();
            if bases.len() * 2 < occ.len() {
                return Err(());
            }
            let mut acgt = [0; 4];
            for b in &bases {
                if let Some(i) = b"ACGT".iter().position(|x| x == b) {
                    acgt[i] += 1;
                }
            }
            Ok(agreed_base(&acgt, bases.len()))
        };
        let mut left = Vec::new();
        loop {
            match agreed_at(-(left.len() as isize) - 1) {
                Ok(Some(b)) => left.push(b),
                Ok(None) => break,
                Err(()) => return None,
            }
        }
        let mut extent: Vec<u8> = left.into_iter().rev().collect();
        let body = extent.len();
        extent.extend_from_slice(kmer);
        while extent.len() < MAX_DE_NOVO_EXTENT {
            match agreed_at((extent.len() - body) as isize) {
                Ok(Some(b)) => extent.push(b),
                _ => break,
            }
        }
        (extent.len() >= SEED_LEN).then_some(extent)
    }

    #[test]
    fn growing_by_profile_blocks_matches_growing_offset_by_offset() {
        // an adapter behind diverse inserts, read through to 75 bases (with
        // Ns), and a fragment with ragged 5' ends (growth stops at the read
        // start)
        let mut rng = Rng::new(1017);
        let fragment = rng.bases(34);
        let adapter = cat(&[TRUSEQ_SMALL_RNA.as_bytes(), TAIL]);
        let s = library(3000, 75, 17, |rng, i| {
            let mut read = if rng.below(4) == 0 {
                fragment[rng.below(8)..].to_vec()
            } else {
                cat(&[i, &adapter])
            };
            if rng.below(10) == 0 {
                let at = rng.below(read.len());
                read[at] = b'N';
            }
            read
        });
        let reads: Vec<&[u8]> = s.iter().collect();
        let (mut grown, mut stopped) = (0, 0);
        for seq in [&adapter[..], &fragment[..]] {
            for kmer in seq.windows(DE_NOVO_K) {
                let occ: Vec<(u32, u32)> = reads
                    .iter()
                    .enumerate()
                    .filter_map(|(r, read)| memmem::find(read, kmer).map(|p| (r as u32, p as u32)))
                    .collect();
                let want = grow_offset_by_offset(&reads, kmer);
                assert_eq!(
                    grow(&reads, kmer, &occ, |_, _| false),
                    want,
                    "{}",
                    String::from_utf8_lossy(kmer)
                );
                if want.is_some() {
                    grown += 1;
                } else {
                    stopped += 1;
                }
            }
        }
        assert!(
            grown > 20 && stopped > 20,
            "{grown} grown, {stopped} stopped"
        );
    }

    /// Gathers the occurrences of frequent k-mers `wanted` as detection
    /// did before the bit filter: by the table alone.
    fn gather_by_table(
        table: &[u32],
        n: usize,
        wanted: &[usize],
        reads: &[&[u8]],
    ) -> Vec<Vec<(u32, u32)>> {
        let mut occ: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n];
        let mut seen = vec![u32::MAX; n];
        for (r, read) in reads.iter().enumerate() {
            let r = r as u32;
            for_each_kmer(read, |p, code| {
                let e = table[code];
                if e & Occurrences::FREQUENT != 0 {
                    let t = (e & !Occurrences::FREQUENT) as usize;
                    if wanted.contains(&t) && seen[t] != r {
                        seen[t] = r;
                        occ[t].push((r, p as u32));
                    }
                }
            });
        }
        occ
    }

    /// The de novo reads of the first `SAMPLE_READS` reads of each real run
    /// in the shared data's `fastq/` (`MIRQ_SHARED`, else ../shared, as the
    /// integration tests find it; CI must have it), and of a simulated one.
    fn real_and_simulated_reads() -> Vec<ReadSample> {
        let adapter = cat(&[TRUSEQ_SMALL_RNA.as_bytes(), TAIL]);
        let mut samples = vec![library(5000, 75, 22, |rng, i| {
            if rng.below(10) == 0 {
                i.to_vec()
            } else {
                cat(&[i, &adapter])
            }
        })];
        let shared = std::env::var_os("MIRQ_SHARED")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
        let dir = shared.join("data/fastq");
        if !dir.is_dir() {
            assert!(std::env::var_os("CI").is_none(), "CI must have {dir:?}");
            eprintln!("no real runs at {dir:?}: the simulated one only");
        }
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        for file in files {
            let mut s = ReadSample::default();
            crate::input::fastq::for_each_record_until(&file, |seq, _| {
                s.push(seq);
                if s.len() < crate::prep::detect::SAMPLE_READS {
                    std::ops::ControlFlow::Continue(())
                } else {
                    std::ops::ControlFlow::Break(())
                }
            })
            .unwrap();
            samples.push(s);
        }
        samples
    }

    #[test]
    fn gathering_through_the_bit_filter_matches_the_table_alone() {
        let mut checked = 0;
        for sample in real_and_simulated_reads() {
            let n = sample.len();
            let step = n.div_ceil(DE_NOVO_READS);
            let reads: Vec<&[u8]> = (0..n).step_by(step).map(|i| sample.read(i)).collect();
            let table = count_kmers(&reads);
            let mut frequent: Vec<usize> = (0..table.len())
                .filter(|&c| table[c] & 0xFFFF >= 10)
                .collect();
            frequent.sort_by_key(|&c| (std::cmp::Reverse(table[c] & 0xFFFF), c));
            frequent.truncate(200);
            if frequent.is_empty() {
                continue;
            }
            let counts: Vec<usize> = frequent
                .iter()
                .map(|&c| (table[c] & 0xFFFF) as usize)
                .collect();
            let mut occ = Occurrences::new(table, &frequent, counts);
            let wanted: Vec<usize> = (0..frequent.len()).step_by(2).collect();
            let want = gather_by_table(&occ.table, frequent.len(), &wanted, &reads);
            occ.gather(wanted[0], &wanted[1..], &reads);
            for &t in &wanted {
                assert_eq!(occ.gathered[t].as_deref(), Some(&want[t][..]), "k-mer {t}");
                checked += want[t].len();
            }
        }
        assert!(checked > 100_000, "{checked} occurrences");
    }

    #[test]
    fn a_kmer_of_an_adapter_already_grown_stops_within_a_few_bases() {
        // reads with the adapter after the insert's last base: the k-mer
        // spanning it grows to the adapter seed a base later, and is dropped
        // there; grown to its end, it would read through 50 bases
        let adapter = cat(&[TRUSEQ_SMALL_RNA.as_bytes(), TAIL]);
        let s = library(5000, 75, 18, |rng, _| {
            let len = 18 + rng.below(8);
            cat(&[&rng.bases(len), &adapter])
        });
        let reads: Vec<&[u8]> = s.iter().collect();
        let seed = &adapter[..SEED_LEN];
        let holds_seed = |extent: &[u8], _: bool| memmem::find(extent, seed).is_some();
        let kmer = cat(&[b"G", &adapter[..DE_NOVO_K - 1]]);
        let occ: Vec<(u32, u32)> = reads
            .iter()
            .enumerate()
            .filter_map(|(r, read)| memmem::find(read, &kmer).map(|p| (r as u32, p as u32)))
            .collect();
        assert!(occ.len() > 200, "{}", occ.len());
        work::take(&work::PROFILE_CELLS);
        assert_eq!(grow(&reads, &kmer, &occ, holds_seed), None);
        let dropped = work::take(&work::PROFILE_CELLS);
        assert!(grow(&reads, &kmer, &occ, |_, _| false).is_some());
        let whole = work::take(&work::PROFILE_CELLS);
        assert!(
            dropped <= 2 * Profile::FIRST_BLOCK * occ.len() && whole > 6 * dropped,
            "{dropped} cells dropped early, {whole} grown whole"
        );
    }
}

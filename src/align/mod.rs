//! Alignment of unique inserts to the reference targets.
//!
//! A *hit* places an insert without gaps at `offset` on a target: its first
//! `templated` bases are compared with the target, the last `nontemplated`
//! bases (at most `max_nontemplated`, 3 by default) are taken as non-templated
//! 3' additions. Compared bases count as mismatches when they differ (an `N`
//! on either side always differs), or as free when the target base is a
//! wildcard pad; a hit covering pad bases must lie in a mature window. A hit
//! needs at most `max_mismatches` mismatches. Hits rank by (mismatches, free
//! bases = wildcards + non-templated bases); of the placements at one offset
//! the best-ranked is kept (fewer non-templated bases on ties), and an insert's
//! *best hits* are all its hits of the best rank, sorted by (target, offset).
//!
//! Every engine returns exactly these best hits; [`brute_force`] computes
//! them by trying every offset of every target and is the oracle in tests.

pub mod auto;
pub mod cpu;
pub mod exact;
pub mod gpu;
pub mod index;
pub mod scan;
pub mod screen;
pub mod select;
pub mod stream;
pub mod tagged;
pub mod targets;

pub use targets::{TargetKind, TargetSet, Window};

use crate::error::Result;
use crate::seq::{N, WILDCARD};

/// Search limits shared by all engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlignParams {
    /// Mismatches allowed in the templated part (0..=2 on the command line).
    pub max_mismatches: u8,
    /// Non-templated 3' bases allowed.
    pub max_nontemplated: u8,
}

impl Default for AlignParams {
    fn default() -> Self {
        Self {
            max_mismatches: 1,
            max_nontemplated: 3,
        }
    }
}

/// One placement of an insert on a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hit {
    /// Target index in the [`TargetSet`].
    pub target: u32,
    /// Target position of the insert's first base (negative inside the 5' pad).
    pub offset: i32,
    /// Bases compared with the target.
    pub templated: u16,
    /// Trailing bases taken as non-templated additions.
    pub nontemplated: u8,
    /// Mismatches among the templated bases.
    pub mismatches: u8,
    /// Templated bases that fell on wildcard pads.
    pub wildcards: u8,
}

impl Hit {
    /// Rank: lower is better.
    #[inline]
    pub fn rank(&self) -> (u8, u16) {
        (
            self.mismatches,
            self.wildcards as u16 + self.nontemplated as u16,
        )
    }

    /// Target position one past the last templated base.
    #[inline]
    pub fn end(&self) -> i32 {
        self.offset + self.templated as i32
    }
}

/// Which engine aligned: written `cpu` or `gpu` (stats.json, tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// The CPU engine ([`cpu::CpuEngine`]).
    Cpu,
    /// The GPU engine ([`gpu::GpuEngine`]).
    Gpu,
}

impl EngineKind {
    /// `cpu` or `gpu`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Gpu => "gpu",
        }
    }
}

impl std::fmt::Display for EngineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// An alignment engine. A run prepares the reference once
/// ([`Engine::prepare`]: the CPU builds its seed index, the GPU uploads the
/// targets, windows and seed table into device buffers) and then aligns
/// slice after slice of inserts with the prepared reference.
pub trait Engine: Send + Sync {
    /// Which engine this is.
    fn kind(&self) -> EngineKind;

    /// Prepares `targets` for aligning with `params`.
    fn prepare<'a>(
        &'a self,
        targets: &'a TargetSet,
        params: &AlignParams,
    ) -> Result<Box<dyn Prepared + 'a>>;

    /// Best hits of each insert (base codes), in input order: prepares the
    /// reference for this one call. Runs use [`Engine::prepare`] once instead.
    fn align(
        &self,
        targets: &TargetSet,
        inserts: &[&[u8]],
        params: &AlignParams,
    ) -> Result<Vec<Vec<Hit>>> {
        let prepared = self.prepare(targets, params)?;
        let mut flat = FlatHits::default();
        prepared.align_into(inserts, &mut flat)?;
        Ok((0..flat.len()).map(|i| flat.get(i).to_vec()).collect())
    }
}

/// A reference prepared by an engine, ready to align any number of slices.
pub trait Prepared: Send + Sync {
    /// Appends the best hits of each insert (base codes), in input order, to
    /// `out`.
    fn align_into(&self, inserts: &[&[u8]], out: &mut FlatHits) -> Result<()>;
}

/// Best hits of many inserts, flattened: insert `i`'s hits are `get(i)`,
/// 16 bytes per hit plus 4 per insert. Stored in blocks (one per aligned
/// slice, sized exactly), so that a run's hits never move in memory: a
/// single growing buffer would double, and be copied, as it grows. Two are
/// equal when every insert's hits are, however they are blocked.
#[derive(Debug, Default, Clone)]
pub struct FlatHits {
    blocks: Vec<HitBlock>,
    /// First insert of each block.
    firsts: Vec<usize>,
    len: usize,
}

impl PartialEq for FlatHits {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && (0..self.len).all(|i| self.get(i) == other.get(i))
    }
}

impl Eq for FlatHits {}

/// Consecutive inserts' hits; `ends[j]` is one past insert j's last hit.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct HitBlock {
    hits: Vec<Hit>,
    ends: Vec<u32>,
}

/// Hits a block holds before [`FlatHits::push`] starts a new one.
const BLOCK_HITS: usize = 1 << 22;

impl FlatHits {
    /// Appends the next insert's hits.
    pub fn push(&mut self, hits: &[Hit]) {
        let full = self.blocks.last().map_or(true, |b| {
            b.hits.len() + hits.len() > BLOCK_HITS.max(hits.len())
        });
        if full {
            self.blocks.push(HitBlock::default());
            self.firsts.push(self.len);
        }
        let block = self.blocks.last_mut().expect("a block");
        block.hits.extend_from_slice(hits);
        block.ends.push(block.hits.len() as u32);
        self.len += 1;
    }

    /// Appends every insert of `parts`, in order, as one block of exactly
    /// their size.
    pub fn append_all(&mut self, parts: &[FlatHits]) {
        let hits: usize = parts.iter().map(FlatHits::total_hits).sum();
        let inserts: usize = parts.iter().map(FlatHits::len).sum();
        if inserts == 0 {
            return;
        }
        let mut block = HitBlock {
            hits: Vec::with_capacity(hits),
            ends: Vec::with_capacity(inserts),
        };
        for part in parts {
            for b in &part.blocks {
                let base = block.hits.len() as u32;
                block.hits.extend_from_slice(&b.hits);
                block.ends.extend(b.ends.iter().map(|e| e + base));
            }
        }
        self.firsts.push(self.len);
        self.blocks.push(block);
        self.len += inserts;
    }

    /// Appends every insert of `other`, in order.
    pub fn append(&mut self, other: &FlatHits) {
        self.append_all(std::slice::from_ref(other));
    }

    /// Hits of insert `i`.
    pub fn get(&self, i: usize) -> &[Hit] {
        let b = self.firsts.partition_point(|&f| f <= i) - 1;
        let block = &self.blocks[b];
        let j = i - self.firsts[b];
        let start = if j == 0 {
            0
        } else {
            block.ends[j - 1] as usize
        };
        &block.hits[start..block.ends[j] as usize]
    }

    /// Number of inserts.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no insert was added.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Hits of all inserts.
    pub fn total_hits(&self) -> usize {
        self.blocks.iter().map(|b| b.hits.len()).sum()
    }
}

/// Base codes of a slice of inserts, in one buffer.
#[derive(Debug, Default)]
pub struct EncodedSlice {
    codes: Vec<u8>,
    ends: Vec<usize>,
}

impl EncodedSlice {
    /// Encodes `n` inserts (`insert(i)`, ASCII bases).
    pub fn encode<'a>(n: usize, insert: impl Fn(usize) -> &'a [u8]) -> Self {
        let mut s = Self::default();
        s.ends.reserve(n);
        for i in 0..n {
            s.codes
                .extend(insert(i).iter().map(|&b| crate::seq::encode_base(b)));
            s.ends.push(s.codes.len());
        }
        s
    }

    /// [`Self::encode`], the codes made in parts of [`ENCODE_PART`] inserts
    /// on the current pool (the same codes).
    pub fn encode_parallel<'a>(n: usize, insert: impl Fn(usize) -> &'a [u8] + Sync) -> Self {
        use rayon::prelude::*;
        let mut ends = Vec::with_capacity(n);
        let mut total = 0;
        for i in 0..n {
            total += insert(i).len();
            ends.push(total);
        }
        let mut codes = vec![0u8; total];
        let mut parts = Vec::with_capacity(n.div_ceil(ENCODE_PART));
        let (mut rest, mut lo) = (codes.as_mut_slice(), 0);
        while lo < n {
            let hi = (lo + ENCODE_PART).min(n);
            let from = if lo == 0 { 0 } else { ends[lo - 1] };
            let (part, tail) = rest.split_at_mut(ends[hi - 1] - from);
            parts.push((lo..hi, part));
            (rest, lo) = (tail, hi);
        }
        parts.into_par_iter().for_each(|(ids, part)| {
            let mut at = 0;
            for i in ids {
                let bases = insert(i);
                let out = &mut part[at..at + bases.len()];
                for (code, &b) in out.iter_mut().zip(bases) {
                    *code = crate::seq::encode_base(b);
                }
                at += bases.len();
            }
        });
        Self { codes, ends }
    }

    /// Every insert's codes.
    pub fn views(&self) -> Vec<&[u8]> {
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let v = &self.codes[start..end];
                start = end;
                v
            })
            .collect()
    }
}

/// Inserts [`EncodedSlice::encode_parallel`] encodes in one task.
const ENCODE_PART: usize = 8192;

/// Aligns `n` inserts (`insert(i)`, ASCII bases) with a prepared reference,
/// `slice` at a time, so that base codes exist for one slice only.
pub fn align_all<'a>(
    prepared: &dyn Prepared,
    n: usize,
    insert: impl Fn(usize) -> &'a [u8] + Sync,
    slice: usize,
) -> Result<FlatHits> {
    let mut all = FlatHits::default();
    let mut lo = 0;
    while lo < n {
        let hi = lo.saturating_add(slice.max(1)).min(n);
        let encoded = EncodedSlice::encode_parallel(hi - lo, |i| insert(lo + i));
        prepared.align_into(&encoded.views(), &mut all)?;
        lo = hi;
    }
    Ok(all)
}

/// How the pigeonhole stages seed an insert of one length: shared by the
/// engines so that they look up the same seeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedPlan {
    /// Non-templated bases the insert may end with.
    pub tmax: usize,
    /// Piece length of the hits on real bases (stage 2), seeded over
    /// `0..len - tmax`; None: pieces too short, the search is exhaustive.
    pub real_piece: Option<usize>,
    /// Piece length of the hits covering pads near edge windows (stage 3),
    /// seeded over `edge_region`; None: every offset near an edge window is a
    /// candidate.
    pub edge_piece: Option<usize>,
    /// Bases of the insert that lie on real target bases for any hit near an
    /// edge window.
    pub edge_region: std::ops::Range<usize>,
}

impl SeedPlan {
    /// The plan for an insert of `len` bases (at least 1), with `indexed`
    /// positions in the whole index and in the edge windows' index, and
    /// `edge_windows` edge windows.
    pub fn new(
        ts: &TargetSet,
        params: &AlignParams,
        len: usize,
        indexed: [usize; 2],
        edge_windows: usize,
    ) -> Self {
        let k = params.max_mismatches as usize;
        let tmax = (params.max_nontemplated as usize).min(len.saturating_sub(1));
        let real = len - tmax;
        let real_piece = piece_len(real, k, indexed[0], ts.text.len());
        let (w5, w3) = (ts.window_5p, ts.window_3p);
        let edge_region = w5..real.saturating_sub(w3).max(w5);
        let edge_offsets = edge_windows * (2 * w5 + 1);
        let edge_piece = piece_len(edge_region.len(), k, indexed[1], edge_offsets);
        Self {
            tmax,
            real_piece,
            edge_piece,
            edge_region,
        }
    }
}

/// Length of each of `k + 1` pieces of a region of `n` bases, or None when
/// the pieces are so short that their expected occurrences in an index of
/// `indexed` positions outnumber `exhaustive` (the offsets an exhaustive
/// search would try).
fn piece_len(n: usize, k: usize, indexed: usize, exhaustive: usize) -> Option<usize> {
    let piece = n / (k + 1);
    if piece == 0 {
        return None;
    }
    let expected = (k + 1) as f64 * indexed as f64 / 4f64.powi(piece.min(index::MAX_SEED) as i32);
    (expected <= exhaustive as f64).then_some(piece)
}

/// The best placement of `insert` at `offset` on `target`, if any is valid.
///
/// The bases every placement templates (all but the last `max_nontemplated`)
/// are compared eight a word; the few after them, where the placements
/// differ, one by one.
pub fn verify(
    ts: &TargetSet,
    target: usize,
    offset: i32,
    insert: &[u8],
    params: &AlignParams,
) -> Option<Hit> {
    let l = insert.len();
    let (lo, hi) = ts.span(target);
    if l == 0 || offset < lo || offset >= hi {
        return None;
    }
    let tmax = (params.max_nontemplated as usize).min(l - 1);
    let k = params.max_mismatches as u32;
    // target bases the insert can cover, and the fewest it templates
    let m = l.min((hi - offset) as usize);
    let min_templated = l - tmax;
    if m < min_templated {
        return None;
    }
    let start = usize::try_from(ts.targets[target].text_start as i64 + offset as i64).ok()?;
    // the span lies inside the padded text
    let text = ts.text.get(start..start + m)?;
    let (mut mismatches, mut wildcards) =
        count_differences(&text[..min_templated], &insert[..min_templated], k)?;
    let mut best: Option<Hit> = None;
    for templated in min_templated..=m {
        if templated > min_templated {
            let (r, q) = (text[templated - 1], insert[templated - 1]);
            if r == WILDCARD {
                wildcards += 1;
            } else if r >= N || r != q {
                mismatches += 1;
                if mismatches > k {
                    break;
                }
            }
        }
        if wildcards > 0 && !ts.in_any_window(target, offset, offset + templated as i32) {
            continue;
        }
        let hit = Hit {
            target: target as u32,
            offset,
            templated: templated as u16,
            nontemplated: (l - templated) as u8,
            mismatches: mismatches as u8,
            wildcards: wildcards as u8,
        };
        // later placements template more: on a tie of rank, the later wins
        if best.map_or(true, |b| hit.rank() <= b.rank()) {
            best = Some(hit);
        }
    }
    best
}

/// Every byte's high bit.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// One in every byte.
const ONES: u64 = 0x0101_0101_0101_0101;

/// The high bit of every byte of `x` that is not zero.
#[inline]
fn nonzero_bytes(x: u64) -> u64 {
    const LOW7: u64 = !HIGH_BITS;
    ((x & LOW7).wrapping_add(LOW7) | x) & HIGH_BITS
}

/// Eight bytes from `s` at `i` (at most its length), zeros past its end,
/// little-endian.
#[inline]
fn word(s: &[u8], i: usize) -> u64 {
    let rest = &s[i.min(s.len())..];
    if let Some(b) = rest.first_chunk::<8>() {
        return u64::from_le_bytes(*b);
    }
    let mut b = [0u8; 8];
    b[..rest.len()].copy_from_slice(rest);
    u64::from_le_bytes(b)
}

/// Mismatches and wildcards of `insert` against the target bases `text`
/// (as long), eight bases a word: a wildcard target base is free, an N on
/// either side a mismatch. None once mismatches pass `k`.
#[inline]
fn count_differences(text: &[u8], insert: &[u8], k: u32) -> Option<(u32, u32)> {
    let (mut mismatches, mut wildcards) = (0, 0);
    for i in (0..text.len()).step_by(8) {
        // past the end both read as zeros (A): neither mismatch nor wildcard
        let (r, q) = (word(text, i), word(insert, i));
        let mut differ = nonzero_bytes(r ^ q);
        if r & !(3 * ONES) != 0 {
            // an N or a pad: an N always differs, a pad is free
            let wild = !nonzero_bytes(r ^ (WILDCARD as u64 * ONES)) & HIGH_BITS;
            let n = !nonzero_bytes(r ^ (N as u64 * ONES)) & HIGH_BITS;
            differ = (differ | n) & !wild;
            wildcards += wild.count_ones();
        }
        mismatches += differ.count_ones();
        if mismatches > k {
            return None;
        }
    }
    Some((mismatches, wildcards))
}

/// [`verify`] base by base: the oracle of its word comparisons.
#[cfg(test)]
fn verify_slow(
    ts: &TargetSet,
    target: usize,
    offset: i32,
    insert: &[u8],
    params: &AlignParams,
) -> Option<Hit> {
    let l = insert.len();
    let (lo, hi) = ts.span(target);
    if l == 0 || offset < lo || offset >= hi {
        return None;
    }
    let tmax = (params.max_nontemplated as usize).min(l - 1);
    let mut mismatches = 0u32;
    let mut wildcards = 0u32;
    let mut best: Option<Hit> = None;
    for (i, &q) in insert.iter().enumerate() {
        let pos = offset + i as i32;
        if pos >= hi {
            break;
        }
        let r = ts.base(target, pos);
        if r == WILDCARD {
            wildcards += 1;
        } else if r >= N || q >= N || r != q {
            mismatches += 1;
            if mismatches > params.max_mismatches as u32 {
                break;
            }
        }
        let templated = i + 1;
        let nontemplated = l - templated;
        if nontemplated > tmax {
            continue;
        }
        if wildcards > 0 && !ts.in_any_window(target, offset, offset + templated as i32) {
            continue;
        }
        let hit = Hit {
            target: target as u32,
            offset,
            templated: templated as u16,
            nontemplated: nontemplated as u8,
            mismatches: mismatches as u8,
            wildcards: wildcards as u8,
        };
        let better = match best {
            None => true,
            Some(b) => (hit.rank(), hit.nontemplated) < (b.rank(), b.nontemplated),
        };
        if better {
            best = Some(hit);
        }
    }
    best
}

/// Keeps the hits of the best rank, sorted by (target, offset).
pub fn best_hits(mut hits: Vec<Hit>) -> Vec<Hit> {
    keep_best(&mut hits);
    hits
}

/// [`best_hits`] in place.
pub fn keep_best(hits: &mut Vec<Hit>) {
    let Some(rank) = hits.iter().map(Hit::rank).min() else {
        return;
    };
    hits.retain(|h| h.rank() == rank);
    hits.sort_unstable();
    hits.dedup();
}

/// Best hits by trying every offset of every target: the oracle.
///
/// ```
/// use mirq::align::{brute_force, AlignParams, TargetSet};
/// use mirq::input::reference::{RefSeq, Reference};
/// use mirq::seq::encode;
/// let mature = RefSeq { name: "hsa-miR-16-5p".into(), seq: b"TAGCAGCACGTAAATATTGGCG".to_vec() };
/// let reference = Reference::from_sequences("hsa", vec![mature], vec![]);
/// let targets = TargetSet::build(&reference, 3, 5);
/// // the mature with an untemplated A: one hit, one free base
/// let hits = brute_force(&targets, &encode(b"TAGCAGCACGTAAATATTGGCGA"), &AlignParams::default());
/// assert_eq!(hits.len(), 1);
/// assert_eq!(hits[0].rank(), (0, 1));
/// ```
pub fn brute_force(ts: &TargetSet, insert: &[u8], params: &AlignParams) -> Vec<Hit> {
    let mut hits = Vec::new();
    for t in 0..ts.targets.len() {
        let (lo, hi) = ts.span(t);
        for offset in lo..hi {
            if let Some(h) = verify(ts, t, offset, insert, params) {
                hits.push(h);
            }
        }
    }
    best_hits(hits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::reference::{RefSeq, Reference};
    use crate::seq::encode;

    fn rs(name: &str, s: &str) -> RefSeq {
        RefSeq::new(name, s)
    }

    fn hairpin_set() -> TargetSet {
        let r = Reference::from_sequences(
            "hsa",
            vec![rs("hsa-miR-1", "TAGCAGCACGTAAATATTGGCG")],
            vec![rs(
                "hsa-mir-1",
                "GTCAGCAGTGCCTTAGCAGCACGTAAATATTGGCGTTAAGATTCTAAAATTATCTCC",
            )],
        );
        TargetSet::build(&r, 3, 5)
    }

    #[test]
    fn exact_mature_read_is_one_perfect_hit() {
        let ts = hairpin_set();
        let hits = brute_force(
            &ts,
            &encode(b"TAGCAGCACGTAAATATTGGCG"),
            &AlignParams::default(),
        );
        assert_eq!(hits.len(), 1);
        assert_eq!(
            (hits[0].offset, hits[0].templated, hits[0].rank()),
            (13, 22, (0, 0))
        );
    }

    #[test]
    fn untemplated_a_is_a_nontemplated_base() {
        let ts = hairpin_set();
        // hairpin continues with T after the mature: an added A is non-templated
        let hits = brute_force(
            &ts,
            &encode(b"TAGCAGCACGTAAATATTGGCGA"),
            &AlignParams::default(),
        );
        assert_eq!(hits.len(), 1);
        assert_eq!(
            (hits[0].templated, hits[0].nontemplated, hits[0].mismatches),
            (22, 1, 0)
        );
    }

    #[test]
    fn templated_extension_prefers_the_template() {
        let ts = hairpin_set();
        let hits = brute_force(
            &ts,
            &encode(b"TAGCAGCACGTAAATATTGGCGTT"),
            &AlignParams::default(),
        );
        assert_eq!((hits[0].templated, hits[0].nontemplated), (24, 0));
    }

    #[test]
    fn mature_only_read_may_run_past_the_mature() {
        let r = Reference::from_sequences(
            "hsa",
            vec![rs("hsa-miR-1", "TAGCAGCACGTAAATATTGGCG")],
            vec![],
        );
        let ts = TargetSet::build(&r, 3, 5);
        let hits = brute_force(
            &ts,
            &encode(b"CTAGCAGCACGTAAATATTGGCGCA"),
            &AlignParams::default(),
        );
        assert_eq!(hits.len(), 1);
        assert_eq!(
            (hits[0].offset, hits[0].templated, hits[0].wildcards),
            (-1, 25, 3)
        );
        assert_eq!(hits[0].mismatches, 0);
    }

    #[test]
    fn two_mismatches_need_max_two() {
        let ts = hairpin_set();
        let read = encode(b"TAGCAGGACGTAAATATAGGCG");
        assert!(brute_force(&ts, &read, &AlignParams::default()).is_empty());
        let p = AlignParams {
            max_mismatches: 2,
            ..Default::default()
        };
        assert_eq!(brute_force(&ts, &read, &p)[0].mismatches, 2);
    }

    /// [`verify`] (eight bases a word) equals [`verify_slow`] (base by
    /// base) at every offset (and a few outside the span) of random
    /// targets with Ns, placed and unplaced matures (wildcard pads, windows),
    /// for random inserts of 1 to 40 bases with Ns, most of them cut from a
    /// target with a few changes, under every limit.
    #[test]
    fn word_verify_equals_base_by_base_verify() {
        let mut rng = crate::rng::Rng::new(0xA11C_E5ED);
        /// `n` random bases, one in `n_rate` an N.
        fn seq(rng: &mut crate::rng::Rng, n: usize, n_rate: usize) -> Vec<u8> {
            (0..n)
                .map(|_| match rng.below(n_rate) {
                    0 => b'N',
                    r => b"ACGT"[r % 4],
                })
                .collect()
        }
        let mut matures = Vec::new();
        let mut hairpins = Vec::new();
        for i in 0..12 {
            let n = 16 + rng.below(10);
            let m = seq(&mut rng, n, 60);
            matures.push(RefSeq::new(&format!("hsa-miR-{i}"), m.clone()));
            if i % 3 != 0 {
                // placed in a hairpin; the others are unplaced, padded
                let n = rng.below(15);
                let mut h = seq(&mut rng, n, 40);
                h.extend_from_slice(&m);
                let n = 1 + rng.below(40);
                h.extend(seq(&mut rng, n, 40));
                hairpins.push(RefSeq::new(&format!("hsa-mir-{i}"), h));
            }
        }
        let ts = TargetSet::build(&Reference::from_sequences("hsa", matures, hairpins), 3, 5);
        let (mut checked, mut hits, mut padded) = (0, 0, 0);
        for _ in 0..300 {
            let insert: Vec<u8> = if rng.below(4) == 0 {
                let n = 1 + rng.below(40);
                seq(&mut rng, n, 30)
            } else {
                let t = &ts.targets[rng.below(ts.targets.len())];
                let text = &ts.text[t.text_start..t.text_start + t.len];
                // often from the start, 0 to 2 bases before it (on a pad
                // of an unplaced mature)
                let from = if rng.below(2) == 0 {
                    0
                } else {
                    rng.below(t.len)
                };
                let n = rng.below(3);
                let mut s = seq(&mut rng, n, 30);
                s.extend(
                    text[from..(from + 1 + rng.below(40)).min(t.len)]
                        .iter()
                        .map(|&c| b"ACGTN"[c as usize]),
                );
                let n = rng.below(4);
                s.extend(seq(&mut rng, n, 30));
                for _ in 0..rng.below(4) {
                    let i = rng.below(s.len());
                    s[i] = b"ACGTN"[rng.below(5)];
                }
                s
            };
            let insert = encode(&insert);
            for max_mismatches in 0..=2 {
                for max_nontemplated in 0..=3 {
                    let params = AlignParams {
                        max_mismatches,
                        max_nontemplated,
                    };
                    for t in 0..ts.targets.len() {
                        let (lo, hi) = ts.span(t);
                        for offset in lo - 2..hi + 2 {
                            let fast = verify(&ts, t, offset, &insert, &params);
                            let slow = verify_slow(&ts, t, offset, &insert, &params);
                            assert_eq!(fast, slow, "insert {insert:?} target {t} offset {offset}");
                            checked += 1;
                            hits += usize::from(fast.is_some());
                            padded += usize::from(fast.is_some_and(|h| h.wildcards > 0));
                        }
                    }
                }
            }
        }
        // many placements compared, hits found, some of them on pads
        assert!(
            checked > 100_000 && hits > 1000 && padded > 100,
            "{checked} {hits} {padded}"
        );
    }
}

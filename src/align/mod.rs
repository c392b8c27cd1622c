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

pub mod cpu;
pub mod gpu;
pub mod index;
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

/// An alignment engine: all best hits of every insert (base codes).
pub trait Engine: Send + Sync {
    /// Short name recorded in stats.json (`cpu`, `gpu`).
    fn name(&self) -> &'static str;
    /// Best hits of each insert, in input order.
    fn align(
        &self,
        targets: &TargetSet,
        inserts: &[&[u8]],
        params: &AlignParams,
    ) -> Result<Vec<Vec<Hit>>>;
}

/// Best hits of many inserts, flattened: insert `i`'s hits are
/// `get(i)`, 16 bytes per hit plus 8 per insert.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FlatHits {
    hits: Vec<Hit>,
    ends: Vec<u64>,
}

impl FlatHits {
    /// Appends the next insert's hits.
    pub fn push(&mut self, hits: &[Hit]) {
        self.hits.extend_from_slice(hits);
        self.ends.push(self.hits.len() as u64);
    }

    /// Hits of insert `i`.
    pub fn get(&self, i: usize) -> &[Hit] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.hits[start..self.ends[i] as usize]
    }

    /// Number of inserts.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether no insert was added.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// Aligns `n` inserts (`insert(i)`, ASCII bases) with `engine`, `slice` at a
/// time, so that base codes and per-insert hit vectors exist for one slice
/// only.
pub fn align_all<'a>(
    engine: &dyn Engine,
    targets: &TargetSet,
    n: usize,
    insert: impl Fn(usize) -> &'a [u8] + Sync,
    params: &AlignParams,
    slice: usize,
) -> Result<FlatHits> {
    use rayon::prelude::*;
    let mut all = FlatHits::default();
    let mut lo = 0;
    while lo < n {
        let hi = lo.saturating_add(slice.max(1)).min(n);
        let codes: Vec<Vec<u8>> = (lo..hi)
            .into_par_iter()
            .map(|i| crate::seq::encode(insert(i)))
            .collect();
        let views: Vec<&[u8]> = codes.iter().map(Vec::as_slice).collect();
        for hits in engine.align(targets, &views, params)? {
            all.push(&hits);
        }
        lo = hi;
    }
    Ok(all)
}

/// The best placement of `insert` at `offset` on `target`, if any is valid.
pub fn verify(
    ts: &TargetSet,
    target: usize,
    offset: i32,
    insert: &[u8],
    params: &AlignParams,
) -> Option<Hit> {
    let l = insert.len();
    if l == 0 {
        return None;
    }
    let (lo, hi) = ts.span(target);
    if offset < lo || offset >= hi {
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
    let Some(rank) = hits.iter().map(Hit::rank).min() else {
        return hits;
    };
    hits.retain(|h| h.rank() == rank);
    hits.sort_unstable();
    hits.dedup();
    hits
}

/// Best hits by trying every offset of every target: the oracle.
///
/// ```
/// use mirq::align::{brute_force, AlignParams, TargetSet};
/// use mirq::reference::{RefSeq, Reference};
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
    use crate::reference::{RefSeq, Reference};
    use crate::seq::encode;

    fn rs(name: &str, s: &str) -> RefSeq {
        RefSeq {
            name: name.into(),
            seq: s.as_bytes().to_vec(),
        }
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
}

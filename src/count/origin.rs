//! Where the reads that are not the run's miRNAs come from, beyond the
//! ncRNA classes ([`super::ncrna`]): the stages of the cascade that run
//! before and after them.
//!
//! Every read lands in exactly one category, in this order:
//! 1. **artifact**: adapter, primer and vector pieces. An insert whose
//!    artifact best hits cost no more than its miRNA best hits (cost:
//!    mismatches + non-templated bases + bases past a reference end, as in
//!    [`super::ncrna::cost`]) is an artifact: a tie goes to the artifact.
//! 2. the run species' miRNAs (mature, or hairpin only);
//! 3. the ncRNA classes (`--ncrna`);
//! 4. **exogenous miRNAs**: an insert still unassigned, of at least
//!    [`EXOGENOUS_MIN_LENGTH`] bases, that lies end to end in a mature window
//!    of another species' miRNA with no mismatch and no non-templated base
//!    (exceRpt's exogenous rule). A read on matures of several species is
//!    shared equally among them.
//! 5. **screen references** (`--screen`), in the order given: an insert
//!    still unassigned that the reference's length rule admits
//!    ([`ScreenRule`]), that is not low complexity, aligned end to end on
//!    both strands; it goes to the reference it fits with the fewest
//!    mismatches (a tie to the first given), each of its k best hits
//!    counting 1/k for its record;
//! 6. unassigned.

use rustc_hash::FxHashMap;

use crate::align::{FlatHits, Hit, TargetSet};
use crate::count::ncrna::{cost, MirnaSide};

/// Shortest insert an exogenous miRNA call takes (exceRpt: 18 nt).
pub const EXOGENOUS_MIN_LENGTH: usize = 18;

/// Reads a species needs in a sample to be named among its exogenous
/// miRNAs (exceRpt: 3).
pub const EXOGENOUS_MIN_READS: f64 = 3.0;

/// Best hits from this many on flag an insert as repetitive on a screen
/// reference (ShortStack's limit).
pub const REPETITIVE_HITS: usize = 50;

/// Expected random hits per insert a screen reference may give at most:
/// its length rule keeps λ at or under this.
pub const SCREEN_MAX_LAMBDA: f64 = 1e-3;

/// What the artifact stage made of one insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactCall {
    /// Not an artifact.
    None,
    /// An artifact with no miRNA hit.
    Artifact,
    /// An artifact whose artifact hits cost no more than its miRNA hits: the
    /// miRNAs lose it.
    FromMirna,
}

/// Every insert's artifact call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactCalls {
    /// Call of each insert id.
    pub of_insert: Vec<ArtifactCall>,
}

impl ArtifactCalls {
    /// Calls every insert from its miRNA best hits (on `mirna_targets`) and
    /// its artifact best hits.
    pub fn build(mirna_targets: &TargetSet, mirna: &FlatHits, artifact: &FlatHits) -> Self {
        let of_insert = (0..mirna.len())
            .map(|id| artifact_call(mirna_targets, mirna.get(id), artifact.get(id)))
            .collect();
        Self { of_insert }
    }

    /// Whether insert `id` is an artifact.
    pub fn is_artifact(&self, id: usize) -> bool {
        self.of_insert[id] != ArtifactCall::None
    }

    /// Whether the artifact stage takes insert `id` from its miRNAs.
    pub fn taken_from_mirna(&self, id: usize) -> bool {
        self.of_insert[id] == ArtifactCall::FromMirna
    }
}

/// The artifact call of one insert.
pub fn artifact_call(mirna_targets: &TargetSet, mirna: &[Hit], artifact: &[Hit]) -> ArtifactCall {
    let Some(first) = artifact.first() else {
        return ArtifactCall::None;
    };
    match MirnaSide::of(mirna_targets, mirna) {
        MirnaSide::None => ArtifactCall::Artifact,
        MirnaSide::HairpinOnly(c) | MirnaSide::Mature(c) if cost(first) <= c => {
            ArtifactCall::FromMirna
        }
        _ => ArtifactCall::None,
    }
}

/// Interned per-insert calls: `of_insert[id]` indexes `calls`; 0 is no call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calls<T> {
    /// Call of each insert id (0: none).
    pub of_insert: Vec<u32>,
    /// The distinct calls (entry 0 stands for none and is never read).
    pub calls: Vec<T>,
}

impl<T: Clone + Eq + std::hash::Hash + Default> Calls<T> {
    /// Interns `call(id)` for every insert id below `n`.
    fn build(n: usize, mut call: impl FnMut(usize) -> Option<T>) -> Self {
        let mut calls = vec![T::default()];
        let mut ids: FxHashMap<T, u32> = FxHashMap::default();
        let of_insert = (0..n)
            .map(|id| match call(id) {
                None => 0,
                Some(c) => {
                    let next = calls.len() as u32;
                    *ids.entry(c).or_insert_with_key(|c| {
                        calls.push(c.clone());
                        next
                    })
                }
            })
            .collect();
        Self { of_insert, calls }
    }

    /// The call of insert `id`, if any.
    pub fn get(&self, id: usize) -> Option<&T> {
        match self.of_insert.get(id) {
            Some(&c) if c > 0 => Some(&self.calls[c as usize]),
            _ => None,
        }
    }
}

/// Every insert's exogenous call: the foreign matures (sorted, distinct,
/// by index into the foreign reference's matures) it lies on exactly.
pub type ExogenousCalls = Calls<Vec<u32>>;

/// Calls every insert from its best hits on the foreign targets (aligned
/// with no mismatch and no non-templated base; inserts not looked up have
/// none): the matures of the hits that lie in a mature window on real bases.
pub fn exogenous_calls(foreign: &TargetSet, hits: &FlatHits) -> ExogenousCalls {
    Calls::build(hits.len(), |id| {
        let mut matures: Vec<u32> = hits
            .get(id)
            .iter()
            .filter(|h| h.rank() == (0, 0))
            .flat_map(|h| foreign.closest_windows(h.target as usize, h.offset, h.end()))
            .map(|w| w.mature)
            .collect();
        matures.sort_unstable();
        matures.dedup();
        (!matures.is_empty()).then_some(matures)
    })
}

/// How one screen reference admits inserts: the mismatches an insert of
/// each length may have so that the expected random hits per insert,
/// λ = N · Σ_{i ≤ k} C(L, i) · 3^i / 4^L over the reference's N positions
/// (both strands), stay at or under [`SCREEN_MAX_LAMBDA`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenRule {
    /// Per insert length: the mismatches allowed, or None (not screened).
    by_length: Vec<Option<u8>>,
}

impl ScreenRule {
    /// The rule for a reference of `bases` bases (one strand), with at most
    /// `max_mismatches` mismatches.
    pub fn new(bases: usize, max_mismatches: u8) -> Self {
        let positions = 2.0 * bases as f64;
        let by_length = (0..=crate::align::gpu::MAX_INSERT_LEN)
            .map(|len| {
                (0..=max_mismatches)
                    .rev()
                    .find(|&k| expected_random_hits(positions, len, k) <= SCREEN_MAX_LAMBDA)
            })
            .collect();
        Self { by_length }
    }

    /// Mismatches allowed for an insert of `len` bases, or None.
    pub fn mismatches(&self, len: usize) -> Option<u8> {
        self.by_length.get(len).copied().flatten()
    }

    /// Shortest length screened with `k` mismatches (or more), if any.
    pub fn min_length(&self, k: u8) -> Option<usize> {
        self.by_length
            .iter()
            .position(|m| m.is_some_and(|m| m >= k))
    }
}

/// λ = N · Σ_{i ≤ k} C(L, i) · 3^i / 4^L: expected random hits of an
/// insert of `len` bases with up to `k` mismatches on `positions` positions.
pub fn expected_random_hits(positions: f64, len: usize, k: u8) -> f64 {
    if len == 0 {
        return f64::INFINITY;
    }
    let mut sum = 0.0;
    let mut choose = 1.0;
    for i in 0..=k as usize {
        if i > len {
            break;
        }
        if i > 0 {
            choose = choose * (len - i + 1) as f64 / i as f64;
        }
        sum += choose * 3f64.powi(i as i32);
    }
    positions * sum / 4f64.powi(len as i32)
}

/// One screen reference's place among the screen targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenPart {
    /// First target of the reference (record r is targets `first + 2r`
    /// and `first + 2r + 1`).
    pub first: u32,
    /// Its records.
    pub records: u32,
}

/// What a screened insert counts for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ScreenCall {
    /// The reference, by index in the order given.
    pub reference: u16,
    /// Its best hits per record: (record, hits), by record.
    pub records: Vec<(u32, u32)>,
    /// Best hits on the reference.
    pub hits: u32,
    /// Whether it also had hits on another screen reference.
    pub overlap: bool,
}

impl ScreenCall {
    /// Whether the insert is repetitive on its reference.
    pub fn repetitive(&self) -> bool {
        self.hits as usize >= REPETITIVE_HITS
    }
}

/// Every insert's screen call.
pub type ScreenCalls = Calls<ScreenCall>;

/// Calls every insert from its screen hits (each reference's best hits,
/// with target ids numbered over all screen references as `parts` lays
/// them out).
pub fn screen_calls(parts: &[ScreenPart], hits: &FlatHits) -> ScreenCalls {
    Calls::build(hits.len(), |id| screen_call(parts, hits.get(id)))
}

/// The screen call of one insert's hits.
fn screen_call(parts: &[ScreenPart], hits: &[Hit]) -> Option<ScreenCall> {
    if hits.is_empty() {
        return None;
    }
    let part_of = |h: &Hit| {
        parts
            .iter()
            .rposition(|p| p.first <= h.target)
            .expect("screen hits lie on screen targets")
    };
    let best = hits
        .iter()
        .map(|h| (h.mismatches, part_of(h)))
        .min()
        .expect("hits");
    let reference = best.1;
    let mut overlap = false;
    let mut records: Vec<(u32, u32)> = Vec::new();
    let mut total = 0;
    for h in hits {
        let p = part_of(h);
        if p != reference {
            overlap = true;
            continue;
        }
        if h.mismatches != best.0 {
            continue;
        }
        let record = (h.target - parts[p].first) / 2;
        match records.iter_mut().find(|(r, _)| *r == record) {
            Some(r) => r.1 += 1,
            None => records.push((record, 1)),
        }
        total += 1;
    }
    records.sort_unstable();
    Some(ScreenCall {
        reference: reference as u16,
        records,
        hits: total,
        overlap,
    })
}

/// Per sample: units (reads or molecules) by what the later stages of the
/// cascade made of them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OriginCounts {
    /// Per sample: artifact units, and of those taken from miRNAs.
    pub artifact: Vec<(u64, u64)>,
    /// Per sample, per foreign mature: units (shares).
    pub exogenous: Vec<Vec<f64>>,
    /// Per sample: exogenous units in all.
    pub exogenous_total: Vec<u64>,
    /// Per sample, per screen reference: units, repetitive units, units
    /// also on another reference, units with a decoy hit.
    pub screen: Vec<Vec<ScreenUnits>>,
    /// Per sample, per screen reference, per record: units (shares).
    pub screen_records: Vec<Vec<Vec<f64>>>,
}

/// One sample's units on one screen reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScreenUnits {
    /// Counted for the reference.
    pub units: u64,
    /// Of those, repetitive ([`REPETITIVE_HITS`] best hits or more).
    pub repetitive: u64,
    /// Of those, also on another screen reference.
    pub overlap: u64,
    /// Screened units with a hit on the reference's decoy (reversed)
    /// sequence: an estimate of the random hits among `units`.
    pub decoy: u64,
}

/// The later stages' calls of a run.
#[derive(Debug, Clone, Default)]
pub struct OriginCalls {
    /// With the artifact stage.
    pub artifact: Option<ArtifactCalls>,
    /// With exogenous miRNAs: the calls and the number of foreign matures.
    pub exogenous: Option<(ExogenousCalls, usize)>,
    /// With screen references: the calls, each reference's records, and
    /// per insert the references (bit r) its decoy hits are on.
    pub screen: Option<(ScreenCalls, Vec<u32>, Vec<u32>)>,
}

impl OriginCalls {
    /// Sums each sample's units (per insert id) by call.
    pub fn count(&self, units: &[Vec<(u32, u32)>]) -> OriginCounts {
        let samples = units.len();
        let mut c = OriginCounts {
            artifact: vec![(0, 0); samples],
            exogenous: Vec::new(),
            exogenous_total: vec![0; samples],
            screen: Vec::new(),
            screen_records: Vec::new(),
        };
        if let Some((_, matures)) = &self.exogenous {
            c.exogenous = vec![vec![0.0; *matures]; samples];
        }
        if let Some((_, records, _)) = &self.screen {
            c.screen = vec![vec![ScreenUnits::default(); records.len()]; samples];
            c.screen_records =
                vec![records.iter().map(|&n| vec![0.0; n as usize]).collect(); samples];
        }
        for (s, sample) in units.iter().enumerate() {
            for &(id, n) in sample {
                self.count_insert(&mut c, s, id as usize, n);
            }
        }
        c
    }

    fn count_insert(&self, c: &mut OriginCounts, s: usize, id: usize, n: u32) {
        let units = n as u64;
        if let Some(a) = &self.artifact {
            match a.of_insert[id] {
                ArtifactCall::None => {}
                ArtifactCall::Artifact => c.artifact[s].0 += units,
                ArtifactCall::FromMirna => {
                    c.artifact[s].0 += units;
                    c.artifact[s].1 += units;
                }
            }
        }
        if let Some((calls, _)) = &self.exogenous {
            if let Some(matures) = calls.get(id) {
                c.exogenous_total[s] += units;
                let share = n as f64 / matures.len() as f64;
                for &m in matures {
                    c.exogenous[s][m as usize] += share;
                }
            }
        }
        if let Some((calls, _, decoy)) = &self.screen {
            for (r, u) in c.screen[s].iter_mut().enumerate() {
                if decoy[id] & (1 << r) != 0 {
                    u.decoy += units;
                }
            }
            if let Some(call) = calls.get(id) {
                let r = call.reference as usize;
                let u = &mut c.screen[s][r];
                u.units += units;
                u.repetitive += units * call.repetitive() as u64;
                u.overlap += units * call.overlap as u64;
                for &(record, hits) in &call.records {
                    c.screen_records[s][r][record as usize] +=
                        n as f64 * hits as f64 / call.hits as f64;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_matches_the_issue_figures_for_e_coli() {
        // 9.9M positions on both strands, one mismatch (the issue rounds
        // 16 nt to 10.7%; 9.9e6 * 49 / 4^16 is 11.3%)
        let n = 9.9e6;
        let at = |len| expected_random_hits(n, len, 1);
        assert!((at(16) - 0.113).abs() < 0.001, "{}", at(16));
        assert!((at(18) - 0.0079).abs() < 0.0005, "{}", at(18));
        assert!((at(20) - 0.00055).abs() < 0.00005, "{}", at(20));
    }

    #[test]
    fn screen_rule_admits_exact_matches_before_mismatches() {
        let rule = ScreenRule::new(4_950_000, 1);
        assert_eq!(rule.min_length(0), Some(17));
        assert_eq!(rule.min_length(1), Some(20));
        assert_eq!(rule.mismatches(16), None);
        assert_eq!(rule.mismatches(19), Some(0));
        assert_eq!(rule.mismatches(22), Some(1));
        // 100 Mb: 22 nt with one mismatch
        assert_eq!(ScreenRule::new(100_000_000, 1).min_length(1), Some(22));
    }

    fn hit(target: u32, mismatches: u8) -> Hit {
        Hit {
            target,
            offset: 0,
            templated: 20,
            nontemplated: 0,
            mismatches,
            wildcards: 0,
        }
    }

    #[test]
    fn a_screened_insert_goes_to_the_better_reference_ties_to_the_first() {
        let parts = [
            ScreenPart {
                first: 0,
                records: 2,
            },
            ScreenPart {
                first: 4,
                records: 1,
            },
        ];
        let tie = screen_call(&parts, &[hit(1, 1), hit(3, 1), hit(5, 1)]).unwrap();
        assert_eq!(
            (tie.reference, tie.records.clone(), tie.hits, tie.overlap),
            (0, vec![(0, 1), (1, 1)], 2, true)
        );
        let better = screen_call(&parts, &[hit(0, 1), hit(4, 0)]).unwrap();
        assert_eq!((better.reference, better.hits), (1, 1));
        assert!(screen_call(&parts, &[]).is_none());
    }
}

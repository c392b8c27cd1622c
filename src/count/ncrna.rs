//! What the reads that are not miRNAs are: each insert's best hits on the
//! ncRNA reference ([`crate::input::ncrna`]) give it a class (tRNA, rRNA,
//! snRNA, ...), a feature group and, for tRNAs, the part of the tRNA it
//! comes from.
//!
//! The rule, per unique insert:
//! - Its *cost* on a set of best hits is the bases they leave unexplained:
//!   mismatches plus non-templated bases plus bases past a miRNA reference's
//!   end (wildcards). Best hits of one insert share their cost.
//! - An insert with no miRNA hit is looked up in the ncRNA reference; so is
//!   one on hairpins only (outside every mature window), and one assigned to
//!   mature miRNAs whose hits cost more than 0, unless
//!   `--ncrna-precedence mirna` ([`Precedence::Mirna`]) keeps every read with
//!   a miRNA hit for it.
//! - Its ncRNA best hits are taken over both strands. When some are sense,
//!   the insert counts for the first class (in [`NcrnaReference::classes`]
//!   order) its sense hits reach, shared equally among that class's groups
//!   it hits. When all are antisense, it is reported as antisense of the
//!   first class they reach and counted for no class.
//! - An insert assigned to mature miRNAs counts for its ncRNA class instead
//!   only when its sense ncRNA hits cost strictly less than its miRNA hits: a
//!   fragment the ncRNA explains better than the miRNA does (miR-1246 reads
//!   that are exact U2 snRNA, for one). The miRNAs it would have counted for
//!   *lose* those reads (stats.json says how many, per miRNA). An insert on
//!   hairpins only counts for no miRNA: an ncRNA whose sense hits cost no
//!   more takes it (rRNA fragments inside rDNA-derived miRBase hairpins).

use rustc_hash::FxHashMap;

use crate::align::{FlatHits, Hit, TargetKind, TargetSet};
use crate::input::ncrna::NcrnaReference;

/// Which of a miRNA and an ncRNA a read on both goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precedence {
    /// The ncRNA, when it explains the read strictly better (the default).
    #[default]
    Better,
    /// The miRNA, always: ncRNAs classify only reads with no miRNA hit.
    Mirna,
}

impl Precedence {
    /// The command-line and stats.json name (`better`, `mirna`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Better => "better",
            Self::Mirna => "mirna",
        }
    }

    /// Parses a `--ncrna-precedence` value.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "better" => Some(Self::Better),
            "mirna" => Some(Self::Mirna),
            _ => None,
        }
    }
}

/// Unexplained bases of a hit: mismatches, non-templated bases and bases
/// past the reference's end.
#[inline]
pub fn cost(hit: &Hit) -> u32 {
    hit.mismatches as u32 + hit.nontemplated as u32 + hit.wildcards as u32
}

/// What an insert's miRNA best hits make it, with their cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MirnaSide {
    /// No miRNA hit.
    None,
    /// On hairpins only, outside every mature window.
    HairpinOnly(u32),
    /// Assigned to mature miRNAs.
    Mature(u32),
}

impl MirnaSide {
    /// The side of an insert whose best hits on the miRNA targets `ts` are
    /// `hits` (mature when some hit lies in a mature window, as
    /// [`crate::count::assign::assign`] decides).
    pub fn of(ts: &TargetSet, hits: &[Hit]) -> Self {
        let Some(first) = hits.first() else {
            return Self::None;
        };
        let in_window = hits
            .iter()
            .any(|h| ts.in_any_window(h.target as usize, h.offset, h.end()));
        if in_window {
            Self::Mature(cost(first))
        } else {
            Self::HairpinOnly(cost(first))
        }
    }

    /// Whether an ncRNA whose sense hits cost `ncrna` takes the insert.
    fn yields_to(self, ncrna: u32, precedence: Precedence) -> bool {
        match self {
            Self::None => true,
            _ if precedence == Precedence::Mirna => false,
            // hairpin-only reads count for no miRNA: an ncRNA as good takes them
            Self::HairpinOnly(c) => ncrna <= c,
            Self::Mature(c) => ncrna < c,
        }
    }
}

/// Whether an insert with this miRNA side is looked up in the ncRNA
/// reference: unless some ncRNA hit could take it, it is not.
pub fn needs_ncrna(side: MirnaSide, precedence: Precedence) -> bool {
    side.yields_to(0, precedence)
}

/// Part of a tRNA a read comes from (sense hits on a tRNA whose sequence
/// ends in CCA). Other classes have only [`Part::All`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// Any read of the feature group (every group has this row).
    All = 0,
    /// From the 5' end to within 3 bases of the 3' end.
    FullLength = 1,
    /// Starting at the 5' end (5' halves and shorter 5' fragments).
    FivePrimeHalf = 2,
    /// Ending with the 3' CCA.
    ThreePrimeCca = 3,
    /// Ending at the discriminator base or inside the CCA (CCA not whole).
    ThreePrimeFragment = 4,
    /// Neither end.
    Internal = 5,
}

/// Rows per feature group in the features table (one per [`Part`]).
pub const PARTS: usize = 6;

impl Part {
    /// Every part, in row order.
    pub const ALL: [Part; PARTS] = [
        Part::All,
        Part::FullLength,
        Part::FivePrimeHalf,
        Part::ThreePrimeCca,
        Part::ThreePrimeFragment,
        Part::Internal,
    ];

    /// Its name in `ncrna_features.tsv`.
    pub fn name(self) -> &'static str {
        match self {
            Part::All => "all",
            Part::FullLength => "full_length",
            Part::FivePrimeHalf => "5p_half",
            Part::ThreePrimeCca => "3p_CCA",
            Part::ThreePrimeFragment => "3p_fragment",
            Part::Internal => "internal",
        }
    }

    /// The part of a tRNA of `len` bases a sense hit covers.
    pub fn of_trna_hit(hit: &Hit, len: usize) -> Part {
        let (start, end) = (hit.offset as i64, hit.end() as i64);
        let len = len as i64;
        let near_end = end >= len - 3;
        match (start == 0, near_end) {
            (true, true) => Part::FullLength,
            (true, false) => Part::FivePrimeHalf,
            (false, true) if end == len => Part::ThreePrimeCca,
            (false, true) => Part::ThreePrimeFragment,
            (false, false) => Part::Internal,
        }
    }
}

/// What one unique insert counts for on the ncRNA side.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NcrnaCall {
    /// No ncRNA hit, or its miRNA keeps it.
    None,
    /// Sense on a class: its groups (sorted, distinct), each with the part
    /// of its first hit; `from_mirna` when it had miRNA hits it now loses.
    Sense {
        class: u16,
        groups: Vec<(u32, Part)>,
        from_mirna: bool,
    },
    /// Antisense only, on a class.
    Antisense { class: u16 },
}

/// Feature of a target, and whether it is the antisense copy.
fn feature_of(targets: &TargetSet, hit: &Hit) -> (usize, bool) {
    match targets.targets[hit.target as usize].kind {
        TargetKind::Feature { index, antisense } => (index, antisense),
        _ => unreachable!("ncRNA targets are features"),
    }
}

/// The call of one insert from its miRNA side and its ncRNA best hits (on
/// `targets`, the ncRNA targets).
pub fn call(
    reference: &NcrnaReference,
    targets: &TargetSet,
    mirna: MirnaSide,
    ncrna: &[Hit],
    precedence: Precedence,
) -> NcrnaCall {
    if ncrna.is_empty() {
        return NcrnaCall::None;
    }
    let sense: Vec<&Hit> = ncrna.iter().filter(|h| !feature_of(targets, h).1).collect();
    let Some(first) = sense.first() else {
        if mirna != MirnaSide::None {
            return NcrnaCall::None;
        }
        let class = ncrna
            .iter()
            .map(|h| reference.class_of(feature_of(targets, h).0))
            .min()
            .expect("hits");
        return NcrnaCall::Antisense { class };
    };
    if !mirna.yields_to(cost(first), precedence) {
        return NcrnaCall::None;
    }
    let class = sense
        .iter()
        .map(|h| reference.class_of(feature_of(targets, h).0))
        .min()
        .expect("sense hits");
    let trna = reference.is_trna(class);
    let mut groups: Vec<(u32, Part)> = Vec::new();
    for h in sense {
        let feature = feature_of(targets, h).0;
        if reference.class_of(feature) != class {
            continue;
        }
        let group = reference.features[feature].group;
        if groups.iter().any(|&(g, _)| g == group) {
            continue;
        }
        let part = if trna {
            Part::of_trna_hit(h, targets.targets[h.target as usize].len)
        } else {
            Part::All
        };
        groups.push((group, part));
    }
    groups.sort_unstable();
    NcrnaCall::Sense {
        class,
        groups,
        from_mirna: mirna != MirnaSide::None,
    }
}

/// Every insert's call, interned: `of_insert[id]` indexes `calls`, whose
/// first entry is [`NcrnaCall::None`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NcrnaCalls {
    /// Call of each insert id.
    pub of_insert: Vec<u32>,
    /// The distinct calls.
    pub calls: Vec<NcrnaCall>,
}

impl NcrnaCalls {
    /// Calls every insert (`mirna` and `ncrna` hold every insert's best hits
    /// on `mirna_targets` and `targets`, in table order; inserts not looked
    /// up have no ncRNA hits).
    pub fn build(
        reference: &NcrnaReference,
        targets: &TargetSet,
        (mirna_targets, mirna): (&TargetSet, &FlatHits),
        ncrna: &FlatHits,
        precedence: Precedence,
    ) -> Self {
        let mut calls = vec![NcrnaCall::None];
        let mut ids: FxHashMap<NcrnaCall, u32> = FxHashMap::default();
        ids.insert(NcrnaCall::None, 0);
        let of_insert = (0..mirna.len())
            .map(|id| {
                let side = MirnaSide::of(mirna_targets, mirna.get(id));
                let c = call(reference, targets, side, ncrna.get(id), precedence);
                let next = calls.len() as u32;
                *ids.entry(c).or_insert_with_key(|c| {
                    calls.push(c.clone());
                    next
                })
            })
            .collect();
        Self { of_insert, calls }
    }

    /// Whether an ncRNA takes insert `id` from its miRNAs.
    pub fn taken_from_mirna(&self, id: usize) -> bool {
        matches!(
            self.calls[self.of_insert[id] as usize],
            NcrnaCall::Sense {
                from_mirna: true,
                ..
            }
        )
    }
}

/// One run's ncRNA counts, per sample.
#[derive(Debug, Clone, PartialEq)]
pub struct NcrnaCounts {
    /// Per sample, per class: sense units.
    pub sense: Vec<Vec<u64>>,
    /// Per sample, per class: antisense-only units.
    pub antisense: Vec<Vec<u64>>,
    /// Per sample, per feature group and part (`group * PARTS + part`):
    /// units, shared equally among a read's groups.
    pub features: Vec<Vec<f64>>,
    /// Per sample: units an ncRNA took from miRNAs.
    pub taken: Vec<u64>,
}

/// Sums each sample's units (reads or molecules, per insert id) by call.
pub fn count(
    reference: &NcrnaReference,
    calls: &NcrnaCalls,
    units: &[Vec<(u32, u32)>],
) -> NcrnaCounts {
    let classes = reference.classes.len();
    let samples = units.len();
    let mut counts = NcrnaCounts {
        sense: vec![vec![0; classes]; samples],
        antisense: vec![vec![0; classes]; samples],
        features: vec![vec![0.0; reference.groups.len() * PARTS]; samples],
        taken: vec![0; samples],
    };
    for (s, sample_units) in units.iter().enumerate() {
        for &(id, n) in sample_units {
            match &calls.calls[calls.of_insert[id as usize] as usize] {
                NcrnaCall::None => {}
                NcrnaCall::Antisense { class } => counts.antisense[s][*class as usize] += n as u64,
                NcrnaCall::Sense {
                    class,
                    groups,
                    from_mirna,
                } => {
                    counts.sense[s][*class as usize] += n as u64;
                    if *from_mirna {
                        counts.taken[s] += n as u64;
                    }
                    let share = n as f64 / groups.len() as f64;
                    for &(g, part) in groups {
                        let row = g as usize * PARTS;
                        counts.features[s][row] += share;
                        if part != Part::All {
                            counts.features[s][row + part as usize] += share;
                        }
                    }
                }
            }
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::ncrna::{Feature, Group};

    fn hit(target: u32, offset: i32, templated: u16, nontemplated: u8, mismatches: u8) -> Hit {
        Hit {
            target,
            offset,
            templated,
            nontemplated,
            mismatches,
            wildcards: 0,
        }
    }

    fn reference() -> NcrnaReference {
        NcrnaReference {
            classes: vec!["tRNA".into(), "snRNA".into()],
            groups: vec![
                Group {
                    name: "tRNA-Gly-GCC".into(),
                    class: 0,
                },
                Group {
                    name: "RNU2-1".into(),
                    class: 1,
                },
            ],
            features: vec![
                Feature {
                    name: "tRNA-Gly-GCC-1-1".into(),
                    group: 0,
                    seq: b"GCATTGGTGGTTCAGTGGTAGAATTCTCGCCTGCCACGCGGGAGGCCCGGGTTCGATTCCCGGCCAATGCACCA"
                        .to_vec(),
                },
                Feature {
                    name: "RNU2-1".into(),
                    group: 1,
                    seq: b"ATCGCTTCTCGGCCTTTTGGCTAAGATCAAGTGTAGTATCTGTTCTTATCAGTTTAATATCTGATA".to_vec(),
                },
            ],
            files: vec![],
        }
    }

    #[test]
    fn trna_parts_follow_the_ends() {
        let len = 74;
        assert_eq!(
            Part::of_trna_hit(&hit(0, 0, 33, 0, 0), len),
            Part::FivePrimeHalf
        );
        assert_eq!(
            Part::of_trna_hit(&hit(0, 52, 22, 0, 0), len),
            Part::ThreePrimeCca
        );
        assert_eq!(
            Part::of_trna_hit(&hit(0, 52, 19, 0, 0), len),
            Part::ThreePrimeFragment
        );
        assert_eq!(
            Part::of_trna_hit(&hit(0, 20, 20, 0, 0), len),
            Part::Internal
        );
        assert_eq!(
            Part::of_trna_hit(&hit(0, 0, 72, 0, 0), len),
            Part::FullLength
        );
    }

    #[test]
    fn ncrna_takes_a_read_only_when_strictly_better() {
        let r = reference();
        let ts = TargetSet::from_ncrna(&r);
        let snrna = hit(2, 0, 19, 0, 0);
        let exact_mirna = MirnaSide::Mature(0);
        let poor_mirna = MirnaSide::Mature(4);
        assert_eq!(
            call(&r, &ts, exact_mirna, &[snrna], Precedence::Better),
            NcrnaCall::None
        );
        assert_eq!(
            call(&r, &ts, poor_mirna, &[snrna], Precedence::Better),
            NcrnaCall::Sense {
                class: 1,
                groups: vec![(1, Part::All)],
                from_mirna: true
            }
        );
        assert_eq!(
            call(&r, &ts, poor_mirna, &[snrna], Precedence::Mirna),
            NcrnaCall::None
        );
        // as good, not better: the miRNA keeps it
        let as_poor = hit(2, 0, 16, 3, 1);
        assert_eq!(
            call(&r, &ts, poor_mirna, &[as_poor], Precedence::Better),
            NcrnaCall::None
        );
        // a hairpin-only read goes to an ncRNA as good as its hairpin
        assert!(matches!(
            call(
                &r,
                &ts,
                MirnaSide::HairpinOnly(0),
                &[snrna],
                Precedence::Better
            ),
            NcrnaCall::Sense {
                from_mirna: true,
                ..
            }
        ));
        assert_eq!(
            call(
                &r,
                &ts,
                MirnaSide::HairpinOnly(0),
                &[snrna],
                Precedence::Mirna
            ),
            NcrnaCall::None
        );
    }

    #[test]
    fn precedence_and_strand_decide_the_class() {
        let r = reference();
        let ts = TargetSet::from_ncrna(&r);
        // on the tRNA and the snRNA at one rank: tRNA goes first
        let both = [hit(0, 52, 22, 0, 0), hit(2, 3, 22, 0, 0)];
        match call(&r, &ts, MirnaSide::None, &both, Precedence::Better) {
            NcrnaCall::Sense { class, groups, .. } => {
                assert_eq!(class, 0);
                assert_eq!(groups, vec![(0, Part::ThreePrimeCca)]);
            }
            other => panic!("{other:?}"),
        }
        // antisense only: reported, on its class
        assert_eq!(
            call(
                &r,
                &ts,
                MirnaSide::None,
                &[hit(3, 0, 20, 0, 0)],
                Precedence::Better
            ),
            NcrnaCall::Antisense { class: 1 }
        );
        // antisense never takes a read from a miRNA
        assert_eq!(
            call(
                &r,
                &ts,
                MirnaSide::Mature(4),
                &[hit(3, 0, 20, 0, 0)],
                Precedence::Better
            ),
            NcrnaCall::None
        );
    }
}

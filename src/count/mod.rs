//! From best hits to counts: every unique insert's assignment interned into
//! a class, reads (or UMI-deduplicated molecules) summed per class into the
//! count matrices. Stage 4: [`assign`] decides what an insert counts for,
//! [`isomir`] and [`gff`] describe how it differs from its mature.

pub mod assign;
pub mod clades;
pub mod gff;
pub mod isomir;
pub mod ncrna;
pub mod origin;
pub mod species;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::align::{FlatHits, TargetSet};
use crate::count::assign::{assign, Assignment};
use crate::count::gff::IsomirLines;
use crate::input::reference::Reference;
use crate::prep::collapse::{InsertTable, SortedInserts};
use crate::prep::umi::{directional_molecules, UmiCount, UmiKey};
use crate::seq::encode;

/// A sample's molecules (with `--dedup`), by what they count for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoleculeStats {
    /// Molecules counted.
    pub total: u64,
    /// Assigned to at least one mature miRNA.
    pub assigned_mature: u64,
    /// Of those, shared between several mature miRNAs.
    pub mature_multimapped: u64,
    /// On a hairpin outside every mature window.
    pub hairpin_only: u64,
    /// With no hit.
    pub unassigned: u64,
}

/// Count matrices of a run: per sample, one value per mature / hairpin,
/// and the units (reads or molecules) by what they count for.
#[derive(Debug, PartialEq)]
pub struct Counts {
    /// Per sample, units by what they count for.
    pub totals: Vec<MoleculeStats>,
    /// Per sample, per mature miRNA (multi-mapper shares).
    pub mature: Vec<Vec<f64>>,
    /// Per sample, per mature miRNA, inserts assigned to it alone.
    pub mature_unique: Vec<Vec<f64>>,
    /// Per sample, per hairpin (hairpin-only inserts).
    pub hairpin: Vec<Vec<f64>>,
    /// Per sample, per mature miRNA: units an ncRNA took from it (shares
    /// as in `mature`).
    pub lost_mature: Vec<Vec<f64>>,
    /// Per sample: hairpin-only units an ncRNA took.
    pub lost_hairpin: Vec<f64>,
    /// Per sample, per mature miRNA: units the artifact stage took from it.
    pub artifact_lost_mature: Vec<Vec<f64>>,
    /// Per sample: hairpin-only units the artifact stage took.
    pub artifact_lost_hairpin: Vec<f64>,
}

/// The stage that takes an insert from its miRNAs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taker {
    /// The artifact stage (its artifact hits cost no more).
    Artifact,
    /// An ncRNA (it explains the insert strictly better).
    Ncrna,
}

/// What every unique insert counts for, interned: inserts assigned to the
/// same miRNAs (or hairpins) share one class. Class 0 is "unassigned".
#[derive(Debug, PartialEq)]
pub struct Classes {
    /// Class of each insert id.
    pub of_insert: Vec<u32>,
    /// The classes (isomiR calls left out).
    pub classes: Vec<Assignment>,
    /// Inserts another stage took (their class is 0), with the class they
    /// had and the stage.
    pub taken: FxHashMap<u32, (u32, Taker)>,
}

/// Inserts per parallel task when classifying.
const CLASSIFY_CHUNK: usize = 4096;

/// What an insert counts for: mature miRNAs (true) or hairpins (false), by
/// index; None when unassigned.
type ClassKey = Option<(bool, Vec<u32>)>;

/// Assigns every unique insert once, from its best hits: records its class
/// and, with `lines`, its isomiR lines (the assignment's calls go there, not
/// into the classes). Inserts another stage takes from their miRNAs
/// (`taken`) are unassigned here, with no lines; [`Classes::taken`] keeps
/// what they had.
pub fn classify(
    reference: &Reference,
    targets: &TargetSet,
    table: &InsertTable,
    hits: &FlatHits,
    lines: bool,
    taken_by: &(dyn Fn(usize) -> Option<Taker> + Sync),
) -> (Classes, Option<IsomirLines>) {
    let taken = |id: usize| taken_by(id).is_some();
    let n = table.len();
    let chunks: Vec<(Vec<ClassKey>, IsomirLines)> = (0..n.div_ceil(CLASSIFY_CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut keys = Vec::with_capacity(CLASSIFY_CHUNK);
            let mut chunk_lines = IsomirLines::default();
            for id in c * CLASSIFY_CHUNK..((c + 1) * CLASSIFY_CHUNK).min(n) {
                let seq = table.seq(id);
                let a = assign(targets, &encode(seq), hits.get(id));
                if lines && !taken(id) {
                    chunk_lines.push_insert(reference, targets, id, seq, &a);
                }
                keys.push(match a {
                    Assignment::Unassigned => None,
                    Assignment::Mature { matures, .. } => Some((true, matures)),
                    Assignment::Hairpin { hairpins } => Some((false, hairpins)),
                });
            }
            (keys, chunk_lines)
        })
        .collect();
    let mut classes = vec![Assignment::Unassigned];
    let mut ids: FxHashMap<(bool, Vec<u32>), u32> = FxHashMap::default();
    let mut of_insert = Vec::with_capacity(n);
    let mut taken_from = FxHashMap::default();
    let mut all_lines = lines.then(IsomirLines::default);
    for (keys, chunk_lines) in chunks {
        if let Some(all) = &mut all_lines {
            all.append(chunk_lines);
        }
        for key in keys {
            let id = of_insert.len();
            let Some(key) = key else {
                of_insert.push(0);
                continue;
            };
            let next = classes.len() as u32;
            let class = *ids.entry(key).or_insert_with_key(|(mature, features)| {
                classes.push(if *mature {
                    Assignment::Mature {
                        matures: features.clone(),
                        calls: Vec::new(),
                    }
                } else {
                    Assignment::Hairpin {
                        hairpins: features.clone(),
                    }
                });
                next
            });
            if let Some(taker) = taken_by(id) {
                taken_from.insert(id as u32, (class, taker));
                of_insert.push(0);
            } else {
                of_insert.push(class);
            }
        }
    }
    let classes = Classes {
        of_insert,
        classes,
        taken: taken_from,
    };
    (classes, all_lines)
}

/// Adds each sample's units (reads, or molecules when deduplicating) of
/// every insert to the miRNAs and hairpins of its class, in insert order (so
/// the sums do not depend on threads; samples are counted in parallel).
pub fn count(reference: &Reference, classes: &Classes, units: &[Vec<(u32, u32)>]) -> Counts {
    let samples: Vec<SampleCounts> = units
        .par_iter()
        .map(|u| count_sample(reference, classes, u))
        .collect();
    let mut counts = Counts {
        mature: Vec::with_capacity(samples.len()),
        mature_unique: Vec::with_capacity(samples.len()),
        hairpin: Vec::with_capacity(samples.len()),
        totals: Vec::with_capacity(samples.len()),
        lost_mature: Vec::with_capacity(samples.len()),
        lost_hairpin: Vec::with_capacity(samples.len()),
        artifact_lost_mature: Vec::with_capacity(samples.len()),
        artifact_lost_hairpin: Vec::with_capacity(samples.len()),
    };
    for s in samples {
        counts.mature.push(s.mature);
        counts.mature_unique.push(s.mature_unique);
        counts.hairpin.push(s.hairpin);
        counts.totals.push(s.totals);
        counts.lost_mature.push(s.lost.0);
        counts.lost_hairpin.push(s.lost.1);
        counts.artifact_lost_mature.push(s.artifact_lost.0);
        counts.artifact_lost_hairpin.push(s.artifact_lost.1);
    }
    counts
}

/// One sample's columns of [`Counts`].
struct SampleCounts {
    totals: MoleculeStats,
    mature: Vec<f64>,
    mature_unique: Vec<f64>,
    hairpin: Vec<f64>,
    /// Per mature miRNA and hairpin-only: units an ncRNA took.
    lost: (Vec<f64>, f64),
    /// Per mature miRNA and hairpin-only: units the artifact stage took.
    artifact_lost: (Vec<f64>, f64),
}

/// One sample's part of [`count`].
fn count_sample(
    reference: &Reference,
    classes: &Classes,
    sample_units: &[(u32, u32)],
) -> SampleCounts {
    let matures = reference.matures.len();
    let mut c = SampleCounts {
        totals: MoleculeStats::default(),
        mature: vec![0f64; matures],
        mature_unique: vec![0f64; matures],
        hairpin: vec![0f64; reference.hairpins.len()],
        lost: (vec![0f64; matures], 0.0),
        artifact_lost: (vec![0f64; matures], 0.0),
    };
    let any_taken = !classes.taken.is_empty();
    for &(id, n) in sample_units {
        if let Some(&(had, taker)) = any_taken.then(|| classes.taken.get(&id)).flatten() {
            let (lost_mature, lost_hairpin) = match taker {
                Taker::Ncrna => (&mut c.lost.0, &mut c.lost.1),
                Taker::Artifact => (&mut c.artifact_lost.0, &mut c.artifact_lost.1),
            };
            match &classes.classes[had as usize] {
                Assignment::Mature { matures, .. } => {
                    let share = n as f64 / matures.len() as f64;
                    for &m in matures {
                        lost_mature[m as usize] += share;
                    }
                }
                _ => *lost_hairpin += n as f64,
            }
        }
        let class = &classes.classes[classes.of_insert[id as usize] as usize];
        c.totals.total += n as u64;
        add_units(
            class,
            n,
            &mut c.totals,
            &mut c.mature,
            &mut c.mature_unique,
            &mut c.hairpin,
        );
    }
    c
}

/// A UMI with the insert id it came with and its reads.
type UmiRead<'a> = (&'a [u8], u32, u32);

/// One sample's molecules per insert id: reads are grouped by what they
/// count for (their class; unassigned inserts each on their own, as
/// UMI-tools groups reads by locus), the UMIs of a group are deduplicated
/// with the directional rule, and each molecule goes to the insert most of
/// its founding UMI's reads carry (ties: the smaller insert id).
pub fn sample_molecules(
    keys: &SortedInserts,
    ids: &[(u32, u32)],
    classes: &Classes,
) -> Vec<(u32, u32)> {
    let mut groups: FxHashMap<(u32, u32), Vec<UmiRead>> = FxHashMap::default();
    let mut local = 0usize;
    let mut previous: Option<&[u8]> = None;
    for (key, reads) in keys.iter() {
        let UmiKey { insert, umi } = UmiKey::parse(key);
        if let Some(p) = previous {
            if p != insert {
                local += 1;
            }
        }
        previous = Some(insert);
        let id = ids[local].0;
        let class = classes.of_insert[id as usize];
        let group = (class, if class == 0 { id } else { u32::MAX });
        groups.entry(group).or_default().push((umi, id, reads));
    }
    let mut molecules: FxHashMap<u32, u32> = FxHashMap::default();
    for (_, mut entries) in groups {
        entries.sort_unstable();
        // per UMI: its reads over all inserts, and the insert with most reads
        let mut umis: Vec<UmiCount> = Vec::new();
        let mut best: Vec<(u32, u32)> = Vec::new();
        for &(umi, id, reads) in &entries {
            match umis.last_mut() {
                Some(u) if u.umi == umi => {
                    u.reads += reads as u64;
                    let b = best.last_mut().expect("one best per UMI");
                    if reads > b.1 {
                        *b = (id, reads);
                    }
                }
                _ => {
                    umis.push(UmiCount {
                        umi,
                        reads: reads as u64,
                    });
                    best.push((id, reads));
                }
            }
        }
        for founder in directional_molecules(&umis) {
            *molecules.entry(best[founder].0).or_default() += 1;
        }
    }
    let mut out: Vec<(u32, u32)> = molecules.into_iter().collect();
    out.sort_unstable();
    out
}

/// Adds `reads` reads (or molecules) of one insert to the columns and
/// totals of one sample.
fn add_units(
    assignment: &Assignment,
    reads: u32,
    st: &mut MoleculeStats,
    mature: &mut [f64],
    unique: &mut [f64],
    hairpin: &mut [f64],
) {
    let reads_f = reads as f64;
    match assignment {
        Assignment::Mature { matures, .. } => {
            st.assigned_mature += reads as u64;
            let share = reads_f / matures.len() as f64;
            for &m in matures {
                mature[m as usize] += share;
            }
            if matures.len() == 1 {
                unique[matures[0] as usize] += reads_f;
            } else {
                st.mature_multimapped += reads as u64;
            }
        }
        Assignment::Hairpin { hairpins } => {
            st.hairpin_only += reads as u64;
            let share = reads_f / hairpins.len() as f64;
            for &h in hairpins {
                hairpin[h as usize] += share;
            }
        }
        Assignment::Unassigned => st.unassigned += reads as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::cpu::CpuEngine;
    use crate::align::{align_all, AlignParams, Engine};
    use crate::input::reference::RefSeq;
    use crate::prep::collapse::SampleInserts;
    use crate::prep::umi::inserts_of_keys;

    /// Aligning slice by slice gives the same classes and sums as one slice.
    #[test]
    fn counts_do_not_depend_on_the_alignment_slice() {
        let seq = |name: &str, s: &str| RefSeq::new(name, s);
        let reference = Reference::from_sequences(
            "hsa",
            vec![
                seq("hsa-miR-a", "TAGCTTATCAGACTGATGTTGA"),
                seq("hsa-miR-b", "TAGCTTATCAGACTGATGTTGC"),
                seq("hsa-miR-c", "AAACCGTTACCATTACTGAGTT"),
            ],
            vec![],
        );
        let targets = TargetSet::build(&reference, 3, 5);
        let reads: [&[u8]; 8] = [
            b"TAGCTTATCAGACTGATGTTGA",
            b"TAGCTTATCAGACTGATGTTG",
            b"AAACCGTTACCATTACTGAGTTAA",
            b"GGGGGGGGGGGGGGGGGG",
            b"TAGCTTATCAGACTGATGTT",
            b"AAACCGTTACCATTACTGAGT",
            b"AGCTTATCAGACTGATGTTGA",
            b"CCCCCCCCCCCCCCCCCCCCC",
        ];
        let samples: Vec<SortedInserts> = (0..3)
            .map(|k| {
                let mut s = SampleInserts::default();
                for (i, r) in reads.iter().enumerate() {
                    s.add_count(r, 1 + (i * 7 + k * 3) as u32 % 5);
                }
                s.into_sorted()
            })
            .collect();
        let table = InsertTable::build(&samples.iter().collect::<Vec<_>>());
        let prepared = CpuEngine
            .prepare(&targets, &AlignParams::default())
            .unwrap();
        let count_with = |slice| {
            let hits = align_all(prepared.as_ref(), table.len(), |i| table.seq(i), slice).unwrap();
            let (classes, _) = classify(&reference, &targets, &table, &hits, false, &|_| None);
            let c = count(&reference, &classes, &table.counts);
            (c, classes, hits)
        };
        let whole = count_with(usize::MAX);
        assert!(whole.0.totals.iter().all(|t| t.assigned_mature > 0));
        for slice in [1, 2, 3, 5] {
            assert_eq!(count_with(slice), whole, "slice {slice}");
        }
    }

    fn keys(entries: &[(&str, &str, u32)]) -> SortedInserts {
        let mut s = SampleInserts::default();
        for (insert, umi, n) in entries {
            let mut k = insert.as_bytes().to_vec();
            k.push(UmiKey::SEPARATOR);
            k.extend_from_slice(umi.as_bytes());
            s.add_count(&k, *n);
        }
        s.into_sorted()
    }

    /// A PCR copy with an insert error and the same UMI is the same molecule
    /// when both inserts count for the same miRNA; unassigned inserts are
    /// deduplicated each on its own.
    #[test]
    fn molecules_are_grouped_by_class_not_by_insert() {
        let k = keys(&[
            ("AAAA", "ACGT", 5), // miRNA 1, molecule 1
            ("AAAT", "ACGT", 1), // an error copy of it
            ("AAAA", "ACGA", 1), // a UMI error of it: absorbed (5 >= 1)
            ("AAAA", "TTTT", 2), // miRNA 1, molecule 2
            ("CCCC", "ACGT", 3), // unassigned, own group
            ("GGGG", "ACGT", 1), // unassigned, own group
        ]);
        let inserts = inserts_of_keys(&k);
        let seqs: Vec<&[u8]> = inserts.iter().map(|(s, _)| s).collect();
        assert_eq!(seqs, vec![&b"AAAA"[..], b"AAAT", b"CCCC", b"GGGG"]);
        assert_eq!(inserts.reads(), 13);
        let table = InsertTable::build(&[&inserts]);
        let mature = Assignment::Mature {
            matures: vec![0],
            calls: vec![],
        };
        let classes = Classes {
            of_insert: vec![1, 1, 0, 0],
            classes: vec![Assignment::Unassigned, mature],
            taken: FxHashMap::default(),
        };
        let m = sample_molecules(&k, &table.counts[0], &classes);
        assert_eq!(m, vec![(0, 2), (2, 1), (3, 1)]);
    }
}

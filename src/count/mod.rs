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
use crate::seq::encode_base;

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
/// index.
type ClassKey = (bool, Vec<u32>);

/// What `a` counts for; None when unassigned.
fn class_key(a: Assignment) -> Option<ClassKey> {
    match a {
        Assignment::Unassigned => None,
        Assignment::Mature { matures, .. } => Some((true, matures)),
        Assignment::Hairpin { hairpins } => Some((false, hairpins)),
    }
}

/// One chunk of [`classify`]'s inserts, its classes numbered within it (in
/// order of first appearance, 1 onwards; 0 is "unassigned"), so that no
/// insert holds an allocation of its own until the chunks are joined.
#[derive(Default)]
struct ChunkClasses {
    /// Per insert of the chunk, its class in the chunk (also for inserts
    /// another stage takes).
    of_insert: Vec<u32>,
    /// The chunk's classes: class `k` is `keys[k - 1]`.
    keys: Vec<ClassKey>,
    /// Inserts another stage takes (their id), with the stage.
    taken: Vec<(u32, Taker)>,
    /// Its inserts' isomiR lines.
    lines: IsomirLines,
}

impl ChunkClasses {
    /// Classifies inserts `ids`; `lines`: with their isomiR lines.
    fn of(
        reference: &Reference,
        targets: &TargetSet,
        (table, hits): (&InsertTable, &FlatHits),
        ids: std::ops::Range<usize>,
        lines: bool,
        taken_by: &(dyn Fn(usize) -> Option<Taker> + Sync),
    ) -> Self {
        let mut chunk = Self {
            of_insert: Vec::with_capacity(ids.len()),
            ..Self::default()
        };
        let mut local: FxHashMap<ClassKey, u32> = FxHashMap::default();
        let mut codes = Vec::new();
        for id in ids {
            let insert_hits = hits.get(id);
            if insert_hits.is_empty() {
                // no hit: unassigned, taken by no stage, no line
                chunk.of_insert.push(0);
                continue;
            }
            let seq = table.seq(id);
            codes.clear();
            codes.extend(seq.iter().map(|&b| encode_base(b)));
            let a = assign(targets, &codes, insert_hits);
            if !matches!(a, Assignment::Unassigned) {
                match taken_by(id) {
                    Some(taker) => chunk.taken.push((id as u32, taker)),
                    None if lines => chunk.lines.push_insert(reference, targets, id, seq, &a),
                    None => {}
                }
            }
            let class = match class_key(a) {
                None => 0,
                Some(key) => {
                    let next = chunk.keys.len() as u32 + 1;
                    *local.entry(key).or_insert_with_key(|key| {
                        chunk.keys.push(key.clone());
                        next
                    })
                }
            };
            chunk.of_insert.push(class);
        }
        chunk
    }
}

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
    let n = table.len();
    let chunks: Vec<ChunkClasses> = (0..n.div_ceil(CLASSIFY_CHUNK))
        .into_par_iter()
        .map(|c| {
            let ids = c * CLASSIFY_CHUNK..((c + 1) * CLASSIFY_CHUNK).min(n);
            ChunkClasses::of(reference, targets, (table, hits), ids, lines, taken_by)
        })
        .collect();
    // classes numbered in order of first appearance over all inserts: each
    // chunk's, in its order, after those of the chunks before
    let mut classes = vec![Assignment::Unassigned];
    let mut ids: FxHashMap<ClassKey, u32> = FxHashMap::default();
    let mut of_insert = Vec::with_capacity(n);
    let mut taken_from = FxHashMap::default();
    let mut all_lines = lines.then(|| {
        let mut all = IsomirLines::default();
        all.reserve(chunks.iter().map(|c| &c.lines));
        all
    });
    for chunk in chunks {
        let ChunkClasses {
            of_insert: local,
            keys,
            taken,
            lines: chunk_lines,
        } = chunk;
        if let Some(all) = &mut all_lines {
            all.append(chunk_lines);
        }
        let global: Vec<u32> = std::iter::once(0)
            .chain(keys.into_iter().map(|key| {
                let next = classes.len() as u32;
                *ids.entry(key).or_insert_with_key(|(mature, features)| {
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
                })
            }))
            .collect();
        of_insert.extend(local.iter().map(|&k| global[k as usize]));
        for (id, taker) in taken {
            let at = &mut of_insert[id as usize];
            taken_from.insert(id, (*at, taker));
            *at = 0;
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
    use crate::count::gff::Isomirs;
    use crate::input::reference::RefSeq;
    use crate::prep::collapse::SampleInserts;
    use crate::prep::umi::inserts_of_keys;

    /// Three matures, two of them one base apart at the 3' end.
    fn three_matures() -> Vec<RefSeq> {
        vec![
            RefSeq::new("hsa-miR-a", "TAGCTTATCAGACTGATGTTGA"),
            RefSeq::new("hsa-miR-b", "TAGCTTATCAGACTGATGTTGC"),
            RefSeq::new("hsa-miR-c", "AAACCGTTACCATTACTGAGTT"),
        ]
    }

    /// Over several chunks, classes are numbered in order of first
    /// appearance over all inserts, taken inserts keep the class they had
    /// (unassigned ones are not taken) and have no isomiR line: as one
    /// serial pass over the inserts has it.
    #[test]
    fn classes_follow_insert_order_across_chunks() {
        let mut matures = three_matures();
        matures.push(RefSeq::new("hsa-miR-d", "TGAGGTAGTAGGTTGTATAGTT"));
        let reference = Reference::from_sequences(
            "hsa",
            matures,
            vec![RefSeq::new(
                "hsa-mir-c",
                "GGCTAAACCGTTACCATTACTGAGTTTAGTAATGGTAACGGTTTAGCC",
            )],
        );
        let targets = TargetSet::build(&reference, 3, 5);
        let mut rng = crate::rng::Rng::new(11);
        let bases = b"ACGT";
        let mut sample = SampleInserts::default();
        while sample.len() < 3 * CLASSIFY_CHUNK {
            let m = &reference.matures[rng.below(4)].seq;
            let mut read: Vec<u8> = if rng.chance(0.3) {
                let len = 18 + rng.below(6);
                rng.bases(len)
            } else {
                m[rng.below(2)..m.len() - rng.below(3)].to_vec()
            };
            for _ in 0..rng.below(3) {
                read.push(bases[rng.below(4)]);
            }
            if rng.chance(0.3) {
                let at = rng.below(read.len());
                read[at] = bases[rng.below(4)];
            }
            sample.add(&read);
        }
        let sorted = sample.into_sorted();
        let table = InsertTable::build(&[&sorted]);
        let prepared = CpuEngine
            .prepare(&targets, &AlignParams::default())
            .unwrap();
        let hits = align_all(prepared.as_ref(), table.len(), |i| table.seq(i), 512).unwrap();
        let taken_by = |id: usize| match id % 7 {
            0 => Some(Taker::Artifact),
            3 => Some(Taker::Ncrna),
            _ => None,
        };
        let (classes, lines) = classify(&reference, &targets, &table, &hits, true, &taken_by);
        // one serial pass
        let mut want = Classes {
            of_insert: Vec::new(),
            classes: vec![Assignment::Unassigned],
            taken: FxHashMap::default(),
        };
        let mut want_lines = IsomirLines::default();
        for id in 0..table.len() {
            let a = assign(&targets, &crate::seq::encode(table.seq(id)), hits.get(id));
            if taken_by(id).is_none() {
                want_lines.push_insert(&reference, &targets, id, table.seq(id), &a);
            }
            let Some(key) = class_key(a) else {
                want.of_insert.push(0);
                continue;
            };
            let class = match want.classes.iter().position(|c| match c {
                Assignment::Mature { matures, .. } => key.0 && *matures == key.1,
                Assignment::Hairpin { hairpins } => !key.0 && *hairpins == key.1,
                Assignment::Unassigned => false,
            }) {
                Some(c) => c as u32,
                None => {
                    want.classes.push(match key {
                        (true, matures) => Assignment::Mature {
                            matures,
                            calls: Vec::new(),
                        },
                        (false, hairpins) => Assignment::Hairpin { hairpins },
                    });
                    want.classes.len() as u32 - 1
                }
            };
            match taken_by(id) {
                Some(taker) => {
                    want.taken.insert(id as u32, (class, taker));
                    want.of_insert.push(0);
                }
                None => want.of_insert.push(class),
            }
        }
        assert!(want.classes.len() > 3, "several classes");
        assert!(want.taken.len() > 100, "many taken inserts");
        assert!(want.of_insert.iter().filter(|&&c| c == 0).count() > 100);
        assert_eq!(classes, want);
        let (lines, want_lines) = (lines.unwrap(), want_lines);
        let units = [table.counts[0].clone()];
        let (got, want) = (
            Isomirs::build(lines, &units),
            Isomirs::build(want_lines, &units),
        );
        assert!(got.len() > 100);
        assert_eq!(got.class_rows(1), want.class_rows(1));
    }

    /// Aligning slice by slice gives the same classes and sums as one slice.
    #[test]
    fn counts_do_not_depend_on_the_alignment_slice() {
        let reference = Reference::from_sequences("hsa", three_matures(), vec![]);
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

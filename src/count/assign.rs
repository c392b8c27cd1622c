//! From an insert's best hits to what it counts for: mature miRNAs (several
//! names share the read equally), a hairpin outside any mature window, or
//! nothing. One mature sequence in several hairpins is one miRNA.

use crate::align::{Hit, TargetKind, TargetSet};
use crate::count::isomir::IsomirCall;

/// What one unique insert is assigned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignment {
    /// Mature miRNAs (sorted, distinct); each gets 1/k of the reads. The
    /// isomiR calls describe each best hit in a mature window.
    Mature {
        matures: Vec<u32>,
        calls: Vec<IsomirCall>,
    },
    /// Hairpins (sorted, distinct) the insert lies on outside any mature
    /// window; each gets 1/k of the reads in hairpin_counts.tsv.
    Hairpin { hairpins: Vec<u32> },
    /// No hit.
    Unassigned,
}

/// Assigns one insert (base codes) from its best hits.
pub fn assign(ts: &TargetSet, insert: &[u8], hits: &[Hit]) -> Assignment {
    let mut matures = Vec::new();
    let mut calls = Vec::new();
    let mut hairpins = Vec::new();
    for hit in hits {
        let windows = ts.closest_windows(hit.target as usize, hit.offset, hit.end());
        if windows.is_empty() {
            if let TargetKind::Hairpin(h) = ts.targets[hit.target as usize].kind {
                hairpins.push(h as u32);
            }
            continue;
        }
        for w in windows {
            matures.push(w.mature);
            calls.push(IsomirCall::new(ts, hit, &w, insert));
        }
    }
    if !matures.is_empty() {
        matures.sort_unstable();
        matures.dedup();
        Assignment::Mature { matures, calls }
    } else if !hairpins.is_empty() {
        hairpins.sort_unstable();
        hairpins.dedup();
        Assignment::Hairpin { hairpins }
    } else {
        Assignment::Unassigned
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::{brute_force, AlignParams};
    use crate::input::reference::{RefSeq, Reference};
    use crate::seq::encode;

    fn rs(name: &str, s: &str) -> RefSeq {
        RefSeq::new(name, s)
    }

    fn set() -> TargetSet {
        let r = Reference::from_sequences(
            "hsa",
            vec![
                rs("hsa-miR-16-5p", "TAGCAGCACGTAAATATTGGCG"),
                rs("hsa-miR-a", "ACGTACGTTTGACCAGTACG"),
                rs("hsa-miR-b", "ACGTACGTTTGACCAGTACC"),
            ],
            vec![
                rs(
                    "hsa-mir-16-1",
                    "GTCAGCAGTGCCTTAGCAGCACGTAAATATTGGCGTTAAGATTCTAAAATTATCTCC",
                ),
                rs(
                    "hsa-mir-16-2",
                    "GTTCCACTCTAGCAGCACGTAAATATTGGCGTAGTGAAATATATATTAAACACCAAT",
                ),
            ],
        );
        TargetSet::build(&r, 3, 5)
    }

    fn assign_read(read: &[u8]) -> Assignment {
        let ts = set();
        let q = encode(read);
        let hits = brute_force(&ts, &q, &AlignParams::default());
        assign(&ts, &q, &hits)
    }

    #[test]
    fn mature_in_two_hairpins_is_one_mirna() {
        match assign_read(b"TAGCAGCACGTAAATATTGGCG") {
            Assignment::Mature { matures, calls } => {
                assert_eq!(matures, vec![0]);
                assert_eq!(calls.len(), 2);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn read_between_two_family_members_is_shared() {
        // differs from miR-a and miR-b by one base each (last base)
        match assign_read(b"ACGTACGTTTGACCAGTACT") {
            Assignment::Mature { matures, .. } => assert_eq!(matures, vec![1, 2]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn loop_read_counts_for_the_hairpin() {
        assert_eq!(
            assign_read(b"TTAAGATTCTAAAATTATCTCC"),
            Assignment::Hairpin { hairpins: vec![0] }
        );
    }

    #[test]
    fn unrelated_read_is_unassigned() {
        assert_eq!(
            assign_read(b"GGGGGGCCCCCCGGGGGGCCCC"),
            Assignment::Unassigned
        );
    }
}

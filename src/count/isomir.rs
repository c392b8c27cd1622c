//! isomiR classification of a hit against the mature it is assigned to: 5'
//! and 3' shifts, non-templated additions and substitutions. The mirGFF3
//! tags written to isomirs.gff3 follow mirtop's conventions and are made in
//! [`crate::count::gff::MirtopView`].

use crate::align::{Hit, TargetSet, Window};
use crate::seq::{N, WILDCARD};

/// How one insert differs from one mature miRNA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsomirCall {
    /// Index of the mature miRNA.
    pub mature: u32,
    /// Target (hairpin or mature) the hit lies on.
    pub target: u32,
    /// Target position of the insert's first base.
    pub offset: i32,
    /// Bases the 5' end adds before the mature start (negative: bases
    /// missing from the mature start); mirtop writes n added bases as
    /// `iso_5p:-n`.
    pub iso_5p: i32,
    /// Templated bases past the mature end (negative: missing).
    pub iso_3p: i32,
    /// Non-templated 3' additions (`iso_add3p:n`).
    pub add_3p: u8,
    /// Substitutions: (1-based position in the insert, insert base code,
    /// reference base code).
    pub snvs: Vec<(u8, u8, u8)>,
}

impl IsomirCall {
    /// Classifies `hit` of `insert` (base codes) against mature window `w`.
    pub fn new(ts: &TargetSet, hit: &Hit, w: &Window, insert: &[u8]) -> Self {
        let mut snvs = Vec::new();
        for (i, &q) in insert.iter().enumerate().take(hit.templated as usize) {
            let r = ts.base(hit.target as usize, hit.offset + i as i32);
            if r != WILDCARD && (r >= N || q >= N || r != q) {
                snvs.push(((i + 1) as u8, q, r));
            }
        }
        Self {
            mature: w.mature,
            target: hit.target,
            offset: hit.offset,
            iso_5p: w.start - hit.offset,
            iso_3p: hit.end() - w.end,
            add_3p: hit.nontemplated,
            snvs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::{brute_force, AlignParams};
    use crate::input::reference::{RefSeq, Reference};
    use crate::seq::encode;

    fn call(read: &[u8]) -> IsomirCall {
        let r = Reference::from_sequences(
            "hsa",
            vec![RefSeq {
                name: "hsa-miR-1".into(),
                seq: b"TAGCAGCACGTAAATATTGGCG".to_vec(),
            }],
            vec![RefSeq {
                name: "hsa-mir-1".into(),
                seq: b"GTCAGCAGTGCCTTAGCAGCACGTAAATATTGGCGTTAAGATTCTAAAATTATCTCC".to_vec(),
            }],
        );
        let ts = TargetSet::build(&r, 3, 5);
        let q = encode(read);
        let hits = brute_force(&ts, &q, &AlignParams::default());
        assert_eq!(hits.len(), 1);
        let w = ts.closest_windows(0, hits[0].offset, hits[0].end())[0];
        IsomirCall::new(&ts, &hits[0], &w, &q)
    }

    /// (iso_5p, iso_3p, add_3p) of a call.
    fn shifts(c: &IsomirCall) -> (i32, i32, u8) {
        (c.iso_5p, c.iso_3p, c.add_3p)
    }

    #[test]
    fn reference_read_has_no_variant() {
        let c = call(b"TAGCAGCACGTAAATATTGGCG");
        assert_eq!(shifts(&c), (0, 0, 0));
        assert!(c.snvs.is_empty());
    }

    #[test]
    fn shifted_trimmed_and_tailed_read() {
        // one extra 5' base (T from the hairpin), 3' end 2 short, then AA
        // added (isomirs.gff3 writes this as mirtop does: iso_5p:-1,
        // iso_3p:-2, iso_add3p:2; see gff::MirtopView)
        let c = call(b"TTAGCAGCACGTAAATATTGGAA");
        assert_eq!(shifts(&c), (1, -2, 2));
        assert!(c.snvs.is_empty());
    }

    #[test]
    fn seed_substitution_is_one_snv() {
        let c = call(b"TAGGAGCACGTAAATATTGGCG");
        assert_eq!(shifts(&c), (0, 0, 0));
        assert_eq!(c.snvs, vec![(4, 2, 1)]);
    }
}

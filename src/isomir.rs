//! isomiR classification of a hit against the mature it is assigned to, in
//! the mirGFF3 vocabulary: iso_5p, iso_3p, iso_add3p and the iso_snv classes.

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
    /// missing from the mature start). mirGFF3 `iso_5p:+n` / `iso_5p:-n`.
    pub iso_5p: i32,
    /// Templated bases past the mature end (negative: missing).
    /// mirGFF3 `iso_3p:+n` / `iso_3p:-n`.
    pub iso_3p: i32,
    /// Non-templated 3' additions. mirGFF3 `iso_add3p:n`.
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

    /// Whether the insert is exactly the mature sequence.
    pub fn is_reference(&self) -> bool {
        self.iso_5p == 0 && self.iso_3p == 0 && self.add_3p == 0 && self.snvs.is_empty()
    }

    /// mirGFF3 variant tags, in mirtop's order (iso_5p, iso_3p, iso_add3p,
    /// SNVs); empty for the reference sequence.
    pub fn variants(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.iso_5p != 0 {
            v.push(format!("iso_5p:{:+}", self.iso_5p));
        }
        if self.iso_3p != 0 {
            v.push(format!("iso_3p:{:+}", self.iso_3p));
        }
        if self.add_3p != 0 {
            v.push(format!("iso_add3p:{}", self.add_3p));
        }
        let mut snv_classes: Vec<&'static str> =
            self.snvs.iter().map(|&(p, _, _)| snv_class(p)).collect();
        snv_classes.dedup();
        v.extend(snv_classes.into_iter().map(String::from));
        v
    }
}

/// SNV class of a 1-based insert position: seed 2-7, central offset 8,
/// central 9-12, central supplementary 13-17, else iso_snv.
pub fn snv_class(pos: u8) -> &'static str {
    match pos {
        2..=7 => "iso_snv_seed",
        8 => "iso_snv_central_offset",
        9..=12 => "iso_snv_central",
        13..=17 => "iso_snv_central_supp",
        _ => "iso_snv",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::{brute_force, AlignParams};
    use crate::reference::{RefSeq, Reference};
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

    #[test]
    fn reference_read_has_no_variant() {
        let c = call(b"TAGCAGCACGTAAATATTGGCG");
        assert!(c.is_reference());
        assert!(c.variants().is_empty());
    }

    #[test]
    fn shifted_trimmed_and_tailed_read_is_named_like_mirtop() {
        // one extra 5' base (T from the hairpin), 3' end 2 short, then AA added
        let c = call(b"TTAGCAGCACGTAAATATTGGAA");
        assert_eq!(c.variants(), vec!["iso_5p:+1", "iso_3p:-2", "iso_add3p:2"]);
    }

    #[test]
    fn seed_substitution_is_iso_snv_seed() {
        let c = call(b"TAGGAGCACGTAAATATTGGCG");
        assert_eq!(c.variants(), vec!["iso_snv_seed"]);
        assert_eq!(c.snvs, vec![(4, 2, 1)]);
    }
}

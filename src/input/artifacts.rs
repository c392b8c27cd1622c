//! The built-in adapter and primer artifact list: the library-preparation
//! oligos of the common small-RNA kits, written from the kits' published
//! oligo sequences (each entry names its source). Reads that are pieces of
//! these oligos (adapter dimers with a few bases of the other adapter, 5'
//! adapter concatemers, primer fragments) are counted as `artifact`, not as
//! miRNAs; exceRpt does the same with its UniVec stage.
//!
//! The reference has one class, `artifact`, and one group per oligo; an
//! insert is aligned to both strands of every oligo (see
//! `TargetSet::from_ncrna` in the align stage), so an oligo's reverse
//! complement need not be listed. No sequence is listed twice on either
//! strand: the P7 grafting sequence `CAAGCAGAAGACGGCATACGAGAT` is the
//! reverse complement of the small RNA v1.5 3' adapter, and the 5' part of
//! the TruSeq RPI index primers is that same P7 sequence.
//!
//! Sources: Illumina, "Illumina Adapter Sequences", document 1000000002694
//! (earlier "Illumina Customer Sequence Letter"), sections Small RNA v1.0 /
//! v1.5 (Small RNA Sample Prep Kit), TruSeq Small RNA and the TruSeq
//! adapter; QIAGEN's QIAseq miRNA Library Kit FAQ (3' adapter FAQ 3671);
//! Bioo Scientific / PerkinElmer NEXTflex Small RNA-Seq (its adapters are the
//! TruSeq RA5/RA3 sequences with 4 random bases at the ligation ends). The
//! search notes in [`BUILTIN`]'s sources say where each was found.

use crate::input::ncrna::{Feature, Group, NcrnaReference};

/// One library-preparation oligo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Oligo {
    /// Short unique name (the feature and group name).
    pub name: &'static str,
    /// DNA sequence, 5' to 3' (RNA oligos written with T for U).
    pub seq: &'static str,
    /// Where the sequence is published.
    pub source: &'static str,
}

/// The class name of the built-in reference.
pub const CLASS: &str = "artifact";

/// The built-in oligos.
pub const BUILTIN: &[Oligo] = &[
    Oligo {
        name: "Illumina_smallRNA_5p_adapter_RA5",
        seq: "GTTCAGAGTTCTACAGTCCGACGATC",
        source: "Illumina Adapter Sequences, document 1000000002694: Small RNA v1.0/v1.5 \
                 5' RNA adapter and TruSeq Small RNA RNA 5' Adapter (RA5, part 15013205), \
                 GUUCAGAGUUCUACAGUCCGACGAUC; also the NEXTflex Small RNA 5' adapter (TruSeq \
                 RA5 plus 4 N) and the QIAseq miRNA 5' adapter (QIAGEN QIAseq miRNA FAQ)",
    },
    Oligo {
        name: "Illumina_smallRNA_v1.0_3p_adapter",
        seq: "TCGTATGCCGTCTTCTGCTTGT",
        source: "Illumina Adapter Sequences, document 1000000002694: Small RNA v1.0 3' RNA \
                 adapter UCGUAUGCCGUCUUCUGCUUGU (plus a 3' idT)",
    },
    Oligo {
        name: "Illumina_smallRNA_v1.5_3p_adapter",
        seq: "ATCTCGTATGCCGTCTTCTGCTTG",
        source: "Illumina Adapter Sequences, document 1000000002694: v1.5 Small RNA 3' \
                 Adapter (5' rApp, 3' ddC); its reverse complement CAAGCAGAAGACGGCATACGAGAT \
                 is the P7 grafting sequence and the 5' part of the TruSeq RPI index primers",
    },
    Oligo {
        name: "Illumina_smallRNA_PCR_primer_2",
        seq: "AATGATACGGCGACCACCGACAGGTTCAGAGTTCTACAGTCCGA",
        source: "Illumina Adapter Sequences, document 1000000002694: Small RNA v1.0/v1.5 \
                 Small RNA PCR Primer 2 (Primer 1 and the v1.0 RT primer, \
                 CAAGCAGAAGACGGCATACGA, lie inside the v1.5 3' adapter's reverse complement)",
    },
    Oligo {
        name: "Illumina_smallRNA_sequencing_primer",
        seq: "CGACAGGTTCAGAGTTCTACAGTCCGACGATC",
        source: "Illumina Adapter Sequences, document 1000000002694: Small RNA v1.0/v1.5 \
                 Small RNA Sequencing Primer",
    },
    Oligo {
        name: "TruSeq_smallRNA_3p_adapter_RA3",
        seq: "TGGAATTCTCGGGTGCCAAGG",
        source: "Illumina Adapter Sequences, document 1000000002694: TruSeq Small RNA RNA 3' \
                 Adapter (RA3, part 15013207); also the NEXTflex Small RNA 3' adapter (4 N \
                 then RA3; Bioo Scientific trimming note)",
    },
    Oligo {
        name: "TruSeq_smallRNA_RT_primer_RTP",
        seq: "GCCTTGGCACCCGAGAATTCCA",
        source: "Illumina Adapter Sequences, document 1000000002694: TruSeq Small RNA RNA RT \
                 Primer (RTP, part 15013981)",
    },
    Oligo {
        name: "TruSeq_smallRNA_stop_oligo_STP",
        seq: "GAATTCCACCACGTTCCCGTGG",
        source: "Illumina Adapter Sequences, document 1000000002694: TruSeq Small RNA Stop \
                 Oligo (STP), GAAUUCCACCACGUUCCCGUGG",
    },
    Oligo {
        name: "TruSeq_smallRNA_PCR_primer_RP1",
        seq: "AATGATACGGCGACCACCGAGATCTACACGTTCAGAGTTCTACAGTCCGA",
        source: "Illumina Adapter Sequences, document 1000000002694: TruSeq Small RNA RNA PCR \
                 Primer (RP1, part 15005505)",
    },
    Oligo {
        name: "TruSeq_smallRNA_RPI_3p_constant",
        seq: "GTGACTGGAGTTCCTTGGCACCCGAGAATTCCA",
        source: "Illumina Adapter Sequences, document 1000000002694: TruSeq Small RNA RNA PCR \
                 Primer Index RPI1-RPI48, CAAGCAGAAGACGGCATACGAGAT + 6-nt index + this constant \
                 3' part (the 5' part is P7, listed as the v1.5 3' adapter's reverse complement)",
    },
    Oligo {
        name: "Illumina_P5",
        seq: "AATGATACGGCGACCACCGAGATCTACAC",
        source: "Illumina Adapter Sequences, document 1000000002694: P5 grafting sequence of \
                 the i5 adapters (AATGATACGGCGACCACCGAGATCTACAC)",
    },
    Oligo {
        name: "TruSeq_adapter_read1_3p",
        seq: "AGATCGGAAGAGCACACGTCTGAACTCCAGTCA",
        source: "Illumina Adapter Sequences, document 1000000002694: TruSeq Read 1 adapter \
                 trimming sequence; Illumina DRAGEN miRNA read structure (the sequence after \
                 the QIAseq-type 3' adapter and 12-nt UMI)",
    },
    Oligo {
        name: "QIAseq_miRNA_3p_adapter",
        seq: "AACTGTAGGCACCATCAAT",
        source: "QIAGEN QIAseq miRNA Library Kit FAQ 3671 (QIAseq miRNA NGS 3' adapter); \
                 Illumina DRAGEN miRNA read structure (3' adapter, then a 12-nt UMI)",
    },
];

/// The built-in list as an ncRNA-style reference: one class, `artifact`, one
/// group and one feature per oligo, in [`BUILTIN`] order; no files.
pub fn builtin() -> NcrnaReference {
    let mut reference = NcrnaReference {
        classes: vec![CLASS.to_string()],
        ..NcrnaReference::default()
    };
    for (i, oligo) in BUILTIN.iter().enumerate() {
        reference.groups.push(Group {
            name: oligo.name.to_string(),
            class: 0,
        });
        reference.features.push(Feature {
            name: oligo.name.to_string(),
            group: i as u32,
            seq: oligo.seq.as_bytes().to_vec(),
        });
    }
    reference
}

/// The source line of an oligo by name (None for names not in the list).
pub fn source_of(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|o| o.name == name).map(|o| o.source)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seq::reverse_complement;

    /// Illumina's adapter sequence document, as cited by its entries.
    const ILLUMINA_DOC: &str = "Illumina Adapter Sequences, document 1000000002694";

    #[test]
    fn sequences_are_acgt_and_names_unique() {
        let mut names: Vec<&str> = BUILTIN.iter().map(|o| o.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), BUILTIN.len(), "duplicate oligo names");
        for o in BUILTIN {
            assert!(o.seq.len() >= 18, "{} is too short to place", o.name);
            assert!(
                o.seq.bytes().all(|b| b"ACGT".contains(&b)),
                "{}: {}",
                o.name,
                o.seq
            );
            assert!(!o.source.is_empty());
        }
        assert!(BUILTIN
            .iter()
            .all(|o| o.source.contains(ILLUMINA_DOC) || o.source.contains("QIAGEN")));
    }

    #[test]
    fn no_oligo_is_listed_twice_on_either_strand() {
        for (i, a) in BUILTIN.iter().enumerate() {
            let rc = reverse_complement(a.seq.as_bytes());
            for b in &BUILTIN[i + 1..] {
                assert_ne!(a.seq, b.seq, "{} = {}", a.name, b.name);
                assert_ne!(rc, b.seq.as_bytes(), "{} = rc {}", b.name, a.name);
            }
        }
    }

    #[test]
    fn the_v1_small_rna_5p_adapter_is_there_in_full() {
        let full = "GTTCAGAGTTCTACAGTCCGACGATC";
        assert!(BUILTIN.iter().any(|o| o.seq == full));
        // the P7 grafting sequence is there as the v1.5 3' adapter's other strand
        let p7 = reverse_complement(b"ATCTCGTATGCCGTCTTCTGCTTG");
        assert_eq!(p7, b"CAAGCAGAAGACGGCATACGAGAT");
        assert!(source_of("Illumina_smallRNA_v1.5_3p_adapter")
            .unwrap()
            .contains("CAAGCAGAAGACGGCATACGAGAT"));
    }

    #[test]
    fn the_reference_has_one_class_and_a_group_per_oligo() {
        let r = builtin();
        assert_eq!(r.classes, vec!["artifact".to_string()]);
        assert_eq!(r.groups.len(), BUILTIN.len());
        assert_eq!(r.features.len(), BUILTIN.len());
        for (i, f) in r.features.iter().enumerate() {
            assert_eq!(f.group as usize, i);
            assert_eq!(r.class_of(i), 0);
            assert_eq!(f.seq, BUILTIN[i].seq.as_bytes());
        }
        assert!(r.files.is_empty());
    }

    #[test]
    fn the_fingerprint_is_stable() {
        // changes only when an oligo's name or sequence does: update it (and
        // say so in the changelog) when the list changes
        assert_eq!(builtin().fingerprint(), builtin().fingerprint());
        assert_eq!(builtin().fingerprint(), "ef0b63c4683c674d");
    }
}

//! TEMPORARY built-in artifact list (replaced by the artifacts branch).

use crate::input::ncrna::{Feature, Group, NcrnaReference};

/// One oligo.
pub struct Oligo {
    /// Name.
    pub name: &'static str,
    /// DNA, 5' to 3'.
    pub seq: &'static str,
    /// Where it is published.
    pub source: &'static str,
}

/// The built-in oligos.
pub const BUILTIN: &[Oligo] = &[Oligo {
    name: "Illumina_smallRNA_v1.0_5p_adapter",
    seq: "GTTCAGAGTTCTACAGTCCGACGATC",
    source: "Illumina Adapter Sequences (1000000002694)",
}];

/// The built-in list as a one-class reference.
pub fn builtin() -> NcrnaReference {
    NcrnaReference {
        classes: vec!["artifact".into()],
        groups: BUILTIN
            .iter()
            .map(|o| Group {
                name: o.name.into(),
                class: 0,
            })
            .collect(),
        features: BUILTIN
            .iter()
            .enumerate()
            .map(|(i, o)| Feature {
                name: o.name.into(),
                group: i as u32,
                seq: o.seq.as_bytes().to_vec(),
            })
            .collect(),
        files: vec![],
    }
}

//! The ncRNA outputs of a run with `--ncrna`:
//! - `ncrna_counts.tsv`: class × sample, reads (or molecules) counted for
//!   each class (sense), then an `antisense` row: reads whose ncRNA hits are
//!   all antisense, reported and counted for no class.
//! - `ncrna_features.tsv`: feature group × sample (`feature`, `class` and
//!   `part` columns first). Every group has a `part` `all` row; tRNA groups
//!   (isoacceptors, `tRNA-Gly-GCC`) also have `full_length`, `5p_half`
//!   (starting at the 5' end), `3p_CCA` (ending with the CCA),
//!   `3p_fragment` (ending at the discriminator base or inside the CCA)
//!   and `internal` rows, which sum to `all`. A read on several groups of
//!   its class counts 1/k on each.

use std::io::Write;

use crate::count::ncrna::{NcrnaCounts, Part, PARTS};
use crate::input::ncrna::{NcrnaReference, ANTISENSE_ROW};
use crate::input::reference::Reference;
use crate::numbers::round3;
use crate::output::stats::{ClassReads, SampleNcrna};
use crate::output::{format_count, write_matrix};

/// Class table file name.
pub const COUNTS: &str = "ncrna_counts.tsv";
/// Feature table file name.
pub const FEATURES: &str = "ncrna_features.tsv";

/// The feature groups of `ncrna_features.tsv` (its `part` `all` rows).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NcrnaGroups {
    /// Group names (`tRNA-Gly-GCC`), in the table's order.
    pub names: Vec<String>,
    /// Each group's class.
    pub classes: Vec<String>,
    /// One column per sample, one value per group (reads, or molecules
    /// with `--dedup`).
    pub counts: Vec<Vec<f64>>,
}

impl NcrnaGroups {
    /// The groups of `class`: their names, and one column per sample.
    pub fn of_class(&self, class: &str) -> (Vec<String>, Vec<Vec<f64>>) {
        let rows: Vec<usize> = (0..self.names.len())
            .filter(|&r| self.classes[r] == class)
            .collect();
        let names = rows.iter().map(|&r| self.names[r].clone()).collect();
        let counts = self
            .counts
            .iter()
            .map(|col| rows.iter().map(|&r| col[r]).collect())
            .collect();
        (names, counts)
    }
}

/// Writes `ncrna_counts.tsv`.
pub fn write_counts(
    w: &mut impl Write,
    reference: &NcrnaReference,
    samples: &[String],
    counts: &NcrnaCounts,
) -> std::io::Result<()> {
    let mut rows = reference.classes.clone();
    rows.push(ANTISENSE_ROW.into());
    let columns: Vec<Vec<f64>> = (0..samples.len())
        .map(|s| {
            let mut col: Vec<f64> = counts.sense[s].iter().map(|&n| n as f64).collect();
            col.push(counts.antisense[s].iter().sum::<u64>() as f64);
            col
        })
        .collect();
    write_matrix(w, "class", samples, &rows, &columns, format_count)
}

/// Writes `ncrna_features.tsv`.
pub fn write_features(
    w: &mut impl Write,
    reference: &NcrnaReference,
    samples: &[String],
    counts: &NcrnaCounts,
) -> std::io::Result<()> {
    let mut rows = Vec::new();
    let mut index = Vec::new();
    for (g, group) in reference.groups.iter().enumerate() {
        let class = &reference.classes[group.class as usize];
        let parts: &[Part] = if reference.is_trna(group.class) {
            &Part::ALL
        } else {
            &Part::ALL[..1]
        };
        for &part in parts {
            rows.push(format!("{}\t{class}\t{}", group.name, part.name()));
            index.push(g * PARTS + part as usize);
        }
    }
    let columns: Vec<Vec<f64>> = counts
        .features
        .iter()
        .map(|col| index.iter().map(|&i| col[i]).collect())
        .collect();
    write_matrix(
        w,
        "feature\tclass\tpart",
        samples,
        &rows,
        &columns,
        format_count,
    )
}

/// `ncrna_features.tsv`'s `all` rows, unrounded (what the report shows).
pub fn groups(reference: &NcrnaReference, counts: &NcrnaCounts) -> NcrnaGroups {
    let all = |col: &Vec<f64>| {
        (0..reference.groups.len())
            .map(|g| col[g * PARTS + Part::All as usize])
            .collect()
    };
    NcrnaGroups {
        names: reference.groups.iter().map(|g| g.name.clone()).collect(),
        classes: reference
            .groups
            .iter()
            .map(|g| reference.classes[g.class as usize].clone())
            .collect(),
        counts: counts.features.iter().map(all).collect(),
    }
}

/// One sample's stats.json `ncrna` from its read counts and the reads its
/// miRNAs lost (`lost_mature`, per mature; `lost_hairpin`).
pub fn sample_stats(
    reference: &NcrnaReference,
    mirnas: &Reference,
    counts: &NcrnaCounts,
    sample: usize,
    (lost_mature, lost_hairpin): (&[f64], f64),
) -> SampleNcrna {
    let classes = reference
        .classes
        .iter()
        .enumerate()
        .map(|(c, name)| ClassReads {
            class: name.clone(),
            reads: counts.sense[sample][c],
            antisense: counts.antisense[sample][c],
        })
        .collect();
    let mirna_lost = lost_mature
        .iter()
        .enumerate()
        .filter(|&(_, &n)| n > 0.0)
        .map(|(m, &n)| (mirnas.matures[m].name.clone(), round3(n)))
        .collect();
    SampleNcrna {
        classes,
        taken_from_mirna: counts.taken[sample],
        mirna_lost,
        hairpin_lost: round3(lost_hairpin),
    }
}

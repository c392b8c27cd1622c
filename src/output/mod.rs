//! Stage 5, outputs: the count tables, stats.json, QC, MultiQC files, the
//! inserts file and report.html, from a run's counts.
//!
//! Output files are written as one set ([`outdir`]): staged beside the
//! output directory and switched in whole when the run succeeded.
//!
//! `mature_counts.tsv` holds multi-mapped reads as fractional shares (a read
//! on k miRNAs counts 1/k on each); `mature_counts_int.tsv` is the same table
//! in integers for differential expression tools: per sample, each count is
//! rounded down and the reads lost go one each to the largest fractional
//! parts, so every sample keeps its total ([`integer_counts`]).

pub mod concerns;
pub mod inserts_file;
pub mod isomirs;
pub mod multiqc;
pub mod ncrna_tables;
pub mod origin_tables;
pub mod outdir;
pub mod qc;
pub mod report;
pub mod run_files;
pub mod stats;
pub mod summary;

use std::io::Write;

pub use outdir::StagedOutputs;

/// The integer mature count table beside `mature_counts.tsv`, for tools
/// that take integer counts (DESeq2, edgeR, pydeseq2): see
/// [`integer_counts`].
pub const INTEGER_COUNTS: &str = "mature_counts_int.tsv";

/// One sample's mature counts as integers whose sum is the sample's total:
/// each count is rounded down, then the reads those roundings lost (the
/// total, rounded, less the sum of the rounded-down counts) go one each to
/// the counts with the largest fractional parts (largest-remainder
/// rounding; fractional parts compared to 1e-6, ties to the earlier row).
/// A count that is already whole stays as it is, and a multi-mapped read's
/// shares (1/k each) become one read on one of its miRNAs.
///
/// ```
/// let col = [2.5, 0.5, 1.0 / 3.0, 2.0 / 3.0, 3.0];
/// assert_eq!(mirq::output::integer_counts(&col), vec![3, 0, 0, 1, 3]);
/// ```
pub fn integer_counts(column: &[f64]) -> Vec<u64> {
    let mut ints: Vec<u64> = column.iter().map(|&c| c.max(0.0).floor() as u64).collect();
    let total = column.iter().sum::<f64>().round().max(0.0) as u64;
    let short = total.saturating_sub(ints.iter().sum());
    // fractional parts in millionths, so that float noise cannot break ties
    let mut order: Vec<(i64, usize)> = column
        .iter()
        .enumerate()
        .map(|(i, &c)| (((c.max(0.0) - c.max(0.0).floor()) * 1e6).round() as i64, i))
        .filter(|&(rem, _)| rem > 0)
        .collect();
    order.sort_by_key(|&(rem, i)| (std::cmp::Reverse(rem), i));
    for &(_, i) in order.iter().take(short as usize) {
        ints[i] += 1;
    }
    ints
}

/// Formats a count: integers without decimals, fractions (multi-mapper
/// shares) with up to three decimals.
///
/// ```
/// assert_eq!(mirq::output::format_count(7.0), "7");
/// assert_eq!(mirq::output::format_count(1.0 / 3.0), "0.333");
/// ```
pub fn format_count(x: f64) -> String {
    let r = x.round();
    if (x - r).abs() < 1e-6 {
        format!("{}", r as i64)
    } else {
        trim_decimals(format!("{x:.3}"))
    }
}

/// Formats a reads-per-million value with up to three decimals.
pub fn format_rpm(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else {
        trim_decimals(format!("{x:.3}"))
    }
}

fn trim_decimals(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Writes a feature × sample matrix as TSV: header `first_column<TAB>samples…`.
pub fn write_matrix(
    out: &mut impl Write,
    first_column: &str,
    samples: &[String],
    rows: &[String],
    values: &[Vec<f64>],
    format: impl Fn(f64) -> String,
) -> std::io::Result<()> {
    write!(out, "{first_column}")?;
    for s in samples {
        write!(out, "\t{s}")?;
    }
    writeln!(out)?;
    for (r, name) in rows.iter().enumerate() {
        write!(out, "{name}")?;
        for column in values {
            write!(out, "\t{}", format(column[r]))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_print_integers_without_decimals() {
        assert_eq!(format_count(12.0), "12");
        assert_eq!(format_count(0.0), "0");
        assert_eq!(format_count(1.0 / 3.0 * 3.0), "1");
        assert_eq!(format_count(0.5), "0.5");
        assert_eq!(format_count(2.0 / 3.0), "0.667");
        assert_eq!(format_rpm(1e6 / 3.0), "333333.333");
    }

    #[test]
    fn integer_counts_keep_the_sample_total() {
        // three reads shared three ways, two reads halved, one whole count
        let third = 1.0 / 3.0;
        let col = [third, third, third, 0.5, 0.5 + 1.0, 7.0, 0.0];
        let ints = integer_counts(&col);
        assert_eq!(ints.iter().sum::<u64>(), 10);
        // the halves' remainders (0.5) beat the thirds' (0.333)
        assert_eq!(ints, vec![0, 0, 0, 1, 2, 7, 0]);
        assert_eq!(integer_counts(&[]), Vec::<u64>::new());
        assert_eq!(integer_counts(&[0.0, 0.0]), vec![0, 0]);
        // every count within one of its fraction
        for (i, c) in ints.iter().zip(col) {
            assert!((*i as f64 - c).abs() < 1.0);
        }
    }
}

//! Stage 5, outputs: the count tables, stats.json, QC, MultiQC files and
//! the inserts file, from a run's counts.
//!
//! Output files are written as one set ([`outdir`]): staged beside the
//! output directory and switched in whole when the run succeeded.

pub mod finish;
pub mod inserts_file;
pub mod multiqc;
pub mod outdir;
pub mod qc;
pub mod stats;
pub mod summary;

use std::io::Write;

pub use outdir::StagedOutputs;

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
}

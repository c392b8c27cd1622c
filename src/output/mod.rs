//! Stage 5, outputs: the count tables, stats.json, QC, MultiQC files, the
//! inserts file and report.html, from a run's counts.
//!
//! Output files are written atomically: everything is staged in a hidden folder
//! inside the output directory and moved into place only when the whole run
//! succeeded, count tables last. A failed run leaves no complete-looking table.
//!
//! `mature_counts.tsv` holds multi-mapped reads as fractional shares (a read
//! on k miRNAs counts 1/k on each); `mature_counts_int.tsv` is the same table
//! in integers for differential expression tools: per sample, each count is
//! rounded down and the reads lost go one each to the largest fractional
//! parts, so every sample keeps its total ([`integer_counts`]).

pub mod finish;
pub mod inserts_file;
pub mod multiqc;
pub mod qc;
pub mod report;
pub mod stats;

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Files being written for one run.
pub struct StagedOutputs {
    outdir: PathBuf,
    staging: PathBuf,
    files: Mutex<Vec<String>>,
    /// Files moved into place after all of `files`.
    last: Mutex<Vec<String>>,
    committed: bool,
}

impl StagedOutputs {
    /// Creates the output directory and a staging folder inside it.
    pub fn new(outdir: &Path) -> Result<Self> {
        let io = |err| Error::Write {
            path: outdir.to_path_buf(),
            err,
        };
        fs::create_dir_all(outdir).map_err(io)?;
        let staging = outdir.join(format!(".mirq-staging-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(io)?;
        }
        fs::create_dir_all(&staging).map_err(io)?;
        Ok(Self {
            outdir: outdir.to_path_buf(),
            staging,
            files: Mutex::new(Vec::new()),
            last: Mutex::new(Vec::new()),
            committed: false,
        })
    }

    /// Writes one file (path relative to the output directory) through `fill`;
    /// may be called from several threads.
    pub fn write(
        &self,
        rel: &str,
        fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
    ) -> Result<()> {
        self.stage(rel, fill)?;
        self.files
            .lock()
            .expect("staged file list")
            .push(rel.to_string());
        Ok(())
    }

    /// Writes one file like [`Self::write`], to be moved into place after
    /// every file written with `write`, whenever that was written (the count
    /// tables, so that stats.json can be written after them and still be in
    /// place before them).
    pub fn write_last(
        &self,
        rel: &str,
        fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
    ) -> Result<()> {
        self.stage(rel, fill)?;
        self.last
            .lock()
            .expect("staged file list")
            .push(rel.to_string());
        Ok(())
    }

    fn stage(
        &self,
        rel: &str,
        fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
    ) -> Result<()> {
        let path = self.staging.join(rel);
        let err = |err| Error::Write {
            path: self.outdir.join(rel),
            err,
        };
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(err)?;
        }
        let file = File::create(&path).map_err(err)?;
        let mut w = BufWriter::new(file);
        fill(&mut w).map_err(err)?;
        w.flush().map_err(err)?;
        w.into_inner()
            .map_err(|e| err(e.into_error()))?
            .sync_all()
            .map_err(err)
    }

    /// Moves every staged file into place, in the order written, those
    /// written with [`Self::write_last`] after the others, and removes the
    /// staging folder.
    pub fn commit(mut self) -> Result<()> {
        for rel in &self.commit_order() {
            let to = self.outdir.join(rel);
            if let Some(parent) = to.parent() {
                fs::create_dir_all(parent).map_err(|err| Error::Write {
                    path: to.clone(),
                    err,
                })?;
            }
            fs::rename(self.staging.join(rel), &to).map_err(|err| Error::Write {
                path: to.clone(),
                err,
            })?;
        }
        self.committed = true;
        let _ = fs::remove_dir_all(&self.staging);
        Ok(())
    }
}

impl StagedOutputs {
    /// The staged files in the order [`Self::commit`] moves them; empties
    /// the lists.
    fn commit_order(&mut self) -> Vec<String> {
        let mut files = std::mem::take(self.files.get_mut().expect("staged file list"));
        files.append(self.last.get_mut().expect("staged file list"));
        files
    }
}

impl Drop for StagedOutputs {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

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

    #[test]
    fn nothing_appears_until_commit_and_dropped_runs_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let staged = StagedOutputs::new(&out).unwrap();
        staged.write("a.tsv", |w| w.write_all(b"x\n")).unwrap();
        assert!(!out.join("a.tsv").exists());
        drop(staged);
        assert_eq!(fs::read_dir(&out).unwrap().count(), 0);

        let staged = StagedOutputs::new(&out).unwrap();
        staged
            .write("sub/b.fa", |w| w.write_all(b">s\nA\n"))
            .unwrap();
        staged.write("a.tsv", |w| w.write_all(b"x\n")).unwrap();
        staged.commit().unwrap();
        assert_eq!(fs::read_to_string(out.join("a.tsv")).unwrap(), "x\n");
        assert!(out.join("sub/b.fa").exists());
        assert_eq!(fs::read_dir(&out).unwrap().count(), 2);
    }

    #[test]
    fn files_written_last_are_moved_last() {
        let dir = tempfile::tempdir().unwrap();
        let mut staged = StagedOutputs::new(&dir.path().join("out")).unwrap();
        staged.write("a", |w| w.write_all(b"a")).unwrap();
        staged.write_last("table", |w| w.write_all(b"t")).unwrap();
        staged.write("stats.json", |w| w.write_all(b"{}")).unwrap();
        staged.write_last("final", |w| w.write_all(b"f")).unwrap();
        assert_eq!(staged.commit_order(), ["a", "stats.json", "table", "final"]);
    }
}

//! Samples and their FASTQ files: from positional paths or an nf-core style
//! samplesheet (`sample,fastq_1`; rows with the same sample are lanes of it).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::input::library::{AdapterChoice, ProtocolChoice};
use crate::input::names::{check_table_name, BadName};

/// One sample: a name (a column of the count matrices) and its FASTQ files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Column name in the output tables.
    pub name: String,
    /// FASTQ files whose reads are pooled into this sample (lanes).
    pub files: Vec<SampleFile>,
    /// The samplesheet's `protocol` for this sample (a preset or `auto`),
    /// replacing `--protocol`.
    pub protocol: Option<ProtocolChoice>,
    /// The samplesheet's `adapter` for this sample (`none` for trimmed
    /// reads), replacing `--adapter`.
    pub adapter: Option<AdapterChoice>,
}

/// One FASTQ file of a sample, and where it was named (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleFile {
    /// The file, as named (relative to the samplesheet's directory when
    /// the samplesheet named it so).
    pub path: PathBuf,
    /// Where it was named.
    pub listed: Listed,
}

/// Where a FASTQ file was named: on the command line or on a samplesheet
/// line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    /// A positional argument of `mirq quant`.
    Argument,
    /// A samplesheet row.
    Sheet {
        /// The samplesheet.
        path: PathBuf,
        /// The row's line (1 is the header).
        line: usize,
    },
}

/// Sample name from a file name: the file name without `.fastq.gz`, `.fq.gz`,
/// `.fastq`, `.fq` (and `.zst`/`.gz` variants).
pub fn sample_name_from_path(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stem = name.as_str();
    for ext in [".gz", ".zst"] {
        if let Some(s) = stem.strip_suffix(ext) {
            stem = s;
            break;
        }
    }
    for ext in [".fastq", ".fq"] {
        if let Some(s) = stem.strip_suffix(ext) {
            stem = s;
            break;
        }
    }
    stem.to_string()
}

/// Checks a sample name before any path or table row is built from it:
/// the rule of [`check_table_name`] (letters, digits, `_`, `-` and `.`,
/// not first), so that no name breaks a TSV column, the GFF3 sample list
/// or a file name.
pub fn validate_sample_name(name: &str) -> std::result::Result<(), BadSampleName> {
    check_table_name(name).map_err(|why| BadSampleName {
        name: name.escape_debug().to_string(),
        why,
    })
}

/// A sample name that would break a table column, the GFF3 sample list or
/// a file name ([`validate_sample_name`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid sample name '{name}': {why}")]
pub struct BadSampleName {
    /// The name, escaped for the message.
    name: String,
    /// The rule it breaks.
    why: BadName,
}

/// What is wrong with a samplesheet line ([`read_samplesheet`] names the
/// sheet and the line).
#[derive(Debug, thiserror::Error)]
enum SheetFault {
    #[error("unreadable header: {0}")]
    Header(csv::Error),
    #[error("empty samplesheet: expected a header 'sample,fastq_1'")]
    Empty,
    #[error("header must name columns 'sample' and 'fastq_1', found '{0}'")]
    Columns(String),
    #[error("not valid CSV: {0}")]
    Csv(csv::Error),
    #[error("{found} fields, header has {header}")]
    FieldCount { found: usize, header: usize },
    #[error(transparent)]
    SampleName(#[from] BadSampleName),
    #[error("fastq_2 is set: small-RNA reads are single-end, give only fastq_1")]
    PairedEnd,
    #[error("fastq_1 is empty")]
    NoFastq,
    #[error("column {column}: invalid value '{value}' for sample {sample}: {why}")]
    Cell {
        column: &'static str,
        value: String,
        sample: String,
        why: String,
    },
    #[error("{file} is also listed on line {first}{named}: each FASTQ file once")]
    ListedTwice {
        file: String,
        first: u64,
        /// " as PATH" when the earlier line wrote the file otherwise.
        named: String,
    },
    #[error("sample '{0}' has another protocol or adapter on an earlier line: lanes of a sample are trimmed alike")]
    LanesDiffer(String),
    #[error("samplesheet lists no sample")]
    NoSample,
}

/// One sample per file, in the given order. Two files with the same sample
/// name are an error (the columns would be ambiguous).
pub fn samples_from_paths(paths: &[PathBuf]) -> Result<Vec<Sample>> {
    let mut samples: Vec<Sample> = Vec::new();
    for path in paths {
        let invalid = |message: String| Error::InvalidValue {
            what: "input files",
            value: path.display().to_string(),
            message,
        };
        if path.file_name().is_some_and(|n| n.to_str().is_none()) {
            return Err(invalid(
                "the file name is not UTF-8: name the sample with --samplesheet".into(),
            ));
        }
        let name = sample_name_from_path(path);
        validate_sample_name(&name).map_err(|e| invalid(e.to_string()))?;
        if let Some(prev) = samples.iter().find(|s| s.name == name) {
            return Err(Error::InvalidValue {
                what: "input files",
                value: path.display().to_string(),
                message: format!(
                    "sample name '{name}' is also that of {}; use --samplesheet to name samples or pool lanes",
                    prev.files[0].path.display()
                ),
            });
        }
        samples.push(Sample {
            name,
            files: vec![SampleFile {
                path: path.clone(),
                listed: Listed::Argument,
            }],
            protocol: None,
            adapter: None,
        });
    }
    Ok(samples)
}

/// Reads an nf-core style samplesheet: CSV (quoting, a UTF-8 byte-order
/// mark and CRLF line ends are fine) whose header names at least `sample` and
/// `fastq_1`, and optionally `protocol` and `adapter` (per sample, replacing
/// `--protocol` and `--adapter`); rows with the same sample are merged (lanes), samples keep the
/// order of their first row. Relative FASTQ paths are taken from the
/// samplesheet's directory (as nf-core pipelines do), never from the working
/// directory. A file listed twice (in one sample or two), under any name
/// (compared as canonical paths: `./a.fq`, `x/../a.fq` and a symlink to
/// `a.fq` are `a.fq`), is an error naming both lines. The `protocol` and
/// `adapter` cells are parsed here, an error naming the line and column.
pub fn read_samplesheet(path: &Path) -> Result<Vec<Sample>> {
    let text = std::fs::read_to_string(path).map_err(|err| Error::Io {
        path: path.to_path_buf(),
        err,
    })?;
    let err = |line: u64, fault: SheetFault| Error::Samplesheet {
        path: path.to_path_buf(),
        line: line as usize,
        message: fault.to_string(),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| err(1, SheetFault::Header(e)))?
        .clone();
    let rows = SheetColumns::of(&header).map_err(|m| err(1, m))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut samples: Vec<Sample> = Vec::new();
    let mut seen = ListedFiles::default();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            err(line, SheetFault::Csv(e))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let (name, fq) = rows.read(&record).map_err(|m| err(line, m))?;
        let (protocol, adapter) = rows.trimming(&record, name).map_err(|m| err(line, m))?;
        let file = base.join(fq);
        seen.add(&file, line).map_err(|m| err(line, m))?;
        let file = SampleFile {
            path: file,
            listed: Listed::Sheet {
                path: path.to_path_buf(),
                line: line as usize,
            },
        };
        match samples.iter_mut().find(|s| s.name == name) {
            Some(s) if (s.protocol, &s.adapter) != (protocol, &adapter) => {
                return Err(err(line, SheetFault::LanesDiffer(name.to_string())));
            }
            Some(s) => s.files.push(file),
            None => samples.push(Sample {
                name: name.to_string(),
                files: vec![file],
                protocol,
                adapter,
            }),
        }
    }
    if samples.is_empty() {
        return Err(err(1, SheetFault::NoSample));
    }
    Ok(samples)
}

/// The FASTQ files a samplesheet listed so far, by canonical path (the
/// path as written when it cannot be resolved, e.g. a missing file), with
/// their lines and paths as written.
#[derive(Default)]
struct ListedFiles(Vec<(PathBuf, u64, PathBuf)>);

impl ListedFiles {
    /// Adds `file`, listed on `line`; an error naming both lines when an
    /// earlier line listed the same file.
    fn add(&mut self, file: &Path, line: u64) -> std::result::Result<(), SheetFault> {
        let key = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        if let Some((_, first, written)) = self.0.iter().find(|(k, _, _)| *k == key) {
            let named = if written == file {
                String::new()
            } else {
                format!(" as {}", written.display())
            };
            return Err(SheetFault::ListedTwice {
                file: file.display().to_string(),
                first: *first,
                named,
            });
        }
        self.0.push((key, line, file.to_path_buf()));
        Ok(())
    }
}

/// Where a samplesheet's columns are.
struct SheetColumns {
    sample: usize,
    fastq_1: usize,
    fastq_2: Option<usize>,
    protocol: Option<usize>,
    adapter: Option<usize>,
    count: usize,
}

impl SheetColumns {
    /// Where the columns are, from the header; it must name `sample` and
    /// `fastq_1`.
    fn of(header: &csv::StringRecord) -> std::result::Result<Self, SheetFault> {
        if header.iter().all(str::is_empty) {
            return Err(SheetFault::Empty);
        }
        let col = |name: &str| header.iter().position(|c| c == name);
        let (Some(sample), Some(fastq_1)) = (col("sample"), col("fastq_1")) else {
            return Err(SheetFault::Columns(
                header.iter().collect::<Vec<_>>().join(","),
            ));
        };
        Ok(Self {
            sample,
            fastq_1,
            fastq_2: col("fastq_2"),
            protocol: col("protocol"),
            adapter: col("adapter"),
            count: header.len(),
        })
    }

    /// A row's optional `protocol` and `adapter`, parsed (empty cells: not
    /// given); an error names the column, the value and the sample `name`.
    fn trimming(
        &self,
        record: &csv::StringRecord,
        name: &str,
    ) -> std::result::Result<(Option<ProtocolChoice>, Option<AdapterChoice>), SheetFault> {
        let protocol = parse_cell(record, self.protocol, "protocol", name)?;
        let adapter = parse_cell(record, self.adapter, "adapter", name)?;
        Ok((protocol, adapter))
    }

    /// A row's sample name (validated) and FASTQ path.
    fn read<'r>(
        &self,
        record: &'r csv::StringRecord,
    ) -> std::result::Result<(&'r str, &'r str), SheetFault> {
        if record.len() != self.count {
            return Err(SheetFault::FieldCount {
                found: record.len(),
                header: self.count,
            });
        }
        let name = &record[self.sample];
        validate_sample_name(name)?;
        if let Some(c) = self.fastq_2 {
            if !record[c].is_empty() {
                return Err(SheetFault::PairedEnd);
            }
        }
        let fq = &record[self.fastq_1];
        if fq.is_empty() {
            return Err(SheetFault::NoFastq);
        }
        Ok((name, fq))
    }
}

/// The value of a row's optional cell in `column` (at `at`), parsed; None
/// when the column or the value is missing.
fn parse_cell<T: std::str::FromStr<Err = Error>>(
    record: &csv::StringRecord,
    at: Option<usize>,
    column: &'static str,
    sample: &str,
) -> std::result::Result<Option<T>, SheetFault> {
    let Some(value) = at.map(|c| &record[c]).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    value.parse().map(Some).map_err(|e| {
        let why = match e {
            Error::InvalidValue { message, .. } => message,
            other => other.to_string(),
        };
        SheetFault::Cell {
            column,
            value: value.to_string(),
            sample: sample.to_string(),
            why,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_name_strips_fastq_extensions() {
        assert_eq!(sample_name_from_path(Path::new("a/b/s1.fastq.gz")), "s1");
        assert_eq!(sample_name_from_path(Path::new("s2.fq")), "s2");
        assert_eq!(sample_name_from_path(Path::new("s3.fq.zst")), "s3");
        assert_eq!(sample_name_from_path(Path::new("s4.txt")), "s4.txt");
    }

    #[test]
    fn duplicate_positional_names_are_an_error() {
        let r = samples_from_paths(&[PathBuf::from("a/x.fq"), PathBuf::from("b/x.fastq.gz")]);
        assert!(r.unwrap_err().to_string().contains("'x'"));
    }

    #[test]
    fn samplesheet_merges_lanes_and_keeps_order() {
        let dir = tempfile::tempdir().unwrap();
        let sheet = dir.path().join("s.csv");
        std::fs::write(
            &sheet,
            "sample,fastq_1,fastq_2\nB,b1.fq,\nA,a.fq,\nB,b2.fq,\n",
        )
        .unwrap();
        let s = read_samplesheet(&sheet).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "B");
        assert_eq!(s[0].files.len(), 2);
        let lines: Vec<_> = s[0]
            .files
            .iter()
            .map(|f| match f.listed {
                Listed::Sheet { line, .. } => line,
                Listed::Argument => 0,
            })
            .collect();
        assert_eq!(lines, vec![2, 4]);
        assert_eq!(s[1].name, "A");
    }

    #[test]
    fn samplesheet_without_fastq_1_names_the_header_line() {
        let dir = tempfile::tempdir().unwrap();
        let sheet = dir.path().join("s.csv");
        std::fs::write(&sheet, "sample,reads\nA,a.fq\n").unwrap();
        let e = read_samplesheet(&sheet).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("fastq_1"), "{e}");
    }

    fn sheet(text: &str) -> (tempfile::TempDir, std::result::Result<Vec<Sample>, String>) {
        let dir = tempfile::tempdir().unwrap();
        let sheet = dir.path().join("s.csv");
        std::fs::write(&sheet, text).unwrap();
        let r = read_samplesheet(&sheet).map_err(|e| e.to_string());
        (dir, r)
    }

    /// Quoted fields lose their quotes; a byte-order mark and CRLF line
    /// ends are read as Excel writes them.
    #[test]
    fn samplesheet_is_real_csv() {
        let (dir, s) = sheet("\u{feff}sample,fastq_1\r\n\"A\",\"a, lane 1.fq\"\r\n");
        let s = s.unwrap();
        assert_eq!(s[0].name, "A");
        assert_eq!(s[0].files[0].path, dir.path().join("a, lane 1.fq"));
    }

    /// Relative paths are the samplesheet's directory's, whatever the
    /// working directory holds.
    #[test]
    fn relative_paths_resolve_against_the_samplesheet() {
        let (dir, s) = sheet("sample,fastq_1\nA,Cargo.toml\n");
        assert_eq!(s.unwrap()[0].files[0].path, dir.path().join("Cargo.toml"));
    }

    #[test]
    fn names_that_would_leave_the_outdir_are_refused() {
        for (name, why) in [
            ("../../pwned", "path separator"),
            ("..", "directory"),
            ("a\\b", "path separator"),
            ("tab\tname", "white space"),
            ("bell\u{7}", "control"),
        ] {
            let (_dir, r) = sheet(&format!("sample,fastq_1\n\"{name}\",a.fq\n"));
            let e = r.unwrap_err();
            assert!(e.contains("line 2") && e.contains(why), "{name}: {e}");
        }
        let e = samples_from_paths(&[PathBuf::from("x/...fq")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("directory"), "{e}");
    }

    #[test]
    fn a_file_listed_twice_names_both_lines() {
        let (_dir, r) = sheet("sample,fastq_1\nA,a.fq\nB,b.fq\nB,a.fq\n");
        let e = r.unwrap_err();
        assert!(e.contains("line 4") && e.contains("line 2"), "{e}");
        let (_dir, r) = sheet("sample,fastq_1\nA,a.fq\nA,./a.fq\n");
        assert!(r.unwrap_err().contains("line 2"));
    }

    /// The same file under another relative path, or through a symlink,
    /// is the same file: refused, naming both lines and both paths.
    #[test]
    fn a_file_named_twice_by_other_paths_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.fq"), "@r\nACGT\n+\nIIII\n").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::os::unix::fs::symlink("a.fq", dir.path().join("link.fq")).unwrap();
        let sheet = dir.path().join("s.csv");
        for other in ["sub/../a.fq", "link.fq"] {
            std::fs::write(&sheet, format!("sample,fastq_1\nA,a.fq\nB,{other}\n")).unwrap();
            let e = read_samplesheet(&sheet).unwrap_err().to_string();
            assert!(
                e.contains("line 3")
                    && e.contains("also listed on line 2 as ")
                    && e.contains(other)
                    && e.contains("a.fq:"),
                "{other}: {e}"
            );
        }
        // a different file of the same name elsewhere is not the same
        std::fs::write(dir.path().join("sub/a.fq"), "@r\nACGT\n+\nIIII\n").unwrap();
        std::fs::write(&sheet, "sample,fastq_1\nA,a.fq\nB,sub/a.fq\n").unwrap();
        assert_eq!(read_samplesheet(&sheet).unwrap().len(), 2);
    }

    /// The `protocol` and `adapter` cells are parsed as the sheet is read:
    /// typed values, or an error naming the line, column, value and sample.
    #[test]
    fn trimming_cells_are_parsed_with_the_sheet() {
        let (_dir, s) = sheet(
            "sample,fastq_1,protocol,adapter\nA,a.fq,QIAseq,\nB,b.fq,,acgu\nC,c.fq,auto,NONE\n",
        );
        let s = s.unwrap();
        let cells: Vec<_> = s.iter().map(|s| (s.protocol, s.adapter.clone())).collect();
        assert_eq!(
            cells,
            vec![
                (Some("qiaseq".parse().unwrap()), None),
                (None, Some("ACGT".parse().unwrap())),
                (Some(ProtocolChoice::Auto), Some(AdapterChoice::None)),
            ]
        );
        let (_dir, r) = sheet("sample,fastq_1,protocol\nA,a.fq,\nx,b.fq,smartseq\n");
        let e = r.unwrap_err();
        assert!(
            e.contains("line 3")
                && e.contains("column protocol")
                && e.contains("'smartseq'")
                && e.contains("sample x"),
            "{e}"
        );
        let (_dir, r) = sheet("sample,fastq_1,adapter\nx,a.fq,ACXT\n");
        let e = r.unwrap_err();
        assert!(
            e.contains("line 2") && e.contains("column adapter") && e.contains("ACGTUN"),
            "{e}"
        );
        // lanes alike once parsed: the same adapter, written otherwise
        let (_dir, s) = sheet("sample,fastq_1,adapter\nA,a1.fq,acgt\nA,a2.fq,ACGT\n");
        assert_eq!(s.unwrap()[0].files.len(), 2);
    }

    /// Non-UTF-8 file names would give lossy, colliding sample names: refused.
    #[test]
    fn non_utf8_file_names_are_refused() {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"bad\xff.fastq");
        let e = samples_from_paths(&[PathBuf::from(name)])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("not UTF-8") && e.contains("--samplesheet"),
            "{e}"
        );
    }
}

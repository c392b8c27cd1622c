//! Samples and their FASTQ files: from positional paths or an nf-core style
//! samplesheet (`sample,fastq_1`; rows with the same sample are lanes of it).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One sample: a name (a column of the count matrices) and its FASTQ files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Column name in the output tables.
    pub name: String,
    /// FASTQ files whose reads are pooled into this sample (lanes).
    pub files: Vec<PathBuf>,
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

/// One sample per file, in the given order. Two files with the same sample
/// name are an error (the columns would be ambiguous).
pub fn samples_from_paths(paths: &[PathBuf]) -> Result<Vec<Sample>> {
    let mut samples: Vec<Sample> = Vec::new();
    for path in paths {
        let name = sample_name_from_path(path);
        if let Some(prev) = samples.iter().find(|s| s.name == name) {
            return Err(Error::InvalidValue {
                what: "input files",
                value: path.display().to_string(),
                message: format!(
                    "sample name '{name}' is also that of {}; use --samplesheet to name samples or pool lanes",
                    prev.files[0].display()
                ),
            });
        }
        samples.push(Sample {
            name,
            files: vec![path.clone()],
        });
    }
    Ok(samples)
}

/// Reads an nf-core style samplesheet: a CSV header naming at least `sample`
/// and `fastq_1`; rows with the same sample are merged (lanes), samples keep
/// the order of their first row. Relative FASTQ paths are taken from the
/// working directory, or else from the samplesheet's directory.
pub fn read_samplesheet(path: &Path) -> Result<Vec<Sample>> {
    let text = std::fs::read_to_string(path).map_err(|err| Error::Io {
        path: path.to_path_buf(),
        err,
    })?;
    let err = |line: usize, message: String| Error::Samplesheet {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let (hline, header) = lines.next().ok_or_else(|| {
        err(
            1,
            "empty samplesheet: expected a header 'sample,fastq_1'".into(),
        )
    })?;
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    let col = |name: &str| columns.iter().position(|c| *c == name);
    let (Some(sample_col), Some(fq_col)) = (col("sample"), col("fastq_1")) else {
        return Err(err(
            hline,
            format!("header must name columns 'sample' and 'fastq_1', found '{header}'"),
        ));
    };
    let fq2_col = col("fastq_2");
    let base = path.parent().unwrap_or(Path::new("."));
    let mut samples: Vec<Sample> = Vec::new();
    for (lineno, line) in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != columns.len() {
            return Err(err(
                lineno,
                format!("{} fields, header has {}", fields.len(), columns.len()),
            ));
        }
        let name = fields[sample_col];
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(err(lineno, format!("invalid sample name '{name}'")));
        }
        if let Some(c) = fq2_col {
            if !fields[c].is_empty() {
                return Err(err(
                    lineno,
                    "fastq_2 is set: small-RNA reads are single-end, give only fastq_1".into(),
                ));
            }
        }
        let fq = fields[fq_col];
        if fq.is_empty() {
            return Err(err(lineno, "fastq_1 is empty".into()));
        }
        let mut file = PathBuf::from(fq);
        if file.is_relative() && !file.exists() && base.join(&file).exists() {
            file = base.join(&file);
        }
        match samples.iter_mut().find(|s| s.name == name) {
            Some(s) => s.files.push(file),
            None => samples.push(Sample {
                name: name.to_string(),
                files: vec![file],
            }),
        }
    }
    if samples.is_empty() {
        return Err(err(hline, "samplesheet lists no sample".into()));
    }
    Ok(samples)
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
}

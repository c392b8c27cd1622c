//! Bad input: each case exits non-zero, names the file, record/line or value
//! at fault, and leaves no mature_counts.tsv behind.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn outdir(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// Runs `mirq quant` on the tiny reference with `extra` arguments;
    /// returns stderr after checking the failure and the absent table.
    fn fails(&self, extra: &[&std::ffi::OsStr]) -> String {
        let out = common::mirq()
            .args(["quant", "-q", "--species", "tst", "--mature"])
            .arg(common::test_data("tiny/mature.fa"))
            .arg("-o")
            .arg(self.outdir())
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "expected failure, stderr:\n{stderr}");
        assert!(
            !self.outdir().join("mature_counts.tsv").exists(),
            "a failed run left mature_counts.tsv"
        );
        stderr
    }
}

fn os(p: &Path) -> &std::ffi::OsStr {
    p.as_os_str()
}

fn fastq_body(records: usize) -> Vec<u8> {
    let mut body = Vec::new();
    for i in 0..records {
        body.extend_from_slice(
            format!("@r{i}\nTAGCAGCACGTAAATATTGGCGTGGAATTCTCGGG\n+\nIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII\n").as_bytes(),
        );
    }
    body
}

#[test]
fn truncated_gzip_names_the_file() {
    let c = Case::new();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&fastq_body(20_000)).unwrap();
    let gz = enc.finish().unwrap();
    let f = c.file("cut.fastq.gz", &gz[..gz.len() / 2]);
    let err = c.fails(&[os(&f)]);
    assert!(err.contains("cut.fastq.gz"), "{err}");
    assert!(
        err.contains("truncated") || err.contains("corrupt"),
        "{err}"
    );
}

#[test]
fn bzip2_and_xz_input_are_refused_by_name() {
    let c = Case::new();
    for (name, head) in [
        ("reads.fastq.bz2", &b"BZh91AY&SY\x00\x01"[..]),
        ("reads.fastq.xz", &b"\xfd7zXZ\x00\x00"[..]),
    ] {
        let f = c.file(name, head);
        let err = c.fails(&[os(&f)]);
        assert!(err.contains(name), "{err}");
        assert!(err.contains("not supported"), "{err}");
    }
}

#[test]
fn missing_plus_line_names_file_and_line() {
    let c = Case::new();
    let mut body = fastq_body(3);
    body.extend_from_slice(b"@bad\nACGTACGTACGTACGTACGT\nIIIIIIIIIIIIIIIIIIII\n");
    let f = c.file("noplus.fastq", &body);
    let err = c.fails(&[os(&f)]);
    assert!(err.contains("noplus.fastq"), "{err}");
    assert!(err.contains("line 15"), "{err}");
    assert!(err.contains("'+'"), "{err}");
}

#[test]
fn short_quality_line_names_file_and_record() {
    let c = Case::new();
    let mut body = fastq_body(2);
    body.extend_from_slice(b"@shortqual\nACGTACGTACGTACGTACGT\n+\nIIIIIIIIII\n");
    let f = c.file("shortq.fastq", &body);
    let err = c.fails(&[os(&f)]);
    assert!(err.contains("shortq.fastq"), "{err}");
    assert!(err.contains("shortqual"), "{err}");
    assert!(err.contains("quality length"), "{err}");
}

#[test]
fn missing_file_is_named() {
    let c = Case::new();
    let missing = c.dir.path().join("nope.fastq.gz");
    let err = c.fails(&[os(&missing)]);
    assert!(err.contains("nope.fastq.gz"), "{err}");
}

#[test]
fn unknown_species_lists_codes_that_exist() {
    let c = Case::new();
    let f = c.file("ok.fastq", &fastq_body(2));
    let out = common::mirq()
        .args(["quant", "-q", "--species", "zzz", "--mature"])
        .arg(common::test_data("tiny/mature.fa"))
        .arg("-o")
        .arg(c.outdir())
        .arg(&f)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("'zzz'") && err.contains("tst") && err.contains("oth"),
        "{err}"
    );
    assert!(err.contains("mature.fa"), "{err}");
    assert!(!c.outdir().join("mature_counts.tsv").exists());
}

#[test]
fn unknown_protocol_names_the_value() {
    let c = Case::new();
    let f = c.file("ok.fastq", &fastq_body(2));
    let err = c.fails(&[os(&f), "--protocol".as_ref(), "smartseq".as_ref()]);
    assert!(err.contains("smartseq"), "{err}");
    assert!(err.contains("illumina"), "{err}");
}

#[test]
fn missing_reference_is_named() {
    let c = Case::new();
    let f = c.file("ok.fastq", &fastq_body(2));
    let out = common::mirq()
        .args([
            "quant",
            "-q",
            "--species",
            "tst",
            "--mature",
            "no_such_mature.fa",
            "-o",
        ])
        .arg(c.outdir())
        .arg(&f)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("no_such_mature.fa"), "{err}");
}

#[test]
fn bad_file_among_good_ones_leaves_no_tables() {
    let c = Case::new();
    let good = c.file("good.fastq", &fastq_body(5));
    let bad = c.file("bad.fastq", b"@r1\nACGT\n+\nII\n");
    let err = c.fails(&[os(&good), os(&bad)]);
    assert!(err.contains("bad.fastq"), "{err}");
    let leftovers: Vec<_> = std::fs::read_dir(c.outdir())
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "output dir not empty: {leftovers:?}");
}

#[test]
fn empty_fastq_gives_a_column_of_zeros() {
    let c = Case::new();
    let f = c.file("empty.fastq.gz", b"");
    let out = c.outdir();
    common::run_ok(
        common::mirq()
            .args(["quant", "-q", "--species", "tst", "--mature"])
            .arg(common::test_data("tiny/mature.fa"))
            .arg("-o")
            .arg(&out)
            .arg(&f),
    );
    let (header, rows) = common::read_table(&out.join("mature_counts.tsv"));
    assert_eq!(header, vec!["mirna", "empty"]);
    assert_eq!(rows.len(), 6);
    assert!(rows.values().all(|v| v == &vec![0.0]));
}

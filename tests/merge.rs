//! Scatter/gather: per-sample `mirq quant` runs merged with `mirq merge`
//! give byte-identical outputs to one joint run; mismatched runs are refused.

mod common;

use std::path::{Path, PathBuf};

const RUNS: [&str; 3] = [
    "compsra_sample01.fastq.gz",
    "compsra_sample02.fastq.gz",
    "compsra_sample03.fastq.gz",
];

fn quant(shared: &Path, fastqs: &[&str], out: &Path, extra: &[&str]) {
    let hairpin = Some("hairpin_hsa.fa");
    common::Quant::mirbase(shared, "hsa", "mature_nfcore_test.fa", hairpin, out)
        .args(["--protocol", "nextflex"])
        .args(extra)
        .args(fastqs.iter().map(|f| shared.join("data/fastq").join(f)))
        .run_ok();
}

fn merge(dirs: &[&Path], out: &Path) -> std::process::Output {
    common::mirq()
        .args(["merge", "-q"])
        .args(dirs)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap()
}

/// Every output but stats.json and report.html (whose timings and engine
/// differ), byte for byte.
fn assert_same_outputs(a: &Path, b: &Path) {
    let mut files = vec![
        "mature_counts.tsv".to_string(),
        "mature_counts_int.tsv".into(),
        "mature_counts_unique.tsv".into(),
        "mature_rpm.tsv".into(),
        "hairpin_counts.tsv".into(),
        "inserts.tsv.gz".into(),
        "isomirs.gff3".into(),
        "isomirs.tsv".into(),
    ];
    for r in RUNS {
        let name = r.trim_end_matches(".fastq.gz");
        files.push(format!("collapsed/{name}.fa"));
        files.push(format!("qc/{name}.length.tsv"));
    }
    for f in files {
        let (x, y) = (std::fs::read(a.join(&f)), std::fs::read(b.join(&f)));
        let (x, y) = (
            x.unwrap_or_else(|e| panic!("{}: {e}", a.join(&f).display())),
            y.unwrap_or_else(|e| panic!("{}: {e}", b.join(&f).display())),
        );
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
    let (sa, sb) = (common::stats(a), common::stats(b));
    assert_eq!(sa["samples"], sb["samples"]);
    assert_eq!(sa["settings"], sb["settings"]);
    assert_eq!(sa["unique_inserts"], sb["unique_inserts"]);
}

fn scatter_gather(extra: &[&str]) {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let joint = dir.path().join("joint");
    quant(&shared, &RUNS, &joint, extra);
    let singles: Vec<PathBuf> = RUNS
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let out = dir.path().join(format!("s{i}"));
            quant(&shared, &[r], &out, extra);
            out
        })
        .collect();
    let merged = dir.path().join("merged");
    let refs: Vec<&Path> = singles.iter().map(PathBuf::as_path).collect();
    let m = merge(&refs, &merged);
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    assert_same_outputs(&joint, &merged);
    // a merge aligns nothing: its align stage is 0 s and has no rate
    let ms = common::stats(&merged);
    assert_eq!(ms["timings"]["align"], 0.0);
    assert!(ms["timings"]["read_trim_collapse"].as_f64() >= Some(0.0));
    assert!(ms["align_inserts_per_second"].is_null());
    // a merge of merges is the same too
    let first_two = dir.path().join("first_two");
    assert!(merge(&refs[..2], &first_two).status.success());
    let again = dir.path().join("again");
    assert!(merge(&[&first_two, refs[2]], &again).status.success());
    assert_same_outputs(&joint, &again);
}

#[test]
fn per_sample_runs_merge_into_the_joint_run() {
    scatter_gather(&[]);
}

#[test]
fn per_sample_runs_merge_into_the_joint_run_with_dedup() {
    scatter_gather(&["--dedup"]);
}

#[test]
fn mismatched_runs_are_refused() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    quant(&shared, &RUNS[..1], &a, &[]);
    let refused = |dirs: &[&Path], needle: &str| {
        let out = dir.path().join("out");
        let m = merge(dirs, &out);
        let err = String::from_utf8_lossy(&m.stderr);
        assert_eq!(m.status.code(), Some(1), "{err}");
        assert!(err.contains(needle), "expected '{needle}' in: {err}");
        assert!(!out.join("mature_counts.tsv").exists());
    };
    let other_settings = dir.path().join("b");
    quant(
        &shared,
        &RUNS[1..2],
        &other_settings,
        &["--mismatches", "0"],
    );
    refused(&[&a, &other_settings], "mismatches");
    let other_reference = dir.path().join("c");
    let mut cmd = common::mirq();
    cmd.args(["quant", "-q", "--species", "hsa", "--protocol", "nextflex"])
        .arg("--mature")
        .arg(shared.join("data/mirbase/mature_nfcore_test.fa"))
        .arg("-o")
        .arg(&other_reference)
        .arg(shared.join("data/fastq").join(RUNS[1]));
    common::run_ok(&mut cmd);
    refused(&[&a, &other_reference], "another reference");
    refused(&[&a, &a], "more than one directory");
    // a truncated inserts file is named, with its line
    let cut = dir.path().join("cut");
    quant(&shared, &RUNS[2..3], &cut, &[]);
    let file = cut.join("inserts.tsv.gz");
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    refused(&[&a, &cut], "inserts.tsv.gz");
    refused(
        &[&a, dir.path()],
        "not a finished mirq quant output directory",
    );
    // the same sequences from another file are fine (all species, hsa kept)
    let out = dir.path().join("same");
    let m = common::mirq()
        .args(["merge", "-q"])
        .arg(&a)
        .arg("--mature")
        .arg(shared.join("data/mirbase/mature_v21.fa.gz"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    // a reference that is not the one the run used
    let out = dir.path().join("out");
    let m = common::mirq()
        .args(["merge", "-q"])
        .arg(&a)
        .arg("--mature")
        .arg(shared.join("data/mirgenedb/mirgenedb_hsa_mature.fa"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(m.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&m.stderr).contains("fingerprint"));
}

/// Runs trimmed differently (trimming is per sample) merge: the merged
/// tables equal a joint `--protocol auto` run's, every sample keeps its own
/// trimming and the settings say `per-sample`.
#[test]
fn differently_trimmed_runs_merge() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let fastq = |run: &str| shared.join(format!("data/fastq/{run}.fastq.gz"));
    let hairpin = Some("hairpin_hsa.fa");
    let quant = |out: &Path, args: &[&str], runs: &[&str]| {
        common::Quant::mirbase(&shared, "hsa", "mature_nfcore_test.fa", hairpin, out)
            .args(args)
            .args(runs.iter().map(|r| fastq(r)))
            .run_ok();
    };
    let (truseq, v15) = (dir.path().join("truseq"), dir.path().join("v15"));
    quant(&truseq, &["--protocol", "illumina"], &["mirtrace_sample1"]);
    quant(
        &v15,
        &["--adapter", "ATCTCGTATGCCGTCTTCTGCTTG"],
        &["mirtrace_sample3"],
    );
    let joint = dir.path().join("joint");
    quant(
        &joint,
        &["--protocol", "auto"],
        &["mirtrace_sample1", "mirtrace_sample3"],
    );
    let merged = dir.path().join("merged");
    let m = merge(&[&truseq, &v15], &merged);
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    for table in ["mature_counts.tsv", "hairpin_counts.tsv", "isomirs.gff3"] {
        assert!(
            std::fs::read(merged.join(table)).unwrap() == std::fs::read(joint.join(table)).unwrap(),
            "{table} differs from the joint auto run's"
        );
    }
    let stats = common::stats(&merged);
    assert_eq!(stats["settings"]["protocol"], "per-sample");
    let adapters: Vec<&str> = stats["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["trimming"]["adapter"].as_str().unwrap())
        .collect();
    assert_eq!(
        adapters,
        ["TGGAATTCTCGGGTGCCAAGG", "ATCTCGTATGCCGTCTTCTGCTTG"]
    );
}

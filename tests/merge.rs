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
    merge_with(dirs, out, &[])
}

fn merge_with(dirs: &[&Path], out: &Path, extra: &[&str]) -> std::process::Output {
    common::mirq()
        .args(["merge", "-q"])
        .args(dirs)
        .args(extra)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap()
}

/// `--ncrna FILE` for each class file of the human ncRNA set (not the
/// directory: it also holds a tRNA set kept for comparisons).
fn ncrna_args(shared: &Path) -> Vec<std::ffi::OsString> {
    common::ncrna_args(shared, "hsa")
}

/// Every output but stats.json and report.html (whose timings and engine
/// differ), byte for byte, the MultiQC files included; the ncRNA tables too
/// when `a` has them.
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
    if a.join("ncrna_counts.tsv").exists() {
        files.push("ncrna_counts.tsv".into());
        files.push("ncrna_features.tsv".into());
    }
    // the MultiQC files, the isomiR classes and top miRNAs among them
    let multiqc = common::files_under(&a.join("multiqc"));
    for f in ["mirq_isomirs_mqc.json", "mirq_top_mirnas_mqc.json"] {
        assert!(multiqc.iter().any(|m| m == f), "no multiqc/{f}");
    }
    files.extend(multiqc.into_iter().map(|f| format!("multiqc/{f}")));
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

/// Quantifies [`RUNS`] jointly and one by one with `extra` arguments,
/// merges the single runs (and a merge with the last run) and checks they
/// match the joint run; the temporary folder, the single runs' directories
/// and the merged one.
fn scatter_gather(extra: &[&str]) -> Option<(tempfile::TempDir, Vec<PathBuf>, PathBuf)> {
    let shared = common::shared()?;
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
    Some((dir, singles, merged))
}

#[test]
fn per_sample_runs_merge_into_the_joint_run() {
    scatter_gather(&[]);
}

#[test]
fn per_sample_runs_merge_into_the_joint_run_with_dedup() {
    scatter_gather(&["--dedup"]);
}

/// Runs with `--ncrna` merge into the joint run: the ncRNA tables, the
/// count tables and the samples' ncRNA, unassigned and composition figures.
#[test]
fn per_sample_ncrna_runs_merge_into_the_joint_run() {
    let Some(shared) = common::shared() else {
        return;
    };
    let ncrna: Vec<String> = ncrna_args(&shared)
        .into_iter()
        .map(|a| a.into_string().expect("UTF-8 path"))
        .collect();
    let args: Vec<&str> = ncrna.iter().map(String::as_str).collect();
    let (dir, singles, merged) = scatter_gather(&args).unwrap();
    let (_, rows) = common::read_table(&merged.join("ncrna_counts.tsv"));
    assert!(
        rows["tRNA"].iter().all(|&n| n > 0.0),
        "tRNA reads in every sample: {:?}",
        rows["tRNA"]
    );
    let stats = common::stats(&merged);
    for s in stats["samples"].as_array().unwrap() {
        assert!(
            s["ncrna"]["classes"].is_array(),
            "{}: no ncrna",
            s["sample"]
        );
        assert_eq!(s["qc"]["composition"]["ncrna"][0]["class"], "tRNA");
    }
    assert!(stats["settings"]["ncrna"]["fingerprint"].is_string());
    // the same files given again merge; another ncRNA reference is refused
    let again = dir.path().join("given");
    let m = merge_with(&[&singles[0]], &again, &args);
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    let trna = shared.join("data/ncrna/hsa/tRNA.fa");
    let trna = ["--ncrna", trna.to_str().unwrap()];
    let m = merge_with(&[&singles[0]], &dir.path().join("other"), &trna);
    assert_eq!(m.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&m.stderr).contains("fingerprint"));
    // a run without --ncrna does not merge with one with it, either way
    let plain = dir.path().join("plain");
    quant(&shared, &RUNS[2..], &plain, &[]);
    for dirs in [[&singles[0], &plain], [&plain, &singles[0]]] {
        let m = merge(&[dirs[0], dirs[1]], &dir.path().join("mixed"));
        let err = String::from_utf8_lossy(&m.stderr);
        assert_eq!(m.status.code(), Some(1), "{err}");
        assert!(err.contains("ncrna"), "{err}");
    }
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
    // (a folder beside the outdir: one holding it is refused as an input)
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    refused(&[&a, &empty], "not a finished mirq quant output directory");
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
        &[
            "--protocol",
            "illumina",
            "--adapter",
            "ATCTCGTATGCCGTCTTCTGCTTG",
        ],
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

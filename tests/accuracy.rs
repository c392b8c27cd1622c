//! Accuracy against simulated truth: ../shared/tools/simulate_smallrna.py
//! makes human runs with a known origin for every read, score_counts.py
//! scores mirq's mature_counts.tsv. Bar: l1_error <= 0.02, recovered >= 0.98,
//! in mature-only mode and with hairpins (the simulator's precursors, and the
//! real miRBase human hairpins).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

struct Score {
    l1_error: f64,
    recovered: f64,
}

fn simulate(
    shared: &Path,
    dir: &Path,
    seed: u64,
    hairpin: Option<&Path>,
) -> (PathBuf, PathBuf, PathBuf) {
    let prefix = dir.join(format!("sim{seed}"));
    let written = dir.join(format!("sim{seed}.hairpins.fa"));
    let mut cmd = Command::new("python3");
    cmd.arg(shared.join("tools/simulate_smallrna.py"))
        .arg("--mature")
        .arg(shared.join("data/mirbase/mature_nfcore_test.fa"))
        .args([
            "--species",
            "hsa",
            "--reads",
            "100000",
            "--protocol",
            "illumina",
        ])
        .args(["--seed", &seed.to_string()])
        .arg("--write-hairpins")
        .arg(&written)
        .arg("--out")
        .arg(&prefix);
    if let Some(h) = hairpin {
        cmd.arg("--hairpin").arg(h);
    }
    common::run_ok(&mut cmd);
    (
        prefix.with_extension("fastq.gz"),
        prefix.with_extension("truth.tsv"),
        written,
    )
}

fn quantify_and_score(
    shared: &Path,
    fastq: &Path,
    truth: &Path,
    hairpin: Option<&Path>,
    out: &Path,
) -> Score {
    let mature = shared.join("data/mirbase/mature_nfcore_test.fa");
    let mut cmd = common::mirq();
    cmd.args(["quant", "-q", "-t", "2", "--species", "hsa", "--mature"])
        .arg(&mature)
        .arg("-o")
        .arg(out)
        .arg(fastq);
    if let Some(h) = hairpin {
        cmd.arg("--hairpin").arg(h);
    }
    common::run_ok(&mut cmd);
    let report = common::run_ok(
        Command::new("python3")
            .arg(shared.join("tools/score_counts.py"))
            .arg("--truth")
            .arg(truth)
            .arg("--mature")
            .arg(&mature)
            .args(["--species", "hsa", "--counts"])
            .arg(out.join("mature_counts.tsv")),
    );
    let last = report.lines().last().unwrap_or_default();
    let field = |key: &str| -> f64 {
        last.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key} in {report}"))
            .parse()
            .unwrap()
    };
    eprintln!("{}: {last}", out.display());
    Score {
        l1_error: field("l1_error"),
        recovered: field("recovered"),
    }
}

fn assert_bar(s: &Score, what: &str) {
    assert!(s.l1_error <= 0.02, "{what}: l1_error {} > 0.02", s.l1_error);
    assert!(
        s.recovered >= 0.98,
        "{what}: recovered {} < 0.98",
        s.recovered
    );
}

fn check_seed(seed: u64) {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (fastq, truth, precursors) = simulate(&shared, dir.path(), seed, None);
    let s = quantify_and_score(
        &shared,
        &fastq,
        &truth,
        None,
        &dir.path().join("mature_only"),
    );
    assert_bar(&s, &format!("seed {seed} mature-only"));
    let s = quantify_and_score(
        &shared,
        &fastq,
        &truth,
        Some(&precursors),
        &dir.path().join("hairpin"),
    );
    assert_bar(&s, &format!("seed {seed} with hairpins"));
}

#[test]
fn simulated_run_seed_11_meets_the_accuracy_bar() {
    check_seed(11);
}

#[test]
fn simulated_run_seed_23_meets_the_accuracy_bar() {
    check_seed(23);
}

#[test]
fn simulated_run_seed_47_meets_the_accuracy_bar() {
    check_seed(47);
}

#[test]
fn simulated_run_on_real_mirbase_hairpins_meets_the_accuracy_bar() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let hairpins = shared.join("data/mirbase/hairpin_hsa.fa");
    let (fastq, truth, _) = simulate(&shared, dir.path(), 5, Some(&hairpins));
    let s = quantify_and_score(
        &shared,
        &fastq,
        &truth,
        Some(&hairpins),
        &dir.path().join("hairpin"),
    );
    assert_bar(&s, "real hsa hairpins");
    let s = quantify_and_score(
        &shared,
        &fastq,
        &truth,
        None,
        &dir.path().join("mature_only"),
    );
    assert_bar(&s, "real hsa hairpins, quantified mature-only");
}

//! UMI deduplication (`--dedup`): simulated QIAseq runs with PCR duplicates
//! scored against the number of true molecules, the real QIAseq run, and the
//! errors a wrong setup gets.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// A simulated mouse QIAseq run with PCR duplicates (mean 3 extra copies
/// per molecule), with the simulator's precursors written for --hairpin.
fn simulate_qiaseq(shared: &Path, dir: &Path, seed: u64, reads: u64) -> (PathBuf, PathBuf) {
    let prefix = dir.join(format!("qiaseq{seed}"));
    common::run_ok(
        Command::new("python3")
            .arg(shared.join("tools/simulate_smallrna.py"))
            .arg("--mature")
            .arg(shared.join("data/mirbase/mature_v21.fa.gz"))
            .arg("--hairpin")
            .arg(shared.join("data/mirbase/hairpin_v21.fa"))
            .args([
                "--species",
                "mmu",
                "--protocol",
                "qiaseq",
                "--pcr-copies",
                "3",
            ])
            .args(["--reads", &reads.to_string(), "--seed", &seed.to_string()])
            .arg("--out")
            .arg(&prefix),
    );
    (
        prefix.with_extension("fastq.gz"),
        prefix.with_extension("truth.tsv"),
    )
}

fn quant(shared: &Path, fastq: &Path, out: &Path, extra: &[&str]) {
    let hairpin = Some("hairpin_v21.fa");
    common::Quant::mirbase(shared, "mmu", "mature_v21.fa.gz", hairpin, out)
        .args(["-t", "2", "--engine", "cpu"])
        .args(extra)
        .arg(fastq)
        .run_ok();
}

#[test]
fn dedup_counts_molecules_on_simulated_qiaseq() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (fastq, truth) = simulate_qiaseq(&shared, dir.path(), 7, 80_000);
    let mature = shared.join("data/mirbase/mature_v21.fa.gz");
    let (dedup, reads) = (dir.path().join("dedup"), dir.path().join("reads"));
    quant(
        &shared,
        &fastq,
        &dedup,
        &["--protocol", "qiaseq", "--dedup"],
    );
    quant(&shared, &fastq, &reads, &["--protocol", "qiaseq"]);
    let score = |out: &Path| {
        common::score_counts(
            &shared,
            &truth,
            &mature,
            "mmu",
            &out.join("mature_counts.tsv"),
            true,
        )
    };
    let (d, r) = (score(&dedup), score(&reads));
    assert!(d.l1_error <= 0.03, "deduplicated l1_error {}", d.l1_error);
    assert!(
        d.recovered >= 0.97,
        "deduplicated recovered {}",
        d.recovered
    );
    // reads overcount molecules about fourfold
    assert!(r.l1_error >= 1.0, "read counts l1_error {}", r.l1_error);

    let stats = common::stats(&dedup);
    assert_eq!(stats["settings"]["counting"], "molecules");
    assert_eq!(stats["settings"]["umi"], "adapter+12");
    let s = &stats["samples"][0];
    let molecules = s["molecules"]["total"].as_u64().unwrap();
    let inserts = s["inserts"].as_u64().unwrap();
    assert!(
        molecules * 3 < inserts && molecules > inserts / 8,
        "{molecules} molecules of {inserts} reads"
    );
    let classified = |of: &serde_json::Value| {
        ["assigned_mature", "hairpin_only", "unassigned"]
            .iter()
            .map(|k| of[k].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(classified(&s["molecules"]), molecules);
    assert_eq!(classified(s), inserts);
    assert!(common::stats(&reads)["samples"][0]["molecules"].is_null());
}

#[test]
fn real_qiaseq_run_deduplicates() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let fastq = shared.join("data/fastq/mirtrace_qiaseq.fastq.gz");
    let (dedup, reads) = (dir.path().join("dedup"), dir.path().join("reads"));
    quant(
        &shared,
        &fastq,
        &dedup,
        &["--protocol", "qiaseq", "--dedup"],
    );
    quant(&shared, &fastq, &reads, &["--protocol", "qiaseq"]);
    let s = &common::stats(&dedup)["samples"][0];
    let (molecules, inserts) = (
        s["molecules"]["total"].as_u64().unwrap(),
        s["inserts"].as_u64().unwrap(),
    );
    assert!(
        molecules > 0 && molecules <= inserts,
        "{molecules} of {inserts}"
    );
    let (_, d) = common::read_table(&dedup.join("mature_counts.tsv"));
    let (_, r) = common::read_table(&reads.join("mature_counts.tsv"));
    for (name, v) in &d {
        assert!(
            v[0] <= r[name][0] + 1e-9,
            "{name}: {} molecules > {} reads",
            v[0],
            r[name][0]
        );
    }
    let top = d.values().map(|v| v[0]).fold(0.0, f64::max);
    assert!(top >= 100.0, "most abundant miRNA has {top} molecules");
    // --protocol auto finds QIAseq and its UMI
    let auto = dir.path().join("auto");
    quant(&shared, &fastq, &auto, &["--protocol", "auto", "--dedup"]);
    for f in ["mature_counts.tsv", "hairpin_counts.tsv", "inserts.tsv.gz"] {
        assert!(
            std::fs::read(auto.join(f)).unwrap() == std::fs::read(dedup.join(f)).unwrap(),
            "{f}: --protocol auto --dedup differs from --protocol qiaseq --dedup"
        );
    }
    assert_eq!(common::stats(&auto)["settings"]["umi"], "adapter+12");
}

#[test]
fn dedup_without_a_umi_is_an_error() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = common::mirq()
        .args([
            "quant",
            "--species",
            "hsa",
            "--dedup",
            "--protocol",
            "illumina",
        ])
        .arg("--mature")
        .arg(shared.join("data/mirbase/mature_nfcore_test.fa"))
        .arg("-o")
        .arg(&out)
        .arg(shared.join("data/fastq/mirtrace_sample1.fastq.gz"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("--umi") && err.contains("illumina"), "{err}");
    assert!(!out.join("mature_counts.tsv").exists());

    let run = common::mirq()
        .args(["quant", "--species", "hsa", "--dedup", "--umi", "5p:40x"])
        .arg("--mature")
        .arg(shared.join("data/mirbase/mature_nfcore_test.fa"))
        .arg("-o")
        .arg(&out)
        .arg(shared.join("data/fastq/mirtrace_sample1.fastq.gz"))
        .output()
        .unwrap();
    assert_ne!(run.status.code(), Some(0));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("5p:40x"), "{err}");
}

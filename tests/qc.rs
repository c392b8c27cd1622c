//! Per-sample QC in stats.json and qc/<sample>.length.tsv: composition
//! against the simulator's truth, the length histogram's bookkeeping,
//! verdicts on real runs, and the fixed-cut options.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

fn fraction(c: &serde_json::Value, key: &str) -> f64 {
    c[key].as_f64().unwrap_or_else(|| panic!("no {key} in {c}"))
}

#[test]
fn composition_matches_the_simulated_origins() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("sim");
    let hairpins = dir.path().join("hairpins.fa");
    let mature = shared.join("data/mirbase/mature_nfcore_test.fa");
    common::run_ok(
        Command::new("python3")
            .arg(shared.join("tools/simulate_smallrna.py"))
            .arg("--mature")
            .arg(&mature)
            .args(["--species", "hsa", "--reads", "100000", "--seed", "3"])
            .arg("--write-hairpins")
            .arg(&hairpins)
            .arg("--out")
            .arg(&prefix),
    );
    let out = dir.path().join("out");
    common::Quant::new("hsa", &mature, &out)
        .args(["--engine", "cpu", "--hairpin"])
        .arg(&hairpins)
        .arg(prefix.with_extension("fastq.gz"))
        .run_ok();
    // truth: origin of every read, and where a miRNA read's insert is
    // shorter than the length filter, "short" by length
    let truth = std::fs::read_to_string(prefix.with_extension("truth.tsv")).unwrap();
    let (mut by_origin, mut by_outcome) = (HashMap::new(), HashMap::new());
    let mut total = 0.0;
    for line in truth.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let (origin, insert) = (f[1], f[5]);
        *by_origin.entry(origin).or_insert(0.0) += 1.0;
        let outcome = if origin == "mirna" && insert.len() < 16 {
            "short"
        } else {
            origin
        };
        *by_outcome.entry(outcome).or_insert(0.0) += 1.0;
        total += 1.0;
    }
    let stats = common::stats(&out);
    let c = &stats["samples"][0]["qc"]["composition"];
    let pairs = [
        ("mirna", fraction(c, "mature_mirna")),
        ("loop", fraction(c, "hairpin_only")),
        ("other", fraction(c, "unassigned")),
        ("dimer", fraction(c, "adapter_dimer")),
        ("short", fraction(c, "too_short")),
        ("long", fraction(c, "no_adapter") + fraction(c, "too_long")),
    ];
    let sum: f64 = [
        "mature_mirna",
        "hairpin_only",
        "unassigned",
        "adapter_dimer",
    ]
    .iter()
    .chain(&["too_short", "too_long", "no_adapter", "umi_missing"])
    .map(|k| fraction(c, k))
    .sum();
    assert!((sum - 1.0).abs() < 1e-9, "composition sums to {sum}");
    for (origin, got) in pairs {
        let plain = by_origin.get(origin).copied().unwrap_or(0.0) / total;
        let exact = by_outcome.get(origin).copied().unwrap_or(0.0) / total;
        eprintln!("{origin}: mirq {got:.4}, truth {plain:.4} (by length {exact:.4})");
        assert!(
            (got - plain).abs() <= 0.01,
            "{origin}: {got} vs truth {plain}"
        );
        assert!((got - exact).abs() <= 0.005, "{origin}: {got} vs {exact}");
    }
}

fn length_table(path: &Path) -> Vec<(usize, u64)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("length\treads"));
    lines
        .map(|l| {
            let (a, b) = l.split_once('\t').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect()
}

#[test]
fn lengths_and_verdicts_on_real_runs() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    common::Quant::mirbase(&shared, "hsa", "mature_nfcore_test.fa", None, &out)
        .args([
            "--protocol",
            "illumina",
            "--adapter",
            "TCGTATGCCGTCTTCTGCTTG",
        ])
        .arg(shared.join("data/fastq/excerpt_testdata_human.fastq.gz"))
        .arg(shared.join("data/fastq/mirtrace_sample1.fastq.gz"))
        .run_ok();
    let stats = common::stats(&out);
    for s in stats["samples"].as_array().unwrap() {
        let name = s["sample"].as_str().unwrap();
        let lengths = length_table(&out.join(format!("qc/{name}.length.tsv")));
        let total: u64 = lengths.iter().map(|&(_, n)| n).sum();
        // every read with an adapter has an insert length
        assert_eq!(total, s["adapter_found"].as_u64().unwrap(), "{name}");
        assert_eq!(
            lengths[0].1,
            s["adapter_dimers"].as_u64().unwrap(),
            "{name}"
        );
        let q = s["qc"]["mean_quality"].as_f64().unwrap();
        assert!((2.0..=42.0).contains(&q), "{name}: mean quality {q}");
        assert!(!s["qc"]["reasons"].as_array().unwrap().is_empty());
    }
    // exceRpt's test run is mostly dimers and other RNA: it fails, and says why
    let excerpt = &stats["samples"][0];
    assert_eq!(excerpt["qc"]["verdict"], "FAIL");
    let why = excerpt["qc"]["reasons"].to_string();
    assert!(why.contains("reads assigned to mature miRNAs"), "{why}");
    // miRTrace's sample 1 has the TruSeq adapter, not this one: flagged
    let other = &stats["samples"][1];
    assert_eq!(other["qc"]["verdict"], "FAIL");
    assert!(other["qc"]["reasons"].to_string().contains("wrong adapter"));
}

#[test]
fn fixed_cuts_equal_the_nextflex_preset() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, args: &[&str]| {
        let out = dir.path().join(name);
        common::Quant::mirbase(&shared, "hsa", "mature_nfcore_test.fa", None, &out)
            .args(args)
            .arg(shared.join("data/fastq/compsra_sample07.fastq.gz"))
            .run_ok();
        std::fs::read(out.join("mature_counts.tsv")).unwrap()
    };
    let preset = run("preset", &["--protocol", "nextflex"]);
    let cuts = run(
        "cuts",
        &["--protocol", "illumina", "--trim-5p", "4", "--trim-3p", "4"],
    );
    let plain = run("plain", &["--protocol", "illumina"]);
    assert_eq!(preset, cuts);
    assert_ne!(preset, plain);
    // a quality cutoff is applied (these reads have low-quality tails)
    let q = run("q", &["--protocol", "nextflex", "--quality-cutoff", "30"]);
    assert_ne!(q, preset);
}

//! `mirq quant --engine gpu` and `--engine cpu` give byte-identical outputs
//! (every file but stats.json: counts, RPM, isomiRs, per-insert
//! assignments, QC) on the demo, on simulated
//! runs (the demo reference at 0, 1 and 2 mismatches; miRBase's human
//! hairpins with long inserts at 2 mismatches) and on real runs; without an
//! adapter, `auto` falls back to the CPU and says so, and `gpu` fails
//! clearly. Runs on lavapipe in CI.

mod common;

use std::path::{Path, PathBuf};

/// Whether `mirq devices` sees an adapter (asked in a child process, so
/// that this test process never loads a GPU driver).
fn gpu_available() -> bool {
    let out = common::run_ok(common::mirq().arg("devices"));
    let ok = !out.contains("no GPU adapter");
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have a wgpu adapter (lavapipe)"
        );
        eprintln!("skipping: no GPU adapter");
    }
    ok
}

/// Runs quant with each engine and compares every table byte for byte;
/// `env` sets (engine, variable) pairs for one engine's run.
fn same_tables(name: &str, args: &[&std::ffi::OsStr], env: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let run = |engine: &str| -> PathBuf {
        let out = dir.path().join(engine);
        let mut cmd = common::mirq();
        for (_, var) in env.iter().filter(|(e, _)| *e == engine) {
            cmd.env(var, "1");
        }
        common::run_ok(
            cmd.args(["quant", "-q", "-t", "2", "--engine", engine])
                .args(args)
                .arg("-o")
                .arg(&out),
        );
        out
    };
    let (cpu, gpu) = (run("cpu"), run("gpu"));
    // every output file but stats.json (engine, adapter, timings), byte for
    // byte: tables, isomiRs, per-insert assignments, QC, MultiQC, collapsed
    let (files, other) = (output_files(&cpu), output_files(&gpu));
    assert_eq!(files, other, "{name}: the engines wrote different files");
    let ncrna = args.iter().any(|a| *a == "--ncrna");
    for f in ["ncrna_counts.tsv", "ncrna_features.tsv"] {
        assert_eq!(files.iter().any(|p| p == f), ncrna, "{name}: {f}");
    }
    let screen = args.iter().any(|a| *a == "--screen");
    assert_eq!(
        files.iter().any(|p| p == "screen_counts.tsv"),
        screen,
        "{name}: screen_counts.tsv"
    );
    for f in [
        "mature_counts.tsv",
        "mature_counts_unique.tsv",
        "mature_rpm.tsv",
        "hairpin_counts.tsv",
    ] {
        assert!(files.iter().any(|p| p == f), "{name}: no {f}");
    }
    for f in &files {
        let (a, b) = (
            std::fs::read(cpu.join(f)).unwrap(),
            std::fs::read(gpu.join(f)).unwrap(),
        );
        assert!(a == b, "{name}: {f} differs between engines");
    }
    assert_eq!(common::stats(&gpu)["engine"], "gpu");
    let adapter = &common::stats(&gpu)["gpu_adapter"];
    assert!(adapter["name"].is_string());
    let field = |k: &str| adapter[k].as_str().unwrap_or("?").to_string();
    eprintln!(
        "{name}: identical; GPU engine on {} ({}, {})",
        field("name"),
        field("backend"),
        field("device_type")
    );
    assert_eq!(common::stats(&cpu)["engine"], "cpu");
}

/// Files under an output directory (relative, sorted), stats.json and
/// report.html left out.
fn output_files(dir: &Path) -> Vec<String> {
    let mut out = common::files_under(dir);
    // stats.json and report.html name the engine and the timings, mirq.log
    // the command line and times
    out.retain(|p| !["stats.json", "report.html", "mirq.log"].contains(&p.as_str()));
    out
}

fn os(p: &Path) -> &std::ffi::OsStr {
    p.as_os_str()
}

#[test]
fn demo_run_is_identical_on_both_engines() {
    if !gpu_available() {
        return;
    }
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    let (m, h) = (
        demo.join("reference/mature.fa"),
        demo.join("reference/hairpin.fa"),
    );
    let (a, b) = (
        demo.join("reads/plasma_A.fastq.gz"),
        demo.join("reads/plasma_B.fastq.gz"),
    );
    same_tables(
        "demo",
        &[
            os(&a),
            os(&b),
            "--species".as_ref(),
            "hsa".as_ref(),
            "--mature".as_ref(),
            os(&m),
            "--hairpin".as_ref(),
            os(&h),
        ],
        &[],
    );
}

#[test]
fn simulated_run_is_identical_on_both_engines() {
    let Some(shared) = common::shared() else {
        return;
    };
    if !gpu_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/reference");
    let (m, h) = (demo.join("mature.fa"), demo.join("hairpin.fa"));
    let fq = common::simulate(
        &shared,
        &m,
        &h,
        &["--reads", "20000", "--seed", "3", "--error-scale", "3"],
        &dir.path().join("sim"),
    );
    for mm in ["0", "1", "2"] {
        same_tables(
            &format!("simulated, --mismatches {mm}"),
            &[
                os(&fq),
                "--species".as_ref(),
                "hsa".as_ref(),
                "--mature".as_ref(),
                os(&m),
                "--hairpin".as_ref(),
                os(&h),
                "--mismatches".as_ref(),
                mm.as_ref(),
            ],
            &[],
        );
    }
}

/// miRBase's human matures and hairpins, 50,000 simulated 75-nt reads (long
/// fragments too: inserts up to 75 bases), three times the usual errors,
/// `--mismatches 2`.
#[test]
fn simulated_human_hairpin_run_at_two_mismatches_is_identical() {
    let Some(shared) = common::shared() else {
        return;
    };
    if !gpu_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mirbase = shared.join("data/mirbase");
    let (m, h) = (
        mirbase.join("mature_v21.fa.gz"),
        mirbase.join("hairpin_hsa.fa"),
    );
    let fq = common::simulate(
        &shared,
        &m,
        &h,
        &[
            "--reads",
            "50000",
            "--read-length",
            "75",
            "--seed",
            "11",
            "--error-scale",
            "3",
        ],
        &dir.path().join("sim"),
    );
    same_tables(
        "simulated human, hairpins, --mismatches 2",
        &[
            os(&fq),
            "--species".as_ref(),
            "hsa".as_ref(),
            "--mature".as_ref(),
            os(&m),
            "--hairpin".as_ref(),
            os(&h),
            "--mismatches".as_ref(),
            "2".as_ref(),
        ],
        &[],
    );
}

/// `--ncrna`: the ncRNA alignment (both strands, 1.3 MB of human ncRNAs)
/// gives the same class and feature tables, and takes the same reads from
/// the same miRNAs, on both engines.
#[test]
fn ncrna_run_is_identical_on_both_engines() {
    let Some(shared) = common::shared() else {
        return;
    };
    if !gpu_available() {
        return;
    }
    let d = |rel: &str| shared.join("data").join(rel);
    let mut args: Vec<std::ffi::OsString> = vec![
        d("fastq/mirtrace_sample1.fastq.gz").into(),
        d("fastq/compsra_sample01.fastq.gz").into(),
        "--protocol".into(),
        "auto".into(),
        "--max-length".into(),
        "60".into(),
        "--species".into(),
        "hsa".into(),
        "--mature".into(),
        d("mirbase/mature_v21.fa.gz").into(),
        "--hairpin".into(),
        d("mirbase/hairpin_hsa.fa").into(),
    ];
    for class in common::NCRNA_CLASSES {
        args.push("--ncrna".into());
        args.push(d(&format!("ncrna/hsa/{class}.fa")).into());
    }
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    // few inserts: both engines scan for them on the CPU ...
    same_tables("mirtrace_sample1 + compsra_sample01, --ncrna", &args, &[]);
    // ... unless told not to: the GPU's ncRNA index against the CPU's scan
    same_tables(
        "mirtrace_sample1 + compsra_sample01, --ncrna, GPU index",
        &args,
        &[("gpu", "MIRQ_NO_SCAN")],
    );
}

/// The origin cascade: artifacts, other species' miRNAs (all of miRBase
/// 21), clades, and two screen references (E. coli 536 and phage lambda,
/// with their decoys) screened by each engine: every table the same, byte
/// for byte.
#[test]
fn origin_run_with_screens_is_identical_on_both_engines() {
    let Some(shared) = common::shared() else {
        return;
    };
    if !gpu_available() {
        return;
    }
    let d = |rel: &str| shared.join("data").join(rel);
    let ecoli = format!("ecoli={}", d("screen/ecoli_536_NC_008253.fa.gz").display());
    let lambda = format!("lambda={}", d("screen/lambda_NC_001416.fa.gz").display());
    let args: Vec<std::ffi::OsString> = vec![
        d("fastq/mirtrace_sample1.fastq.gz").into(),
        d("fastq/isomirmap_LCL_NA19257_random10k_trimmed.fastq.gz").into(),
        "--protocol".into(),
        "auto".into(),
        "--species".into(),
        "hsa".into(),
        "--mature".into(),
        d("mirbase/mature_v21.fa.gz").into(),
        "--hairpin".into(),
        d("mirbase/hairpin_v21.fa").into(),
        "--clades".into(),
        d("mirbase/mirtrace_clades/animal_clades.txt").into(),
        "--screen".into(),
        ecoli.into(),
        "--screen".into(),
        lambda.into(),
    ];
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    same_tables(
        "mirtrace_sample1 + LCL, artifacts, exogenous, clades, screens",
        &args,
        &[],
    );
}

#[test]
fn real_runs_are_identical_on_both_engines() {
    let Some(shared) = common::shared() else {
        return;
    };
    if !gpu_available() {
        return;
    }
    let d = |rel: &str| shared.join("data").join(rel);
    let (mature, hairpin) = (d("mirbase/mature_v21.fa.gz"), d("mirbase/hairpin_hsa.fa"));
    let sample1 = d("fastq/mirtrace_sample1.fastq.gz");
    same_tables(
        "mirtrace_sample1, mature only",
        &[
            os(&sample1),
            "--species".as_ref(),
            "hsa".as_ref(),
            "--mature".as_ref(),
            os(&mature),
        ],
        &[],
    );
    let excerpt = d("fastq/excerpt_testdata_human.fastq.gz");
    same_tables(
        "excerpt_testdata_human, with hairpins",
        &[
            os(&excerpt),
            "--protocol".as_ref(),
            "illumina".as_ref(),
            "--adapter".as_ref(),
            "TCGTATGCCGTCTTCTGCTTG".as_ref(),
            "--species".as_ref(),
            "hsa".as_ref(),
            "--mature".as_ref(),
            os(&mature),
            "--hairpin".as_ref(),
            os(&hairpin),
        ],
        &[],
    );
}

#[test]
fn without_an_adapter_auto_falls_back_and_gpu_fails() {
    let dir = tempfile::tempdir().unwrap();
    let run = |engine: &str| {
        common::mirq()
            .env("WGPU_BACKEND", "vulkan")
            .env("VK_ICD_FILENAMES", "/nonexistent")
            .env("VK_DRIVER_FILES", "/nonexistent")
            .args(["quant", "--species", "tst", "--engine", engine, "--mature"])
            .arg(common::test_data("tiny/mature.fa"))
            .arg(common::test_data("tiny/tiny.fastq"))
            .arg("-o")
            .arg(dir.path().join(engine))
            .output()
            .unwrap()
    };
    let auto = run("auto");
    let err = String::from_utf8_lossy(&auto.stderr);
    assert!(auto.status.success(), "{err}");
    assert!(err.contains("using the CPU engine"), "{err}");
    let stats = common::stats(&dir.path().join("auto"));
    assert_eq!(stats["engine"], "cpu");
    assert_eq!(stats["engine_decision"]["requested"], "auto");
    assert_eq!(stats["engine_decision"]["calibration_inserts"], 0);
    let gpu = run("gpu");
    let err = String::from_utf8_lossy(&gpu.stderr);
    assert!(!gpu.status.success());
    assert!(
        err.contains("no GPU adapter") && err.contains("--engine cpu"),
        "{err}"
    );
    assert!(!dir.path().join("gpu/mature_counts.tsv").exists());
}

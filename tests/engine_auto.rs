//! `--engine auto` decides by measurement: on a software adapter it takes the
//! CPU without calibrating and says why; with calibration forced on the
//! software adapter (`MIRQ_AUTO_CALIBRATE_SOFTWARE`, the path a hardware GPU
//! takes), both engines align the calibration slice, the decision and its
//! figures are recorded, and the tables equal a CPU run's byte for byte. On a
//! Linux machine with no GPU device node, auto does not probe at all.

mod common;

use std::path::{Path, PathBuf};

/// Whether `mirq devices` lists a software adapter only (lavapipe in CI).
fn software_adapter_only() -> bool {
    let out = common::run_ok(common::mirq().arg("devices"));
    let listed: Vec<&str> = out.lines().skip(1).collect();
    if out.contains("no GPU adapter") || listed.is_empty() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have a wgpu adapter (lavapipe)"
        );
        eprintln!("skipping: no GPU adapter");
        return false;
    }
    let software = listed.iter().all(|l| l.split('\t').nth(2) == Some("Cpu"));
    if !software {
        eprintln!("skipping: a hardware adapter is present");
    }
    software
}

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("demo")
}

/// How `--engine auto` is told to look for GPUs in [`run`].
#[derive(Clone, Copy, PartialEq)]
enum Probe {
    /// As a user's run does.
    AsIs,
    /// Probes even without a GPU device node (`MIRQ_AUTO_PROBE_GPU`).
    Always,
    /// Calibrates on software adapters too (`MIRQ_AUTO_CALIBRATE_SOFTWARE`).
    Calibrate,
}

impl Probe {
    /// Sets the variable that asks for this on `cmd`.
    fn set(self, cmd: &mut std::process::Command) {
        match self {
            Probe::AsIs => {}
            Probe::Always => {
                cmd.env("MIRQ_AUTO_PROBE_GPU", "1");
            }
            Probe::Calibrate => {
                cmd.env("MIRQ_AUTO_CALIBRATE_SOFTWARE", "1");
            }
        }
    }
}

/// The run's `engine_decision`, once checked that `auto` chose the CPU
/// engine without calibrating.
fn auto_chose_the_cpu(out: &Path) -> serde_json::Value {
    let stats = common::stats(out);
    assert_eq!(stats["engine"], "cpu");
    let d = stats["engine_decision"].clone();
    assert_eq!(d["requested"], "auto");
    assert_eq!(d["chosen"], "cpu");
    assert_eq!(d["calibration_inserts"], 0);
    d
}

/// Runs the demo with `engine` and `probe`; returns the outdir and stderr.
fn run(dir: &Path, name: &str, engine: &str, probe: Probe) -> (PathBuf, String) {
    let out = dir.join(name);
    let mut cmd = common::mirq();
    probe.set(&mut cmd);
    let d = demo();
    let output = cmd
        .args(["quant", "-t", "2", "--species", "hsa", "--engine", engine])
        .arg("--mature")
        .arg(d.join("reference/mature.fa"))
        .arg("--hairpin")
        .arg(d.join("reference/hairpin.fa"))
        .arg(d.join("reads/plasma_A.fastq.gz"))
        .arg(d.join("reads/plasma_B.fastq.gz"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "{err}");
    (out, err)
}

#[test]
fn auto_takes_the_cpu_over_a_software_adapter_and_says_why() {
    if !software_adapter_only() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = run(dir.path(), "auto", "auto", Probe::Always);
    assert!(
        err.contains("mirq: engine auto: the only GPU adapter")
            && err.contains("software adapters are never chosen"),
        "{err}"
    );
    assert!(!err.contains("XDG_RUNTIME_DIR"), "probing printed: {err}");
    let d = auto_chose_the_cpu(&out);
    assert!(d["adapter"].is_string());
}

/// Whether `--engine auto` sees a node a GPU driver makes here (the rule
/// itself is tested in `align::gpu::device_nodes`).
fn gpu_device_node() -> bool {
    mirq::align::gpu::gpu_nodes() != mirq::align::gpu::GpuNodes::Absent
}

#[test]
fn without_a_gpu_device_node_auto_does_not_look_for_an_adapter() {
    if gpu_device_node() {
        eprintln!("skipping: a GPU device node is present (or not Linux)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = run(dir.path(), "auto", "auto", Probe::AsIs);
    assert!(
        err.contains("mirq: engine auto: no GPU device on this machine (none of /dev/dri")
            && err.contains("): using the CPU engine"),
        "{err}"
    );
    let d = auto_chose_the_cpu(&out);
    assert!(d["adapter"].is_null(), "no adapter was looked at: {d}");
    // the same tables as a run that probed (and found a software adapter,
    // or none)
    let (probed, _) = run(dir.path(), "probed", "auto", Probe::Always);
    for f in ["mature_counts.tsv", "hairpin_counts.tsv", "isomirs.gff3"] {
        assert!(
            std::fs::read(out.join(f)).unwrap() == std::fs::read(probed.join(f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn calibrated_auto_records_both_speeds_and_counts_like_the_cpu() {
    if !software_adapter_only() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (auto, err) = run(dir.path(), "auto", "auto", Probe::Calibrate);
    let (cpu, _) = run(dir.path(), "cpu", "cpu", Probe::AsIs);
    let stats = common::stats(&auto);
    let d = &stats["engine_decision"];
    let unique = stats["unique_inserts"].as_u64().unwrap();
    assert_eq!(
        d["calibration_inserts"].as_u64().unwrap(),
        unique.min(65536)
    );
    let cpu_rate = d["cpu_inserts_per_second"].as_f64().unwrap();
    let gpu_rate = d["gpu_inserts_per_second"].as_f64().unwrap();
    assert!(cpu_rate > 0.0 && gpu_rate > 0.0, "{d}");
    // the faster engine is chosen, and stderr gives the figures
    let faster = if gpu_rate > cpu_rate { "gpu" } else { "cpu" };
    assert_eq!(d["chosen"], faster, "{d}");
    assert_eq!(stats["engine"], faster);
    assert!(err.contains("inserts/s on"), "{err}");
    for f in [
        "mature_counts.tsv",
        "mature_counts_unique.tsv",
        "hairpin_counts.tsv",
        "isomirs.gff3",
    ] {
        assert!(
            std::fs::read(auto.join(f)).unwrap() == std::fs::read(cpu.join(f)).unwrap(),
            "{f} differs between calibrated auto and cpu"
        );
    }
    assert_eq!(common::stats(&cpu)["engine_decision"]["requested"], "cpu");
}

/// A screen reference under `--engine auto`: decided on its own, by
/// measurement on the reference's first part when a (here: calibrated
/// software) GPU is at hand, recorded in `reference_engines`, with the
/// tables of a CPU run; without calibration it is the CPU, with the miRNA
/// pass's reason.
#[test]
fn auto_decides_the_screen_engine_per_reference() {
    if !software_adapter_only() {
        return;
    }
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let lambda = format!(
        "lambda={}",
        shared.join("data/screen/lambda_NC_001416.fa.gz").display()
    );
    let screen = |name: &str, engine: &str, probe: Probe| -> PathBuf {
        let out = dir.path().join(name);
        let mut cmd = common::mirq();
        probe.set(&mut cmd);
        let d = demo();
        common::run_ok(
            cmd.args([
                "quant",
                "-q",
                "-t",
                "2",
                "--species",
                "hsa",
                "--engine",
                engine,
            ])
            .arg("--mature")
            .arg(d.join("reference/mature.fa"))
            .arg(d.join("reads/plasma_A.fastq.gz"))
            .args(["--screen", &lambda, "-o"])
            .arg(&out),
        );
        out
    };
    let engines = |out: &Path| -> Vec<(String, String, String)> {
        common::stats(out)["reference_engines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let f = |k: &str| e[k].as_str().unwrap_or_default().to_string();
                (f("reference"), f("engine"), f("reason"))
            })
            .collect()
    };
    let calibrated = screen("calibrated", "auto", Probe::Calibrate);
    let measured = engines(&calibrated);
    let lambda_engine = measured
        .iter()
        .find(|(r, _, _)| r == "screen:lambda")
        .expect("the screen reference's engine is recorded");
    assert!(
        lambda_engine.2.contains("on the first") && lambda_engine.2.contains("bases"),
        "{lambda_engine:?}"
    );
    assert!(measured.iter().any(|(r, _, _)| r == "screen:lambda:decoy"));
    let cpu = screen("cpu", "cpu", Probe::AsIs);
    for f in ["screen_counts.tsv", "inserts.tsv.gz", "mature_counts.tsv"] {
        assert_eq!(
            std::fs::read(calibrated.join(f)).unwrap(),
            std::fs::read(cpu.join(f)).unwrap(),
            "{f}"
        );
    }
    let plain = engines(&screen("plain", "auto", Probe::Always));
    let (_, engine, reason) = plain.iter().find(|(r, _, _)| r == "screen:lambda").unwrap();
    assert_eq!(engine, "cpu");
    assert!(reason.contains("software"), "{reason}");
    if !gpu_device_node() {
        let unprobed = engines(&screen("unprobed", "auto", Probe::AsIs));
        let (_, engine, reason) = unprobed
            .iter()
            .find(|(r, _, _)| r == "screen:lambda")
            .unwrap();
        assert_eq!(engine, "cpu");
        assert!(
            reason.starts_with("no GPU device on this machine"),
            "{reason}"
        );
    }
}

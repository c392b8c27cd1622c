//! `mirq bench`: engines timed on simulated inserts, on miRBase 21's human
//! reference and on every record of miRBase 21 (`--species all`); the
//! table, `--json`, preparation timed apart from alignment, agreement and the
//! `--engine auto` line; no reference is an error that says what to give. A
//! GPU row per adapter is checked when adapters exist (CI has lavapipe).

mod common;

use serde_json::Value;

/// Adapters `mirq devices` lists (asked in a child process, so that this
/// test process never loads a GPU driver); in CI there must be one.
fn adapters() -> usize {
    let out = common::run_ok(common::mirq().arg("devices"));
    let n = if out.contains("no GPU adapter") {
        0
    } else {
        out.lines().skip(1).filter(|l| !l.is_empty()).count()
    };
    if n == 0 {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have a wgpu adapter (lavapipe)"
        );
        eprintln!("no GPU adapter: the GPU rows are not checked");
    }
    n
}

/// Runs `mirq bench` with `args`, which must succeed: (stdout, stderr).
fn bench(args: &[&std::ffi::OsStr]) -> (String, String) {
    let out = common::mirq()
        .arg("bench")
        .args(args)
        .output()
        .expect("mirq runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success(),
        "mirq bench {args:?} failed:\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

/// Checks a `--json` report: CPU runs with 1 and `threads` threads, every
/// engine agreeing with preparation and alignment timed, a GPU row per
/// adapter (or a note saying why it could not run), an auto choice that
/// never is a software adapter.
fn check_report(report: &Value, inserts: u64, threads: u64, adapters: usize) {
    assert_eq!(report["inserts"], inserts, "{report}");
    let engines = report["engines"].as_array().expect("engines");
    let cpu_threads: Vec<u64> = engines
        .iter()
        .filter(|e| e["engine"] == "cpu")
        .map(|e| e["threads"].as_u64().unwrap())
        .collect();
    assert_eq!(cpu_threads, [1, threads], "{report}");
    for e in engines {
        assert!(e["inserts_per_second"].as_f64() > Some(0.0), "{e}");
        assert!(e["seconds"].as_f64() >= Some(0.0), "{e}");
        assert!(e["prepare_seconds"].as_f64() >= Some(0.0), "{e}");
        // below the software cap every engine aligns every insert
        assert_eq!(e["inserts"].as_u64(), Some(inserts), "{e}");
        assert_eq!(e["agree"], true, "{e}");
        for key in ["adapter", "adapter_index", "device_type", "reruns"] {
            assert!(e.get(key).is_some(), "{key} missing: {e}");
        }
    }
    let gpus: Vec<&Value> = engines.iter().filter(|e| e["engine"] == "gpu").collect();
    let failed = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n.as_str().unwrap().contains("could not run"))
        .count();
    assert_eq!(gpus.len() + failed, adapters, "{report}");
    if adapters > 0 {
        assert!(
            !gpus.is_empty(),
            "no adapter could run the GPU engine: {report}"
        );
    }
    for (i, g) in gpus.iter().enumerate() {
        assert!(g["adapter"].is_string(), "{g}");
        assert!(g["setup_seconds"].as_f64() > Some(0.0), "{g}");
        assert!(g["reruns"].is_u64(), "{g}");
        if i > 0 {
            assert!(g["adapter_index"].as_u64() > gpus[i - 1]["adapter_index"].as_u64());
        }
    }
    let auto = &report["auto"];
    assert!(auto["reason"].as_str().is_some_and(|r| !r.is_empty()));
    match auto["choice"].as_str() {
        Some("cpu") => assert!(auto["adapter"].is_null()),
        Some("gpu") => {
            let chosen = gpus
                .iter()
                .find(|g| g["adapter"] == auto["adapter"])
                .expect("the chosen adapter was measured");
            assert_eq!(chosen["software"], false, "{report}");
        }
        other => panic!("auto choice {other:?}"),
    }
    for key in ["species", "matures", "hairpins", "targets"] {
        assert!(report["reference"].get(key).is_some(), "{report}");
    }
}

/// `--mature mature_v21.fa.gz --hairpin hairpin_hsa.fa --species hsa`,
/// then `rest`; None without the shared data.
fn human_bench(rest: &[&str]) -> Option<(String, String)> {
    let mirbase = common::shared()?.join("data/mirbase");
    let mut args = vec![
        os("--mature").to_owned(),
        mirbase.join("mature_v21.fa.gz").into_os_string(),
        os("--hairpin").to_owned(),
        mirbase.join("hairpin_hsa.fa").into_os_string(),
        os("--species").to_owned(),
        os("hsa").to_owned(),
    ];
    args.extend(rest.iter().map(|a| os(a).to_owned()));
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    Some(bench(&args))
}

#[test]
fn no_reference_is_an_error_that_says_what_to_give() {
    let out = common::mirq()
        .args(["bench", "--inserts", "100"])
        .output()
        .expect("mirq runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in ["--mature", "--species hsa", "--screen", "mirbase.org"] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    assert!(out.stdout.is_empty());
}

#[test]
fn human_reference_table_lists_cpu_runs_and_the_auto_choice() {
    let Some((out, err)) = human_bench(&["--inserts", "3000", "-t", "2"]) else {
        return;
    };
    let lines: Vec<&str> = out.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        [
            "engine",
            "threads",
            "adapter",
            "backend",
            "type",
            "inserts",
            "prepare_s",
            "align_s",
            "inserts/s",
            "agree"
        ],
        "{out}"
    );
    let cpu_rows: Vec<Vec<&str>> = lines
        .iter()
        .filter(|l| l.starts_with("cpu "))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(cpu_rows.len(), 2, "{out}");
    for (row, threads) in cpu_rows.iter().zip(["1", "2"]) {
        assert_eq!(row[1], threads, "{out}");
        assert!(row.contains(&"3,000"), "{out}");
        assert_eq!(row.last(), Some(&"yes"), "{out}");
    }
    let auto = lines.last().unwrap();
    assert!(
        auto.starts_with("--engine auto would pick cpu: ")
            || auto.starts_with("--engine auto would pick gpu ("),
        "{out}"
    );
    assert!(
        err.contains("mirq bench: reference hsa (")
            && err.contains("mature_v21.fa.gz): 2,588 matures, 1,881 hairpins"),
        "{err}"
    );
    let adapters = adapters();
    if adapters > 0 {
        let gpu_rows: Vec<&&str> = lines.iter().filter(|l| l.starts_with("gpu ")).collect();
        assert!(!gpu_rows.is_empty(), "no GPU row:\n{out}\n{err}");
        assert!(gpu_rows.len() <= adapters, "{out}");
        for row in gpu_rows {
            assert!(row.ends_with("yes") && row.contains("3,000"), "{out}");
        }
        assert_eq!(
            err.matches("mirq bench: gpu engine on adapter ").count(),
            adapters,
            "{err}"
        );
    } else {
        assert!(err.contains("no GPU adapter found"), "{err}");
        assert_eq!(auto, &"--engine auto would pick cpu: no GPU adapter");
    }
}

#[test]
fn human_reference_json_report() {
    let Some((out, _)) = human_bench(&[
        "--inserts",
        "3000",
        "--mismatches",
        "2",
        "-t",
        "2",
        "--json",
    ]) else {
        return;
    };
    let report: Value = serde_json::from_str(&out).expect("stdout is one JSON object");
    check_report(&report, 3000, 2, adapters());
    assert!(
        report["reference"]["source"]
            .as_str()
            .is_some_and(|s| s.ends_with("mature_v21.fa.gz")),
        "{report}"
    );
    assert_eq!(report["reference"]["species"], "hsa");
    assert_eq!(report["reference"]["matures"], 2588);
    assert_eq!(report["reference"]["hairpins"], 1881);
    assert_eq!(report["mismatches"], 2);
    assert_eq!(report["seed"], "0x5eed000000000042");
}

/// `--species all`: every record of miRBase 21, all species in one reference.
#[test]
fn all_species_reference() {
    let Some(shared) = common::shared() else {
        return;
    };
    let mirbase = shared.join("data/mirbase");
    let (out, err) = bench(&[
        os("--mature"),
        mirbase.join("mature_v21.fa.gz").as_os_str(),
        os("--hairpin"),
        mirbase.join("hairpin_v21.fa").as_os_str(),
        os("--species"),
        os("all"),
        os("--inserts"),
        os("2000"),
        os("-t"),
        os("2"),
        os("--json"),
    ]);
    let report: Value = serde_json::from_str(&out).unwrap();
    check_report(&report, 2000, 2, adapters());
    let r = &report["reference"];
    assert_eq!(r["species"], "all", "{report}");
    assert_eq!(
        (r["matures"].as_u64(), r["hairpins"].as_u64()),
        (Some(35_828), Some(28_645))
    );
    assert!(err.contains("mirq bench: reference all ("), "{err}");
}

#[test]
fn species_needs_a_reference() {
    let out = common::mirq()
        .args(["bench", "--species", "mmu"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--mature"), "{err}");
}

/// Without an adapter (no Metal on Linux) one line says so and auto picks
/// the CPU.
#[cfg(target_os = "linux")]
#[test]
fn no_adapter_is_said_in_one_line() {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/reference");
    let out = common::mirq()
        .args([
            "bench",
            "--inserts",
            "500",
            "--seed",
            "7",
            "--species",
            "hsa",
        ])
        .arg("--mature")
        .arg(demo.join("mature.fa"))
        .arg("--hairpin")
        .arg(demo.join("hairpin.fa"))
        .env("WGPU_BACKEND", "metal")
        .output()
        .unwrap();
    assert!(out.status.success());
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(
        stderr.matches("no GPU adapter found").count(),
        1,
        "{stderr}"
    );
    assert!(!stdout.contains("\ngpu "), "{stdout}");
    assert!(
        stdout.ends_with("--engine auto would pick cpu: no GPU adapter\n"),
        "{stdout}"
    );
}

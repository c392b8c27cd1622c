//! stats.json as one type, [`RunStats`]: the files earlier mirq versions
//! wrote on the demo (tests/golden/stats; its README names the commit and
//! command of each) load, keep every field they hold, render a report and
//! pass what `mirq merge` reads of them; today's files round-trip byte for
//! byte, so that a field dropped from (or renamed in) `RunStats` fails here.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mirq::output::stats::RunStats;
use serde_json::Value;

/// The demo's directory.
fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("demo")
}

/// Every fixture: file name and text.
fn fixtures() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/stats");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    assert!(files.len() >= 3, "fixtures in {}: {files:?}", dir.display());
    files
}

/// Every leaf of `v` by its path (`samples[].qc.verdict`): the values
/// found there, in order.
fn leaves(v: &Value, path: String, out: &mut BTreeMap<String, Vec<Value>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(x, p, out);
            }
        }
        Value::Array(a) if a.iter().any(|x| x.is_object()) => {
            for x in a {
                leaves(x, format!("{path}[]"), out);
            }
        }
        v => out.entry(path).or_default().push(v.clone()),
    }
}

/// Fields older files have that `RunStats` reads but never writes.
const READ_ONLY: [&str; 1] = ["adapter_detection"];

#[test]
fn every_fixture_loads_with_every_field_it_holds() {
    for (name, text) in fixtures() {
        let stats: RunStats = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let samples: Vec<&str> = stats.samples.iter().map(|s| s.sample.as_str()).collect();
        assert_eq!(samples, ["plasma_A", "plasma_B"], "{name}");
        assert_eq!(stats.engine, "cpu", "{name}");
        assert_eq!(stats.reference.species, "hsa", "{name}");
        assert_eq!(stats.settings.protocol, "illumina", "{name}");
        let adapter = stats.settings.adapter.as_deref();
        assert_eq!(adapter, Some("TGGAATTCTCGGGTGCCAAGG"), "{name}");
        for s in &stats.samples {
            assert_eq!(s.reads_in, 10_000, "{name}");
            assert!(s.assigned_mature > 0 && s.mirnas_detected > 0, "{name}");
            assert!(s.qc.verdict.is_some(), "{name}: no QC verdict");
        }
        // every value of the file is one RunStats holds (none lost to a
        // renamed field without its alias), equal as a number or as text
        let mut old = BTreeMap::new();
        leaves(
            &serde_json::from_str(&text).unwrap(),
            String::new(),
            &mut old,
        );
        let mut new = BTreeMap::new();
        leaves(
            &serde_json::to_value(&stats).unwrap(),
            String::new(),
            &mut new,
        );
        for (path, values) in &old {
            if READ_ONLY.iter().any(|k| path.starts_with(k)) {
                continue;
            }
            let kept = new.get(path);
            let same = kept.is_some_and(|kept| {
                kept.len() == values.len()
                    && kept.iter().zip(values).all(|(a, b)| match (a, b) {
                        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
                        (a, b) => a == b,
                    })
            });
            assert!(same, "{name}: {path} was {values:?}, read as {kept:?}");
        }
    }
}

#[test]
fn report_renders_from_every_fixture() {
    let mut detections = 0;
    for (name, text) in fixtures() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("stats.json"), &text).unwrap();
        let counts = "miRNA\tplasma_A\tplasma_B\nhsa-miR-16-5p\t120\t80\nhsa-let-7a-5p\t30\t0\n";
        std::fs::write(out.join("mature_counts.tsv"), counts).unwrap();
        common::run_ok(common::mirq().arg("report").arg(&out));
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        for want in [
            "<tr><th>Species</th><td>hsa</td></tr>",
            "<tr><th>Engine</th><td>cpu</td></tr>",
            "<tr><th>Settings</th><td>adapter TGGAATTCTCGGGTGCCAAGG · ",
            " · protocol illumina · ",
            "<td>plasma_A</td>",
            "<td>plasma_B</td>",
        ] {
            assert!(html.contains(want), "{name}: no {want:?} in the report");
        }
        // an older --protocol auto run's run-level detection has its line
        let stats: RunStats = serde_json::from_str(&text).unwrap();
        if let Some(summary) = stats.adapter_detection.and_then(|d| d.summary) {
            let line = format!("<tr><th>Adapter detection</th><td>{summary}</td></tr>");
            assert!(html.contains(&line), "{name}: no {line:?} in the report");
            detections += 1;
        }
    }
    assert!(
        detections > 0,
        "no fixture has a run-level adapter detection"
    );
}

/// `mirq merge` reads a directory's stats.json (and checks its figures)
/// before its inserts.tsv.gz: on a directory holding only an older
/// stats.json, it gets as far as the missing inserts file.
#[test]
fn merge_reads_every_fixture() {
    for (name, text) in fixtures() {
        let stats: RunStats = serde_json::from_str(&text).unwrap();
        mirq::cmd::merge_inputs::check_recorded_samples(Path::new(&name), &stats.samples)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir(&run).unwrap();
        std::fs::write(run.join("stats.json"), &text).unwrap();
        // the reference files it recorded are the demo's
        let out = common::mirq()
            .current_dir(demo())
            .args(["merge", "-q", "-o"])
            .arg(dir.path().join("merged"))
            .arg(&run)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: merged without inserts");
        assert!(
            err.contains("inserts.tsv.gz") && !err.contains("stats.json"),
            "{name}: {err}"
        );
    }
}

/// Runs the demo's command (extra arguments `args`) into a temporary
/// directory; its stats.json.
fn demo_stats(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    common::run_ok(
        common::mirq()
            .current_dir(demo())
            .args([
                "quant",
                "-q",
                "reads/plasma_A.fastq.gz",
                "reads/plasma_B.fastq.gz",
            ])
            .args(["--mature", "reference/mature.fa", "--hairpin"])
            .args(["reference/hairpin.fa", "--species", "hsa"])
            .args(args)
            .arg("-o")
            .arg(&out),
    );
    std::fs::read_to_string(out.join("stats.json")).unwrap()
}

#[test]
fn todays_stats_json_round_trips_byte_for_byte() {
    // the demo, then with per-sample detection, a screen reference and the
    // artifact stage (optional fields written)
    let runs: [&[&str]; 2] = [
        &["--protocol", "illumina"],
        &["--protocol", "auto", "--screen", "hp=reference/hairpin.fa"],
    ];
    for (i, args) in runs.into_iter().enumerate() {
        let text = demo_stats(args);
        if i == 1 {
            for key in ["detection", "screen", "artifact", "reference_engines"] {
                assert!(text.contains(&format!("\"{key}\"")), "no {key} in {text}");
            }
        }
        let stats: RunStats = serde_json::from_str(&text).unwrap();
        let again = serde_json::to_string_pretty(&stats).unwrap() + "\n";
        assert_eq!(again, text, "{args:?}");
    }
}

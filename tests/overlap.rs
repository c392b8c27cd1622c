//! Aligning inserts while reads are still being read (3 threads or more,
//! the CPU engine, or `auto` choosing it) writes the same outputs as
//! aligning the whole table after reading (one thread, `--engine gpu`,
//! `auto` calibrating a GPU): at 1, 2 and 8 threads, for every engine, and
//! with UMI deduplication. stats.json's timings keep their contract: every
//! stage's busy seconds within its span, the spans in order and within the
//! run's wall time.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

/// Every output file's content (gzip ones decompressed) but stats.json,
/// report.html and mirq.log (engine, timings, command line), and
/// stats.json's samples and unique inserts.
fn outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = common::files_under(dir);
    files.retain(|p| !["stats.json", "report.html", "mirq.log"].contains(&p.as_str()));
    let mut out: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|f| {
            let raw = std::fs::read(dir.join(&f)).unwrap();
            let bytes = if f.ends_with(".gz") {
                let mut plain = Vec::new();
                flate2::read::MultiGzDecoder::new(&raw[..])
                    .read_to_end(&mut plain)
                    .unwrap();
                plain
            } else {
                raw
            };
            (f, bytes)
        })
        .collect();
    let stats = common::stats(dir);
    let kept = serde_json::json!([stats["samples"], stats["unique_inserts"]]);
    out.push(("stats.json".into(), kept.to_string().into_bytes()));
    out
}

/// Whether `mirq devices` sees an adapter (lavapipe in CI).
fn gpu_available() -> bool {
    let out = common::run_ok(common::mirq().arg("devices"));
    !out.contains("no GPU adapter")
}

/// Runs quant on `reads` with `args`, `threads` and `engine` (and
/// `MIRQ_AUTO_CALIBRATE_SOFTWARE` when `calibrate`) into `out`.
fn quant(args: &[&std::ffi::OsStr], threads: &str, engine: &str, calibrate: bool, out: &Path) {
    let mut cmd = common::mirq();
    if calibrate {
        cmd.env("MIRQ_AUTO_CALIBRATE_SOFTWARE", "1");
    }
    common::run_ok(
        cmd.args(["quant", "-q", "-t", threads, "--engine", engine])
            .args(args)
            .arg("-o")
            .arg(out),
    );
}

/// Checks the timings contract of one run's stats.json.
fn timings_hold(dir: &Path) {
    let stats = common::stats(dir);
    let t = &stats["timings"];
    let elapsed = stats["elapsed_seconds"].as_f64().unwrap();
    let span = |stage: &str| -> (f64, f64) {
        let s = &t["spans"][stage];
        (s[0].as_f64().unwrap(), s[1].as_f64().unwrap())
    };
    // each figure is rounded to the millisecond
    let slack = 0.003;
    for stage in ["read_trim_collapse", "align", "assign_count", "write"] {
        let busy = t[stage].as_f64().unwrap();
        let (start, end) = span(stage);
        assert!(
            0.0 <= start && start <= end && end <= elapsed + slack,
            "{stage}: span {start}..{end}, elapsed {elapsed}: {t}"
        );
        assert!(
            busy <= end - start + slack,
            "{stage}: busy {busy} s outside its span {start}..{end}: {t}"
        );
    }
    assert_eq!(span("read_trim_collapse").0, 0.0, "{t}");
    assert!(
        span("align").1 + slack >= span("read_trim_collapse").1,
        "{t}"
    );
    assert!(span("assign_count").0 + slack >= span("align").1, "{t}");
    assert!(span("write").0 + slack >= span("assign_count").1, "{t}");
}

#[test]
fn overlapped_alignment_writes_what_aligning_after_reading_writes() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    let dir = tempfile::tempdir().unwrap();
    let (mature, hairpin) = (
        demo.join("reference/mature.fa"),
        demo.join("reference/hairpin.fa"),
    );
    let mut args: Vec<PathBuf> = vec![
        "--species".into(),
        "hsa".into(),
        "--mature".into(),
        mature.clone(),
        "--hairpin".into(),
        hairpin.clone(),
        demo.join("reads/plasma_A.fastq.gz"),
        demo.join("reads/plasma_B.fastq.gz"),
    ];
    // a larger sample: many batches, most inserts aligned while reading
    if let Some(shared) = common::shared() {
        let prefix = dir.path().join("sim");
        let extra = ["--reads", "20000", "--seed", "24"];
        args.push(common::simulate(
            &shared, &mature, &hairpin, &extra, &prefix,
        ));
    }
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let run = |name: &str, threads: &str, engine: &str, calibrate: bool| {
        let out = dir.path().join(name);
        quant(&args, threads, engine, calibrate, &out);
        timings_hold(&out);
        out
    };
    // one thread: the table is aligned after reading
    let after = outputs(&run("t1", "1", "cpu", false));
    for (threads, engine, calibrate) in [
        ("2", "cpu", false),
        // auto's adapter probe runs beside reading; the table after it
        ("2", "auto", false),
        ("3", "cpu", false),
        ("8", "cpu", false),
        ("8", "auto", false),
    ] {
        let out = run(&format!("t{threads}{engine}"), threads, engine, calibrate);
        if engine == "cpu" {
            // aligned while reading from 3 threads: align starts before
            // reading ends
            let spans = &common::stats(&out)["timings"]["spans"];
            let (align, read) = (&spans["align"], &spans["read_trim_collapse"]);
            let overlapped = align[0].as_f64() < read[1].as_f64();
            assert_eq!(overlapped, threads != "2", "-t {threads}: {spans}");
        }
        assert_eq!(
            outputs(&out),
            after,
            "-t {threads} --engine {engine} differs from -t 1"
        );
    }
    if gpu_available() {
        for (threads, engine, calibrate) in [("8", "gpu", false), ("8", "auto", true)] {
            let out = run(
                &format!("t{threads}{engine}gpu"),
                threads,
                engine,
                calibrate,
            );
            let stats = common::stats(&out);
            if calibrate {
                // auto calibrated on the table's first inserts
                let decision = &stats["engine_decision"];
                assert!(
                    decision["calibration_inserts"].as_u64() > Some(0),
                    "{stats}"
                );
            }
            assert_eq!(
                outputs(&out),
                after,
                "-t {threads} --engine {engine} differs from -t 1 on the CPU"
            );
        }
    } else {
        eprintln!("no GPU adapter: the GPU runs are skipped");
    }
}

/// With `--dedup`, the workers send a key's insert only: the molecules and
/// reads are those of one thread.
#[test]
fn overlapped_alignment_with_umis_counts_the_same() {
    let Some(shared) = common::shared() else {
        eprintln!("skipping: no shared data");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mirbase = shared.join("data/mirbase");
    let (mature, hairpin) = (
        mirbase.join("mature_v21.fa.gz"),
        mirbase.join("hairpin_v21.fa"),
    );
    let prefix = dir.path().join("qiaseq");
    let extra = [
        "--protocol",
        "qiaseq",
        "--pcr-copies",
        "3",
        "--reads",
        "30000",
        "--seed",
        "5",
    ];
    let reads = common::simulate(&shared, &mature, &hairpin, &extra, &prefix);
    let args: Vec<&std::ffi::OsStr> = vec![
        "--species".as_ref(),
        "hsa".as_ref(),
        "--mature".as_ref(),
        mature.as_os_str(),
        "--hairpin".as_ref(),
        hairpin.as_os_str(),
        "--protocol".as_ref(),
        "qiaseq".as_ref(),
        "--dedup".as_ref(),
        reads.as_os_str(),
    ];
    let (one, four) = (dir.path().join("t1"), dir.path().join("t4"));
    quant(&args, "1", "cpu", false, &one);
    quant(&args, "4", "cpu", false, &four);
    timings_hold(&four);
    let stats = common::stats(&four);
    assert!(stats["samples"][0]["molecules"].is_object(), "{stats}");
    assert_eq!(outputs(&one), outputs(&four));
}

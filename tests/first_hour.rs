//! The first hour of a new user (issue 22): `--protocol auto` is the
//! default, so already-trimmed runs quantify with no protocol flag; an
//! explicit preset the reads disagree with, and every QC FAIL, is a WARNING
//! on stderr and in `mirq.log`; `--strict` turns such warnings into exit
//! status 3 once the outputs are written; `-q` leaves nothing on stderr but
//! warnings.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

/// The already-trimmed real runs of `../shared` and their species.
const TRIMMED: [(&str, &str); 3] = [
    ("isomirmap_LCL_NA19257_random10k_trimmed", "hsa"),
    ("encode_ENCSR569QVM_rep1_chr19_trimmed", "hsa"),
    ("smallrnaseq_bovine_plasma_trimmed", "bta"),
];

/// The exit status of `--strict` with warnings.
const STRICT: i32 = 3;

fn fastq(shared: &Path, run: &str) -> PathBuf {
    shared.join(format!("data/fastq/{run}.fastq.gz"))
}

/// `mirq quant` (without `-q`) of one run on miRBase 21 into `out`.
fn quant(shared: &Path, run: &str, species: &str, out: &Path, args: &[&str]) -> Output {
    let dir = shared.join("data/mirbase");
    common::mirq()
        .args(["quant", "-t", "2", "--engine", "cpu", "--species", species])
        .arg("--mature")
        .arg(dir.join("mature_v21.fa.gz"))
        .arg("-o")
        .arg(out)
        .args(args)
        .arg(fastq(shared, run))
        .output()
        .expect("mirq starts")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn log(out: &Path) -> String {
    std::fs::read_to_string(out.join("mirq.log")).unwrap()
}

/// Share of the sample's reads assigned to mature miRNAs.
fn assigned(out: &Path) -> f64 {
    let s = &common::stats(out)["samples"][0];
    s["assigned_mature"].as_f64().unwrap() / s["reads_in"].as_f64().unwrap()
}

/// With no protocol flag the trimmed runs are found trimmed (one line of
/// information, no warning about the adapter) and counted exactly as with
/// `--adapter none`; most of their reads land on miRNAs.
#[test]
fn trimmed_runs_quantify_with_no_protocol_flag() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (run, species) in TRIMMED {
        let plain = dir.path().join(format!("{run}.default"));
        let none = dir.path().join(format!("{run}.none"));
        let o = quant(&shared, run, species, &plain, &[]);
        let err = stderr(&o);
        assert!(o.status.success(), "{run}: {err}");
        assert!(
            quant(
                &shared,
                run,
                species,
                &none,
                &["--protocol", "illumina", "--adapter", "none"]
            )
            .status
            .success(),
            "{run} --adapter none"
        );
        let line = format!("mirq: {run}: adapter auto-detection: none: no 3' adapter");
        assert!(
            err.contains(&line) && log(&plain).contains(&line),
            "{run}: {err}"
        );
        assert!(
            !err.lines()
                .any(|l| l.contains("WARNING") && l.contains(run) && !l.contains("fit")),
            "{run}: a warning about the sample: {err}"
        );
        for table in ["mature_counts.tsv", "mature_counts_unique.tsv"] {
            assert_eq!(
                std::fs::read(plain.join(table)).unwrap(),
                std::fs::read(none.join(table)).unwrap(),
                "{run}: {table} differs from --adapter none's"
            );
        }
        let share = assigned(&plain);
        eprintln!(
            "{run}: {:.1}% of reads assigned with no protocol flag",
            100.0 * share
        );
        assert!(share > 0.35, "{run}: {share}");
        let verdict = &common::stats(&plain)["samples"][0]["qc"]["verdict"];
        assert_ne!(verdict, "FAIL", "{run}");
    }
}

/// `--protocol illumina` on the trimmed runs: a WARNING naming the sample,
/// the adapter's share of reads, what detection found and the flag to use,
/// on stderr and in mirq.log; with `--strict` exit status 3, with every
/// output written.
#[test]
fn a_preset_on_trimmed_runs_warns_and_strict_exits_3() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (run, species) in TRIMMED {
        let out = dir.path().join(run);
        let o = quant(
            &shared,
            run,
            species,
            &out,
            &["--protocol", "illumina", "--strict", "-q"],
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(STRICT), "{run}: {err}");
        let warning = err
            .lines()
            .find(|l| l.starts_with(&format!("mirq: WARNING: {run}: --protocol illumina:")))
            .unwrap_or_else(|| panic!("{run}: no warning: {err}"));
        eprintln!("{warning}");
        assert!(
            warning.contains("its adapter TruSeq small RNA TGGAATTCTCGGGTGCCAAGG is in ")
                && warning.contains("detection finds no 3' adapter in ")
                && warning.contains("the reads look already trimmed")
                && warning.ends_with("use --protocol auto (or --adapter none)"),
            "{warning}"
        );
        // the figure said is the trimmer's
        let s = &common::stats(&out)["samples"][0];
        let share = 100.0 * s["adapter_found"].as_f64().unwrap() / s["reads_in"].as_f64().unwrap();
        assert!(share < 5.0, "{run}: {share}");
        assert!(
            warning.contains(&format!("is in {share:.1}% of reads")),
            "{warning}"
        );
        assert_eq!(s["qc"]["verdict"], "FAIL", "{run}");
        let fail = format!("mirq: WARNING: {run}: QC verdict FAIL: ");
        assert!(err.contains(&fail), "{err}");
        let logged = log(&out);
        assert!(
            logged.contains(warning) && logged.contains(&fail),
            "{logged}"
        );
        assert!(
            err.lines()
                .last()
                .unwrap()
                .starts_with("mirq: --strict: 2 warnings")
                && err.contains("exit status 3"),
            "{err}"
        );
        // written whole: the tables, the report and stats.json
        for f in ["mature_counts.tsv", "report.html", "stats.json", "mirq.log"] {
            assert!(out.join(f).is_file(), "{run}: no {f}");
        }
    }
    // the same run without --strict exits 0, warning all the same
    let (run, species) = TRIMMED[0];
    let out = dir.path().join("lenient");
    let o = quant(&shared, run, species, &out, &["--protocol", "illumina"]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("look already trimmed"));
    // a fitting preset says nothing about the protocol (the check costs a
    // copy of the first reads, no detection)
    let out = dir.path().join("fits");
    let o = quant(
        &shared,
        "mirtrace_sample1",
        "hsa",
        &out,
        &["--protocol", "illumina", "-q"],
    );
    assert!(o.status.success());
    assert!(
        !stderr(&o).contains("--protocol illumina"),
        "{}",
        stderr(&o)
    );
}

/// The real run that FAILs QC (exceRpt's low-yield test data: 36 reads on
/// miRNAs) warns on stderr, also with `-q`, and in mirq.log; `--strict`
/// makes `mirq quant` and `mirq merge` exit with 3.
#[test]
fn the_failing_sample_warns_and_strict_stops_the_pipeline() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = "excerpt_testdata_human";
    let out = dir.path().join("q");
    let o = quant(&shared, run, "hsa", &out, &["-q", "--no-exogenous"]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let stats = common::stats(&out);
    let qc = &stats["samples"][0]["qc"];
    assert_eq!(qc["verdict"], "FAIL");
    let reasons: Vec<&str> = qc["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let line = format!(
        "mirq: WARNING: {run}: QC verdict FAIL: {}",
        reasons.join("; ")
    );
    assert!(reasons[0].contains("FAIL below 1000"), "{reasons:?}");
    assert_eq!(err.trim_end(), line, "with -q, only the warning");
    assert!(log(&out).contains(&line));

    let strict = dir.path().join("strict");
    let o = quant(
        &shared,
        run,
        "hsa",
        &strict,
        &["-q", "--strict", "--no-exogenous"],
    );
    assert_eq!(o.status.code(), Some(STRICT), "{}", stderr(&o));
    assert!(strict.join("report.html").is_file());

    // mirq merge makes the verdicts anew: the same warning, the same code
    let merged = dir.path().join("merged");
    let m = common::mirq()
        .args(["merge", "-q", "--strict", "-t", "2"])
        .arg(&out)
        .arg("-o")
        .arg(&merged)
        .output()
        .unwrap();
    let err = stderr(&m);
    assert_eq!(m.status.code(), Some(STRICT), "{err}");
    assert!(err.contains(&line) && log(&merged).contains(&line), "{err}");
    assert!(merged.join("mature_counts.tsv").is_file());
    // errors stay 1
    let bad = common::mirq()
        .args(["merge", "--strict", "-o"])
        .arg(dir.path().join("nothing"))
        .arg(dir.path().join("missing_dir"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
}

/// `-q` on a clean run (the demo: two simulated plasma runs, no warning)
/// prints nothing at all; mirq.log still has the detection and engine
/// lines. Without `-q`, one detection line per sample. `mirq report -q`
/// is silent too.
#[test]
fn quiet_clean_run_prints_nothing() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    let dir = tempfile::tempdir().unwrap();
    let run = |out: &Path, quiet: bool| {
        let mut cmd = common::mirq();
        cmd.args(["quant", "-t", "2", "--species", "hsa"])
            .arg("--mature")
            .arg(demo.join("reference/mature.fa"))
            .arg("--hairpin")
            .arg(demo.join("reference/hairpin.fa"))
            .arg(demo.join("reads/plasma_A.fastq.gz"))
            .arg(demo.join("reads/plasma_B.fastq.gz"))
            .arg("-o")
            .arg(out);
        if quiet {
            cmd.arg("-q");
        }
        cmd.output().unwrap()
    };
    let quiet = dir.path().join("quiet");
    let o = run(&quiet, true);
    assert!(o.status.success());
    assert_eq!(stderr(&o), "", "-q on a clean run");
    let logged = log(&quiet);
    for sample in ["plasma_A", "plasma_B"] {
        assert!(
            logged.contains(&format!(
                "mirq: {sample}: adapter auto-detection: illumina (TruSeq small RNA TGGAATTCTCGGGTGCCAAGG) found in"
            )),
            "{logged}"
        );
    }
    assert!(logged.contains("mirq: timings: "), "{logged}");

    let loud = dir.path().join("loud");
    let o = run(&loud, false);
    let err = stderr(&o);
    for sample in ["plasma_A", "plasma_B"] {
        let lines = err
            .lines()
            .filter(|l| l.starts_with(&format!("mirq: {sample}: adapter auto-detection")))
            .count();
        assert_eq!(lines, 1, "{sample}: {err}");
    }
    assert!(!err.contains("WARNING"), "{err}");

    let r = common::mirq()
        .args(["report", "-q"])
        .arg(&quiet)
        .output()
        .unwrap();
    assert!(r.status.success());
    assert_eq!(stderr(&r), "");
}

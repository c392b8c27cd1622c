//! `workflow/Snakefile`, executed for real: three COMPSRA runs (NEXTflex,
//! human) through `mirq quant` per sample and `mirq merge`, compared with
//! one `mirq quant` over the three.
//!
//! Needs `snakemake` on PATH (`pip install snakemake`; `.ci/run` installs
//! it): outside CI the tests skip with a message when it is missing, in CI
//! (`CI` set) they fail. `snakemake_merges_to_the_joint_run` needs
//! `mirq merge`: until that subcommand exists it fails (it does not skip).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether `snakemake` runs; panics in CI when it does not.
fn snakemake_available() -> bool {
    common::tool_available("snakemake", &["--version"], "pip install snakemake")
}

const SAMPLES: [&str; 3] = ["compsra_sample01", "compsra_sample02", "compsra_sample03"];

const TABLES: [&str; 4] = [
    "mature_counts.tsv",
    "mature_counts_unique.tsv",
    "mature_rpm.tsv",
    "hairpin_counts.tsv",
];

struct Setup {
    _tmp: tempfile::TempDir,
    work: PathBuf,
    sheet: PathBuf,
    mature: PathBuf,
    hairpin: PathBuf,
    outdir: PathBuf,
}

fn setup(shared: &Path) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().to_path_buf();
    let data = shared.join("data");
    let sheet = work.join("samplesheet.csv");
    let mut csv = String::from("sample,fastq_1\n");
    for s in SAMPLES {
        csv.push_str(&format!(
            "{s},{}\n",
            data.join("fastq").join(format!("{s}.fastq.gz")).display()
        ));
    }
    std::fs::write(&sheet, csv).unwrap();
    Setup {
        work: work.clone(),
        sheet,
        mature: data.join("mirbase/mature_nfcore_test.fa"),
        hairpin: data.join("mirbase/hairpin_hsa.fa"),
        outdir: work.join("results"),
        _tmp: tmp,
    }
}

/// Runs the Snakefile in `s.work` with the mirq under test first on PATH;
/// returns whether it succeeded, with its output.
fn snakemake(s: &Setup, extra: &[&str]) -> (bool, String) {
    let snakefile = Path::new(env!("CARGO_MANIFEST_DIR")).join("workflow/Snakefile");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_mirq")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let config = |k: &str, v: &Path| format!("{k}={}", v.display());
    let out = Command::new("snakemake")
        .arg("-s")
        .arg(&snakefile)
        .args(["--cores", "2", "--directory"])
        .arg(&s.work)
        .args(extra)
        .arg("--config")
        .arg(config("samplesheet", &s.sheet))
        .arg(config("mature", &s.mature))
        .arg(config("hairpin", &s.hairpin))
        .args(["species=hsa", "protocol=nextflex", "threads=2"])
        .arg(config("outdir", &s.outdir))
        .env("PATH", path)
        .output()
        .expect("snakemake starts");
    let mut log = format!(
        "--- stdout\n{}--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for l in ["merge.log"] {
        if let Ok(t) = std::fs::read_to_string(s.outdir.join("logs").join(l)) {
            log.push_str(&format!("--- {l}\n{t}"));
        }
    }
    (out.status.success(), log)
}

/// One `mirq quant` over the three samples.
fn joint_run(s: &Setup) -> PathBuf {
    let out = s.work.join("joint");
    common::run_ok(
        common::mirq()
            .args(["quant", "-q", "-t", "2", "--protocol", "nextflex"])
            .args(["--species", "hsa", "--mature"])
            .arg(&s.mature)
            .arg("--hairpin")
            .arg(&s.hairpin)
            .arg("--samplesheet")
            .arg(&s.sheet)
            .arg("-o")
            .arg(&out),
    );
    out
}

#[test]
fn snakemake_quant_rule_runs_every_sample() {
    let Some(shared) = common::shared() else {
        return;
    };
    if !snakemake_available() {
        return;
    }
    let s = setup(&shared);
    let (ok, log) = snakemake(&s, &["--until", "quant"]);
    assert!(ok, "snakemake --until quant failed:\n{log}");
    let joint = joint_run(&s);
    // each sample's own run gives the joint run's column
    for table in TABLES {
        let (jh, jrows) = common::read_table(&joint.join(table));
        for (k, sample) in SAMPLES.iter().enumerate() {
            let dir = s.outdir.join("samples").join(sample);
            let (h, rows) = common::read_table(&dir.join(table));
            assert_eq!(h[1..], [sample.to_string()], "{table}");
            assert_eq!(jh[k + 1], *sample);
            assert_eq!(rows.len(), jrows.len(), "{table}");
            for (name, v) in &rows {
                assert_eq!(v[0], jrows[name][k], "{table} {name} {sample}");
            }
        }
    }
    assert!(!s.outdir.join("mature_counts.tsv").exists());
}

#[test]
fn snakemake_merges_to_the_joint_run() {
    let Some(shared) = common::shared() else {
        return;
    };
    if !snakemake_available() {
        return;
    }
    let s = setup(&shared);
    let (ok, log) = snakemake(&s, &[]);
    assert!(
        ok,
        "snakemake failed (the merge rule needs the `mirq merge` subcommand):\n{log}"
    );
    let joint = joint_run(&s);
    for table in TABLES {
        let merged = std::fs::read(s.outdir.join(table)).unwrap();
        let want = std::fs::read(joint.join(table)).unwrap();
        assert!(
            merged == want,
            "merged {table} differs from the joint run's"
        );
    }
    let stats = common::stats(&s.outdir);
    let names: Vec<&str> = stats["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["sample"].as_str().unwrap())
        .collect();
    assert_eq!(names, SAMPLES);
}

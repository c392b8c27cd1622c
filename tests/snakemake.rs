//! The Snakemake workflow (`workflow/`, snakemake-workflows layout).
//!
//! - executed for real: three COMPSRA runs (NEXTflex, human) through
//!   `mirq quant` per sample and `mirq merge`, compared with one
//!   `mirq quant` over the three, without and with `ncrna` (two human
//!   class files); every declared output is written, every file written is
//!   declared;
//! - `snakemake --lint` and `snakefmt --check` find nothing;
//! - `config/config.yaml` and `.test/config/config.yaml` with their
//!   samplesheets pass `workflow/schemas/` (the schemas the workflow's
//!   `validate()` uses), and broken ones do not.
//!
//! Needs `snakemake` and `snakefmt` on PATH (`.ci/run` installs both at the
//! versions it pins): outside CI the tests skip with a message when one is
//! missing, in CI (`CI` set) they fail.

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
    /// The `ncrna` config: none unless a test sets it.
    ncrna: Vec<PathBuf>,
    /// The `screen` config (name, path): none unless a test sets it.
    screen: Vec<(String, PathBuf)>,
    /// The `clades` config: none unless a test sets it.
    clades: Vec<PathBuf>,
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
        ncrna: vec![],
        screen: vec![],
        clades: vec![],
        outdir: work.join("results"),
        _tmp: tmp,
    }
}

/// Runs the Snakefile in `s.work` with the mirq under test first on PATH;
/// returns whether it succeeded, with its output.
fn snakemake(s: &Setup, extra: &[&str]) -> (bool, String) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_mirq")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let config = |k: &str, v: &Path| format!("{k}={}", v.display());
    let ncrna: Vec<String> = s.ncrna.iter().map(|p| p.display().to_string()).collect();
    // the test configuration, its paths made absolute for --directory
    let out = Command::new("snakemake")
        .arg("-s")
        .arg(repo.join("workflow/Snakefile"))
        .arg("--configfile")
        .arg(repo.join(".test/config/config.yaml"))
        .args(["--cores", "2", "--directory"])
        .arg(&s.work)
        .args(extra)
        .arg("--config")
        .arg(config("samples", &s.sheet))
        .arg(config("mature", &s.mature))
        .arg(config("hairpin", &s.hairpin))
        // a YAML list, as --config reads it
        .arg(format!("ncrna=[{}]", ncrna.join(",")))
        // a YAML mapping and a list
        .arg(format!(
            "screen={{{}}}",
            s.screen
                .iter()
                .map(|(n, p)| format!("{n}: {}", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .arg(format!(
            "clades=[{}]",
            s.clades
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(",")
        ))
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
    for l in ["merge.log", "quant/compsra_sample01.log"] {
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
            .args(s.ncrna.iter().flat_map(|p| [Path::new("--ncrna"), p]))
            .args(
                s.screen
                    .iter()
                    .flat_map(|(n, p)| ["--screen".to_string(), format!("{n}={}", p.display())]),
            )
            .args(s.clades.iter().flat_map(|p| [Path::new("--clades"), p]))
            .arg("--samplesheet")
            .arg(&s.sheet)
            .arg("-o")
            .arg(&out),
    );
    out
}

/// With `screen` and `clades` in the config, every quant and the merge get
/// them, the screen and clade tables are declared outputs, and the merge
/// equals one joint run with the same options, byte for byte.
#[test]
fn snakemake_with_screen_and_clades_merges_to_the_joint_run() {
    let Some(shared) = common::shared() else {
        return;
    };
    if !snakemake_available() {
        return;
    }
    let mut s = setup(&shared);
    s.screen = vec![(
        "lambda".into(),
        shared.join("data/screen/lambda_NC_001416.fa.gz"),
    )];
    s.clades = vec![shared.join("data/mirbase/mirtrace_clades/animal_clades.txt")];
    let (ok, log) = snakemake(&s, &[]);
    assert!(ok, "snakemake with screen and clades failed:\n{log}");
    check_merged(&s);
    for table in ["screen_counts.tsv", "clade_counts.tsv"] {
        let text = std::fs::read_to_string(s.outdir.join("merged").join(table)).unwrap();
        let header = text.lines().next().unwrap();
        assert!(header.ends_with(&SAMPLES.join("\t")), "{table}: {header}");
    }
    let stats = common::stats(&s.outdir.join("merged"));
    assert_eq!(stats["settings"]["screen"][0]["name"], "lambda");
    assert_eq!(stats["settings"]["clades"]["clades"][7], "rodents");
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
    assert!(!s.outdir.join("merged/mature_counts.tsv").exists());
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
    check_merged(&s);
    assert!(!s.outdir.join("merged/ncrna_counts.tsv").exists());
}

/// With `ncrna` (two of the human class files), the same: the quant and
/// merge rules give mirq the files, each sample's run and the merge write
/// the ncRNA tables (declared: nothing is left untracked), and the merged
/// ones are those of one `mirq quant --ncrna` over the three samples.
#[test]
fn snakemake_with_ncrna_merges_to_the_joint_run() {
    let Some(shared) = common::shared() else {
        return;
    };
    if !snakemake_available() {
        return;
    }
    let mut s = setup(&shared);
    s.ncrna = ["tRNA", "YRNA"]
        .iter()
        .map(|class| shared.join(format!("data/ncrna/hsa/{class}.fa")))
        .collect();
    // the plan: both rules with every class file, once each
    let (ok, plan) = snakemake(&s, &["--dry-run", "--printshellcmds"]);
    assert!(ok, "snakemake --dry-run failed:\n{plan}");
    let ncrna_args = format!(
        "--ncrna {} --ncrna {}",
        s.ncrna[0].display(),
        s.ncrna[1].display()
    );
    let commands: Vec<&str> = plan
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Shell command: "))
        .filter(|c| c.starts_with("mirq "))
        .collect();
    assert_eq!(commands.len(), SAMPLES.len() + 1, "{plan}");
    for c in &commands {
        assert!(c.contains(&ncrna_args), "{c}");
    }
    // and the ncRNA tables among the outputs of each
    let outputs: Vec<&str> = plan
        .lines()
        .filter_map(|l| l.trim().strip_prefix("output: "))
        .filter(|o| o.contains("/inserts.tsv.gz"))
        .collect();
    assert_eq!(outputs.len(), SAMPLES.len() + 1, "{plan}");
    for o in &outputs {
        assert!(
            o.contains("/ncrna_counts.tsv,") && o.contains("/ncrna_features.tsv,"),
            "{o}"
        );
    }

    let (ok, log) = snakemake(&s, &[]);
    assert!(ok, "snakemake with ncrna failed:\n{log}");
    check_merged(&s);
    for table in ["ncrna_counts.tsv", "ncrna_features.tsv"] {
        for sample in SAMPLES {
            let f = s.outdir.join("samples").join(sample).join(table);
            assert!(f.is_file(), "{}", f.display());
        }
        let text = std::fs::read_to_string(s.outdir.join("merged").join(table)).unwrap();
        let header = text.lines().next().unwrap();
        assert!(header.ends_with(&SAMPLES.join("\t")), "{table}: {header}");
        assert!(text.lines().count() > 3, "{table}: {text}");
    }
    let stats = common::stats(&s.outdir.join("merged"));
    assert_eq!(
        stats["settings"]["ncrna"]["classes"],
        serde_json::json!(["tRNA", "YRNA"])
    );
}

/// After a whole run: the merged outputs equal those of one `mirq quant`
/// over the three samples (with the same references), every file written is
/// declared, the logs keep mirq's summaries, and the columns are in
/// samplesheet order.
fn check_merged(s: &Setup) {
    let joint = joint_run(s);
    // every output of the joint run, byte for byte (stats.json and
    // report.html have timings)
    let files = common::files_under(&joint);
    assert!(files.len() > TABLES.len() + 4, "{files:?}");
    // stats.json and report.html have timings, mirq.log the command line
    for f in files
        .iter()
        .filter(|f| !["stats.json", "report.html", "mirq.log"].contains(&f.as_str()))
    {
        let merged =
            std::fs::read(s.outdir.join("merged").join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        let want = std::fs::read(joint.join(f)).unwrap();
        assert!(merged == want, "merged {f} differs from the joint run's");
    }
    // and every file written is a declared output, or inside a directory()
    // one (which --list-untracked cannot see into)
    let (ok, untracked) = snakemake(s, &["--list-untracked"]);
    assert!(ok, "{untracked}");
    let undeclared: Vec<&str> = untracked
        .lines()
        .filter(|l| l.starts_with("results/"))
        .filter(|l| {
            !["collapsed", "qc", "multiqc"]
                .iter()
                .any(|d| l.starts_with(&format!("results/merged/{d}/")))
        })
        .collect();
    assert!(
        undeclared.is_empty(),
        "written, not declared: {undeclared:?}"
    );
    // the logs keep mirq's summaries
    for (log, says) in [
        ("merge.log", "merged 3 samples"),
        ("quant/compsra_sample01.log", "compsra_sample01: "),
    ] {
        let text = std::fs::read_to_string(s.outdir.join("logs").join(log)).unwrap();
        assert!(text.contains(says), "{log}: {text}");
    }
    let stats = common::stats(&s.outdir.join("merged"));
    let names: Vec<&str> = stats["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["sample"].as_str().unwrap())
        .collect();
    assert_eq!(names, SAMPLES);
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs a linter; returns whether it exited 0, with its output.
fn lint(program: &str, args: &[&str], dir: &Path) -> (bool, String) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn snakemake_lint_and_snakefmt_are_clean() {
    if !snakemake_available()
        || !common::tool_available("snakefmt", &["--version"], "pip install snakefmt")
    {
        return;
    }
    let repo = repo();
    let (ok, out) = lint("snakefmt", &["--check", "workflow"], &repo);
    assert!(ok, "snakefmt --check workflow:\n{out}");
    assert!(out.contains("would be left unchanged"), "{out}");

    // the workflow as config/config.yaml sets it up (the demo's reads),
    // linted in a scratch directory with the paths made absolute
    let tmp = tempfile::tempdir().unwrap();
    let sheet = tmp.path().join("samples.csv");
    let mut csv = String::from("sample,fastq_1\n");
    for s in ["plasma_A", "plasma_B"] {
        let fq = repo.join(format!("demo/reads/{s}.fastq.gz"));
        csv.push_str(&format!("{s},{}\n", fq.display()));
    }
    std::fs::write(&sheet, csv).unwrap();
    let abs = |k: &str, p: &Path| format!("{k}={}", p.display());
    let snakefile = repo.join("workflow/Snakefile");
    let configfile = repo.join("config/config.yaml");
    let args = [
        "-s".to_string(),
        snakefile.display().to_string(),
        "--configfile".into(),
        configfile.display().to_string(),
        "--lint".into(),
        "--config".into(),
        abs("samples", &sheet),
        abs("mature", &repo.join("demo/reference/mature.fa")),
        abs("hairpin", &repo.join("demo/reference/hairpin.fa")),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, out) = lint("snakemake", &args, tmp.path());
    assert!(ok, "snakemake --lint:\n{out}");
    assert!(!out.contains("Lints for"), "snakemake --lint:\n{out}");

    // it can fail: the same lint on a copy of the workflow without a log:
    let copy = tmp.path().join("workflow");
    for sub in ["rules", "schemas", "envs"] {
        std::fs::create_dir_all(copy.join(sub)).unwrap();
        for e in std::fs::read_dir(repo.join("workflow").join(sub)).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, copy.join(sub).join(p.file_name().unwrap())).unwrap();
        }
    }
    let text = std::fs::read_to_string(&snakefile).unwrap();
    let without_log = text.replacen("    log:\n", "    benchmark:\n", 1);
    assert_ne!(without_log, text);
    std::fs::write(copy.join("Snakefile"), without_log).unwrap();
    let mut args = args.clone();
    let broken = copy.join("Snakefile").display().to_string();
    args[1] = &broken;
    let (ok, out) = lint("snakemake", &args, tmp.path());
    assert!(
        !ok && out.contains("Lints for"),
        "a rule without log: passed:\n{out}"
    );
}

/// A YAML schema of `workflow/schemas/`, as `snakemake.utils.validate()`
/// reads it.
fn workflow_schema(name: &str) -> jsonschema::Validator {
    let path = repo().join("workflow/schemas").join(name);
    let schema: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    jsonschema::meta::validate(&schema).unwrap_or_else(|e| panic!("{name}: {e}"));
    jsonschema::validator_for(&schema).unwrap()
}

fn csv_rows(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            let row: serde_json::Map<String, serde_json::Value> = header
                .iter()
                .zip(l.split(','))
                .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
                .collect();
            serde_json::Value::Object(row)
        })
        .collect()
}

#[test]
fn workflow_configs_pass_the_workflow_schemas() {
    let config_schema = workflow_schema("config.schema.yaml");
    let samples_schema = workflow_schema("samples.schema.yaml");
    // (config file, the directory its paths are relative to)
    for (rel, workdir) in [
        ("config/config.yaml", ""),
        (".test/config/config.yaml", ".test"),
    ] {
        let config: serde_json::Value =
            serde_norway::from_str(&std::fs::read_to_string(repo().join(rel)).unwrap()).unwrap();
        let errs: Vec<String> = config_schema
            .iter_errors(&config)
            .map(|e| e.to_string())
            .collect();
        assert!(errs.is_empty(), "{rel}: {errs:?}");
        let workdir = repo().join(workdir);
        let sheet = workdir.join(config["samples"].as_str().unwrap());
        let rows = csv_rows(&sheet);
        assert!(!rows.is_empty());
        for row in &rows {
            assert!(samples_schema.is_valid(row), "{}: {row}", sheet.display());
        }
        if rel.starts_with(".test") && common::shared().is_none() {
            continue;
        }
        // the reads are there, relative to the samplesheet's directory, and
        // the references relative to the working directory
        let sheet_dir = sheet.parent().unwrap();
        let reads = rows
            .iter()
            .map(|r| sheet_dir.join(r["fastq_1"].as_str().unwrap()));
        let references = ["mature", "hairpin"].map(|k| workdir.join(config[k].as_str().unwrap()));
        let ncrna: Vec<PathBuf> = config["ncrna"]
            .as_array()
            .unwrap_or_else(|| panic!("{rel}: no ncrna list"))
            .iter()
            .map(|p| workdir.join(p.as_str().unwrap()))
            .collect();
        if rel.starts_with(".test") {
            assert_eq!(ncrna.len(), 2, "{rel}: the test config's ncrna");
        }
        for f in reads.chain(references).chain(ncrna) {
            assert!(f.is_file(), "{rel}: {} missing", f.display());
        }
    }
    // and broken ones do not pass
    let good: serde_json::Value = serde_norway::from_str(
        &std::fs::read_to_string(repo().join("config/config.yaml")).unwrap(),
    )
    .unwrap();
    for (key, value) in [
        ("protocol", serde_json::json!("truseq")),
        ("threads", serde_json::json!(0)),
        ("species", serde_json::json!("human")),
        ("samplesheet", serde_json::json!("samples.csv")),
        // a list, even of one path
        ("ncrna", serde_json::json!("tRNA.fa")),
        ("ncrna", serde_json::json!([""])),
    ] {
        let mut bad = good.clone();
        bad[key] = value;
        assert!(
            !config_schema.is_valid(&bad),
            "accepted {key}: {}",
            bad[key]
        );
    }
    let mut no_mature = good.clone();
    no_mature.as_object_mut().unwrap().remove("mature");
    assert!(!config_schema.is_valid(&no_mature));
    for bad in [
        serde_json::json!({ "sample": "a b", "fastq_1": "a.fastq.gz" }),
        serde_json::json!({ "sample": "a", "fastq_1": "a.bam" }),
        serde_json::json!({ "sample": "a" }),
    ] {
        assert!(!samples_schema.is_valid(&bad), "accepted {bad}");
    }
}

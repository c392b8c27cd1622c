//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The shared data folder beside the checkout (`../shared`), or
/// `$MIRQ_SHARED`. Tests that need it fail loudly when it is missing in CI.
pub fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("MIRQ_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if dir.join("data").is_dir() {
        Some(dir)
    } else if std::env::var_os("CI").is_some() {
        panic!(
            "{} is missing: CI must have ../shared beside the checkout",
            dir.display()
        );
    } else {
        eprintln!("skipping: no shared data at {}", dir.display());
        None
    }
}

/// Whether `program args...` runs and succeeds: the external tool a test
/// needs is installed. Outside CI a missing tool skips the test with a
/// message naming `install`; in CI (which must install it) it panics.
pub fn tool_available(program: &str, args: &[&str], install: &str) -> bool {
    let ok = Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("{program} {args:?} failed: CI must install it (.ci/run: {install})");
        }
        eprintln!("skipping: {program} {args:?} failed ({install})");
    }
    ok
}

/// The class files of `../shared/data/ncrna/{hsa,mmu}/` (that folder also
/// holds a comparison-only tRNA file, so tests name the files).
pub const NCRNA_CLASSES: [&str; 10] = [
    "tRNA",
    "rRNA",
    "snRNA",
    "snoRNA",
    "YRNA",
    "7SK",
    "7SL_SRP",
    "vaultRNA",
    "misc_other",
    "artifact",
];

/// `--ncrna FILE` arguments for every class file of a species' set.
pub fn ncrna_args(shared: &Path, species: &str) -> Vec<std::ffi::OsString> {
    let mut args = Vec::new();
    for class in NCRNA_CLASSES {
        args.push("--ncrna".into());
        args.push(
            shared
                .join(format!("data/ncrna/{species}/{class}.fa"))
                .into_os_string(),
        );
    }
    args
}

/// The mirq binary under test.
pub fn mirq() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mirq"))
}

/// A `mirq quant -q` command line being built: species, mature FASTA and
/// output directory first, then whatever the test adds.
pub struct Quant(Command);

impl Quant {
    /// `mirq quant -q --species SPECIES --mature MATURE -o OUT`.
    pub fn new(species: &str, mature: impl AsRef<OsStr>, out: &Path) -> Self {
        let mut cmd = mirq();
        cmd.args(["quant", "-q", "--species", species])
            .arg("--mature")
            .arg(mature)
            .arg("-o")
            .arg(out);
        Self(cmd)
    }

    /// The same, on a miRBase file pair of `../shared/data/mirbase`
    /// (`hairpin`: None for mature-only runs).
    pub fn mirbase(
        shared: &Path,
        species: &str,
        mature: &str,
        hairpin: Option<&str>,
        out: &Path,
    ) -> Self {
        let dir = shared.join("data/mirbase");
        let q = Self::new(species, dir.join(mature), out);
        match hairpin {
            Some(h) => q.arg("--hairpin").arg(dir.join(h)),
            None => q,
        }
    }

    /// Adds one argument.
    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Self {
        self.0.arg(a);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.0.args(args);
        self
    }

    /// Sets environment variables for it.
    pub fn envs(mut self, vars: &[(&str, &str)]) -> Self {
        self.0.envs(vars.iter().copied());
        self
    }

    /// Runs it and asserts it succeeded (stderr in the message); stdout.
    pub fn run_ok(mut self) -> String {
        run_ok(&mut self.0)
    }

    /// Runs it, whatever the outcome.
    pub fn output(mut self) -> Output {
        self.0.output().expect("mirq starts")
    }
}

/// Relative paths of every file under `dir`, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Path of a file in the repository's tests/data.
pub fn test_data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// Reads a count table: row name → values, plus the header.
pub fn read_table(path: &Path) -> (Vec<String>, HashMap<String, Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split('\t')
        .map(String::from)
        .collect();
    let rows = lines
        .map(|l| {
            let mut f = l.split('\t');
            let name = f.next().unwrap().to_string();
            (name, f.map(|v| v.parse().unwrap()).collect())
        })
        .collect();
    (header, rows)
}

fn ranks(xs: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[a].partial_cmp(&xs[b]).unwrap());
    let mut r = vec![0.0; xs.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && xs[order[j + 1]] == xs[order[i]] {
            j += 1;
        }
        for k in i..=j {
            r[order[k]] = (i + j) as f64 / 2.0;
        }
        i = j + 1;
    }
    r
}

/// Spearman rank correlation (ties get mean ranks).
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum::<f64>().sqrt();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum::<f64>().sqrt();
    cov / (va * vb)
}

/// Runs a command, panicking with its stderr when it fails.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command starts");
    assert!(
        out.status.success(),
        "{:?} failed:\n{}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// stats.json of an output directory.
pub fn stats(outdir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(outdir.join("stats.json")).unwrap()).unwrap()
}

/// `score_counts.py` figures for one count table against a simulator truth.
pub struct Score {
    pub l1_error: f64,
    pub recovered: f64,
}

/// Runs `../shared/tools/score_counts.py` (`--molecules` when asked).
pub fn score_counts(
    shared: &Path,
    truth: &Path,
    mature: &Path,
    species: &str,
    counts: &Path,
    molecules: bool,
) -> Score {
    let mut cmd = Command::new("python3");
    cmd.arg(shared.join("tools/score_counts.py"))
        .arg("--truth")
        .arg(truth)
        .arg("--mature")
        .arg(mature)
        .args(["--species", species, "--counts"])
        .arg(counts);
    if molecules {
        cmd.arg("--molecules");
    }
    let report = run_ok(&mut cmd);
    let last = report.lines().last().unwrap_or_default().to_string();
    let field = |key: &str| -> f64 {
        last.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key} in {report}"))
            .parse()
            .unwrap()
    };
    eprintln!("{}: {last}", counts.display());
    Score {
        l1_error: field("l1_error"),
        recovered: field("recovered"),
    }
}

/// Simulates reads of known origin with `../shared/tools/simulate_smallrna.py`
/// from `mature` and `hairpin` (species hsa) into `prefix`, with the
/// simulator's further `args`; returns the FASTQ (`prefix.fastq.gz`).
pub fn simulate(
    shared: &Path,
    mature: &Path,
    hairpin: &Path,
    args: &[&str],
    prefix: &Path,
) -> PathBuf {
    run_ok(
        Command::new("python3")
            .arg(shared.join("tools/simulate_smallrna.py"))
            .arg("--mature")
            .arg(mature)
            .arg("--hairpin")
            .arg(hairpin)
            .args(["--species", "hsa"])
            .args(args)
            .arg("--out")
            .arg(prefix),
    );
    prefix.with_extension("fastq.gz")
}

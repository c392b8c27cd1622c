//! The Nextflow modules (`modules/nf-core/mirq/{quant,merge}/main.nf`),
//! tested without Nextflow: each module's `script:` (and `stub:`) block is
//! rendered the way Nextflow renders it for a task (the Groovy statements
//! before the triple-quoted string evaluated; `${...}` / `$name`
//! interpolated with `meta`, `task.cpus`, `task.ext.*`, `task.process` and
//! the staged input names; `\\` and `\$` unescaped; the indentation
//! stripped), written to `.command.sh` and run with `bash -euo pipefail` (the
//! pipeline's `process.shell`) in a task directory where the inputs are
//! staged as symlinks (`stageAs:` patterns applied as Nextflow applies them),
//! with the mirq under test first on PATH; the `eval(...)` of the versions
//! topic is run there too. The command lines Nextflow would run are the ones
//! tested, on real runs from `../shared/data/`. `stub:` blocks run with a
//! `mirq` first on PATH that fails, so a stub cannot call mirq.
//!
//! The renderer knows the Groovy the modules use and nothing more (string
//! literals, GStrings, dotted names, `?:`, `c ? a : b`); anything else makes
//! it panic, so a module cannot drift from what is rendered here unnoticed.
//!
//! `merge_module_merges_to_the_joint_run` needs `mirq merge`: until that
//! subcommand exists it fails (it does not skip).

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

// ---------------------------------------------------------------- renderer

/// A Groovy value, as far as the modules need.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Null,
    Str(String),
    /// Staged file names of a multi-file `path` input (rendered space-separated).
    List(Vec<String>),
}

impl Val {
    fn truthy(&self) -> bool {
        match self {
            Val::Null => false,
            Val::Str(s) => !s.is_empty(),
            Val::List(l) => !l.is_empty(),
        }
    }

    fn render(&self) -> String {
        match self {
            Val::Null => "null".into(),
            Val::Str(s) => s.clone(),
            Val::List(l) => l.join(" "),
        }
    }
}

/// Variables of one task: `meta.id`, `task.cpus`, `task.ext.args`, input
/// names, and what the script block defines.
#[derive(Debug, Clone, Default)]
struct Env(HashMap<String, Val>);

impl Env {
    fn set(&mut self, name: &str, v: Val) -> &mut Self {
        self.0.insert(name.to_string(), v);
        self
    }

    fn get(&self, name: &str) -> Val {
        match self.0.get(name) {
            Some(v) => v.clone(),
            // an unset task.ext.* is null in Nextflow
            None if name.starts_with("task.ext.") => Val::Null,
            None => panic!("the renderer has no value for `{name}`"),
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    env: &'a Env,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&self, lit: &str) -> bool {
        self.s[self.i..].starts_with(lit.as_bytes())
    }

    fn expect(&mut self, lit: &str) {
        self.ws();
        assert!(
            self.peek(lit),
            "expected `{lit}` at `{}`",
            String::from_utf8_lossy(&self.s[self.i..])
        );
        self.i += lit.len();
    }

    fn ternary(&mut self) -> Val {
        let cond = self.elvis();
        self.ws();
        if self.peek("?") && !self.peek("?:") {
            self.i += 1;
            let yes = self.ternary();
            self.expect(":");
            let no = self.ternary();
            return if cond.truthy() { yes } else { no };
        }
        cond
    }

    fn elvis(&mut self) -> Val {
        let mut v = self.primary();
        loop {
            self.ws();
            if !self.peek("?:") {
                return v;
            }
            self.i += 2;
            let alt = self.primary();
            if !v.truthy() {
                v = alt;
            }
        }
    }

    fn primary(&mut self) -> Val {
        self.ws();
        let Some(&c) = self.s.get(self.i) else {
            panic!("expression ends early")
        };
        match c {
            b'\'' => {
                self.i += 1;
                let mut out = String::new();
                loop {
                    match self.s[self.i] {
                        b'\'' => break,
                        b'\\' => {
                            self.i += 1;
                            out.push(self.s[self.i] as char);
                        }
                        b => out.push(b as char),
                    }
                    self.i += 1;
                }
                self.i += 1;
                Val::Str(out)
            }
            b'"' => {
                let start = self.i + 1;
                let mut j = start;
                while self.s[j] != b'"' {
                    j += if self.s[j] == b'\\' { 2 } else { 1 };
                }
                self.i = j + 1;
                let body = std::str::from_utf8(&self.s[start..j]).unwrap();
                Val::Str(interpolate(body, self.env))
            }
            b'(' => {
                self.i += 1;
                let v = self.ternary();
                self.expect(")");
                v
            }
            b'[' => {
                self.expect("[");
                self.expect("]");
                Val::List(vec![])
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = self.i;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_alphanumeric()
                        || self.s[self.i] == b'_'
                        || self.s[self.i] == b'.')
                {
                    self.i += 1;
                }
                let name = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                self.env.get(name)
            }
            _ => panic!(
                "the renderer does not know `{}`",
                String::from_utf8_lossy(&self.s[self.i..])
            ),
        }
    }
}

fn eval(expr: &str, env: &Env) -> Val {
    let mut p = Parser {
        s: expr.as_bytes(),
        i: 0,
        env,
    };
    let v = p.ternary();
    p.ws();
    assert_eq!(p.i, expr.len(), "trailing text in `{expr}`");
    v
}

/// Groovy GString interpolation and escapes.
fn interpolate(body: &str, env: &Env) -> String {
    let b = body.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                let c = b[i + 1];
                match c {
                    b'n' => out.push('\n'),
                    b't' => out.push('\t'),
                    b'\\' | b'$' | b'"' | b'\'' => out.push(c as char),
                    _ => panic!("the renderer does not know the escape \\{}", c as char),
                }
                i += 2;
            }
            b'$' if b.get(i + 1) == Some(&b'{') => {
                let end = i + body[i..].find('}').expect("closing }");
                out.push_str(&eval(&body[i + 2..end], env).render());
                i = end + 1;
            }
            b'$' if b
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') =>
            {
                // `$a.b.c`: dotted names, a dot only when a name follows it
                let mut j = i + 1;
                loop {
                    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                        j += 1;
                    }
                    if j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_alphabetic() {
                        j += 1;
                    } else {
                        break;
                    }
                }
                out.push_str(&env.get(&body[i + 1..j]).render());
                i = j;
            }
            b'$' => panic!("bare $ in a GString: escape it as \\$"),
            _ => {
                let c = body[i..].chars().next().unwrap();
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

/// Groovy's `stripIndent()`: the common leading whitespace of the non-blank
/// lines removed.
fn strip_indent(text: &str) -> String {
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    text.lines()
        .map(|l| {
            if l.len() >= indent {
                &l[indent..]
            } else {
                l.trim_start()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// `modules/nf-core/mirq/<name>/`.
fn module_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("modules/nf-core/mirq")
        .join(name)
}

/// One module's `main.nf`.
struct Module {
    text: String,
}

impl Module {
    fn load(name: &str) -> Self {
        let path = module_dir(name).join("main.nf");
        Self {
            text: std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        }
    }

    /// The lines of a process section (`input:`, `output:`, `script:`,
    /// `stub:`...): from its label to the next label or the process' end.
    fn section(&self, label: &str) -> Vec<&str> {
        let is_label = |l: &str| {
            l.starts_with("    ")
                && !l.starts_with("     ")
                && l.trim_end().ends_with(':')
                && l.trim().chars().all(|c| c.is_ascii_lowercase() || c == ':')
        };
        let mut lines = self.text.lines();
        lines
            .by_ref()
            .find(|l| l.trim_end() == format!("    {label}:"))
            .unwrap_or_else(|| panic!("no {label}: section"));
        lines
            .take_while(|l| !is_label(l) && *l != "}")
            .collect::<Vec<_>>()
    }

    /// The `script:` or `stub:` block rendered for a task: the statements
    /// before the triple-quoted string evaluated into `env`, the string
    /// interpolated and its indentation stripped.
    fn render(&self, block: &str, env: &mut Env) -> String {
        let lines = self.section(block);
        let open = lines
            .iter()
            .position(|l| l.trim() == "\"\"\"")
            .expect("opening \"\"\"");
        for stmt in &lines[..open] {
            let stmt = stmt.trim();
            if stmt.is_empty() || stmt.starts_with("//") {
                continue;
            }
            let stmt = stmt.strip_prefix("def ").unwrap_or(stmt);
            let (name, expr) = stmt
                .split_once('=')
                .unwrap_or_else(|| panic!("the renderer does not know `{stmt}`"));
            let v = eval(expr.trim(), env);
            env.set(name.trim(), v);
        }
        let close = open
            + 1
            + lines[open + 1..]
                .iter()
                .position(|l| l.trim() == "\"\"\"")
                .expect("closing \"\"\"");
        let body = lines[open + 1..close].join("\n");
        strip_indent(&interpolate(&body, env))
    }

    /// Declared outputs: (rendered path pattern, optional, emit name).
    fn outputs(&self, env: &Env) -> Vec<(String, bool, String)> {
        let mut out = Vec::new();
        for line in self.section("output") {
            let line = line.trim();
            if line.is_empty() || line.starts_with("//") {
                continue;
            }
            let emit = emit_name(line);
            if line.contains("eval(") {
                continue; // see eval_outputs
            }
            let optional = line.contains("optional: true");
            let quoted = line
                .split_once("path(\"")
                .or_else(|| line.split_once("path \""))
                .unwrap_or_else(|| panic!("no path in `{line}`"))
                .1;
            let pattern = &quoted[..quoted.find('"').unwrap()];
            out.push((interpolate(pattern, env), optional, emit));
        }
        out
    }

    /// The `eval(...)` outputs: (command, emit name, topic).
    fn eval_outputs(&self) -> Vec<(String, String, Option<String>)> {
        let mut out = Vec::new();
        for line in self.section("output") {
            let line = line.trim();
            let Some((_, rest)) = line.split_once("eval(\"") else {
                continue;
            };
            let command = &rest[..rest.find("\")").expect("eval(\"...\")")];
            let topic = line
                .split_once("topic:")
                .map(|(_, t)| t.split(',').next().unwrap().trim().to_string());
            out.push((command.to_string(), emit_name(line), topic));
        }
        out
    }

    /// The `stageAs:` pattern of a `path` input, if it has one.
    fn stage_as(&self, input: &str) -> Option<String> {
        let decl = format!("path({input}, stageAs: '");
        let line = self
            .section("input")
            .into_iter()
            .find(|l| l.contains(&decl))?;
        let rest = &line[line.find(&decl).unwrap() + decl.len()..];
        Some(rest[..rest.find('\'').unwrap()].to_string())
    }

    /// Input names in declaration order (`meta`, `reads`, `mature`, ...).
    fn inputs(&self) -> Vec<String> {
        self.input_channels().into_iter().flatten().collect()
    }

    /// Input names by channel (one declaration each), in declaration order:
    /// `[["meta", "reads"], ["meta2", "mature"], ...]`.
    fn input_channels(&self) -> Vec<Vec<String>> {
        let mut channels = Vec::new();
        for line in self.section("input") {
            let line = line.trim();
            if line.is_empty() || line.starts_with("//") {
                continue;
            }
            let line = line.strip_prefix("tuple ").unwrap_or(line);
            let mut names = Vec::new();
            for part in line.split("),") {
                let part = part.trim();
                let name = if let Some(rest) = part.split_once('(') {
                    rest.1.split([',', ')']).next().unwrap()
                } else {
                    part.split_whitespace().nth(1).expect("qualifier and name")
                };
                names.push(name.trim().to_string());
            }
            channels.push(names);
        }
        channels
    }
}

/// The `emit:` name of an output line.
fn emit_name(line: &str) -> String {
    line.split("emit:")
        .nth(1)
        .map(|e| e.split(',').next().unwrap().trim().to_string())
        .unwrap_or_else(|| panic!("output without emit: `{line}`"))
}

/// Where Nextflow stages the `index`-th (from 0) of `n` files named `name`
/// for a `stageAs:` pattern: `*` (or none) keeps the name; `dir/*` puts it
/// in `dir/`; `dir??/*` (or `dir*/*`) in a directory numbered from 1,
/// zero-padded to the number of `?`.
fn staged_name(pattern: &str, index: usize, name: &str) -> String {
    if pattern.is_empty() || pattern == "*" {
        return name.to_string();
    }
    let dir = pattern
        .strip_suffix("/*")
        .unwrap_or_else(|| panic!("the renderer does not know stageAs '{pattern}'"));
    let width = dir.matches('?').count();
    let stem = dir.trim_end_matches(['?', '*']);
    assert!(
        !stem.contains(['?', '*']),
        "the renderer does not know stageAs '{pattern}'"
    );
    if stem.len() == dir.len() {
        format!("{dir}/{name}")
    } else {
        format!("{stem}{:0width$}/{name}", index + 1)
    }
}

/// Whether `name` matches a glob with `*` wildcards.
fn glob_match(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.starts_with(head)
                && (0..=name.len() - head.len()).any(|k| glob_match(tail, &name[head.len() + k..]))
        }
    }
}

/// Files or directories in `dir` matching a relative pattern (`*` only in
/// the last component).
fn glob(dir: &Path, pattern: &str) -> Vec<PathBuf> {
    let (parent, last) = pattern.rsplit_once('/').unwrap_or(("", pattern));
    let base = dir.join(parent);
    let Ok(entries) = std::fs::read_dir(&base) else {
        return vec![];
    };
    entries
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            glob_match(last, &name).then(|| base.join(name))
        })
        .collect()
}

// ----------------------------------------------------------------- tasks

/// A rendered task: its directory and its environment.
struct Task {
    dir: PathBuf,
    env: Env,
}

impl Task {
    /// A task directory under `work`; `env` gets `meta.id`, `task.cpus` and
    /// `task.process` (inputs come with [`Task::stage`]).
    fn new(work: &Path, name: &str, process: &str, meta_id: &str) -> Self {
        let dir = work.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let mut env = Env::default();
        env.set("meta.id", Val::Str(meta_id.into()))
            .set("task.cpus", Val::Str("2".into()))
            .set("task.process", Val::Str(process.into()));
        Self { dir, env }
    }

    /// Stages `files` as symlinks named by the input's `stageAs:` pattern
    /// ("" for none); the input renders as their staged names.
    fn stage(&mut self, input: &str, stage_as: &str, files: &[&Path]) -> &mut Self {
        let mut names = Vec::new();
        for (i, f) in files.iter().enumerate() {
            let name = f.file_name().unwrap().to_string_lossy();
            let rel = PathBuf::from(staged_name(stage_as, i, &name));
            let link = self.dir.join(&rel);
            std::fs::create_dir_all(link.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(f, &link).unwrap();
            names.push(rel.to_string_lossy().into_owned());
        }
        let v = if names.len() == 1 {
            Val::Str(names.pop().unwrap())
        } else {
            Val::List(names)
        };
        self.env.set(input, v);
        self
    }

    /// Renders `block` of `module`, writes `.command.sh` and runs it; returns
    /// whether it succeeded, with its stderr. A `stub:` block runs with a
    /// `mirq` first on PATH that fails: a stub must not call mirq.
    fn run(&mut self, module: &Module, block: &str) -> (bool, String) {
        let script = module.render(block, &mut self.env);
        let sh = self.dir.join(".command.sh");
        std::fs::write(&sh, format!("#!/bin/bash -euo pipefail\n{script}")).unwrap();
        let bin_dir = if block == "stub" {
            let fake = self.dir.join(".no_mirq");
            std::fs::create_dir_all(&fake).unwrap();
            let mirq = fake.join("mirq");
            std::fs::write(&mirq, "#!/bin/sh\necho 'a stub called mirq' >&2\nexit 97\n").unwrap();
            std::fs::set_permissions(&mirq, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .unwrap();
            fake
        } else {
            mirq_bin_dir()
        };
        let out = Command::new("bash")
            .args(["-euo", "pipefail", ".command.sh"])
            .current_dir(&self.dir)
            .env("PATH", path_with(&bin_dir))
            .output()
            .expect("bash starts");
        let log = format!(
            "--- .command.sh\n{script}--- stdout\n{}--- stderr\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), log)
    }

    /// Every declared, non-optional output exists; the versions topic's
    /// `eval` (run as Nextflow runs it after the script, in the task
    /// directory) gives mirq's version.
    fn check_outputs(&self, module: &Module) {
        let outputs = module.outputs(&self.env);
        assert!(!outputs.is_empty());
        for (pattern, optional, emit) in &outputs {
            let found = glob(&self.dir, pattern);
            assert!(
                *optional || !found.is_empty(),
                "{}: output `{emit}` ({pattern}) missing",
                self.dir.display()
            );
        }
        let evals = module.eval_outputs();
        assert_eq!(evals.len(), 1, "one versions output: {evals:?}");
        let (command, emit, topic) = &evals[0];
        assert_eq!(emit, "versions_mirq");
        assert_eq!(topic.as_deref(), Some("versions"));
        let out = Command::new("bash")
            .args(["-c", command])
            .current_dir(&self.dir)
            .env("PATH", path_with(&mirq_bin_dir()))
            .output()
            .expect("bash starts");
        assert!(out.status.success(), "eval({command}) failed");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            env!("CARGO_PKG_VERSION"),
            "eval({command})"
        );
    }
}

/// The directory of the mirq under test.
fn mirq_bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_mirq"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// PATH with `dir` first.
fn path_with(dir: &Path) -> String {
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// What the quant tasks of the tests run on: two samples of real NEXTflex
/// runs, the second pooled from two files (lanes); no ncRNA reference unless
/// a test gives one.
struct Inputs {
    mature: PathBuf,
    hairpin: PathBuf,
    /// The `ncrna` input: class FASTA files or directories of them.
    ncrna: Vec<PathBuf>,
    samples: Vec<(&'static str, Option<&'static str>, Vec<PathBuf>)>,
}

fn inputs(shared: &Path) -> Inputs {
    let data = shared.join("data");
    let fq = |n: &str| data.join("fastq").join(n);
    Inputs {
        mature: data.join("mirbase/mature_nfcore_test.fa"),
        hairpin: data.join("mirbase/hairpin_hsa.fa"),
        ncrna: vec![],
        samples: vec![
            // (meta.id, task.ext.prefix, reads)
            (
                "compsra01",
                Some("compsra01_quant"),
                vec![fq("compsra_sample01.fastq.gz")],
            ),
            (
                "compsra02_03",
                None,
                vec![
                    fq("compsra_sample02.fastq.gz"),
                    fq("compsra_sample03.fastq.gz"),
                ],
            ),
        ],
    }
}

/// ext.args as nextflow.config sets them for `--protocol nextflex`.
const QUANT_ARGS: &str = "--protocol nextflex";

/// Stages `files` as the module's `ncrna` input (none: `[]`), with its
/// `stageAs:`.
fn stage_ncrna(task: &mut Task, module: &Module, files: &[PathBuf]) {
    let pattern = module.stage_as("ncrna").expect("ncrna stageAs");
    let files: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    task.stage("ncrna", &pattern, &files);
}

/// Renders and runs MIRQ_QUANT for every sample; returns the output
/// directories.
fn run_quant_tasks(work: &Path, inp: &Inputs) -> Vec<PathBuf> {
    let module = Module::load("quant");
    let mut dirs = Vec::new();
    for (id, prefix, reads) in &inp.samples {
        let mut task = Task::new(work, &format!("quant_{id}"), "MIRQ_QUANT", id);
        let reads: Vec<&Path> = reads.iter().map(PathBuf::as_path).collect();
        task.stage("reads", "", &reads)
            .stage("mature", "", &[&inp.mature])
            .stage("hairpin", "", &[&inp.hairpin]);
        stage_ncrna(&mut task, &module, &inp.ncrna);
        task.env
            .set("species", Val::Str("hsa".into()))
            .set("task.ext.args", Val::Str(QUANT_ARGS.into()));
        if let Some(p) = prefix {
            task.env.set("task.ext.prefix", Val::Str((*p).into()));
        }
        let (ok, log) = task.run(&module, "script");
        assert!(ok, "MIRQ_QUANT {id} failed:\n{log}");
        task.check_outputs(&module);
        let outdir = task.dir.join(prefix.unwrap_or(id));
        let header = std::fs::read_to_string(outdir.join("mature_counts.tsv")).unwrap();
        assert_eq!(
            header.lines().next().unwrap(),
            format!("mirna\t{id}"),
            "the column is named by meta.id"
        );
        dirs.push(outdir);
    }
    dirs
}

/// One `mirq quant` over all the samples (the same samplesheet order).
fn joint_run(work: &Path, inp: &Inputs) -> PathBuf {
    let sheet = work.join("joint.csv");
    let mut csv = String::from("sample,fastq_1\n");
    for (id, _, reads) in &inp.samples {
        for r in reads {
            csv.push_str(&format!("{id},{}\n", r.display()));
        }
    }
    std::fs::write(&sheet, csv).unwrap();
    let out = work.join("joint");
    common::run_ok(
        common::mirq()
            .args(["quant", "-q", "-t", "2", "--species", "hsa"])
            .args(QUANT_ARGS.split_whitespace())
            .arg("--mature")
            .arg(&inp.mature)
            .arg("--hairpin")
            .arg(&inp.hairpin)
            .args(inp.ncrna.iter().flat_map(|p| [Path::new("--ncrna"), p]))
            .arg("--samplesheet")
            .arg(&sheet)
            .arg("-o")
            .arg(&out),
    );
    out
}

const TABLES: [&str; 4] = [
    "mature_counts.tsv",
    "mature_counts_unique.tsv",
    "mature_rpm.tsv",
    "hairpin_counts.tsv",
];

// ----------------------------------------------------------------- tests

#[test]
fn renderer_handles_the_groovy_the_modules_use() {
    let mut env = Env::default();
    env.set("meta.id", Val::Str("s1".into()))
        .set("task.cpus", Val::Str("4".into()))
        .set("hairpin", Val::List(vec![]))
        .set("reads", Val::List(vec!["a.fq.gz".into(), "b.fq.gz".into()]));
    assert_eq!(eval("task.ext.args ?: ''", &env), Val::Str(String::new()));
    assert_eq!(
        eval("task.ext.prefix ?: \"${meta.id}\"", &env),
        Val::Str("s1".into())
    );
    assert_eq!(
        eval("hairpin ? \"--hairpin ${hairpin}\" : ''", &env),
        Val::Str(String::new())
    );
    env.set("hairpin", Val::Str("h.fa".into()));
    assert_eq!(
        eval("hairpin ? \"--hairpin ${hairpin}\" : ''", &env),
        Val::Str("--hairpin h.fa".into())
    );
    assert_eq!(
        interpolate(
            r#"-t $task.cpus ${reads} \\ \$(x) 'a\\n' "\$f" $meta.id."#,
            &env
        ),
        r#"-t 4 a.fq.gz b.fq.gz \ $(x) 'a\n' "$f" s1."#
    );
    assert_eq!(
        strip_indent("\n    a\n        b\n\n    c"),
        "\na\n    b\n\nc\n"
    );
    assert!(glob_match("*.length.tsv", "x.length.tsv"));
    assert!(glob_match("mirq_*_mqc.json", "mirq_a_mqc.json"));
    assert!(!glob_match("*.tsv", "x.tsv.gz"));
}

/// The keys of a `meta.yml` channel: a list of one-key maps, or a list of
/// such lists (a tuple).
fn channel_keys(channel: &serde_norway::Value) -> Vec<String> {
    let mut keys = Vec::new();
    for element in channel.as_sequence().expect("a channel is a list") {
        let elements = match element.as_sequence() {
            Some(tuple) => tuple.iter().collect(),
            None => vec![element],
        };
        for e in elements {
            let map = e.as_mapping().expect("a channel element is a map");
            assert_eq!(map.len(), 1, "one key per element: {map:?}");
            keys.push(map.keys().next().unwrap().as_str().unwrap().to_string());
        }
    }
    keys
}

#[test]
fn meta_yml_describes_every_input_and_output() {
    for name in ["quant", "merge"] {
        let module = Module::load(name);
        let text = std::fs::read_to_string(module_dir(name).join("meta.yml")).unwrap();
        let meta: serde_norway::Value = serde_norway::from_str(&text).unwrap();
        assert_eq!(meta["name"].as_str(), Some(&*format!("mirq_{name}")));

        // inputs: the same names in the same channels and order
        let described: Vec<String> = meta["input"]
            .as_sequence()
            .unwrap()
            .iter()
            .flat_map(|c| channel_keys(&serde_norway::Value::Sequence(vec![c.clone()])))
            .collect();
        assert_eq!(described, module.inputs(), "{name}/meta.yml inputs");
        // reference inputs come with a meta map, as in nf-core
        for (i, input) in ["mature", "hairpin", "ncrna"].iter().enumerate() {
            let k = described.iter().position(|d| d == input).unwrap();
            assert_eq!(described[k - 1], format!("meta{}", i + 2), "{input}");
        }

        // outputs: every emit once, with the path main.nf declares
        let mut env = Env::default();
        env.set("prefix", Val::Str("${prefix}".into()));
        let outputs = meta["output"].as_mapping().expect("output: a map");
        let mut emits: Vec<String> = module
            .outputs(&env)
            .iter()
            .map(|(_, _, emit)| emit.clone())
            .collect();
        emits.extend(module.eval_outputs().into_iter().map(|(_, emit, _)| emit));
        let described: Vec<&str> = outputs.keys().map(|k| k.as_str().unwrap()).collect();
        assert_eq!(described, emits, "{name}/meta.yml outputs");
        for (pattern, _, emit) in module.outputs(&env) {
            assert_eq!(
                channel_keys(&outputs[emit.as_str()]),
                ["meta".to_string(), pattern.clone()],
                "{name}/meta.yml output {emit}"
            );
        }
        // no output is a directory, and no file is emitted twice
        let mut patterns: Vec<String> = module.outputs(&env).into_iter().map(|o| o.0).collect();
        patterns.sort();
        patterns.dedup();
        assert_eq!(patterns.len(), module.outputs(&env).len());
        assert!(
            !patterns.iter().any(|p| p == "${prefix}"),
            "{name}: the whole directory is emitted"
        );

        // versions: the topic tuple, described under output and topics
        let (command, emit, _) = &module.eval_outputs()[0];
        let want = vec![
            "${task.process}".to_string(),
            "mirq".into(),
            command.clone(),
        ];
        assert_eq!(channel_keys(&outputs[emit.as_str()]), want);
        assert_eq!(channel_keys(&meta["topics"]["versions"]), want);
        assert_eq!(meta["topics"]["versions"], outputs[emit.as_str()]);

        let envyml = std::fs::read_to_string(module_dir(name).join("environment.yml")).unwrap();
        assert!(envyml.contains(&format!("mirq={}", env!("CARGO_PKG_VERSION"))));
        for needle in [
            "tag \"$meta.id\"",
            "label '",
            "conda \"${moduleDir}/environment.yml\"",
            "container \"",
            "task.ext.when == null || task.ext.when",
            "def args = task.ext.args ?: ''",
            "prefix = task.ext.prefix ?: \"${meta.id}\"",
            "tuple val(meta2), path(mature)",
            "tuple val(meta3), path(hairpin)",
            "tuple val(meta4), path(ncrna, stageAs: 'ncrna/*')",
            "topic: versions",
            "2>| >(tee ${prefix}.log >&2)",
        ] {
            assert!(
                module.text.contains(needle),
                "{name}/main.nf lacks {needle}"
            );
        }
        // options come from task.ext.args only; versions from the topic only
        for absent in ["--quiet", " -q ", "versions.yml", "END_VERSIONS"] {
            assert!(!module.text.contains(absent), "{name}/main.nf has {absent}");
        }
    }
}

/// `nextflow/main.nf` (which no test runs: Nextflow is not installed here)
/// calls each module with one argument per input channel, and gives the
/// merge the very reference channels it gives the quant tasks: the mature,
/// hairpin and ncRNA ones, the last made from `params.ncrna` (`[]` without).
#[test]
fn pipeline_gives_both_modules_their_inputs_and_the_same_references() {
    let main =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("nextflow/main.nf"))
            .unwrap();
    // input (the channel's last name: reads, mature, ...) -> argument
    let mut args_by_module = Vec::new();
    for (name, process) in [("quant", "MIRQ_QUANT"), ("merge", "MIRQ_MERGE")] {
        let call = format!("{process} (");
        let (_, rest) = main
            .split_once(&call)
            .unwrap_or_else(|| panic!("main.nf does not call {process}"));
        let args: Vec<String> = rest[..rest.find(')').unwrap()]
            .split(',')
            .map(|a| a.trim().to_string())
            .collect();
        let channels = Module::load(name).input_channels();
        assert_eq!(
            args.len(),
            channels.len(),
            "{process}: {args:?} vs {channels:?}"
        );
        let by_input: HashMap<String, String> = channels
            .iter()
            .map(|c| c.last().unwrap().clone())
            .zip(args)
            .collect();
        args_by_module.push(by_input);
    }
    for reference in ["mature", "hairpin", "ncrna"] {
        assert_eq!(
            args_by_module[0][reference], args_by_module[1][reference],
            "{reference}"
        );
    }
    assert_eq!(args_by_module[0]["ncrna"], "ch_ncrna");
    assert!(main.contains("ch_ncrna = params.ncrna\n"), "ch_ncrna");
    assert!(main.contains("file(params.ncrna, checkIfExists: true)"));
    assert_eq!(args_by_module[0]["species"], "params.species");
}

#[test]
fn quant_module_runs_on_real_data() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let inp = inputs(&shared);
    let dirs = run_quant_tasks(dir.path(), &inp);
    // each sample's column is that of one run over both samples
    let joint = joint_run(dir.path(), &inp);
    for table in TABLES {
        let (jh, jrows) = common::read_table(&joint.join(table));
        for (k, d) in dirs.iter().enumerate() {
            let (h, rows) = common::read_table(&d.join(table));
            assert_eq!(h[1], jh[k + 1], "{table}");
            assert_eq!(rows.len(), jrows.len(), "{table}");
            for (name, v) in &rows {
                assert_eq!(v[0], jrows[name][k], "{table} {name} {}", h[1]);
            }
        }
    }
}

#[test]
fn merge_module_merges_to_the_joint_run() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let inp = inputs(&shared);
    let dirs = run_quant_tasks(dir.path(), &inp);
    let joint = joint_run(dir.path(), &inp);

    let module = Module::load("merge");
    let mut task = Task::new(dir.path(), "merge", "MIRQ_MERGE", "merged");
    stage_quant_outputs(&mut task, &module, &dirs);
    task.stage("mature", "", &[&inp.mature])
        .stage("hairpin", "", &[&inp.hairpin]);
    stage_ncrna(&mut task, &module, &[]);
    task.env
        .set("task.ext.prefix", Val::Str("merged_tables".into()));
    let (ok, log) = task.run(&module, "script");
    assert!(
        ok,
        "MIRQ_MERGE failed (this needs the `mirq merge` subcommand):\n{log}"
    );
    task.check_outputs(&module);
    // every output of the joint run, byte for byte (stats.json and
    // report.html have timings)
    let merged = task.dir.join("merged_tables");
    let files = common::files_under(&joint);
    assert_eq!(files, common::files_under(&merged));
    assert!(files.len() > TABLES.len() + 4, "{files:?}");
    // stats.json and report.html have timings, mirq.log the command line
    for f in files
        .iter()
        .filter(|f| !["stats.json", "report.html", "mirq.log"].contains(&f.as_str()))
    {
        let got = std::fs::read(merged.join(f)).unwrap();
        let want = std::fs::read(joint.join(f)).unwrap();
        assert!(got == want, "merged {f} differs from the joint run's");
    }
    let log = std::fs::read_to_string(task.dir.join("merged_tables.log")).unwrap();
    assert!(log.contains("merged 2 samples"), "{log}");
}

/// A table's rows as (the first `keys` columns, the sample columns), with
/// its sample names: the ncRNA tables have text key columns.
fn table_columns(path: &Path, keys: usize) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines.next().unwrap().split('\t').skip(keys);
    let rows = lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let values = f[keys..].iter().map(|v| v.to_string()).collect();
            (f[..keys].join("\t"), values)
        })
        .collect();
    (header.map(String::from).collect(), rows)
}

const NCRNA_TABLES: [(&str, usize); 2] = [("ncrna_counts.tsv", 1), ("ncrna_features.tsv", 3)];

/// The ncRNA reference through both modules: the quant tasks get a
/// directory of two class files (staged as `ncrna/<directory>`), the merge
/// task the two files themselves (staged as `ncrna/<file>`) from another
/// copy. The copy the quant tasks read, whose paths their stats.json
/// recorded, is gone by then, as it is for a merge task on another machine
/// or in a container: the merge reads only the files it is given, with
/// `--ncrna`, and without them it fails.
#[test]
fn modules_count_ncrna_and_merge_to_the_joint_run() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let copy = |to: &Path| -> Vec<PathBuf> {
        std::fs::create_dir_all(to).unwrap();
        ["tRNA", "YRNA"]
            .iter()
            .map(|class| {
                let file = to.join(format!("{class}.fa"));
                let from = shared.join(format!("data/ncrna/hsa/{class}.fa"));
                std::fs::copy(&from, &file).unwrap();
                file
            })
            .collect()
    };
    let quant_ref = dir.path().join("ncrna_hsa");
    copy(&quant_ref);
    let mut inp = inputs(&shared);
    inp.ncrna = vec![quant_ref.clone()];
    let dirs = run_quant_tasks(dir.path(), &inp);
    let joint = joint_run(dir.path(), &inp);

    // each sample's ncRNA columns are those of one run over both samples
    for (table, keys) in NCRNA_TABLES {
        let (jh, jrows) = table_columns(&joint.join(table), keys);
        assert!(jrows.len() >= 3, "{table}: {jrows:?}");
        for (k, d) in dirs.iter().enumerate() {
            let (h, rows) = table_columns(&d.join(table), keys);
            assert_eq!(h, [jh[k].clone()], "{table}");
            assert_eq!(rows.len(), jrows.len(), "{table}");
            for ((name, v), (jname, jv)) in rows.iter().zip(&jrows) {
                assert_eq!(name, jname, "{table}");
                assert_eq!(v[0], jv[k], "{table} {name} {}", h[0]);
            }
        }
    }
    let classes: Vec<String> = table_columns(&joint.join("ncrna_counts.tsv"), 1)
        .1
        .into_iter()
        .map(|(class, _)| class)
        .collect();
    assert_eq!(classes, ["tRNA", "YRNA", "antisense"]);
    let (_, counts) = table_columns(&joint.join("ncrna_counts.tsv"), 1);
    assert!(
        counts[..2].iter().all(|(_, v)| v.iter().all(|x| x != "0")),
        "the test runs have reads of both classes: {counts:?}"
    );

    // the merge, once the quant tasks' copy of the reference is gone
    std::fs::remove_dir_all(&quant_ref).unwrap();
    let merge_ref = copy(&dir.path().join("elsewhere"));
    let module = Module::load("merge");
    let merge_task = |name: &str, ncrna: &[PathBuf]| {
        let mut task = Task::new(dir.path(), name, "MIRQ_MERGE", "merged");
        stage_quant_outputs(&mut task, &module, &dirs);
        task.stage("mature", "", &[&inp.mature])
            .stage("hairpin", "", &[&inp.hairpin]);
        stage_ncrna(&mut task, &module, ncrna);
        task
    };
    let mut task = merge_task("merge_ncrna", &merge_ref);
    let (ok, log) = task.run(&module, "script");
    assert!(ok, "MIRQ_MERGE with ncrna failed:\n{log}");
    task.check_outputs(&module);
    let merged = task.dir.join("merged");
    for (table, _) in NCRNA_TABLES {
        assert!(!glob(&task.dir, &format!("merged/{table}")).is_empty());
    }
    // every output of the joint run, byte for byte (stats.json and
    // report.html have timings, mirq.log the command line)
    let files = common::files_under(&joint);
    assert_eq!(files, common::files_under(&merged));
    for f in files
        .iter()
        .filter(|f| !["stats.json", "report.html", "mirq.log"].contains(&f.as_str()))
    {
        let got = std::fs::read(merged.join(f)).unwrap();
        let want = std::fs::read(joint.join(f)).unwrap();
        assert!(got == want, "merged {f} differs from the joint run's");
    }
    // the staged files, given with --ncrna
    let mirq_log = std::fs::read_to_string(merged.join("mirq.log")).unwrap();
    assert!(
        mirq_log.contains("--ncrna ncrna/tRNA.fa --ncrna ncrna/YRNA.fa"),
        "{mirq_log}"
    );
    let stats = common::stats(&merged);
    assert_eq!(
        stats["settings"]["ncrna"]["classes"],
        serde_json::json!(["tRNA", "YRNA"])
    );

    // without them the merge has only the recorded paths, which are gone
    let mut task = merge_task("merge_no_ncrna", &[]);
    let (ok, log) = task.run(&module, "script");
    assert!(!ok, "MIRQ_MERGE without the ncRNA reference passed:\n{log}");
    assert!(log.contains("give --ncrna"), "{log}");
}

/// Stages the `inserts.tsv.gz` and `stats.json` of quant output directories
/// as MIRQ_MERGE's `inserts` and `stats` inputs, with their `stageAs:`.
fn stage_quant_outputs(task: &mut Task, module: &Module, dirs: &[PathBuf]) {
    for (input, file) in [("inserts", "inserts.tsv.gz"), ("stats", "stats.json")] {
        let pattern = module.stage_as(input).expect("stageAs");
        let files: Vec<PathBuf> = dirs.iter().map(|d| d.join(file)).collect();
        let files: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        task.stage(input, &pattern, &files);
    }
}

#[test]
fn stub_blocks_create_the_declared_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let any = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");

    let quant = Module::load("quant");
    let mut task = Task::new(dir.path(), "quant_stub", "MIRQ_QUANT", "s1");
    task.stage("reads", "", &[&any])
        .env
        .set("mature", Val::Str("mature.fa".into()))
        .set("hairpin", Val::List(vec![]))
        .set("ncrna", Val::List(vec![]))
        .set("species", Val::Str("hsa".into()));
    let (ok, log) = task.run(&quant, "stub");
    assert!(ok, "MIRQ_QUANT stub failed:\n{log}");
    task.check_outputs(&quant);

    // optional outputs too, in a stub
    for (pattern, _, emit) in quant.outputs(&task.env) {
        assert!(!glob(&task.dir, &pattern).is_empty(), "stub lacks {emit}");
    }

    let merge = Module::load("merge");
    let mut task = Task::new(dir.path(), "merge_stub", "MIRQ_MERGE", "merged");
    stage_quant_outputs(&mut task, &merge, &[dir.path().join("quant_stub/s1")]);
    task.env
        .set("mature", Val::Str("mature.fa".into()))
        .set("hairpin", Val::List(vec![]))
        .set("ncrna", Val::List(vec![]));
    let (ok, log) = task.run(&merge, "stub");
    assert!(ok, "MIRQ_MERGE stub failed:\n{log}");
    task.check_outputs(&merge);
    // optional outputs too, in a stub
    for (pattern, _, emit) in merge.outputs(&task.env) {
        assert!(!glob(&task.dir, &pattern).is_empty(), "stub lacks {emit}");
    }
}

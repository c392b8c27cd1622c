//! The source tree reads as the pipeline (see `src/lib.rs`): a stage may use
//! the stages above it and the foundation modules, never a stage below it.

use std::path::Path;

/// Stages in pipeline order, then the foundation every stage may use.
const STAGES: [&str; 6] = ["input", "prep", "align", "count", "output", "cmd"];
const FOUNDATION: [&str; 5] = ["seq", "error", "runtime", "numbers", "rng"];

/// The rank of a top-level module: foundation 0, stages 1.. in order.
fn rank(module: &str) -> Option<usize> {
    if FOUNDATION.contains(&module) {
        return Some(0);
    }
    STAGES.iter().position(|s| *s == module).map(|i| i + 1)
}

/// `crate::x` modules named in the code (not comments) of a file.
fn crate_modules(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn imports_only_run_down_the_stages() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut checked = 0;
    let mut upward = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let top = top.trim_end_matches(".rs");
        // lib.rs and the binary's files are the edge, not a stage
        let Some(own) = rank(top) else { continue };
        checked += 1;
        let text = std::fs::read_to_string(&file).unwrap();
        for module in crate_modules(&text) {
            match rank(&module) {
                Some(r) if r <= own || module == top => {}
                Some(_) => upward.push(format!("{} uses crate::{module}", rel.display())),
                None => upward.push(format!("{} uses unknown crate::{module}", rel.display())),
            }
        }
    }
    assert!(
        checked >= 30,
        "only {checked} files checked: did src/ move?"
    );
    assert!(
        upward.is_empty(),
        "imports against the stages:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_checker_sees_an_upward_import() {
    let found = crate_modules("use crate::output::stats::RunStats;\n// crate::cmd in a comment\n");
    assert_eq!(found, vec!["output".to_string()]);
    assert!(rank("output") > rank("prep"));
    assert_eq!(rank("seq"), Some(0));
}

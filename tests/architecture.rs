//! The source tree reads as the pipeline (see `src/lib.rs`): a stage may use
//! the stages above it and the foundation modules, never a stage below it.

use std::path::Path;

/// Stages in pipeline order, then the foundation every stage may use.
const STAGES: [&str; 6] = ["input", "prep", "align", "count", "output", "cmd"];
const FOUNDATION: [&str; 6] = ["seq", "error", "runtime", "numbers", "rng", "tuning"];

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

/// The README's Layout row of each stage folder (the text after
/// "| `folder/` |" up to the line's end).
fn layout_rows(readme: &str) -> Vec<(String, String)> {
    let start = readme.find("\n## Layout").expect("a Layout section");
    readme[start..]
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("| `")?;
            let (folder, row) = rest.split_once("/` |")?;
            Some((folder.to_string(), row.to_string()))
        })
        .collect()
}

/// What a stage's Layout row is missing: every file and folder directly in
/// `src/<stage>/` is named in backticks (`name`, `name.rs` or `name/`, a
/// `mod.rs` by its folder), and every file one folder deeper by `name`,
/// `name.rs` or `folder/name.rs`.
fn unnamed_in_layout(src: &Path, stage: &str, row: &str) -> Vec<String> {
    let named = |forms: &[String]| forms.iter().any(|f| row.contains(&format!("`{f}`")));
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(src.join(stage)).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            if !named(&[format!("{name}/"), name.clone()]) {
                missing.push(format!("{stage}/{name}/"));
            }
            for inner in std::fs::read_dir(&path).unwrap() {
                let inner = inner.unwrap().path();
                let file = inner.file_stem().unwrap().to_string_lossy().to_string();
                let forms = [
                    file.clone(),
                    format!("{file}.rs"),
                    format!("{name}/{file}.rs"),
                ];
                if file != "mod" && !named(&forms) {
                    missing.push(format!("{stage}/{name}/{file}.rs"));
                }
            }
        } else if name != "mod" && !named(&[name.clone(), format!("{name}.rs")]) {
            missing.push(format!("{stage}/{name}.rs"));
        }
    }
    missing
}

/// The README's Layout table names every module of every stage, so it
/// cannot fall behind the tree.
#[test]
fn readme_layout_names_every_module() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let rows = layout_rows(&readme);
    let folders: Vec<&str> = rows.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        folders, STAGES,
        "the Layout table's rows are the stages, in order"
    );
    let src = root.join("src");
    let missing: Vec<String> = rows
        .iter()
        .flat_map(|(stage, row)| unnamed_in_layout(&src, stage, row))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md's Layout table does not name:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_layout_check_sees_a_missing_module() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let missing = unnamed_in_layout(&src, "prep", "the trimming (`trim`)");
    assert!(missing.contains(&"prep/collapse.rs".to_string()));
    assert!(!missing.contains(&"prep/trim.rs".to_string()));
    assert!(!missing.contains(&"prep/mod.rs".to_string()));
}

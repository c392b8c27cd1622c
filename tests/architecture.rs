//! The source tree reads as the pipeline (see `src/lib.rs`): a stage may use
//! the stages above it and the foundation modules, never a stage below it.

use std::collections::{BTreeMap, BTreeSet};
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

/// A token of Rust code as the import graph reads it: a name, `::`, or one
/// other character (comments, strings and characters are left out).
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(String),
    Path,
    Char(char),
}

/// The tokens of `code`: names, `::` and punctuation, without comments,
/// string or character literals (whose text could look like a path).
fn tokens(code: &str) -> Vec<Token> {
    placed_tokens(code).into_iter().map(|(_, t)| t).collect()
}

/// [`tokens`] with the line (from 1) each starts on.
fn placed_tokens(code: &str) -> Vec<(usize, Token)> {
    let chars: Vec<char> = code.chars().collect();
    // the line of each char, from 1
    let lines: Vec<usize> = chars
        .iter()
        .scan(1, |line, &c| {
            let here = *line;
            *line += usize::from(c == '\n');
            Some(here)
        })
        .collect();
    let line_at = |i: usize| lines[i];
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == '"' || (c == 'r' && matches!(next, Some('"' | '#'))) {
            i = after_string(&chars, i);
        } else if c == '\'' {
            // a character literal ('x', '\n', '"'), else a lifetime
            if chars.get(i + 1) == Some(&'\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let name = Token::Name(chars[start..i].iter().collect());
            out.push((line_at(start), name));
        } else if c == ':' && next == Some(':') {
            out.push((line_at(i), Token::Path));
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push((line_at(i), Token::Char(c)));
            }
            i += 1;
        }
    }
    out
}

/// The index after the string literal (plain or raw) that starts at `i`.
fn after_string(chars: &[char], mut i: usize) -> usize {
    if chars[i] == 'r' {
        let mut hashes = 0;
        i += 1;
        while chars.get(i) == Some(&'#') {
            hashes += 1;
            i += 1;
        }
        if chars.get(i) != Some(&'"') {
            // `r#ident` or a name starting with r: not a string
            return i;
        }
        i += 1;
        while i < chars.len() {
            if chars[i] == '"' && (1..=hashes).all(|h| chars.get(i + h) == Some(&'#')) {
                return i + 1 + hashes;
            }
            i += 1;
        }
        return i;
    }
    i += 1;
    while i < chars.len() && chars[i] != '"' {
        i += if chars[i] == '\\' { 2 } else { 1 };
    }
    i + 1
}

/// The tokens of `#[cfg(test)]`.
fn cfg_test() -> Vec<Token> {
    let name = |n: &str| Token::Name(n.to_string());
    vec![
        Token::Char('#'),
        Token::Char('['),
        name("cfg"),
        Token::Char('('),
        name("test"),
        Token::Char(')'),
        Token::Char(']'),
    ]
}

/// The index after the item that starts at `tokens[i]`: its `;`, or the
/// `}` that closes its first block (a `;` inside brackets, as in
/// `[u8; 4]`, ends nothing).
fn after_item(tokens: &[Token], mut i: usize) -> usize {
    let mut depth = 0;
    while i < tokens.len() {
        match tokens[i] {
            Token::Char(';') if depth == 0 => return i + 1,
            Token::Char('(' | '[') => depth += 1,
            Token::Char(')' | ']') => depth -= 1,
            Token::Char('{') => depth += 1,
            Token::Char('}') => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}

/// One path a file names, with the inline modules (`mod tests { … }`) it
/// was named in.
#[derive(Debug)]
struct NamedPath {
    inline: Vec<String>,
    segments: Vec<String>,
}

/// Expands the `use` tree at `tokens[i..]` (after `use`) into paths under
/// `prefix`; returns the index after it.
fn use_tree(
    tokens: &[Token],
    mut i: usize,
    prefix: &[String],
    out: &mut Vec<Vec<String>>,
) -> usize {
    let mut path = prefix.to_vec();
    loop {
        match tokens.get(i) {
            Some(Token::Name(n)) if n == "as" => i += 2,
            Some(Token::Name(n)) => {
                path.push(n.clone());
                i += 1;
            }
            Some(Token::Path) => i += 1,
            Some(Token::Char('*')) => {
                path.push("*".into());
                i += 1;
            }
            Some(Token::Char('{')) => {
                i += 1;
                while !matches!(tokens.get(i), None | Some(Token::Char('}'))) {
                    i = use_tree(tokens, i, &path, out);
                    if tokens.get(i) == Some(&Token::Char(',')) {
                        i += 1;
                    }
                }
                return i + 1;
            }
            _ => {
                if path.len() > prefix.len() {
                    out.push(path);
                }
                return i;
            }
        }
    }
}

/// Every path a file's code names (`use` trees expanded, and every other
/// `a::b::c` in the code), and the modules it declares (`mod x;`).
fn paths_in(code: &str) -> (Vec<NamedPath>, Vec<String>) {
    let tokens = tokens(code);
    let mut paths = Vec::new();
    let mut children = Vec::new();
    // inline modules open: (name, brace depth inside them)
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    let inline_names = |inline: &[(String, usize)]| inline.iter().map(|(n, _)| n.clone()).collect();
    while i < tokens.len() {
        if tokens[i..].starts_with(&cfg_test()) {
            i = after_item(&tokens, i + cfg_test().len());
            continue;
        }
        match &tokens[i] {
            Token::Char('{') => depth += 1,
            Token::Char('}') => {
                depth -= 1;
                if inline.last().is_some_and(|&(_, d)| d > depth) {
                    inline.pop();
                }
            }
            Token::Name(n) if n == "mod" => {
                if let Some(Token::Name(name)) = tokens.get(i + 1) {
                    match tokens.get(i + 2) {
                        Some(Token::Char(';')) if inline.is_empty() => children.push(name.clone()),
                        Some(Token::Char('{')) => {
                            depth += 1;
                            inline.push((name.clone(), depth));
                            i += 3;
                            continue;
                        }
                        _ => {}
                    }
                }
            }
            Token::Name(n) if n == "use" => {
                let mut found = Vec::new();
                i = use_tree(&tokens, i + 1, &[], &mut found);
                let names: Vec<String> = inline_names(&inline);
                paths.extend(found.into_iter().map(|segments| NamedPath {
                    inline: names.clone(),
                    segments,
                }));
                continue;
            }
            Token::Name(first) if tokens.get(i + 1) == Some(&Token::Path) => {
                let mut segments = vec![first.clone()];
                i += 1;
                while tokens.get(i) == Some(&Token::Path) {
                    match tokens.get(i + 1) {
                        Some(Token::Name(n)) => segments.push(n.clone()),
                        _ => break,
                    }
                    i += 2;
                }
                paths.push(NamedPath {
                    inline: inline_names(&inline),
                    segments,
                });
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    (paths, children)
}

/// The module path of a file under `src/`: `output/report/mod.rs` is
/// `output::report`, `lib.rs` (and the binary's `main.rs`) the root.
fn module_of(file: &str) -> Vec<String> {
    let stem = file.trim_end_matches(".rs");
    let mut parts: Vec<String> = stem.split('/').map(String::from).collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The file of module `module` among `files`.
fn file_of(module: &[String], files: &BTreeSet<String>) -> Option<String> {
    if module.is_empty() {
        return files.get("lib.rs").cloned();
    }
    let stem = module.join("/");
    [format!("{stem}.rs"), format!("{stem}/mod.rs")]
        .into_iter()
        .find(|f| files.contains(f))
}

/// The file a path named in `file` leads to and the name it takes there
/// (None: another crate's, the file's own, or one of the modules that hold
/// it, whose items its parts use as their own).
fn resolve(
    file: &str,
    children: &[String],
    path: &NamedPath,
    files: &BTreeSet<String>,
) -> Option<(String, String)> {
    let mut here = module_of(file);
    here.extend(path.inline.iter().cloned());
    let segments = &path.segments;
    let (mut full, rest): (Vec<String>, &[String]) = match segments[0].as_str() {
        "crate" | "mirq" => (Vec::new(), &segments[1..]),
        "self" => (here, &segments[1..]),
        "super" => {
            let ups = segments.iter().take_while(|s| *s == "super").count();
            here.truncate(here.len().saturating_sub(ups));
            (here, &segments[ups..])
        }
        first if path.inline.is_empty() && children.iter().any(|c| c == first) => {
            (here, &segments[..])
        }
        _ => return None,
    };
    full.extend(rest.iter().filter(|s| *s != "self").cloned());
    let (target, at) = (0..=full.len())
        .rev()
        .find_map(|k| file_of(&full[..k], files).map(|f| (f, k)))?;
    let name = full
        .get(at)
        .or(full.last())
        .cloned()
        .unwrap_or_else(|| "crate".into());
    let holds = |module: &[String]| {
        let own = module_of(file);
        module.len() < own.len() && own.starts_with(module)
    };
    (target != file && !holds(&module_of(&target))).then_some((target, name))
}

/// Imports between files: (from, to) with the names the first takes.
type ImportGraph = BTreeMap<(String, String), BTreeSet<String>>;

/// The import graph of `sources` ((path under `src/`, text) pairs).
fn import_graph(sources: &[(String, String)]) -> ImportGraph {
    let files: BTreeSet<String> = sources.iter().map(|(f, _)| f.clone()).collect();
    let mut graph = ImportGraph::new();
    for (file, text) in sources {
        let (paths, children) = paths_in(text);
        for path in &paths {
            if let Some((target, name)) = resolve(file, &children, path, &files) {
                graph
                    .entry((file.clone(), target))
                    .or_default()
                    .insert(name);
            }
        }
    }
    graph
}

/// The import circles of `graph`: each set of files that reach one another
/// (two or more), with the imports between them.
fn circles(graph: &ImportGraph) -> Vec<(Vec<String>, Vec<String>)> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in graph.keys() {
        next.entry(from).or_default().push(to);
    }
    let reach = |start: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![start];
        while let Some(f) = todo.pop() {
            for &t in next.get(f).into_iter().flatten() {
                if seen.insert(t) {
                    todo.push(t);
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&str, BTreeSet<&str>> = next.keys().map(|&f| (f, reach(f))).collect();
    let mut placed = BTreeSet::new();
    let mut out = Vec::new();
    for (&file, reached) in &reaches {
        if placed.contains(file) || !reached.contains(file) {
            continue;
        }
        let members: Vec<String> = reached
            .iter()
            .filter(|&&other| reaches.get(other).is_some_and(|r| r.contains(file)))
            .map(|s| s.to_string())
            .collect();
        placed.extend(members.iter().cloned());
        let ties = graph
            .iter()
            .filter(|((from, to), _)| members.contains(from) && members.contains(to))
            .map(|((from, to), names)| {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                format!("{from} -> {to}: {}", names.join(", "))
            })
            .collect();
        out.push((members, ties));
    }
    out
}

/// Every `.rs` file under `src/` with its text, by path under `src/`.
fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            let rel = f
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(f).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// No file of `src/` imports a file that imports it back, directly or
/// through others: a shared type lives in the lower file. A file's use of
/// the modules that hold it (`super::`, its folder's `mod.rs`) is its own
/// room's, and test code (`#[cfg(test)]`) may use any file.
#[test]
fn no_import_circles_between_files() {
    let sources = sources();
    let graph = import_graph(&sources);
    assert!(
        graph.len() >= 100,
        "only {} imports between files: did src/ move?",
        graph.len()
    );
    let found = circles(&graph);
    let text: Vec<String> = found
        .iter()
        .enumerate()
        .map(|(k, (files, ties))| {
            format!(
                "circle {}: {}\n  {}",
                k + 1,
                files.join(", "),
                ties.join("\n  ")
            )
        })
        .collect();
    assert!(
        found.is_empty(),
        "{} import circles between files of src/ (file -> file: the names it takes):\n{}",
        found.len(),
        text.join("\n")
    );
}

/// The circle check sees a circle through three files (one of them tied
/// by a path in its code, not a `use`), and none in comments, strings,
/// `mod` declarations, a file's use of the module that holds it (and
/// re-exports from it) or test code.
#[test]
fn the_circle_check_sees_a_circle() {
    let file = |path: &str, text: &str| (path.to_string(), text.to_string());
    let mut sources = vec![
        file("lib.rs", "pub mod a;\npub mod b;\npub mod c;\npub mod d;\n"),
        file(
            "a/mod.rs",
            "mod inner;\npub use inner::Deep;\nuse crate::b::Thing;\npub struct Top;\n\
             #[cfg(test)]\nmod tests {\n    use crate::d::D;\n}\n",
        ),
        file("a/inner.rs", "use super::Top;\npub struct Deep;\n"),
        file(
            "b.rs",
            "use crate::c::{self, Other as O};\npub struct Thing;\n",
        ),
        file(
            "c.rs",
            "// use crate::d::Nothing;\nconst S: &str = \"crate::d::X\";\n\
             pub fn f() -> crate::a::Top { crate::a::Top }\n\
             #[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
        ),
        file("d.rs", "use crate::a::Top;\npub struct D;\n"),
    ];
    let found = circles(&import_graph(&sources));
    assert_eq!(found.len(), 1, "{found:?}");
    let (files, ties) = &found[0];
    assert_eq!(files, &["a/mod.rs", "b.rs", "c.rs"]);
    assert_eq!(
        ties,
        &[
            "a/mod.rs -> b.rs: Thing",
            "b.rs -> c.rs: Other, c",
            "c.rs -> a/mod.rs: Top",
        ]
    );
    // without c's path back to a there is none
    sources[4].1 = sources[4].1.replace("crate::a::Top", "u8");
    assert!(circles(&import_graph(&sources)).is_empty());
}

/// The import graph's figures, printed with `cargo test --test architecture
/// import_graph_figures -- --nocapture`: files of `src/`, imports between
/// them, imports that run up the stages (from a stage to a later one, or
/// from the foundation to a stage) and circles. The last two must be 0.
#[test]
fn import_graph_figures() {
    let sources = sources();
    let graph = import_graph(&sources);
    let top = |file: &str| {
        let first = file.split('/').next().unwrap_or(file);
        rank(first.trim_end_matches(".rs"))
    };
    let upward = graph
        .keys()
        .filter(|(from, to)| matches!((top(from), top(to)), (Some(f), Some(t)) if t > f))
        .count();
    let found = circles(&graph).len();
    println!(
        "files {}, imports between files {}, imports running up the stages {upward}, circles {found}",
        sources.len(),
        graph.len()
    );
    assert_eq!((upward, found), (0, 0));
}

/// The most code lines a function of `src/` may have.
const MAX_FN_LINES: usize = 80;

/// The functions of `code` outside test code (`#[cfg(test)]` items and
/// `#[test]` functions) with their name, first line and code lines: from
/// the `fn` line to the closing brace, blank and `//` comment lines left out.
fn function_lengths(code: &str) -> Vec<(String, usize, usize)> {
    let placed = placed_tokens(code);
    let tokens: Vec<Token> = placed.iter().map(|(_, t)| t.clone()).collect();
    let test_attr = [
        Token::Char('#'),
        Token::Char('['),
        Token::Name("test".to_string()),
        Token::Char(']'),
    ];
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i..].starts_with(&cfg_test()) {
            i = after_item(&tokens, i + cfg_test().len());
            continue;
        }
        if tokens[i..].starts_with(&test_attr) {
            i = after_item(&tokens, i + test_attr.len());
            continue;
        }
        let is_fn = tokens[i] == Token::Name("fn".to_string());
        if let (true, Some(Token::Name(name))) = (is_fn, tokens.get(i + 1)) {
            let end = after_item(&tokens, i);
            if tokens.get(end - 1) == Some(&Token::Char('}')) {
                let (first, last) = (placed[i].0, placed[end - 1].0);
                let code_lines = lines[first - 1..last]
                    .iter()
                    .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//"))
                    .count();
                out.push((name.clone(), first, code_lines));
            }
        }
        i += 1;
    }
    out
}

/// `file: fn name (line N): L lines` for each function of `sources` over
/// [`MAX_FN_LINES`].
fn long_functions(sources: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (file, code) in sources {
        for (name, line, count) in function_lengths(code) {
            if count > MAX_FN_LINES {
                out.push(format!("{file}: fn {name} (line {line}): {count} lines"));
            }
        }
    }
    out
}

/// No function of `src/` outside test code is over [`MAX_FN_LINES`] code
/// lines: a longer one is split into named steps.
#[test]
fn no_function_is_over_80_lines() {
    let long = long_functions(&sources());
    assert!(
        long.is_empty(),
        "functions over {MAX_FN_LINES} lines (blank and // lines not counted):\n{}",
        long.join("\n")
    );
}

#[test]
fn the_length_check_sees_a_long_function() {
    let body: String = (0..81).map(|i| format!("    let x{i} = {i};\n")).collect();
    let code = format!(
        "/// doc\nfn long(a: [u8; 4]) -> u32 {{\n\n    // note\n{body}    0\n}}\n\n\
         fn short() {{}}\n\
         trait T {{ fn declared(&self); }}\n\
         #[cfg(test)]\nmod tests {{\n    fn helper() {{\n{body}    }}\n}}\n\
         #[test]\nfn a_test() {{\n{body}}}\n"
    );
    let lengths = function_lengths(&code);
    assert_eq!(
        lengths,
        vec![("long".to_string(), 2, 84), ("short".to_string(), 89, 1)]
    );
    let long = long_functions(&[("x.rs".to_string(), code)]);
    assert_eq!(long, vec!["x.rs: fn long (line 2): 84 lines"]);
}

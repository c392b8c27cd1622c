//! `mirq merge` treats its input directories as untrusted: a sample name
//! that is a path, an inserts file that does not match its stats.json and an
//! output directory that is (or holds, or lies in) an input are refused
//! before any work, and nothing is written anywhere.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Two per-sample `mirq quant` runs, `root/deep/runs/a` and `.../b`, made
/// from the shared data; None without it.
fn two_runs() -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    let shared = common::shared()?;
    let root = tempfile::tempdir().unwrap();
    let runs = root.path().join("deep/runs");
    let mut dirs = Vec::new();
    for (name, fastq) in [
        ("a", "compsra_sample01.fastq.gz"),
        ("b", "compsra_sample02.fastq.gz"),
    ] {
        let out = runs.join(name);
        common::Quant::mirbase(
            &shared,
            "hsa",
            "mature_nfcore_test.fa",
            Some("hairpin_hsa.fa"),
            &out,
        )
        .args(["--protocol", "nextflex"])
        .arg(shared.join("data/fastq").join(fastq))
        .run_ok();
        dirs.push(out);
    }
    let b = dirs.pop().unwrap();
    let a = dirs.pop().unwrap();
    Some((root, a, b))
}

/// `mirq merge -q DIRS... -o OUT`, run in `cwd`.
fn merge(cwd: &Path, dirs: &[&str], out: &str) -> std::process::Output {
    common::mirq()
        .current_dir(cwd)
        .args(["merge", "-q"])
        .args(dirs)
        .args(["-o", out])
        .output()
        .unwrap()
}

/// Every file and folder under `dir` with the file's bytes (and a
/// symlink's target), by relative path.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(base).unwrap().to_path_buf();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&p).unwrap();
                out.insert(rel, target.to_string_lossy().as_bytes().to_vec());
            } else if meta.is_dir() {
                out.insert(rel, b"<dir>".to_vec());
                walk(base, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Asserts that the merge failed, that its message holds each of `wanted`,
/// and that nothing under `root` changed.
fn assert_refused(m: &std::process::Output, wanted: &[&str], root: &Path, before: &TreeSnap) {
    let stderr = String::from_utf8_lossy(&m.stderr);
    assert_eq!(m.status.code(), Some(1), "{stderr}");
    for w in wanted {
        assert!(stderr.contains(w), "'{w}' not in: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    let after = tree(root);
    let changed: Vec<_> = after
        .keys()
        .chain(before.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(changed.is_empty(), "changed under the root: {changed:?}");
}

type TreeSnap = BTreeMap<PathBuf, Vec<u8>>;

/// The text of a gzip file.
fn gunzip(path: &Path) -> String {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// Writes `text` to `path`, gzipped.
fn gzip(path: &Path, text: &str) {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    std::fs::write(path, gz.finish().unwrap()).unwrap();
}

/// Renames the (only) sample of the run in `dir` in its stats.json and/or
/// its inserts file's header.
fn rename_sample(dir: &Path, to: &str, in_stats: bool, in_inserts: bool) {
    let stats_path = dir.join("stats.json");
    let mut stats = common::stats(dir);
    let from = stats["samples"][0]["sample"].as_str().unwrap().to_string();
    if in_stats {
        stats["samples"][0]["sample"] = to.into();
        std::fs::write(&stats_path, serde_json::to_vec_pretty(&stats).unwrap()).unwrap();
    }
    if in_inserts {
        let path = dir.join("inserts.tsv.gz");
        let text = gunzip(&path);
        let (old, new) = (format!("\t{from}\n"), format!("\t{to}\n"));
        assert!(text.contains(&old));
        gzip(&path, &text.replacen(&old, &new, 1));
    }
}

#[test]
fn a_traversal_sample_name_is_refused_and_nothing_is_written() {
    let Some((root, a, _)) = two_runs() else {
        return;
    };
    let runs = a.parent().unwrap().to_path_buf();
    // the unchecked merge wrote root/x.fa and root/x.length.tsv
    let name = "../../x";
    for (in_stats, in_inserts, wanted) in [
        (
            true,
            true,
            ["a/stats.json", "invalid sample name '../../x'"],
        ),
        (
            true,
            false,
            ["a/stats.json", "invalid sample name '../../x'"],
        ),
        (
            false,
            true,
            ["a/inserts.tsv.gz", "invalid sample name '../../x'"],
        ),
    ] {
        let saved = tree(&a);
        rename_sample(&a, name, in_stats, in_inserts);
        let before = tree(root.path());
        let m = merge(&runs, &["a", "b"], "out");
        assert_refused(&m, &wanted, root.path(), &before);
        assert!(!root.path().join("deep/x.fa").exists());
        // back to the run as quant wrote it
        for f in ["stats.json", "inserts.tsv.gz"] {
            std::fs::write(a.join(f), &saved[Path::new(f)]).unwrap();
        }
    }
    // a valid name in the header that stats.json does not record
    rename_sample(&a, "other", false, true);
    let before = tree(root.path());
    let m = merge(&runs, &["a", "b"], "out");
    let wanted = ["a/inserts.tsv.gz", "the header lists samples [\"other\"]"];
    assert_refused(&m, &wanted, root.path(), &before);
}

#[test]
fn an_inserts_file_with_a_row_deleted_is_refused_naming_it() {
    let Some((root, a, _)) = two_runs() else {
        return;
    };
    let runs = a.parent().unwrap().to_path_buf();
    let path = a.join("inserts.tsv.gz");
    let text = gunzip(&path);
    let mut lines: Vec<&str> = text.lines().collect();
    // a data row (after the magic, hit-column and header lines)
    let row = lines.remove(10);
    assert!(!row.starts_with('#'));
    gzip(&path, &(lines.join("\n") + "\n"));
    let before = tree(root.path());
    let m = merge(&runs, &["a", "b"], "out");
    let wanted = [
        "a/inserts.tsv.gz",
        "compsra_sample01",
        "rows missing or changed",
    ];
    assert_refused(&m, &wanted, root.path(), &before);

    // stats.json's own figures that do not add up
    gzip(&path, &text);
    let mut stats = common::stats(&a);
    let reads_in = stats["samples"][0]["reads_in"].as_u64().unwrap();
    stats["samples"][0]["reads_in"] = (reads_in + 1).into();
    std::fs::write(a.join("stats.json"), stats.to_string()).unwrap();
    let before = tree(root.path());
    let m = merge(&runs, &["a", "b"], "out");
    let wanted = ["a/stats.json", "reads_in 10001 is not no_adapter"];
    assert_refused(&m, &wanted, root.path(), &before);
}

#[test]
fn merge_into_an_input_or_around_one_is_refused() {
    let Some((root, a, _)) = two_runs() else {
        return;
    };
    let runs = a.parent().unwrap().to_path_buf();
    std::os::unix::fs::symlink("a", runs.join("link")).unwrap();
    let before = tree(root.path());
    let apart = "give an --outdir apart from every input";
    let cwd = "is the current directory or holds it";
    for (out, clash, why) in [
        ("a", "is the run's input a", apart),
        ("./a/", "is the run's input a", apart),
        ("b/../a", "is the run's input a", apart),
        ("link", "is the run's input a", apart),
        ("a/merged", "lies inside the run's input a", apart),
        ("link/merged", "lies inside the run's input a", apart),
        // the current directory (holding the inputs) is refused first
        (".", cwd, "give a subdirectory"),
        ("..", cwd, "give a subdirectory"),
    ] {
        let m = merge(&runs, &["a", "b"], out);
        assert_refused(&m, &[clash, why], root.path(), &before);
    }
    // given through the symlink, the input is refused as an outdir too
    let m = merge(&runs, &["link", "b"], "a");
    assert_refused(&m, &["is the run's input link"], root.path(), &before);
    // and a directory beside the inputs is fine
    let m = merge(&runs, &["a", "b"], "merged");
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    assert!(runs.join("merged/stats.json").exists());
}

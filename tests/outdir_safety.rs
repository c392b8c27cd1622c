//! A failed run leaves the earlier run exactly as it was, and output
//! directories that are not plain directories are refused or handled before
//! any work (issue 23): read-only outdirs, the fallback switch killed at
//! every step, symlinked outdirs, inputs and foreign files inside, mount
//! points and `-o .`, and `mirq report`'s temp file.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::Quant;

/// `mirq quant` of the tiny test data into `out` (`reads`: files of
/// tests/data/tiny, or paths), with extra arguments and environment.
fn quant(out: &Path, reads: &[PathBuf], extra: &[&str], env: &[(&str, &str)]) -> Output {
    Quant::new("tst", common::test_data("tiny/mature.fa"), out)
        .args(extra)
        .args(reads)
        .envs(env)
        .output()
}

fn tiny(name: &str) -> PathBuf {
    common::test_data(&format!("tiny/{name}"))
}

fn two() -> Vec<PathBuf> {
    vec![tiny("tiny.fastq"), tiny("second.fastq")]
}

fn one() -> Vec<PathBuf> {
    vec![tiny("tiny.fastq")]
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The run failed (exit 1) with a message holding `what`; its stderr.
fn fails_with(out: &Output, what: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(what), "wanted '{what}' in: {err}");
    err
}

/// Every file under `dir` and its bytes: a directory's whole state.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::files_under(dir)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(dir.join(&f)).unwrap();
            (f, bytes)
        })
        .collect()
}

/// The names in `dir`, sorted (what lies beside the output directories).
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A FASTQ whose first records are valid and whose fourth is broken: only
/// reading it through (the work) finds the fault.
fn broken_fastq(dir: &Path) -> PathBuf {
    let path = dir.join("broken.fastq");
    let good = std::fs::read_to_string(tiny("tiny.fastq")).unwrap();
    let head: String = good.lines().take(12).map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, format!("{head}@bad\nACGTACGT\n+\nII\n")).unwrap();
    path
}

/// A read-only earlier run (its directory, or its parent, chmod 555) is
/// refused before any work, and stays as it was with nothing stranded
/// beside it. As root, who ignores permission bits, the test hook fails
/// the same check. A switch that fails leaves the earlier set; an earlier
/// set that cannot be deleted after the switch leaves the new set complete,
/// with a warning naming it.
#[test]
fn a_read_only_earlier_run_is_refused_before_work_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    ok(&quant(&out, &two(), &[], &[]));
    let before = snapshot(&out);
    let broken = vec![broken_fastq(dir.path())];
    if !is_root() {
        for ro in [out.clone(), dir.path().to_path_buf()] {
            std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
            let run = quant(&out, &broken, &[], &[]);
            std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
            fails_with(&run, "not writable");
            assert_eq!(snapshot(&out), before, "{}", ro.display());
        }
    }
    let hook = quant(&out, &broken, &[], &[("MIRQ_TEST_FAIL_AT", "writable")]);
    fails_with(&hook, "not writable");
    assert_eq!(snapshot(&out), before);
    assert_eq!(names_in(dir.path()), ["broken.fastq", "out"]);

    let switch = quant(&out, &one(), &[], &[("MIRQ_TEST_FAIL_AT", "exchange")]);
    fails_with(&switch, "cannot write");
    assert_eq!(
        snapshot(&out),
        before,
        "a failed switch keeps the earlier set"
    );
    assert_eq!(names_in(dir.path()), ["broken.fastq", "out"]);

    let fresh = dir.path().join("fresh");
    ok(&quant(&fresh, &one(), &[], &[]));
    let stuck = quant(&out, &one(), &[], &[("MIRQ_TEST_FAIL_AT", "remove_old")]);
    ok(&stuck);
    let err = String::from_utf8_lossy(&stuck.stderr);
    assert!(
        err.contains("could not be deleted") && err.contains(".out.mirq-staging-"),
        "{err}"
    );
    assert_eq!(common::files_under(&out), common::files_under(&fresh));
    assert_eq!(common::stats(&out)["samples"].as_array().unwrap().len(), 1);
    ok(&quant(&out, &one(), &[], &[]));
    assert_eq!(
        names_in(dir.path()),
        ["broken.fastq", "fresh", "out"],
        "the next run clears it"
    );
}

/// Without an atomic exchange (forced by the test hook, as on NFS), a run
/// killed at each step of the two-rename switch, then a run that fails on
/// bad input, then a good run: the earlier set survives or the killed
/// run's complete set is in place, never neither, and the good run ends
/// with nothing left beside.
#[test]
fn the_fallback_switch_survives_a_kill_at_every_step() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let fresh = dir.path().join("fresh");
    ok(&quant(&fresh, &one(), &[], &[]));
    let after = snapshot(&fresh);
    let broken = vec![broken_fastq(dir.path())];
    let no_exchange = ("MIRQ_TEST_NO_EXCHANGE", "1");
    for step in ["staged", "set_aside", "switched"] {
        ok(&quant(&out, &two(), &[], &[no_exchange]));
        let before = snapshot(&out);
        let killed = quant(
            &out,
            &one(),
            &[],
            &[no_exchange, ("MIRQ_TEST_KILL_AT", step)],
        );
        assert_eq!(killed.status.code(), Some(137), "{step}");
        if step == "set_aside" {
            assert!(
                !out.exists(),
                "the step under test: the outdir is set aside"
            );
        }
        let failed = quant(&out, &broken, &[], &[no_exchange]);
        fails_with(&failed, "broken.fastq");
        let now = snapshot(&out);
        let samples = common::stats(&out)["samples"].as_array().unwrap().len();
        if step == "switched" {
            assert_eq!(samples, 1, "{step}: the killed run's set is in place");
            assert_eq!(common::files_under(&out), common::files_under(&fresh));
        } else {
            assert_eq!(now, before, "{step}: the earlier set, byte for byte");
        }
        ok(&quant(&out, &one(), &[], &[no_exchange]));
        assert_eq!(
            common::files_under(&out),
            common::files_under(&fresh),
            "{step}"
        );
        let counts = |s: &BTreeMap<String, Vec<u8>>| s["mature_counts.tsv"].clone();
        assert_eq!(counts(&snapshot(&out)), counts(&after), "{step}");
        assert_eq!(
            names_in(dir.path()),
            ["broken.fastq", "fresh", "out"],
            "{step}: leftovers"
        );
    }
}

/// `-o link` with `link` a symlink to an earlier run's directory writes
/// into the target (the link stays); a dangling symlink is refused before
/// any work, creating nothing.
#[test]
fn a_symlinked_outdir_is_written_through_and_a_dangling_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (target, link, fresh) = (
        dir.path().join("target"),
        dir.path().join("link"),
        dir.path().join("fresh"),
    );
    ok(&quant(&target, &two(), &[], &[]));
    std::os::unix::fs::symlink("target", &link).unwrap();
    ok(&quant(&link, &one(), &[], &[]));
    ok(&quant(&fresh, &one(), &[], &[]));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(common::files_under(&target), common::files_under(&fresh));
    assert_eq!(
        common::stats(&target)["samples"].as_array().unwrap().len(),
        1
    );
    assert_eq!(names_in(dir.path()), ["fresh", "link", "target"]);

    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink("nowhere", &dangling).unwrap();
    let broken = vec![broken_fastq(dir.path())];
    fails_with(&quant(&dangling, &broken, &[], &[]), "which does not exist");
    assert!(!dir.path().join("nowhere").exists());
    assert_eq!(
        names_in(dir.path()),
        ["broken.fastq", "dangling", "fresh", "link", "target"]
    );
}

/// An earlier run's directory holding the run's own input (by path, or by
/// a hard link) is refused even with --force; one holding a user's notes is
/// refused unless --force, which then replaces it; an older run's directory
/// without a manifest is replaced when it holds only mirq's file names.
#[test]
fn inputs_and_foreign_files_inside_the_outdir_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    ok(&quant(&out, &two(), &[], &[]));
    let manifest = std::fs::read_to_string(out.join("mirq_outputs.txt")).unwrap();
    assert!(
        manifest.lines().any(|l| l == "collapsed/tiny.fa"),
        "{manifest}"
    );
    assert!(manifest.lines().any(|l| l == "stats.json"), "{manifest}");

    let inside = out.join("reads.fastq");
    std::fs::copy(tiny("tiny.fastq"), &inside).unwrap();
    let before = snapshot(&out);
    for force in [&[][..], &["--force"][..]] {
        let run = quant(&out, std::slice::from_ref(&inside), force, &[]);
        fails_with(&run, "holds the run's input");
        assert_eq!(snapshot(&out), before);
    }
    std::fs::remove_file(&inside).unwrap();
    let linked = dir.path().join("linked.fastq");
    std::fs::copy(tiny("tiny.fastq"), &linked).unwrap();
    std::fs::hard_link(&linked, out.join("copy.fastq")).unwrap();
    fails_with(&quant(&out, &[linked], &["--force"], &[]), "hard link");
    std::fs::remove_file(out.join("copy.fastq")).unwrap();

    let sheet = out.join("samples.csv");
    std::fs::write(
        &sheet,
        format!("sample,fastq_1\nA,{}\n", tiny("tiny.fastq").display()),
    )
    .unwrap();
    let run = Quant::new("tst", common::test_data("tiny/mature.fa"), &out)
        .args(["--force", "--samplesheet"])
        .arg(&sheet)
        .output();
    fails_with(&run, "holds the run's input");
    std::fs::remove_file(&sheet).unwrap();

    std::fs::write(out.join("notes.txt"), "my notes").unwrap();
    let before = snapshot(&out);
    fails_with(&quant(&out, &one(), &[], &[]), "notes.txt");
    assert_eq!(snapshot(&out), before);
    ok(&quant(&out, &one(), &["--force"], &[]));
    assert!(!out.join("notes.txt").exists());
    assert_eq!(common::stats(&out)["samples"].as_array().unwrap().len(), 1);

    // an older mirq's directory: no manifest
    std::fs::remove_file(out.join("mirq_outputs.txt")).unwrap();
    ok(&quant(&out, &two(), &[], &[]));
    std::fs::remove_file(out.join("mirq_outputs.txt")).unwrap();
    std::fs::write(out.join("notes.txt"), "my notes").unwrap();
    fails_with(&quant(&out, &one(), &[], &[]), "notes.txt");
    assert!(out.join("notes.txt").exists());
}

/// `mirq merge a b -o a` (or into the folder holding `a`, or `a/merged`) is refused
/// before anything is read or written, even with --force.
#[test]
fn merge_into_one_of_its_inputs_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    ok(&quant(&a, &one(), &[], &[]));
    ok(&quant(&b, &[tiny("second.fastq")], &[], &[]));
    let before = snapshot(&a);
    for (out, what) in [
        (a.clone(), "is the run's input"),
        (dir.path().to_path_buf(), "holds the run's input"),
        (a.join("merged"), "lies inside the run's input"),
    ] {
        let run = common::mirq()
            .args(["merge", "-q", "--force", "-o"])
            .arg(&out)
            .arg(&a)
            .arg(&b)
            .output()
            .unwrap();
        fails_with(&run, what);
        assert_eq!(snapshot(&a), before);
    }
    assert_eq!(names_in(dir.path()), ["a", "b"]);
}

/// A mount point, `-o .` and `-o ..` are refused before any work (the
/// FASTQ is broken past its first records: reading it would fail
/// otherwise); `-o out/.` is `-o out`; too little free space is refused.
#[test]
fn mount_points_the_current_directory_and_a_full_disk_are_refused_before_work() {
    let dir = tempfile::tempdir().unwrap();
    let broken = vec![broken_fastq(dir.path())];
    fails_with(&quant(Path::new("/proc"), &broken, &[], &[]), "mount point");
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    for o in [".", ".."] {
        let run = common::mirq()
            .args(["quant", "-q", "--species", "tst", "--mature"])
            .arg(tiny("mature.fa"))
            .args(["-o", o])
            .args(&broken)
            .current_dir(&sub)
            .output()
            .unwrap();
        fails_with(&run, "is the current directory or holds it");
    }
    assert_eq!(names_in(dir.path()), ["broken.fastq", "sub"]);
    assert_eq!(names_in(&sub), Vec::<String>::new());

    let out = dir.path().join("out");
    ok(&quant(&dir.path().join("out/."), &one(), &[], &[]));
    assert!(out.join("mature_counts.tsv").exists());
    let before = snapshot(&out);
    let full = quant(&out, &broken, &[], &[("MIRQ_TEST_FREE_BYTES", "4096")]);
    fails_with(&full, "free");
    assert_eq!(snapshot(&out), before);
}

/// `mirq report DIR` with a symlink planted at `DIR/.report.html.tmp`
/// leaves the link's target as it was and writes a plain report.html.
#[test]
fn report_does_not_follow_a_planted_temp_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    ok(&quant(&out, &one(), &[], &[]));
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink(&victim, out.join(".report.html.tmp")).unwrap();
    let run = common::mirq()
        .args(["report", "-q"])
        .arg(&out)
        .output()
        .unwrap();
    ok(&run);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let page = std::fs::symlink_metadata(out.join("report.html")).unwrap();
    assert!(page.file_type().is_file());
    assert!(!out.join(".report.html.tmp").exists());
    assert!(std::fs::read_to_string(out.join("report.html"))
        .unwrap()
        .contains("mirq report"));
}

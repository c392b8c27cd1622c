//! Inputs checked before work (issue 23): every FASTQ is looked at before
//! the first sample is read, errors name the samplesheet line, a file listed
//! twice under two names is refused, pipes are read once; and FASTQ is read
//! as strictly as cutadapt 5.2.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A read of the tiny reference's miR-1 with the Illumina adapter.
const READ: &str = "TGGAATGTAAAGAAGTATGTATTGGAATTCTCGGGTGCCAAGG";

fn fastq(records: usize, qual: u8) -> Vec<u8> {
    let mut body = Vec::new();
    for i in 0..records {
        body.extend_from_slice(format!("@r{i}\n{READ}\n+\n").as_bytes());
        body.extend(std::iter::repeat(qual).take(READ.len()));
        body.push(b'\n');
    }
    body
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// `mirq quant` on the tiny reference into `dir/out`, with `extra`.
fn quant(dir: &Path, extra: &[&std::ffi::OsStr]) -> Command {
    let mut cmd = common::mirq();
    cmd.args(["quant", "-q", "--species", "tst", "--mature"])
        .arg(common::test_data("tiny/mature.fa"))
        .arg("-o")
        .arg(dir.join("out"))
        .args(extra);
    cmd
}

/// Runs `cmd`, killing it after `limit` (a hang is a failure, not a stuck
/// test).
fn run_within(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("mirq still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// The run fails, leaving `dir` holding only `inputs` (no outdir, no
/// staging folder); returns stderr.
fn fails_leaving_only(dir: &Path, extra: &[&std::ffi::OsStr], inputs: &[&str]) -> String {
    let out = run_within(quant(dir, extra), Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "expected failure:\n{stderr}");
    let mut left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut expected: Vec<String> = inputs.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(left, expected, "the failed run left files behind");
    stderr
}

fn os(p: &Path) -> &std::ffi::OsStr {
    p.as_os_str()
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(ok.success());
}

/// The first sample is a FIFO nobody writes to: a run that read it before
/// looking at the second sample would wait for ever. The missing second
/// file is reported at once, with its samplesheet line.
#[test]
fn late_missing_fastq_fails_before_the_first_sample_naming_its_line() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("first.fq"));
    let sheet = write(
        dir.path(),
        "s.csv",
        b"sample,fastq_1\nA,first.fq\nB,missing.fq\n",
    );
    let err = fails_leaving_only(
        dir.path(),
        &["--samplesheet".as_ref(), os(&sheet)],
        &["first.fq", "s.csv"],
    );
    assert!(
        err.contains("s.csv: line 3") && err.contains("missing.fq"),
        "{err}"
    );
}

#[test]
fn late_malformed_fastq_fails_before_work_naming_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.fq", &fastq(50, b'I'));
    write(dir.path(), "b.fq", b"@r1\nACGT\nIIII\n");
    let sheet = write(dir.path(), "s.csv", b"sample,fastq_1\nA,a.fq\nA,b.fq\n");
    let err = fails_leaving_only(
        dir.path(),
        &["--samplesheet".as_ref(), os(&sheet)],
        &["a.fq", "b.fq", "s.csv"],
    );
    assert!(
        err.contains("s.csv: line 3") && err.contains("b.fq") && err.contains("'+'"),
        "{err}"
    );
}

/// The files' first records are parsed side by side, but the error is the
/// first fault in list order: a malformed file before a missing one is
/// reported, not the missing one (looked up first), nor a later malformed
/// one.
#[test]
fn the_first_faulty_input_in_list_order_is_the_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.fq", &fastq(50, b'I'));
    write(dir.path(), "b.fq", b"@r1\nACGT\nIIII\n");
    write(dir.path(), "c.fq", b"r1\nACGT\n+\nIIII\n");
    let inputs = ["a.fq", "b.fq", "c.fq", "s.csv"];
    let sheet = write(
        dir.path(),
        "s.csv",
        b"sample,fastq_1\nA,a.fq\nB,b.fq\nC,c.fq\nD,missing.fq\n",
    );
    let err = fails_leaving_only(dir.path(), &["--samplesheet".as_ref(), os(&sheet)], &inputs);
    assert!(
        err.contains("s.csv: line 3") && err.contains("b.fq") && !err.contains("missing.fq"),
        "{err}"
    );
    // without the malformed second file, the malformed third comes first
    write(dir.path(), "b.fq", &fastq(50, b'I'));
    let err = fails_leaving_only(dir.path(), &["--samplesheet".as_ref(), os(&sheet)], &inputs);
    assert!(
        err.contains("s.csv: line 4") && err.contains("c.fq"),
        "{err}"
    );
    // and with every file well formed, the missing one
    write(dir.path(), "c.fq", &fastq(50, b'I'));
    let err = fails_leaving_only(dir.path(), &["--samplesheet".as_ref(), os(&sheet)], &inputs);
    assert!(
        err.contains("s.csv: line 5") && err.contains("missing.fq"),
        "{err}"
    );
}

#[test]
fn symlinked_duplicate_is_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.fq", &fastq(5, b'I'));
    let link = dir.path().join("b.fq");
    std::os::unix::fs::symlink(&a, &link).unwrap();
    let err = fails_leaving_only(dir.path(), &[os(&a), os(&link)], &["a.fq", "b.fq"]);
    assert!(
        err.contains("a.fq") && err.contains("b.fq") && err.contains("same file"),
        "{err}"
    );
}

#[test]
fn hard_linked_duplicate_in_a_samplesheet_names_both_lines() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.fq", &fastq(5, b'I'));
    std::fs::hard_link(&a, dir.path().join("b.fq")).unwrap();
    let sheet = write(dir.path(), "s.csv", b"sample,fastq_1\nA,a.fq\nB,b.fq\n");
    let err = fails_leaving_only(
        dir.path(),
        &["--samplesheet".as_ref(), os(&sheet)],
        &["a.fq", "b.fq", "s.csv"],
    );
    assert!(
        err.contains("line 3") && err.contains("line 2") && err.contains("same file"),
        "{err}"
    );
    // positional arguments too
    let b = dir.path().join("b.fq");
    let err = fails_leaving_only(dir.path(), &[os(&a), os(&b)], &["a.fq", "b.fq", "s.csv"]);
    assert!(err.contains("same file as"), "{err}");
}

/// What cutadapt 5.2 refuses, mirq refuses: the error names the file, the
/// record and its line.
#[test]
fn fastq_as_strict_as_cutadapt() {
    let good = String::from_utf8(fastq(3, b'I')).unwrap();
    for (name, bytes, line, why) in [
        (
            "plus.fq",
            format!("{good}@r3 x\nACGT\n+r4\nIIII\n").into_bytes(),
            "line 15",
            "'+' line",
        ),
        (
            "header.fq",
            format!("{good}@r\u{e9}3\nACGT\n+\nIIII\n").into_bytes(),
            "line 13",
            "non-ASCII",
        ),
        (
            "qual.fq",
            [good.as_bytes(), b"@r3\nACGT\n+\nII\xc3\xa9\n"].concat(),
            "line 16",
            "quality byte 0xc3",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let f = write(dir.path(), name, &bytes);
        let err = fails_leaving_only(dir.path(), &[os(&f)], &[name]);
        assert!(
            err.contains(name) && err.contains("record 4") && err.contains(line),
            "{name}: {err}"
        );
        assert!(err.contains(why), "{name}: {err}");
    }
    // a '+' line repeating the header, CRLF line ends: accepted
    let dir = tempfile::tempdir().unwrap();
    let body = format!("@r1 x\r\n{READ}\r\n+r1 x\r\n{}\r\n", "I".repeat(READ.len()));
    let f = write(dir.path(), "ok.fq", body.as_bytes());
    let out = run_within(quant(dir.path(), &[os(&f)]), Duration::from_secs(60));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// FASTA reads have no qualities: `--quality-cutoff` is refused (as
/// cutadapt refuses it), and without it the run says mean quality is not
/// available (null in stats.json, no quality rule in the QC).
#[test]
fn fasta_reads_have_no_quality() {
    let dir = tempfile::tempdir().unwrap();
    let mut fa = String::new();
    for i in 0..20 {
        fa.push_str(&format!(">r{i}\n{READ}\n"));
    }
    let f = write(dir.path(), "reads.fa", fa.as_bytes());
    let err = fails_leaving_only(
        dir.path(),
        &["--quality-cutoff".as_ref(), "20".as_ref(), os(&f)],
        &["reads.fa"],
    );
    assert!(
        err.contains("reads.fa") && err.contains("no qualities are available"),
        "{err}"
    );
    // through a FIFO the check comes as the reads are read
    let fifo = dir.path().join("piped.fa");
    mkfifo(&fifo);
    let writer = {
        let (fifo, fa) = (fifo.clone(), fa.clone());
        std::thread::spawn(move || {
            let _ = std::fs::write(&fifo, fa); // mirq may stop reading early
        })
    };
    let args = ["--quality-cutoff".as_ref(), "20".as_ref(), os(&fifo)];
    let err = fails_leaving_only(dir.path(), &args, &["piped.fa", "reads.fa"]);
    assert!(
        err.contains("piped.fa") && err.contains("no qualities are available"),
        "{err}"
    );
    writer.join().unwrap();
    std::fs::remove_file(&fifo).unwrap();

    let out = run_within(quant(dir.path(), &[os(&f)]), Duration::from_secs(60));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats = common::stats(&dir.path().join("out"));
    let s = &stats["samples"][0];
    assert_eq!(s["reads_in"], 20);
    assert!(s["qc"]["mean_quality"].is_null(), "{}", s["qc"]);
    assert!(
        !s["qc"]["reasons"].to_string().contains("quality"),
        "{}",
        s["qc"]
    );
}

#[test]
fn phred64_is_refused_with_a_way_to_convert() {
    let dir = tempfile::tempdir().unwrap();
    // Illumina 1.5+: 'B' (Q2) to 'h' (Q40), nothing below '@'
    let mut body = fastq(30, b'h');
    let at = body.len() - 4;
    body[at..at + 3].copy_from_slice(b"BBB");
    let f = write(dir.path(), "old.fq", &body);
    let err = fails_leaving_only(dir.path(), &[os(&f)], &["old.fq"]);
    assert!(
        err.contains("old.fq") && err.contains("Phred+64") && err.contains("seqtk seq -Q64 -V"),
        "{err}"
    );
    // Phred+33 at its highest ('J', Q41) is not taken for Phred+64
    let f = write(dir.path(), "high.fq", &fastq(30, b'J'));
    let out = run_within(quant(dir.path(), &[os(&f)]), Duration::from_secs(60));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A FIFO is looked up but never opened by the check: the run opens it once
/// (a second open would wait for a writer that never comes) and reads every
/// record.
#[test]
fn fifo_input_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("reads.fq");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::fs::write(&fifo, fastq(300, b'I')).unwrap();
        })
    };
    let out = run_within(quant(dir.path(), &[os(&fifo)]), Duration::from_secs(60));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    writer.join().unwrap();
    let stats = common::stats(&dir.path().join("out"));
    assert_eq!(stats["samples"][0]["reads_in"], 300);
}

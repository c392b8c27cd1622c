//! What reaches the terminal, and what happens when it cannot: commands
//! whose product is stdout (`man`, `completions`, `devices`, `bench`) end
//! quietly with exit 0 on a closed pipe and with exit 1 and a message on a
//! full disk; `quant`, whose product is its output directory, finishes with
//! stderr closed or full and keeps `mirq.log`. Control characters of a read
//! id are escaped in messages, and an unknown `WGPU_BACKEND` is an error
//! before any work.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn demo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("demo").join(rel)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The five stdout commands, each cheap: `bench` on the demo reference with
/// no GPU backend to try (`metal` on Linux), so that only the CPU runs.
fn stdout_commands() -> Vec<(&'static str, Command)> {
    let mut man = common::mirq();
    man.arg("man");
    let mut man_quant = common::mirq();
    man_quant.args(["man", "quant"]);
    let mut completions = common::mirq();
    completions.args(["completions", "bash"]);
    let mut devices = common::mirq();
    devices.arg("devices");
    let mut bench = common::mirq();
    bench
        .args(["bench", "--inserts", "300", "--seed", "7", "-t", "1"])
        .args(["--species", "hsa", "--mature"])
        .arg(demo("reference/mature.fa"))
        .env("WGPU_BACKEND", "metal");
    vec![
        ("man", man),
        ("man quant", man_quant),
        ("completions bash", completions),
        ("devices", devices),
        ("bench", bench),
    ]
}

/// A pipe whose reading end is closed before mirq starts, so that every
/// write gets `EPIPE`: the writing end of `true`'s stdin once `true` ended.
fn closed_pipe() -> Stdio {
    let mut reader = Command::new("true")
        .stdin(Stdio::piped())
        .spawn()
        .expect("true runs");
    let pipe = reader.stdin.take().expect("a pipe");
    reader.wait().expect("true ends");
    pipe.into()
}

/// `/dev/full`, opened for writing: every write fails with `ENOSPC`.
#[cfg(target_os = "linux")]
fn dev_full() -> Stdio {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full")
        .into()
}

#[test]
fn stdout_commands_end_quietly_on_a_closed_pipe() {
    for (name, mut cmd) in stdout_commands() {
        let o = cmd.stdout(closed_pipe()).output().expect("mirq runs");
        let err = text(&o.stderr);
        assert!(!err.contains("panicked"), "mirq {name}: {err}");
        assert_eq!(o.status.code(), Some(0), "mirq {name}: {err}");
        assert!(!err.contains("mirq: error"), "mirq {name}: {err}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn stdout_commands_report_a_full_disk() {
    for (name, mut cmd) in stdout_commands() {
        let o = cmd.stdout(dev_full()).output().expect("mirq runs");
        let err = text(&o.stderr);
        assert!(!err.contains("panicked"), "mirq {name}: {err}");
        assert_eq!(o.status.code(), Some(1), "mirq {name}: {err}");
        assert!(
            err.contains("mirq: error: ") && err.contains("No space left on device"),
            "mirq {name}: {err}"
        );
    }
}

/// `mirq quant` of the demo's two runs into `out`, with messages (no `-q`).
fn demo_quant(out: &Path) -> Command {
    let mut cmd = common::mirq();
    cmd.args(["quant", "-t", "2", "--engine", "cpu", "--species", "hsa"])
        .arg("--mature")
        .arg(demo("reference/mature.fa"))
        .arg("--hairpin")
        .arg(demo("reference/hairpin.fa"))
        .arg(demo("reads/plasma_A.fastq.gz"))
        .arg(demo("reads/plasma_B.fastq.gz"))
        .arg("-o")
        .arg(out);
    cmd
}

/// A finished demo run's directory: its counts and the messages it would
/// have said, in `mirq.log`.
fn assert_complete(out: &Path, how: &str) {
    for file in ["mature_counts.tsv", "stats.json", "report.html"] {
        assert!(out.join(file).is_file(), "{how}: no {file}");
    }
    let log = std::fs::read_to_string(out.join("mirq.log")).expect("mirq.log");
    for said in [
        "mirq: plasma_A: adapter auto-detection: illumina",
        "mirq: plasma_B: adapter auto-detection: illumina",
        "mirq: timings: ",
    ] {
        assert!(
            log.contains(said),
            "{how}: {said:?} not in mirq.log:\n{log}"
        );
    }
}

#[test]
fn quant_finishes_with_stderr_closed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let status = demo_quant(&out)
        .stdout(Stdio::null())
        .stderr(closed_pipe())
        .status()
        .expect("mirq runs");
    assert_eq!(status.code(), Some(0));
    assert_complete(&out, "stderr closed");
}

#[cfg(target_os = "linux")]
#[test]
fn quant_finishes_with_stderr_full() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let status = demo_quant(&out)
        .stdout(Stdio::null())
        .stderr(dev_full())
        .status()
        .expect("mirq runs");
    assert_eq!(status.code(), Some(0));
    assert_complete(&out, "stderr full");
}

/// `mirq merge` of the demo's runs quantified apart: it finishes with
/// stderr closed or full and its `mirq.log` holds its closing lines.
#[cfg(target_os = "linux")]
#[test]
fn merge_finishes_with_stderr_closed_or_full() {
    let dir = tempfile::tempdir().unwrap();
    let mut runs = Vec::new();
    for sample in ["plasma_A", "plasma_B"] {
        let out = dir.path().join(sample);
        let o = common::mirq()
            .args([
                "quant",
                "-q",
                "-t",
                "2",
                "--engine",
                "cpu",
                "--species",
                "hsa",
            ])
            .arg("--mature")
            .arg(demo("reference/mature.fa"))
            .arg("--hairpin")
            .arg(demo("reference/hairpin.fa"))
            .arg(demo(&format!("reads/{sample}.fastq.gz")))
            .arg("-o")
            .arg(&out)
            .output()
            .expect("mirq runs");
        assert!(o.status.success(), "{}", text(&o.stderr));
        runs.push(out);
    }
    for (how, stderr) in [("closed", closed_pipe()), ("full", dev_full())] {
        let merged = dir.path().join(format!("merged_{how}"));
        let status = common::mirq()
            .arg("merge")
            .args(&runs)
            .arg("-o")
            .arg(&merged)
            .stdout(Stdio::null())
            .stderr(stderr)
            .status()
            .expect("mirq runs");
        assert_eq!(status.code(), Some(0), "stderr {how}");
        assert!(merged.join("mature_counts.tsv").is_file(), "stderr {how}");
        let log = std::fs::read_to_string(merged.join("mirq.log")).expect("mirq.log");
        assert!(
            log.contains("mirq: merged 2 samples") && log.contains("mirq: timings: "),
            "stderr {how}: {log}"
        );
    }
}

/// A read id with an ANSI colour sequence, in a record the parser refuses
/// (a quality byte below '!'): the message names the id with its ESC bytes
/// escaped, so the terminal shows them instead of turning red.
#[test]
fn control_characters_of_a_read_id_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let fastq = dir.path().join("esc.fastq");
    std::fs::write(
        &fastq,
        b"@read\x1b[31mred\x1b[0m\tx\nACGTACGTACGTACGTACGTAC\n+\nIIIIIIIIIII IIIIIIIIII\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = common::mirq()
        .args(["quant", "-q", "--engine", "cpu", "--species", "hsa"])
        .arg("--mature")
        .arg(demo("reference/mature.fa"))
        .arg(&fastq)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("mirq runs");
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        !o.stderr.contains(&0x1b),
        "a raw ESC reached stderr: {err:?}"
    );
    assert!(!err.contains('\t'), "a raw tab reached stderr: {err:?}");
    assert!(
        err.contains("read\\x1b[31mred\\x1b[0m\\tx"),
        "the id is not shown escaped: {err}"
    );
    assert!(!out.exists());
}

/// `WGPU_BACKEND` is wgpu's variable; an unknown name is refused with the
/// accepted ones, by `devices`, by `bench` and by `quant` before any work
/// (`quant --engine cpu` too: it is checked at start-up, not when a GPU is
/// first looked for).
#[test]
fn an_unknown_wgpu_backend_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut devices = common::mirq();
    devices.arg("devices");
    let mut bench = common::mirq();
    bench
        .args(["bench", "--inserts", "300", "--seed", "7", "-t", "1"])
        .args(["--species", "hsa", "--mature"])
        .arg(demo("reference/mature.fa"));
    for (name, mut cmd) in [
        ("devices", devices),
        ("bench", bench),
        ("quant", demo_quant(&out)),
    ] {
        let o = cmd
            .env("WGPU_BACKEND", "vulkan,bogus")
            .output()
            .expect("mirq runs");
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "mirq {name}: {err}");
        assert!(o.stdout.is_empty(), "mirq {name}");
        assert!(
            err.starts_with(
                "mirq: error: invalid value 'vulkan,bogus' for WGPU_BACKEND: 'bogus' is not a backend"
            ) && err.contains("vulkan (or vk), metal (mtl), dx12 (d3d12), gl (gles, opengl)"),
            "mirq {name}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "mirq {name}: {err}");
    }
    assert!(!out.exists(), "quant worked before refusing");
    // a name wgpu knows, in its own spelling, is accepted
    let o = common::mirq()
        .arg("devices")
        .env("WGPU_BACKEND", " Metal ")
        .output()
        .expect("mirq runs");
    assert!(o.status.success(), "{}", text(&o.stderr));
}

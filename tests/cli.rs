//! Command-line behaviour: samplesheets, thread-count independence, help.

mod common;

#[test]
fn samplesheet_pools_lanes_into_one_column() {
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("samples.csv");
    // a file is listed once: the second sample reads a copy
    let copy = dir.path().join("second_copy.fastq");
    std::fs::copy(common::test_data("tiny/second.fastq"), &copy).unwrap();
    std::fs::write(
        &sheet,
        format!(
            "sample,fastq_1\nboth,{}\nboth,{}\nsecond_only,second_copy.fastq\n",
            common::test_data("tiny/tiny.fastq").display(),
            common::test_data("tiny/second.fastq").display(),
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    common::run_ok(
        common::mirq()
            .args(["quant", "-q", "--species", "tst", "--mature"])
            .arg(common::test_data("tiny/mature.fa"))
            .arg("--samplesheet")
            .arg(&sheet)
            .arg("-o")
            .arg(&out),
    );
    let (header, rows) = common::read_table(&out.join("mature_counts.tsv"));
    assert_eq!(header, vec!["mirna", "both", "second_only"]);
    assert_eq!(rows["tst-miR-1-5p"], vec![5.0, 1.0]);
    assert_eq!(rows["tst-miR-2b"], vec![3.0, 2.0]);
    assert_eq!(common::stats(&out)["samples"][0]["reads_in"], 18);
}

#[test]
fn outputs_do_not_depend_on_thread_count() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |threads: &str| {
        let out = dir.path().join(format!("t{threads}"));
        common::run_ok(
            common::mirq()
                .args([
                    "quant",
                    "-q",
                    "--species",
                    "mmu",
                    "--protocol",
                    "illumina",
                    "-t",
                    threads,
                ])
                .arg("--mature")
                .arg(shared.join("data/mirbase/mature_v21.fa.gz"))
                .arg("--hairpin")
                .arg(shared.join("data/mirbase/hairpin_v21.fa"))
                .arg(shared.join("data/fastq/trimgalore_smallRNA_100K.fastq.gz"))
                .arg(shared.join("data/fastq/mirtrace_qiaseq.fastq.gz"))
                .arg("-o")
                .arg(&out),
        );
        out
    };
    let (a, b, c) = (run("1"), run("2"), run("8"));
    for f in [
        "mature_counts.tsv",
        "mature_counts_int.tsv",
        "mature_counts_unique.tsv",
        "mature_rpm.tsv",
        "hairpin_counts.tsv",
        "collapsed/trimgalore_smallRNA_100K.fa",
    ] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs between -t 1 and -t 2");
        assert!(
            x == std::fs::read(c.join(f)).unwrap(),
            "{f} differs between -t 1 and -t 8"
        );
    }
}

/// `mirq completions bash|zsh|fish` prints a completion script that knows
/// the subcommands; `mirq man` prints a roff man page.
#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        let out = common::run_ok(common::mirq().args(["completions", shell]));
        for word in ["quant", "merge", "report", "samplesheet"] {
            assert!(out.contains(word), "{shell} completion lacks {word}");
        }
    }
    let bash = common::run_ok(common::mirq().args(["completions", "bash"]));
    assert!(bash.contains("complete -F"), "{bash}");
    let man = common::run_ok(common::mirq().arg("man"));
    assert!(man.contains(".TH mirq 1"), "{man}");
    assert!(man.contains("mirq\\-quant(1)"), "{man}");
    assert!(!common::mirq()
        .args(["completions", "cmd"])
        .output()
        .unwrap()
        .status
        .success());
}

/// `quant --help` shows each option group as a heading line of its own
/// (`Input:`), in this order, and nothing else as a heading.
#[test]
fn help_lists_the_option_groups() {
    let out = common::run_ok(common::mirq().args(["quant", "--help"]));
    let headings: Vec<&str> = out
        .lines()
        .filter(|l| !l.starts_with(' ') && l.ends_with(':'))
        .collect();
    assert_eq!(
        headings,
        [
            "Options:",
            "Input:",
            "Reference:",
            "Trimming:",
            "UMIs:",
            "Alignment:",
            "Performance:",
            "Output:"
        ],
        "{out}"
    );
}

/// stats.json times the four stages and the alignment rate; without `-q` one
/// stderr line says the same, with `-q` it does not.
#[test]
fn stats_time_every_stage_and_stderr_says_so() {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    let dir = tempfile::tempdir().unwrap();
    let run = |quiet: bool| {
        let out = dir.path().join(if quiet { "quiet" } else { "loud" });
        let mut cmd = common::mirq();
        cmd.args(["quant", "--species", "hsa", "--engine", "cpu"])
            .arg("--mature")
            .arg(demo.join("reference/mature.fa"))
            .arg("--hairpin")
            .arg(demo.join("reference/hairpin.fa"))
            .arg(demo.join("reads/plasma_A.fastq.gz"))
            .arg(demo.join("reads/plasma_B.fastq.gz"))
            .arg("-o")
            .arg(&out);
        if quiet {
            cmd.arg("-q");
        }
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        (
            common::stats(&out),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (stats, stderr) = run(false);
    let timings = &stats["timings"];
    let mut sum = 0.0;
    for stage in ["read_trim_collapse", "align", "assign_count", "write"] {
        let s = timings[stage]
            .as_f64()
            .unwrap_or_else(|| panic!("timings.{stage} is not a number: {timings}"));
        assert!(s >= 0.0, "timings.{stage} = {s}");
        sum += s;
    }
    assert_eq!(timings.as_object().unwrap().len(), 4, "{timings}");
    let elapsed = stats["elapsed_seconds"].as_f64().unwrap();
    // each stage is rounded to the millisecond
    assert!(
        sum <= elapsed + 0.005,
        "stages sum to {sum} s > {elapsed} s"
    );
    let rate = stats["align_inserts_per_second"].as_f64().unwrap();
    assert!(rate > 0.0, "align_inserts_per_second = {rate}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("mirq: timings: "))
        .unwrap_or_else(|| panic!("no timings line:\n{stderr}"));
    for part in [
        "read/trim/collapse ",
        ", align ",
        " inserts/s), assign/count ",
        ", write ",
    ] {
        assert!(line.contains(part), "{line}");
    }
    let (stats, stderr) = run(true);
    assert!(stats["timings"]["align"].is_number());
    assert!(!stderr.contains("timings"), "{stderr}");
}

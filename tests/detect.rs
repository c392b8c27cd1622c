//! `--protocol auto` on every real run in ../shared/data/fastq (it must find
//! the adapter and protocol that ../shared/data/README.md documents, with
//! confidence high; already-trimmed runs: none), on simulated runs of each
//! protocol the simulator makes, and end to end: auto counts like the
//! documented preset and says what it did on stderr and in stats.json.

mod common;

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;

use mirq::input::fastq;
use mirq::input::library::Protocol;
use mirq::prep::detect::{self, Confidence, Detection, ReadSample};

const TRUSEQ: Option<&str> = Some("TGGAATTCTCGGGTGCCAAGG");

/// What ../shared/data/README.md documents for each run: protocol (its cuts)
/// and adapter (None: already trimmed). mirtrace_sample3 is documented as
/// Illumina small RNA v1.5; its reads carry ATCTCGTATGCC..., so v1.5 is what
/// auto reports (v1.0, three bases later, would leave ATC on every insert).
const RUNS: &[(&str, Protocol, Option<&str>)] = &[
    ("mirtrace_sample1", Protocol::Illumina, TRUSEQ),
    (
        "mirtrace_sample3",
        Protocol::Illumina,
        Some("ATCTCGTATGCCGTCTTCTGCTTG"),
    ),
    (
        "mirtrace_qiaseq",
        Protocol::Qiaseq,
        Some("AACTGTAGGCACCATCAAT"),
    ),
    (
        "excerpt_testdata_human",
        Protocol::Illumina,
        Some("TCGTATGCCGTCTTCTGCTTG"),
    ),
    ("trimgalore_smallRNA_100K", Protocol::Illumina, TRUSEQ),
    ("compsra_sample01", Protocol::Nextflex, TRUSEQ),
    ("compsra_sample02", Protocol::Nextflex, TRUSEQ),
    ("compsra_sample03", Protocol::Nextflex, TRUSEQ),
    ("compsra_sample07", Protocol::Nextflex, TRUSEQ),
    ("compsra_sample08", Protocol::Nextflex, TRUSEQ),
    ("compsra_sample09", Protocol::Nextflex, TRUSEQ),
    (
        "encode_ENCSR569QVM_rep1_chr19_trimmed",
        Protocol::Illumina,
        None,
    ),
    (
        "encode_ENCSR569QVM_rep2_chr19_trimmed",
        Protocol::Illumina,
        None,
    ),
    (
        "isomirmap_LCL_NA19257_random10k_trimmed",
        Protocol::Illumina,
        None,
    ),
    (
        "smallrnaseq_bovine_plasma_trimmed",
        Protocol::Illumina,
        None,
    ),
    ("smallrnaseq_bovine_serum_trimmed", Protocol::Illumina, None),
];

/// Detection on a file's first [`detect::SAMPLE_READS`] reads, as
/// `--protocol auto` decides on a sample.
fn detect_file(path: &Path) -> Detection {
    let mut first = ReadSample::default();
    fastq::for_each_record_until(path, |seq, _| {
        first.push(seq);
        if first.len() >= detect::SAMPLE_READS {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .unwrap();
    detect::detect(&first)
}

fn line(name: &str, d: &Detection) -> String {
    format!(
        "{name:42} {:9} {:24} {:>6.1}% of {:>7} reads  confidence {:4}  ends 5' {:.1} 3' {:.1}",
        d.protocol,
        d.adapter.as_deref().unwrap_or("none"),
        100.0 * d.fraction,
        d.reads_sampled,
        d.confidence,
        d.random_ends.ratio_5p,
        d.random_ends.ratio_3p
    )
}

#[test]
fn every_real_run_gets_its_documented_adapter_with_confidence() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = shared.join("data/fastq");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".fastq.gz"))
        .collect();
    files.sort();
    assert!(
        files.len() >= RUNS.len(),
        "runs missing from {}",
        dir.display()
    );
    let mut report = Vec::new();
    for file in &files {
        let name = mirq::input::samples::sample_name_from_path(file);
        let Some(&(_, protocol, adapter)) = RUNS.iter().find(|r| r.0 == name) else {
            panic!("{name}: a run not in this test's table: document its adapter in RUNS");
        };
        let d = detect_file(file);
        report.push(line(&name, &d));
        let expected = if adapter.is_some() {
            Confidence::High
        } else {
            Confidence::None
        };
        assert_eq!(
            (d.protocol, d.adapter.as_deref(), d.confidence),
            (protocol, adapter, expected),
            "{name}: {}",
            d.summary
        );
        if adapter.is_some() {
            assert!(d.warning.is_none() && d.fraction >= detect::HIGH_MIN_FRACTION);
        } else {
            // says what it did
            let w = d.warning.as_deref().unwrap();
            assert!(w.contains("already-trimmed inserts"), "{w}");
            assert!(d.summary.contains("none"), "{}", d.summary);
        }
    }
    eprintln!("{}", report.join("\n"));
}

/// A simulated run (fixed seed) of `protocol`: the FASTQ and truth paths.
fn simulate(shared: &Path, dir: &Path, protocol: &str, seed: u64) -> (PathBuf, PathBuf) {
    let prefix = dir.join(format!("sim_{protocol}"));
    common::run_ok(
        Command::new("python3")
            .arg(shared.join("tools/simulate_smallrna.py"))
            .arg("--mature")
            .arg(shared.join("data/mirbase/mature_nfcore_test.fa"))
            .args([
                "--species",
                "hsa",
                "--reads",
                "10000",
                "--protocol",
                protocol,
            ])
            .args(["--seed", &seed.to_string(), "--out"])
            .arg(&prefix),
    );
    (
        prefix.with_extension("fastq.gz"),
        prefix.with_extension("truth.tsv"),
    )
}

fn simulated(protocol: &str, expected: Protocol, adapter: &str) {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (fastq, _) = simulate(&shared, dir.path(), protocol, 41);
    let d = detect_file(&fastq);
    eprintln!("{}", line(&format!("simulated {protocol}"), &d));
    assert_eq!(
        (d.protocol, d.adapter.as_deref(), d.confidence),
        (expected, Some(adapter), Confidence::High),
        "{}",
        d.summary
    );
}

#[test]
fn simulated_illumina_run() {
    simulated("illumina", Protocol::Illumina, "TGGAATTCTCGGGTGCCAAGG");
}

#[test]
fn simulated_nextflex_run() {
    simulated("nextflex", Protocol::Nextflex, "TGGAATTCTCGGGTGCCAAGG");
}

#[test]
fn simulated_qiaseq_run() {
    simulated("qiaseq", Protocol::Qiaseq, "AACTGTAGGCACCATCAAT");
}

/// The simulated molecules' inserts alone (what a trimmed run holds): no
/// adapter, and the binary says so on stderr and in stats.json.
#[test]
fn simulated_inserts_only_have_no_adapter_and_the_run_says_so() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_, truth) = simulate(&shared, dir.path(), "illumina", 43);
    let fastq = dir.path().join("inserts.fastq");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&fastq).unwrap());
    let text = std::fs::read_to_string(&truth).unwrap();
    let mut n = 0;
    for row in text.lines().skip(1) {
        let insert = row.split('\t').nth(5).unwrap();
        if insert.len() >= 16 && insert != "." {
            writeln!(out, "@i{n}\n{insert}\n+\n{}", "I".repeat(insert.len())).unwrap();
            n += 1;
        }
    }
    drop(out);
    assert!(n > 5000);
    let d = detect_file(&fastq);
    eprintln!("{}", line("simulated inserts only", &d));
    assert_eq!(
        (d.confidence, d.adapter.as_deref()),
        (Confidence::None, None)
    );
    assert_eq!(d.protocol, Protocol::Illumina);

    let o = dir.path().join("out");
    let run = common::Quant::mirbase(&shared, "hsa", "mature_nfcore_test.fa", None, &o)
        .args(["-t", "2", "--engine", "cpu", "--protocol", "auto"])
        .arg(&fastq)
        .output();
    assert!(run.status.success());
    // already-trimmed reads are information, not a warning: with -q,
    // nothing on stderr; the line is in mirq.log
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!stderr.contains("adapter"), "{stderr}");
    let log = std::fs::read_to_string(o.join("mirq.log")).unwrap();
    assert!(
        log.contains("adapter auto-detection: none: no 3' adapter")
            && log.contains("already-trimmed inserts")
            && !log.contains("WARNING"),
        "{log}"
    );
    let stats = common::stats(&o);
    let det = &stats["samples"][0]["trimming"]["detection"];
    assert_eq!(det["confidence"], "none");
    assert!(det["adapter"].is_null() && stats["settings"]["adapter"].is_null());
    assert!(det["warning"].as_str().unwrap().contains("--adapter none"));
    assert_eq!(det["reads_sampled"], n as u64);
    // every read is an insert: none lacks an adapter, none is cut
    let sample = &stats["samples"][0];
    assert_eq!(sample["reads_in"], n as u64);
    assert_eq!(sample["no_adapter"], 0);
    assert_eq!(
        sample["inserts"].as_u64().unwrap() + sample["too_long"].as_u64().unwrap(),
        n as u64
    );
}

/// `--protocol auto` quantifies like the documented settings (same tables;
/// tests/real_runs.rs checks those settings' inserts against cutadapt),
/// reports in mirq.log and stats.json (the sample's `trimming`); a preset
/// run's samples have no `trimming` of their own.
#[test]
fn auto_counts_like_the_documented_settings() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (run, species, args, summary) in [
        (
            "mirtrace_qiaseq",
            "mmu",
            &["--protocol", "qiaseq"][..],
            "adapter auto-detection: qiaseq (QIAseq miRNA AACTGTAGGCACCATCAAT) found in",
        ),
        (
            "compsra_sample01",
            "hsa",
            &["--protocol", "nextflex"][..],
            "adapter auto-detection: nextflex (TruSeq small RNA TGGAATTCTCGGGTGCCAAGG, 4 random bases at both insert ends) found in",
        ),
        (
            "mirtrace_sample3",
            "hsa",
            &["--protocol", "illumina", "--adapter", "ATCTCGTATGCCGTCTTCTGCTTG"][..],
            "adapter auto-detection: illumina (Illumina small RNA v1.5 ATCTCGTATGCCGTCTTCTGCTTG) found in",
        ),
        (
            "excerpt_testdata_human",
            "hsa",
            &["--protocol", "illumina", "--adapter", "TCGTATGCCGTCTTCTGCTTG"][..],
            "adapter auto-detection: illumina (Illumina small RNA v1.0 TCGTATGCCGTCTTCTGCTTG) found in",
        ),
        (
            "isomirmap_LCL_NA19257_random10k_trimmed",
            "hsa",
            &["--protocol", "illumina", "--adapter", "none"][..],
            "adapter auto-detection: none: no 3' adapter in 10,000 sampled reads",
        ),
    ] {
        let quant = |extra: &[&str], out: &Path| {
            common::Quant::mirbase(&shared, species, "mature_v21.fa.gz", None, out)
                .args(["-t", "2", "--engine", "cpu"])
                .args(extra)
                .arg(shared.join(format!("data/fastq/{run}.fastq.gz")))
                .output()
        };
        let (auto, preset) = (dir.path().join(format!("{run}.auto")), dir.path().join(run));
        let a = quant(&["--protocol", "auto"], &auto);
        let p = quant(args, &preset);
        assert!(a.status.success() && p.status.success());
        let log = std::fs::read_to_string(auto.join("mirq.log")).unwrap();
        assert!(log.contains(summary), "{run}: {log}");
        let preset_log = std::fs::read_to_string(preset.join("mirq.log")).unwrap();
        assert!(!preset_log.contains("auto-detection"), "{preset_log}");
        for table in [
            "mature_counts.tsv",
            "mature_counts_unique.tsv",
            "hairpin_counts.tsv",
        ] {
            assert_eq!(
                std::fs::read(auto.join(table)).unwrap(),
                std::fs::read(preset.join(table)).unwrap(),
                "{run}: {table} differs between --protocol auto and {args:?}"
            );
        }
        let (sa, sp) = (common::stats(&auto), common::stats(&preset));
        assert_eq!(sa["settings"], sp["settings"], "{run}");
        let mut auto_sample = sa["samples"][0].clone();
        let trimming = auto_sample.as_object_mut().unwrap().remove("trimming").unwrap();
        assert_eq!(auto_sample, sp["samples"][0], "{run}");
        assert!(sp["samples"][0].get("trimming").is_none(), "{run}");
        let det = &trimming["detection"];
        assert_eq!(det["protocol"], sa["settings"]["protocol"]);
        assert_eq!(det["adapter"], sa["settings"]["adapter"]);
        let expected = if args.ends_with(&["none"]) { "none" } else { "high" };
        assert_eq!(det["confidence"], expected, "{run}");
        assert!(det["fraction"].as_f64().is_some() && det["reads_sampled"].as_u64() > Some(0));
        assert!(det["candidates"].as_array().is_some());
    }
}

/// `--adapter` with `--protocol auto` keeps the given adapter; the detected
/// protocol's cuts still apply, and stats.json records the override.
#[test]
fn an_explicit_adapter_overrides_the_detected_one() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let run = common::Quant::mirbase(&shared, "hsa", "mature_nfcore_test.fa", None, &out)
        .args(["-t", "2", "--engine", "cpu", "--protocol", "auto"])
        .args(["--adapter", "TGGAATTCTCGGGTGCC"])
        .arg(shared.join("data/fastq/compsra_sample02.fastq.gz"))
        .output();
    assert!(run.status.success());
    let log = std::fs::read_to_string(out.join("mirq.log")).unwrap();
    assert!(
        log.contains("adapter auto-detection: nextflex")
            && log.contains("; --adapter TGGAATTCTCGGGTGCC replaces the detected adapter"),
        "{log}"
    );
    let stats = common::stats(&out);
    assert_eq!(stats["settings"]["adapter"], "TGGAATTCTCGGGTGCC");
    assert_eq!(stats["settings"]["protocol"], "nextflex");
    assert_eq!(stats["settings"]["cut_5p"], 4);
    assert_eq!(
        stats["samples"][0]["trimming"]["detection"]["adapter_override"],
        "TGGAATTCTCGGGTGCC"
    );
    assert_eq!(
        stats["samples"][0]["trimming"]["detection"]["adapter"],
        "TGGAATTCTCGGGTGCCAAGG"
    );
}

/// Two kits in one `--protocol auto` run: each sample gets its own adapter
/// (stderr, stats.json) and most of its inserts on miRNAs; the run's
/// settings say the trimming is per sample.
#[test]
fn auto_detects_each_sample_of_a_mixed_run() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mixed");
    let run = common::Quant::mirbase(&shared, "hsa", "mature_nfcore_test.fa", None, &out)
        .args(["-t", "2", "--engine", "cpu", "--protocol", "auto"])
        .arg(shared.join("data/fastq/mirtrace_sample1.fastq.gz"))
        .arg(shared.join("data/fastq/mirtrace_sample3.fastq.gz"))
        .output();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let log = std::fs::read_to_string(out.join("mirq.log")).unwrap();
    for (sample, adapter) in [
        ("mirtrace_sample1", "TGGAATTCTCGGGTGCCAAGG"),
        ("mirtrace_sample3", "ATCTCGTATGCCGTCTTCTGCTTG"),
    ] {
        // one line per sample, in mirq.log (stderr has it without -q)
        let line = log
            .lines()
            .find(|l| l.starts_with(&format!("mirq: {sample}: adapter auto-detection: illumina")))
            .unwrap_or_else(|| panic!("no detection line for {sample}: {log}"));
        assert!(
            line.contains(adapter) && line.contains("(confidence high)"),
            "{line}"
        );
    }
    let stats = common::stats(&out);
    assert_eq!(stats["settings"]["protocol"], "per-sample");
    assert!(stats["settings"]["adapter"].is_null());
    let adapters: Vec<&str> = stats["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let (assigned, inserts) = (
                s["assigned_mature"].as_u64().unwrap(),
                s["inserts"].as_u64().unwrap(),
            );
            assert!(
                assigned * 2 > inserts,
                "{}: {assigned} of {inserts} on miRNAs",
                s["sample"]
            );
            assert_eq!(
                s["qc"]["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| r.as_str().unwrap().contains("adapter found in"))
                    .count(),
                0
            );
            s["trimming"]["adapter"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        adapters,
        ["TGGAATTCTCGGGTGCCAAGG", "ATCTCGTATGCCGTCTTCTGCTTG"]
    );
}

/// `--protocol auto` reads its input once: from a pipe it counts like the
/// file (a FIFO made by `mkfifo`, as process substitution gives).
#[test]
fn auto_from_a_pipe_counts_like_the_file() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let gz = shared.join("data/fastq/trimgalore_smallRNA_100K.fastq.gz");
    let quant = |input: &Path, out: &Path| {
        common::Quant::mirbase(&shared, "mmu", "mature_v21.fa.gz", None, out)
            .args(["-t", "2", "--engine", "cpu", "--protocol", "auto"])
            .arg(input)
            .output()
    };
    let from_file = dir.path().join("file");
    assert!(quant(&gz, &from_file).status.success());
    let fifo = dir.path().join("trimgalore_smallRNA_100K.fastq.gz");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let writer = {
        let (gz, fifo) = (gz.clone(), fifo.clone());
        std::thread::spawn(move || std::fs::copy(gz, fifo).unwrap())
    };
    let from_pipe = dir.path().join("pipe");
    let run = quant(&fifo, &from_pipe);
    writer.join().unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for table in ["mature_counts.tsv", "mature_counts_unique.tsv"] {
        assert_eq!(
            std::fs::read(from_file.join(table)).unwrap(),
            std::fs::read(from_pipe.join(table)).unwrap(),
            "{table}"
        );
    }
    assert_eq!(common::stats(&from_pipe)["samples"][0]["reads_in"], 100_000);
}

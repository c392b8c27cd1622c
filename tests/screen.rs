//! The genome screen on a simulated human run with 5% *E. coli* 536
//! fragments (18–40 nt, both strands, 30% with one substitution, sequencing
//! errors on top: `tests/tools/spike_genome.py`): recall over the fragments
//! the length rule admits, precision on the same run without the spike, and
//! the miRNA tables untouched by `--screen`.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Reads of the simulated human run (the spike adds 5% on top).
const READS: &str = "100000";

/// The spiked run, its truth file and the unspiked run.
fn spiked_run(shared: &Path, dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let mirbase = shared.join("data/mirbase");
    let run = common::simulate(
        shared,
        &mirbase.join("mature_nfcore_test.fa"),
        &mirbase.join("hairpin_hsa.fa"),
        &["--reads", READS, "--read-length", "75", "--seed", "7"],
        &dir.join("sim"),
    );
    let spike = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/spike_genome.py");
    common::run_ok(
        Command::new("python3")
            .arg(spike)
            .arg("--genome")
            .arg(shared.join("data/screen/ecoli_536_NC_008253.fa.gz"))
            .arg("--mix")
            .arg(&run)
            .args(["--fraction", "0.05", "--seed", "11", "--out"])
            .arg(dir.join("spiked")),
    );
    (
        dir.join("spiked.fastq.gz"),
        dir.join("spiked.truth.tsv"),
        run,
    )
}

/// `mirq quant` of `fastq` into `out` (human miRBase 21), with `args`.
fn quant(shared: &Path, fastq: &Path, out: &Path, args: &[&str]) -> serde_json::Value {
    let mirbase = shared.join("data/mirbase");
    common::run_ok(
        common::mirq()
            .arg("quant")
            .arg(fastq)
            .arg("--mature")
            .arg(mirbase.join("mature_v21.fa.gz"))
            .arg("--hairpin")
            .arg(mirbase.join("hairpin_v21.fa"))
            .args(["--species", "hsa", "-t", "2", "-q", "-o"])
            .arg(out)
            .args(args),
    );
    common::stats(out)
}

/// Each insert of `inserts.tsv.gz` and whether it has screen hits.
fn screened_inserts(out: &Path) -> HashMap<String, bool> {
    let file = std::fs::File::open(out.join("inserts.tsv.gz")).unwrap();
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("##mirq-inserts 2"));
    let columns: Vec<&str> = lines.next().unwrap().split('\t').skip(1).collect();
    let at = 2 + columns
        .iter()
        .position(|c| *c == "screen")
        .expect("a screen column");
    lines
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[at] != ".")
        })
        .collect()
}

/// Each fragment read's insert (its first `length` bases), length and
/// substitutions, from the truth file and the FASTQ.
fn fragments(fastq: &Path, truth: &Path) -> Vec<(String, usize, usize)> {
    let mut wanted: HashMap<String, (usize, usize)> = HashMap::new();
    for line in std::io::BufReader::new(std::fs::File::open(truth).unwrap())
        .lines()
        .skip(1)
    {
        let line = line.unwrap();
        let f: Vec<&str> = line.split('\t').collect();
        wanted.insert(
            f[0].to_string(),
            (f[4].parse().unwrap(), f[5].parse().unwrap()),
        );
    }
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(fastq).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for record in lines.chunks(4) {
        let id = record[0][1..].split_whitespace().next().unwrap();
        if let Some(&(len, subs)) = wanted.get(id) {
            out.push((record[1][..len].to_string(), len, subs));
        }
    }
    assert_eq!(out.len(), wanted.len(), "every fragment read found");
    out
}

#[test]
fn e_coli_fragments_are_found_and_nothing_else_is() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (spiked, truth, plain) = spiked_run(&shared, dir.path());
    let ecoli = format!(
        "ecoli={}",
        shared
            .join("data/screen/ecoli_536_NC_008253.fa.gz")
            .display()
    );
    let screen = ["--screen", ecoli.as_str()];
    let with = dir.path().join("with");
    let stats = quant(&shared, &spiked, &with, &screen);
    let without = dir.path().join("without");
    quant(&shared, &spiked, &without, &[]);
    // the miRNA tables do not change with --screen
    for table in ["mature_counts.tsv", "hairpin_counts.tsv", "isomirs.gff3"] {
        assert_eq!(
            std::fs::read(with.join(table)).unwrap(),
            std::fs::read(without.join(table)).unwrap(),
            "{table}"
        );
    }
    // recall over the fragments the rule admits (E. coli: exact from 17 nt,
    // one mismatch from 20 nt), and overall
    let settings = &stats["settings"]["screen"][0];
    assert_eq!(settings["min_length_exact"], 17);
    assert_eq!(settings["min_length_mismatch"], 20);
    let screened = screened_inserts(&with);
    let frags = fragments(&spiked, &truth);
    let admitted = |len: usize, subs: usize| subs == 0 || (len >= 20 && subs == 1);
    let (mut found, mut admitted_n, mut found_admitted) = (0, 0, 0);
    for (insert, len, subs) in &frags {
        let hit = screened.get(insert).copied().unwrap_or(false);
        found += usize::from(hit);
        if admitted(*len, *subs) && !mirq::prep::reads::is_low_complexity(insert.as_bytes()) {
            admitted_n += 1;
            found_admitted += usize::from(hit);
        }
    }
    let recall = found_admitted as f64 / admitted_n as f64;
    let overall = found as f64 / frags.len() as f64;
    eprintln!(
        "screen recall: {found_admitted}/{admitted_n} admitted fragment reads ({:.2}%), {found}/{} overall ({:.2}%)",
        100.0 * recall,
        frags.len(),
        100.0 * overall
    );
    assert!(recall >= 0.98, "recall {recall}");
    let sample = &stats["samples"][0];
    let reads = sample["screen"][0]["reads"].as_u64().unwrap();
    assert!(
        reads as usize >= found_admitted,
        "{reads} < {found_admitted}"
    );
    // precision: the same run without the spike puts at most 0.1% of its
    // unassigned reads on E. coli
    let plain_out = dir.path().join("plain");
    let plain_stats = quant(&shared, &plain, &plain_out, &screen);
    let s = &plain_stats["samples"][0];
    let on_screen = s["screen"][0]["reads"].as_u64().unwrap();
    let unassigned = s["unassigned"].as_u64().unwrap() + on_screen;
    let decoy = s["screen"][0]["decoy"].as_u64().unwrap();
    eprintln!(
        "screen precision: {on_screen} of {unassigned} unassigned reads of the unspiked run on E. coli (decoy {decoy})"
    );
    assert!(
        (on_screen as f64) <= 0.001 * unassigned as f64,
        "{on_screen} of {unassigned}"
    );
}

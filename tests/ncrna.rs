//! `mirq quant --ncrna`: what the reads that are not miRNAs are.
//!
//! 1. Simulated reads whose non-miRNA part is drawn from the human ncRNA set
//!    (tests/tools/simulate_smallrna.py, the shared simulator with
//!    `--ncrna`): every class is recovered within 2% of the truth, and the
//!    miRNA counts score no worse against the truth than without `--ncrna`.
//! 2. miRTrace samples 1 and 3 against the classes bowtie1 gives the same
//!    reads (printed with `--nocapture`, beside miRTrace's own composition):
//!    a little more of each class (reads with non-templated 3' bases), and
//!    bowtie1's figures within 2% with `--max-nontemplated 0`.
//! 3. COMPSRA runs: miR-1246's U2-snRNA-derived reads count for snRNA, the
//!    rest of the miRNA table moves by under 1%, and
//!    `--ncrna-precedence mirna` gives the miRNA tables of a run without
//!    `--ncrna` back, byte for byte.
//! 4. Bad ncRNA references fail with the file named.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{ncrna_args, read_table, stats, Quant};

/// Runs quant on `fastq` with the human miRBase 21 pair, `extra` arguments
/// and (when `ncrna`) the human ncRNA set; returns the output directory.
fn quant(
    shared: &Path,
    dir: &Path,
    name: &str,
    fastq: &[PathBuf],
    extra: &[&str],
    ncrna: bool,
) -> PathBuf {
    let out = dir.join(name);
    let mut q = Quant::mirbase(
        shared,
        "hsa",
        "mature_v21.fa.gz",
        Some("hairpin_v21.fa"),
        &out,
    )
    .args(fastq)
    .args(extra);
    if ncrna {
        q = q.args(ncrna_args(shared, "hsa"));
    }
    q.run_ok();
    out
}

/// Class → reads of one sample column of ncrna_counts.tsv.
fn class_counts(out: &Path, column: usize) -> HashMap<String, f64> {
    let (_, rows) = read_table(&out.join("ncrna_counts.tsv"));
    rows.into_iter().map(|(k, v)| (k, v[column])).collect()
}

#[test]
fn simulated_ncrna_classes_are_recovered_within_two_percent() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("sim");
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/simulate_smallrna.py"))
        .arg("--mature")
        .arg(shared.join("data/mirbase/mature_v21.fa.gz"))
        .arg("--hairpin")
        .arg(shared.join("data/mirbase/hairpin_v21.fa"))
        .args(["--species", "hsa", "--reads", "100000", "--seed", "1"])
        .args(["--ncrna-fraction", "0.3", "--out"])
        .arg(&prefix);
    let drawn = ["tRNA", "rRNA", "snRNA", "snoRNA", "YRNA", "7SK", "7SL_SRP"];
    for class in drawn {
        cmd.arg("--ncrna")
            .arg(shared.join(format!("data/ncrna/hsa/{class}.fa")));
    }
    common::run_ok(&mut cmd);
    let truth_path = prefix.with_extension("truth.tsv");
    let mut truth: HashMap<String, f64> = HashMap::new();
    for line in std::fs::read_to_string(&truth_path)
        .unwrap()
        .lines()
        .skip(1)
    {
        let f: Vec<&str> = line.split('\t').collect();
        if f[1] == "ncrna" {
            *truth.entry(f[2].to_string()).or_default() += 1.0;
        }
    }
    let fastq = [prefix.with_extension("fastq.gz")];
    let with = quant(&shared, dir.path(), "with", &fastq, &[], true);
    let without = quant(&shared, dir.path(), "without", &fastq, &[], false);
    let found = class_counts(&with, 0);
    for class in drawn {
        let (t, f) = (truth[class], found[class]);
        let off = (f - t) / t;
        eprintln!("{class}: truth {t}, mirq {f} ({:+.2}%)", 100.0 * off);
        assert!(t > 3000.0, "{class}: too few simulated reads ({t})");
        assert!(off.abs() <= 0.02, "{class}: {f} reads vs {t} simulated");
    }
    for class in ["vaultRNA", "misc_other", "artifact", "antisense"] {
        assert!(found[class] <= 20.0, "{class}: {} reads", found[class]);
    }
    // simulated miRNA reads an ncRNA explains better: few with this seed
    // (seed 16 draws hsa-miR-1973, an rRNA fragment in miRBase, as the top
    // miRNA: its reads with 3' additions are rRNA-templated and go to rRNA)
    let sample = &stats(&with)["samples"][0];
    let nc = &sample["ncrna"];
    let taken = nc["taken_from_mirna"].as_f64().unwrap() - nc["hairpin_lost"].as_f64().unwrap();
    let mirna_reads = sample["assigned_mature"].as_f64().unwrap();
    eprintln!("taken from mature miRNAs: {taken} of {mirna_reads}");
    assert!(taken <= 0.005 * mirna_reads, "{taken}");
    let mature = shared.join("data/mirbase/mature_v21.fa.gz");
    let score = |out: &Path| {
        common::score_counts(
            &shared,
            &truth_path,
            &mature,
            "hsa",
            &out.join("mature_counts.tsv"),
            false,
        )
    };
    let (a, b) = (score(&with), score(&without));
    assert!(
        a.l1_error <= b.l1_error + 0.001,
        "l1 {} vs {}",
        a.l1_error,
        b.l1_error
    );
    assert!(
        a.recovered >= b.recovered - 0.001,
        "recovered {} vs {}",
        a.recovered,
        b.recovered
    );
}

/// One miRTrace run, its bowtie1 figures and miRTrace's composition.
struct Comparison {
    run: &'static str,
    args: &'static [&'static str],
    /// bowtie1 -v 1 --norc, reads >= 18 nt not on hsa hairpins, one class
    /// each in the order tRNA, rRNA, snRNA, snoRNA, YRNA, 7SK, 7SL, vault,
    /// misc, artifact (cutadapt -m 16 --discard-untrimmed first; sample1's
    /// figures are ../shared/data/ncrna/SOURCES.md's, sample3's made the
    /// same way with the v1.5 adapter).
    bowtie: &'static [(&'static str, f64)],
    /// miRTrace 1.0.1's mirtrace-stats-rnatype.tsv (tutorial case 1), if public.
    mirtrace: &'static [(&'static str, f64)],
}

const COMPARISONS: &[Comparison] = &[
    Comparison {
        run: "mirtrace_sample1",
        args: &["--protocol", "illumina"],
        bowtie: &[
            ("tRNA", 870.0),
            ("rRNA", 763.0),
            ("snoRNA", 236.0),
            ("YRNA", 44.0),
            ("snRNA", 28.0),
            ("7SL_SRP", 5.0),
            ("7SK", 2.0),
        ],
        mirtrace: &[("tRNA", 620.0), ("rRNA", 508.0), ("artifact", 59.0)],
    },
    Comparison {
        run: "mirtrace_sample3",
        args: &[
            "--protocol",
            "illumina",
            "--adapter",
            "ATCTCGTATGCCGTCTTCTGCTTG",
        ],
        bowtie: &[
            ("tRNA", 1107.0),
            ("rRNA", 320.0),
            ("snoRNA", 109.0),
            ("YRNA", 55.0),
            ("snRNA", 32.0),
            ("7SL_SRP", 6.0),
            ("7SK", 1.0),
        ],
        mirtrace: &[],
    },
];

#[test]
fn mirtrace_runs_match_the_bowtie_classes() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for c in COMPARISONS {
        let fastq = [shared.join(format!("data/fastq/{}.fastq.gz", c.run))];
        let mut args = c.args.to_vec();
        // bowtie saw every read of at least 18 nt
        args.extend(["--min-length", "18", "--max-length", "60"]);
        let out = quant(&shared, dir.path(), c.run, &fastq, &args, true);
        let found = class_counts(&out, 0);
        let st = &stats(&out)["samples"][0];
        let inserts = st["inserts"].as_f64().unwrap();
        let unassigned = st["unassigned"].as_f64().unwrap();
        eprintln!(
            "{}: {inserts} inserts, miRNA {}, unassigned {unassigned} ({:.1}%)",
            c.run,
            st["assigned_mature"],
            100.0 * unassigned / inserts
        );
        for &(class, bowtie) in c.bowtie {
            let mirtrace = c.mirtrace.iter().find(|m| m.0 == class).map(|m| m.1);
            eprintln!(
                "  {class}: mirq {}, bowtie1 {bowtie}, miRTrace {}",
                found[class],
                mirtrace.map_or("-".into(), |m| m.to_string())
            );
            // mirq finds what bowtie finds, and more (3' additions, both
            // strands) but not much more
            if bowtie >= 100.0 {
                assert!(found[class] >= 0.97 * bowtie, "{}: {class}", c.run);
                assert!(found[class] <= 1.15 * bowtie, "{}: {class}", c.run);
            }
        }
        assert!(
            unassigned < 0.2 * inserts,
            "{}: unassigned {unassigned}",
            c.run
        );
        // without non-templated 3' bases mirq's rule is bowtie1 -v 1's, and
        // so are the classes: the differences above are those bases
        args.extend(["--max-nontemplated", "0"]);
        let name = format!("{}_templated", c.run);
        let out = quant(&shared, dir.path(), &name, &fastq, &args, true);
        let found = class_counts(&out, 0);
        for &(class, bowtie) in c.bowtie {
            eprintln!(
                "  {class}, --max-nontemplated 0: mirq {}, bowtie1 {bowtie}",
                found[class]
            );
            let slack = (0.02 * bowtie).max(2.0);
            assert!((found[class] - bowtie).abs() <= slack, "{}: {class}", c.run);
        }
    }
}

/// Sums of a mature_counts.tsv's columns over every miRNA but `except`.
fn totals_except(path: &Path, except: &str) -> Vec<f64> {
    let (header, rows) = read_table(path);
    (0..header.len() - 1)
        .map(|s| {
            rows.iter()
                .filter(|(k, _)| k != &except)
                .map(|(_, v)| v[s])
                .sum()
        })
        .collect()
}

#[test]
fn mir1246_u2_fragments_count_for_snrna() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let fastq: Vec<PathBuf> = ["01", "02", "03", "07", "08", "09"]
        .iter()
        .map(|n| shared.join(format!("data/fastq/compsra_sample{n}.fastq.gz")))
        .collect();
    let nextflex = ["--protocol", "nextflex"];
    let before = quant(&shared, dir.path(), "before", &fastq, &nextflex, false);
    let after = quant(&shared, dir.path(), "after", &fastq, &nextflex, true);
    let (_, b) = read_table(&before.join("mature_counts.tsv"));
    let (_, a) = read_table(&after.join("mature_counts.tsv"));
    let (b1246, a1246): (f64, f64) = (
        b["hsa-miR-1246"].iter().sum(),
        a["hsa-miR-1246"].iter().sum(),
    );
    eprintln!("hsa-miR-1246: {b1246} reads without --ncrna, {a1246} with");
    assert!(b1246 >= 60.0, "{b1246}");
    assert!(a1246 <= 0.2 * b1246, "{a1246}");
    let st = stats(&after);
    let lost: f64 = st["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s["ncrna"]["mirna_lost"]["hsa-miR-1246"]
                .as_f64()
                .unwrap_or(0.0)
        })
        .sum();
    assert_eq!(lost, b1246 - a1246, "stats say what miR-1246 lost");
    let snrna = class_counts(&after, 0)["snRNA"];
    assert!(snrna > 0.0);
    let (tb, ta) = (
        totals_except(&before.join("mature_counts.tsv"), "hsa-miR-1246"),
        totals_except(&after.join("mature_counts.tsv"), "hsa-miR-1246"),
    );
    for (s, (x, y)) in tb.iter().zip(&ta).enumerate() {
        eprintln!(
            "sample {s}: other miRNAs {x} -> {y} ({:+.2}%)",
            100.0 * (y - x) / x
        );
        assert!((x - y).abs() <= 0.01 * x, "sample {s}: {x} -> {y}");
    }
    // --ncrna-precedence mirna: the miRNA side as without --ncrna
    let mut keep = nextflex.to_vec();
    keep.extend(["--ncrna-precedence", "mirna"]);
    let kept = quant(&shared, dir.path(), "kept", &fastq, &keep, true);
    for f in ["mature_counts.tsv", "hairpin_counts.tsv", "isomirs.gff3"] {
        assert_eq!(
            std::fs::read(before.join(f)).unwrap(),
            std::fs::read(kept.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn bad_ncrna_references_name_the_file() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let fastq = shared.join("data/fastq/mirtrace_sample1.fastq.gz");
    let fail = |ncrna: &Path| -> String {
        let out = Quant::mirbase(
            &shared,
            "hsa",
            "mature_v21.fa.gz",
            None,
            &dir.path().join("out"),
        )
        .arg(&fastq)
        .arg("--ncrna")
        .arg(ncrna)
        .output();
        assert!(!out.status.success());
        assert!(!dir.path().join("out/stats.json").exists());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let mouse = shared.join("data/ncrna/mmu/tRNA.fa");
    let err = fail(&mouse);
    assert!(err.contains("tRNA.fa") && err.contains("mmu"), "{err}");
    let missing = dir.path().join("no_such.fa");
    assert!(fail(&missing).contains("no_such.fa"));
    let empty_dir = dir.path().join("empty");
    std::fs::create_dir(&empty_dir).unwrap();
    assert!(fail(&empty_dir).contains("no FASTA file"));
    let empty = dir.path().join("YRNA.fa");
    std::fs::write(&empty, "").unwrap();
    assert!(fail(&empty).contains("YRNA.fa"));
    let no_seq = dir.path().join("snRNA.fa");
    std::fs::write(&no_seq, ">a\n>b\nACGT\n").unwrap();
    assert!(fail(&no_seq).contains("snRNA.fa"));
}

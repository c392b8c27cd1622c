//! The origin cascade on the shared real runs: what the reads that are not
//! the run species' miRNAs are, and what mirq warns about.
//!
//! 1. Species fit: the mouse ES-cell run quantified as human is called
//!    `other_species` mmu with a WARNING (stderr and mirq.log) that says to
//!    use `--species mmu`; every human run as hsa, both mouse runs as mmu and
//!    both cow runs as bta fit, with no species warning.
//! 2. Clades (miRTrace's animal and plant lists): the mouse run as hsa has
//!    at least 400 rodent reads and a clade WARNING; a human run has none.
//! 3. Artifacts: the exceRpt run's hsa-miR-3168 reads (pieces of the
//!    Illumina small-RNA 5' adapter) go to the artifact stage; on every other
//!    run the stage takes at most 1% of the miRNA reads (table printed).
//! 4. Exogenous miRNAs: the EBV miRNAs of the lymphoblastoid line are found
//!    as hsa, without moving a read of the human table.
//! 5. Every read lands in exactly one category (all stages on, lambda
//!    fragments spiked into a real run).
//! 6. Per-sample runs with `--screen` and `--clades` merge into the joint run.
//! 7. Bad `--screen` arguments fail before any FASTQ is read.
//!
//! The per-protocol runs are shared between tests (one `mirq quant` per
//! protocol and species, in `CARGO_TARGET_TMPDIR`); run with `--nocapture`
//! for the figures.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

const TRIMGALORE: &str = "trimgalore_smallRNA_100K";
const SAMPLE1: &str = "mirtrace_sample1";
const EXCERPT: &str = "excerpt_testdata_human";
const LCL: &str = "isomirmap_LCL_NA19257_random10k_trimmed";
const TRUSEQ_3P: &str = "TGGAATTCTCGGGTGCCAAGG";

/// One `mirq quant` call: runs that share a protocol and a species.
struct Batch {
    key: &'static str,
    species: &'static str,
    args: &'static [&'static str],
    runs: &'static [&'static str],
    /// The runs quantified as a species that is not theirs.
    foreign: &'static [&'static str],
}

const BATCHES: &[Batch] = &[
    Batch {
        key: "illumina_hsa",
        species: "hsa",
        args: &["--protocol", "illumina"],
        runs: &[TRIMGALORE, SAMPLE1],
        foreign: &[TRIMGALORE],
    },
    Batch {
        key: "sample3_hsa",
        species: "hsa",
        args: &[
            "--protocol",
            "illumina",
            "--adapter",
            "ATCTCGTATGCCGTCTTCTGCTTG",
        ],
        runs: &["mirtrace_sample3"],
        foreign: &[],
    },
    Batch {
        key: "excerpt_hsa",
        species: "hsa",
        args: &[
            "--protocol",
            "illumina",
            "--adapter",
            "TCGTATGCCGTCTTCTGCTTG",
        ],
        runs: &[EXCERPT],
        foreign: &[],
    },
    Batch {
        key: "nextflex_hsa",
        species: "hsa",
        args: &["--protocol", "nextflex"],
        runs: &[
            "compsra_sample01",
            "compsra_sample02",
            "compsra_sample03",
            "compsra_sample07",
            "compsra_sample08",
            "compsra_sample09",
        ],
        foreign: &[],
    },
    Batch {
        key: "trimmed_hsa",
        species: "hsa",
        args: &["--protocol", "illumina", "--adapter", "none"],
        runs: &[
            "encode_ENCSR569QVM_rep1_chr19_trimmed",
            "encode_ENCSR569QVM_rep2_chr19_trimmed",
            LCL,
        ],
        foreign: &[],
    },
    Batch {
        key: "illumina_mmu",
        species: "mmu",
        args: &["--protocol", "illumina"],
        runs: &[TRIMGALORE],
        foreign: &[],
    },
    Batch {
        key: "qiaseq_mmu",
        species: "mmu",
        args: &["--protocol", "qiaseq"],
        runs: &["mirtrace_qiaseq"],
        foreign: &[],
    },
    Batch {
        key: "trimmed_bta",
        species: "bta",
        args: &["--protocol", "illumina", "--adapter", "none"],
        runs: &[
            "smallrnaseq_bovine_plasma_trimmed",
            "smallrnaseq_bovine_serum_trimmed",
        ],
        foreign: &[],
    },
];

/// A finished batch: its output directory, stderr and stats.json.
struct Done {
    out: PathBuf,
    stderr: String,
    log: String,
    stats: Value,
}

impl Done {
    /// stats.json `samples[]` entry of `run`.
    fn sample(&self, run: &str) -> &Value {
        self.stats["samples"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["sample"] == run)
            .unwrap_or_else(|| panic!("{run} not in {}", self.out.display()))
    }
}

/// The mirtrace_clades files as `--clades FILE` arguments.
fn clade_args(shared: &Path) -> Vec<PathBuf> {
    ["animal_clades.txt", "plant_clades.txt"]
        .iter()
        .flat_map(|f| {
            [
                PathBuf::from("--clades"),
                shared.join("data/mirbase/mirtrace_clades").join(f),
            ]
        })
        .collect()
}

/// `mirq quant` with the all-species miRBase 21 pair.
fn quant(shared: &Path, species: &str, out: &Path) -> common::Quant {
    common::Quant::mirbase(
        shared,
        species,
        "mature_v21.fa.gz",
        Some("hairpin_v21.fa"),
        out,
    )
}

fn fastq(shared: &Path, run: &str) -> PathBuf {
    shared.join(format!("data/fastq/{run}.fastq.gz"))
}

/// Runs `batch` once per test binary (with both clade lists), or returns
/// the earlier result.
fn batch(shared: &Path, key: &str) -> &'static Done {
    static DONE: OnceLock<Vec<OnceLock<Done>>> = OnceLock::new();
    let cells = DONE.get_or_init(|| BATCHES.iter().map(|_| OnceLock::new()).collect());
    let i = BATCHES.iter().position(|b| b.key == key).unwrap();
    cells[i].get_or_init(|| {
        let b = &BATCHES[i];
        let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("origin")
            .join(b.key);
        let o = quant(shared, b.species, &out)
            .args(b.args)
            .args(clade_args(shared))
            .args(b.runs.iter().map(|r| fastq(shared, r)))
            .output();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(o.status.success(), "{key}: {stderr}");
        Done {
            log: std::fs::read_to_string(out.join("mirq.log")).unwrap(),
            stats: common::stats(&out),
            out,
            stderr,
        }
    })
}

/// The WARNING lines of `text` about `sample` that contain `needle`.
fn warnings<'a>(text: &'a str, sample: &str, needle: &str) -> Vec<&'a str> {
    let tag = format!("WARNING: {sample}: ");
    text.lines()
        .filter(|l| l.contains(&tag) && l.contains(needle))
        .collect()
}

/// Species-fit warnings about `sample` in `text` (`other_species` and
/// `mixed` both say "the reads fit").
fn species_warnings<'a>(text: &'a str, sample: &str) -> Vec<&'a str> {
    warnings(text, sample, "the reads fit")
}

fn clade_warnings<'a>(text: &'a str, sample: &str) -> Vec<&'a str> {
    warnings(text, sample, "miRNA families specific to")
}

fn u64_of(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

#[test]
fn species_fit_warns_when_another_species_fits_better() {
    let Some(shared) = common::shared() else {
        return;
    };
    let done = batch(&shared, "illumina_hsa");
    let fit = &done.sample(TRIMGALORE)["species_fit"];
    eprintln!("{TRIMGALORE} as hsa: {fit}");
    assert_eq!(fit["verdict"], "other_species", "{fit}");
    assert_eq!(fit["other_species"], "mmu", "{fit}");
    assert_eq!(fit["species"], "hsa", "{fit}");
    for (what, text) in [("stderr", &done.stderr), ("mirq.log", &done.log)] {
        let w = species_warnings(text, TRIMGALORE);
        assert_eq!(w.len(), 1, "{what}: one species warning expected:\n{text}");
        assert!(
            w[0].contains("fit mmu better than hsa") && w[0].ends_with("use --species mmu"),
            "{what}: {}",
            w[0]
        );
    }
}

#[test]
fn species_fit_accepts_every_run_of_its_own_species() {
    let Some(shared) = common::shared() else {
        return;
    };
    let mut table = String::from("run\tas\tverdict\tspecies_reads\tother_species\tother_reads\n");
    let mut wrong = Vec::new();
    let mut checked = 0;
    for b in BATCHES {
        let done = batch(&shared, b.key);
        for run in b.runs.iter().filter(|r| !b.foreign.contains(r)) {
            let fit = &done.sample(run)["species_fit"];
            let verdict = fit["verdict"].as_str().unwrap();
            table += &format!(
                "{run}\t{}\t{verdict}\t{}\t{}\t{}\n",
                b.species, fit["species_reads"], fit["other_species"], fit["other_reads"]
            );
            // the mouse and cow runs have plenty of their own evidence
            let expected: &[&str] = match b.species {
                "hsa" => &["fits", "too_few_reads"],
                _ => &["fits"],
            };
            if !expected.contains(&verdict) {
                wrong.push(format!("{run} as {}: {fit}", b.species));
            }
            for text in [&done.stderr, &done.log] {
                let w = species_warnings(text, run);
                if !w.is_empty() {
                    wrong.push(format!("{run} as {}: {w:?}", b.species));
                }
            }
            checked += 1;
        }
    }
    eprint!("species fit:\n{table}");
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(checked, 16, "every shared run checked once in its species");
}

#[test]
fn clades_count_rodent_reads_and_warn_outside_the_lineage() {
    let Some(shared) = common::shared() else {
        return;
    };
    let done = batch(&shared, "illumina_hsa");
    let clades = |run: &str| -> BTreeMap<String, u64> {
        done.sample(run)["clades"]
            .as_array()
            .unwrap_or_else(|| panic!("{run}: no clades"))
            .iter()
            .map(|c| {
                (
                    c["clade"].as_str().unwrap().to_string(),
                    u64_of(&c["reads"]),
                )
            })
            .collect()
    };
    let mouse = clades(TRIMGALORE);
    eprintln!("{TRIMGALORE} as hsa: {mouse:?}");
    // both lists: animal clades and plant clades
    for clade in ["rodents", "primates", "insects", "Dicots", "Monocots"] {
        assert!(mouse.contains_key(clade), "{clade} missing: {mouse:?}");
    }
    assert!(mouse["rodents"] >= 400, "{mouse:?}");
    assert_eq!(mouse["primates"], 0, "{mouse:?}");
    // clade_counts.tsv holds the same figures
    let (header, rows) = common::read_table(&done.out.join("clade_counts.tsv"));
    assert_eq!(header, ["clade", TRIMGALORE, SAMPLE1]);
    assert_eq!(rows.len(), mouse.len());
    for (clade, &n) in &mouse {
        assert_eq!(rows[clade][0], n as f64, "{clade}");
    }
    for (what, text) in [("stderr", &done.stderr), ("mirq.log", &done.log)] {
        let w = clade_warnings(text, TRIMGALORE);
        assert_eq!(w.len(), 1, "{what}:\n{text}");
        assert!(w[0].contains("specific to rodents"), "{what}: {}", w[0]);
        let w = clade_warnings(text, SAMPLE1);
        assert!(w.is_empty(), "{what}: {w:?}");
    }
    let human = clades(SAMPLE1);
    eprintln!("{SAMPLE1} as hsa: {human:?}");
    assert_eq!(human["rodents"], 0, "{human:?}");
}

/// mature_counts.tsv value of `mirna` in sample column 0.
fn mature_count(out: &Path, mirna: &str) -> f64 {
    let (_, rows) = common::read_table(&out.join("mature_counts.tsv"));
    rows.get(mirna)
        .unwrap_or_else(|| panic!("{mirna} not in {}", out.display()))[0]
}

#[test]
fn artifacts_take_the_adapter_reads_counted_as_mir_3168() {
    let Some(shared) = common::shared() else {
        return;
    };
    let done = batch(&shared, "excerpt_hsa");
    assert_eq!(mature_count(&done.out, "hsa-miR-3168"), 0.0);
    let a = &done.sample(EXCERPT)["artifact"];
    eprintln!("{EXCERPT}: artifact {a}");
    assert!(u64_of(&a["taken_from_mirna"]) >= 9, "{a}");
    assert!(a["mirna_lost"]["hsa-miR-3168"].as_f64() >= Some(9.0), "{a}");
    // without the stage, the reads count for the miRNA again
    let dir = tempfile::tempdir().unwrap();
    let off = dir.path().join("off");
    quant(&shared, "hsa", &off)
        .args([
            "--protocol",
            "illumina",
            "--adapter",
            "TCGTATGCCGTCTTCTGCTTG",
            "--no-artifacts",
        ])
        .arg(fastq(&shared, EXCERPT))
        .run_ok();
    let n = mature_count(&off, "hsa-miR-3168");
    assert!(n > 0.0, "hsa-miR-3168: {n} reads with --no-artifacts");
    let s = &common::stats(&off)["samples"][0];
    assert!(s["artifact"].is_null(), "{}", s["artifact"]);
    assert!(s["qc"]["composition"].get("artifact").is_none());
}

#[test]
fn artifacts_take_at_most_one_percent_of_the_mirna_reads_of_other_runs() {
    let Some(shared) = common::shared() else {
        return;
    };
    let mut table =
        String::from("run\tas\tassigned_mature\tartifact_reads\ttaken_from_mirna\tshare\n");
    let mut over = Vec::new();
    let mut checked = 0;
    for b in BATCHES {
        let done = batch(&shared, b.key);
        let runs = b
            .runs
            .iter()
            .filter(|r| **r != EXCERPT && !b.foreign.contains(r));
        for run in runs {
            let s = done.sample(run);
            let mature = u64_of(&s["assigned_mature"]);
            let a = &s["artifact"];
            let taken = u64_of(&a["taken_from_mirna"]);
            let share = taken as f64 / (mature + taken).max(1) as f64;
            table += &format!(
                "{run}\t{}\t{mature}\t{}\t{taken}\t{:.3}%\n",
                b.species,
                a["reads"],
                100.0 * share
            );
            if share > 0.01 {
                over.push(format!("{run}: {taken} of {} miRNA reads", mature + taken));
            }
            checked += 1;
        }
    }
    eprint!("artifact stage, reads taken from miRNAs:\n{table}");
    assert!(over.is_empty(), "over 1%: {over:?}");
    assert_eq!(checked, 15, "every shared run but the excerpt");
}

/// The text of a table with the rows starting with `prefix` dropped.
fn without_rows(text: &str, prefix: &str) -> String {
    text.split_inclusive('\n')
        .filter(|l| !l.starts_with(prefix))
        .collect()
}

/// exogenous_mirna_counts.tsv: (mirna, species) → reads of column 0.
fn exogenous_table(out: &Path) -> BTreeMap<(String, String), f64> {
    let text = std::fs::read_to_string(out.join("exogenous_mirna_counts.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(header[..2], ["mirna", "species"]);
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            ((f[0].into(), f[1].into()), f[2].parse().unwrap())
        })
        .collect()
}

#[test]
fn exogenous_ebv_mirnas_are_found_without_moving_the_human_counts() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, species: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        quant(&shared, species, &out)
            .args(["--protocol", "illumina", "--adapter", "none"])
            .args(extra)
            .arg(fastq(&shared, LCL))
            .run_ok();
        out
    };
    let hsa = run("hsa", "hsa", &[]);
    let table = exogenous_table(&hsa);
    let bhrf1 = table[&("ebv-miR-BHRF1-1".to_string(), "ebv".to_string())];
    eprintln!("ebv-miR-BHRF1-1 as exogenous: {bhrf1}");
    assert!(bhrf1 >= 200.0, "{bhrf1}");
    let ex = &common::stats(&hsa)["samples"][0]["exogenous"];
    assert_eq!(ex["species"][0]["species"], "ebv", "{ex}");
    // given as a species, EBV's miRNAs are counted and the human rows are
    // the same, byte for byte
    let both = run("both", "hsa,ebv", &[]);
    let text = std::fs::read_to_string(both.join("mature_counts.tsv")).unwrap();
    assert!(text.contains("\nebv-miR-BHRF1-1\t"));
    let human = std::fs::read_to_string(hsa.join("mature_counts.tsv")).unwrap();
    assert!(without_rows(&text, "ebv-") == human, "hsa rows differ");
    assert!(mature_count(&both, "ebv-miR-BHRF1-1") >= 200.0);
    if both.join("exogenous_mirna_counts.tsv").exists() {
        let t = exogenous_table(&both);
        assert!(t.keys().all(|(_, sp)| sp != "ebv"), "{t:?}");
    }
    // --no-exogenous: no table, no figures
    let off = run("off", "hsa", &["--no-exogenous"]);
    assert!(!off.join("exogenous_mirna_counts.tsv").exists());
    let st = common::stats(&off);
    assert!(st["samples"][0]["exogenous"].is_null());
    assert!(st["settings"]["exogenous"].is_null());
    assert!(st["samples"][0]["qc"]["composition"]
        .get("exogenous_mirna")
        .is_none());
}

/// Deterministic fragments of phage lambda, 20–30 nt, half of them reverse
/// complemented, as `n` Illumina reads (insert + TruSeq 3' adapter) drawn
/// with `seed`.
fn lambda_reads(shared: &Path, n: usize, seed: u64) -> String {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(
        std::fs::File::open(shared.join("data/screen/lambda_NC_001416.fa.gz")).unwrap(),
    )
    .read_to_string(&mut text)
    .unwrap();
    let genome: Vec<u8> = text
        .lines()
        .filter(|l| !l.starts_with('>'))
        .flat_map(|l| l.trim().bytes())
        .map(|b| b.to_ascii_uppercase())
        .collect();
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    let mut out = String::new();
    for i in 0..n {
        let len = 20 + (next() % 11) as usize;
        let start = next() as usize % (genome.len() - len);
        let mut frag = genome[start..start + len].to_vec();
        if i % 2 == 1 {
            frag.reverse();
            for b in &mut frag {
                *b = match *b {
                    b'A' => b'T',
                    b'C' => b'G',
                    b'G' => b'C',
                    b'T' => b'A',
                    x => x,
                };
            }
        }
        let seq = format!("{}{TRUSEQ_3P}ATCTCGTATG", String::from_utf8(frag).unwrap());
        out.push_str(&format!(
            "@lambda_{seed}_{i}\n{seq}\n+\n{}\n",
            "I".repeat(seq.len())
        ));
    }
    out
}

/// A plain FASTQ `name.fastq` in `dir`: the reads of the shared `run`, then
/// `spike` lambda reads.
fn spiked(shared: &Path, dir: &Path, name: &str, run: &str, spike: usize, seed: u64) -> PathBuf {
    let path = dir.join(format!("{name}.fastq"));
    let mut w = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let r = BufReader::new(flate2::read::MultiGzDecoder::new(
        std::fs::File::open(fastq(shared, run)).unwrap(),
    ));
    for line in r.lines() {
        writeln!(w, "{}", line.unwrap()).unwrap();
    }
    w.write_all(lambda_reads(shared, spike, seed).as_bytes())
        .unwrap();
    w.flush().unwrap();
    path
}

/// `--screen lambda=…` arguments.
fn lambda_screen(shared: &Path) -> [std::ffi::OsString; 2] {
    let mut arg = std::ffi::OsString::from("lambda=");
    arg.push(shared.join("data/screen/lambda_NC_001416.fa.gz"));
    ["--screen".into(), arg]
}

#[test]
fn every_read_lands_in_exactly_one_category() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    const SPIKE: u64 = 200;
    let reads = spiked(
        &shared,
        dir.path(),
        "sample1_lambda",
        SAMPLE1,
        SPIKE as usize,
        7,
    );
    let out = dir.path().join("all");
    quant(&shared, "hsa", &out)
        .args(["--protocol", "illumina"])
        .args(common::ncrna_args(&shared, "hsa"))
        .args(lambda_screen(&shared))
        .args(clade_args(&shared))
        .arg(&reads)
        .run_ok();
    let s = &common::stats(&out)["samples"][0];
    let reads_in = u64_of(&s["reads_in"]);
    assert_eq!(reads_in, 10_000 + SPIKE);
    // fractions: every category once, summing to 1
    let comp = s["qc"]["composition"].as_object().unwrap();
    for key in [
        "artifact",
        "exogenous_mirna",
        "ncrna",
        "screen",
        "unassigned",
    ] {
        assert!(comp.contains_key(key), "no {key} in {comp:?}");
    }
    let mut sum = 0.0;
    for (key, v) in comp {
        match v {
            Value::Number(x) => sum += x.as_f64().unwrap(),
            Value::Array(parts) => {
                for p in parts {
                    sum += p["fraction"]
                        .as_f64()
                        .unwrap_or_else(|| panic!("{key}: {p}"));
                }
            }
            _ => panic!("{key}: {v}"),
        }
    }
    eprintln!("composition {comp:?}: sum {sum}");
    assert!((sum - 1.0).abs() <= 1e-9, "fractions sum to {sum}");
    // counts: every read once
    let n = |k: &str| u64_of(&s[k]);
    assert_eq!(
        reads_in,
        n("no_adapter") + n("too_short") + n("too_long") + n("umi_missing") + n("inserts")
    );
    let classes = s["ncrna"]["classes"].as_array().unwrap();
    let ncrna: u64 = classes
        .iter()
        .map(|c| u64_of(&c["reads"]) + u64_of(&c["antisense"]))
        .sum();
    let screen = s["screen"].as_array().unwrap();
    assert_eq!(screen.len(), 1);
    assert_eq!(screen[0]["reference"], "lambda");
    let lambda = u64_of(&screen[0]["reads"]);
    let artifact = u64_of(&s["artifact"]["reads"]);
    let exogenous = u64_of(&s["exogenous"]["reads"]);
    eprintln!(
        "inserts {}: mature {} hairpin {} ncrna {ncrna} artifact {artifact} exogenous {exogenous} lambda {lambda} unassigned {}",
        n("inserts"),
        n("assigned_mature"),
        n("hairpin_only"),
        n("unassigned")
    );
    assert_eq!(
        n("inserts"),
        n("assigned_mature")
            + n("hairpin_only")
            + ncrna
            + artifact
            + exogenous
            + lambda
            + n("unassigned")
    );
    // the spiked lambda fragments, and only they, go to lambda
    assert_eq!(lambda, SPIKE, "lambda reads");
    let table = std::fs::read_to_string(out.join("screen_counts.tsv")).unwrap();
    let in_table: f64 = table
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f[0], "lambda", "{l}");
            f[2].parse::<f64>().unwrap()
        })
        .sum();
    assert_eq!(in_table, SPIKE as f64, "screen_counts.tsv:\n{table}");
    // each fraction is its count over reads_in
    let frac = |x: u64| x as f64 / reads_in as f64;
    assert!((comp["artifact"].as_f64().unwrap() - frac(artifact)).abs() < 1e-9);
    assert!((comp["exogenous_mirna"].as_f64().unwrap() - frac(exogenous)).abs() < 1e-9);
    assert!((comp["screen"][0]["fraction"].as_f64().unwrap() - frac(lambda)).abs() < 1e-9);
}

/// stats.json without what differs between a quant and a merge of the same
/// reads: times, command line and engine (a merge aligns nothing).
fn comparable_stats(dir: &Path) -> Value {
    let mut v = common::stats(dir);
    let o = v.as_object_mut().unwrap();
    for key in [
        "started",
        "finished",
        "elapsed_seconds",
        "timings",
        "align_inserts_per_second",
        "command_line",
        "engine_decision",
        "engine_note",
        "reference_engines",
    ] {
        o.remove(key);
    }
    v
}

#[test]
fn runs_with_screen_and_clades_merge_into_the_joint_run() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let a = spiked(&shared, dir.path(), "sample1_lambda", SAMPLE1, 150, 11);
    let b = spiked(&shared, dir.path(), "trimgalore_lambda", TRIMGALORE, 90, 13);
    let run = |name: &str, fastqs: &[&PathBuf]| {
        let out = dir.path().join(name);
        quant(&shared, "hsa", &out)
            .args(["--protocol", "illumina"])
            .args(lambda_screen(&shared))
            .args(clade_args(&shared))
            .args(fastqs)
            .run_ok();
        out
    };
    let joint = run("joint", &[&a, &b]);
    let singles = [run("a", &[&a]), run("b", &[&b])];
    // merges the single runs, with `extra` arguments, into `name`
    let merge = |name: &str, extra: &[&std::ffi::OsStr]| {
        let out = dir.path().join(name);
        let m = common::mirq()
            .args(["merge", "-q"])
            .args(&singles)
            .args(extra)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        (out, m)
    };
    let (merged, m) = merge("merged", &[]);
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    let files = common::files_under(&joint);
    assert_eq!(files, common::files_under(&merged));
    for f in [
        "exogenous_mirna_counts.tsv",
        "screen_counts.tsv",
        "clade_counts.tsv",
        "inserts.tsv.gz",
    ] {
        assert!(files.iter().any(|x| x == f), "no {f} in {files:?}");
    }
    for f in &files {
        if matches!(f.as_str(), "stats.json" | "mirq.log" | "report.html") {
            continue;
        }
        let (x, y) = (
            std::fs::read(joint.join(f)).unwrap(),
            std::fs::read(merged.join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs between the joint run and the merge");
    }
    assert_eq!(comparable_stats(&joint), comparable_stats(&merged));
    // the tables are not trivially equal: both samples have lambda reads,
    // the mouse run its rodent clade and other species' miRNAs
    let st = common::stats(&merged);
    let samples = st["samples"].as_array().unwrap();
    let lambda: Vec<u64> = samples
        .iter()
        .map(|s| u64_of(&s["screen"][0]["reads"]))
        .collect();
    eprintln!("lambda reads per sample: {lambda:?}");
    assert_eq!(lambda, [150, 90]);
    assert_eq!(samples[1]["species_fit"]["verdict"], "other_species");
    let (_, clades) = common::read_table(&merged.join("clade_counts.tsv"));
    assert!(clades["rodents"][1] >= 400.0, "{:?}", clades["rodents"]);
    let log = std::fs::read_to_string(merged.join("mirq.log")).unwrap();
    assert_eq!(
        species_warnings(&log, "trimgalore_lambda").len(),
        1,
        "{log}"
    );
    assert_eq!(clade_warnings(&log, "trimgalore_lambda").len(), 1, "{log}");
    // a screen reference given under the runs' name but not the one they
    // used is refused, and nothing is written
    let mut ecoli = std::ffi::OsString::from("lambda=");
    ecoli.push(shared.join("data/screen/ecoli_536_NC_008253.fa.gz"));
    let (other, m) = merge("other", &["--screen".as_ref(), &ecoli]);
    let err = String::from_utf8_lossy(&m.stderr);
    assert_eq!(m.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the screen reference lambda loaded (fingerprint")
            && err.contains("is not the one the runs used"),
        "{err}"
    );
    assert!(!other.exists());
}

/// Runs `mirq quant` with `screen` arguments on a FASTQ that breaks past
/// the records the check before work parses (10,000): the error must come
/// from the screen arguments, before the reads are read.
fn bad_screen(shared: &Path, screen: &[std::ffi::OsString]) -> (Option<i32>, String, bool) {
    let dir = tempfile::tempdir().unwrap();
    let reads = dir.path().join("reads.fastq");
    let mut body = String::new();
    for i in 0..10_001 {
        body.push_str(&format!(
            "@r{i}\nTGAGGTAGTAGGTTGTATAGTT\n+\nIIIIIIIIIIIIIIIIIIIIII\n"
        ));
    }
    body.push_str("this is not a FASTQ record\n");
    std::fs::write(&reads, body).unwrap();
    let out = dir.path().join("out");
    let o = quant(shared, "hsa", &out).args(screen).arg(&reads).output();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!err.contains("reads.fastq"), "the reads were read: {err}");
    (o.status.code(), err, out.exists())
}

#[test]
fn bad_screen_arguments_fail_before_any_read_is_read() {
    let Some(shared) = common::shared() else {
        return;
    };
    // no NAME=
    let (code, err, wrote) = bad_screen(&shared, &["--screen".into(), "nameonly".into()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("NAME=PATH") && err.contains("nameonly"),
        "{err}"
    );
    assert!(!wrote);
    // a file that is not there
    let (code, err, wrote) = bad_screen(&shared, &["--screen".into(), "x=missing.fa".into()]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("missing.fa"), "{err}");
    assert!(!wrote);
    // one name twice
    let [flag, arg] = lambda_screen(&shared);
    let twice = [flag.clone(), arg.clone(), flag, arg];
    let (code, err, wrote) = bad_screen(&shared, &twice);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("--screen lambda") && err.contains("twice"),
        "{err}"
    );
    assert!(!wrote);
}

//! isomirs.gff3 against mirtop: on four shared human runs, the sequences
//! mirtop's own BAM annotation (nf-core/smrnaseq's route, made by
//! tests/mirtop/annotate.sh; kept in tests/data/mirtop) assigns to one miRNA
//! with at most one SNV get the same Name and Variant tags from mirq for at
//! least 95% (tests/mirtop/compare.py). The Expression values add up to
//! the count tables. And on every shared real run, with miRBase and MirGeneDB:
//! no coordinate outside the precursor, mirtop's validator (the function:
//! `mirtop validate` checks nothing in 0.4.30, its sub-command test is
//! misspelt), `stats`, `counts` and `export --format vcf` take the file
//! (tests/mirtop/digest.py), and pybedtools reads its GFF3 form
//! (`--gff-coordinates gff3`).

mod common;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// (run, protocol, adapter)
const RUNS: [(&str, &str, &str); 4] = [
    ("mirtrace_sample1", "illumina", "TGGAATTCTCGGGTGCCAAGG"),
    ("compsra_sample01", "nextflex", "TGGAATTCTCGGGTGCCAAGG"),
    ("encode_ENCSR569QVM_rep1_chr19_trimmed", "illumina", "none"),
    (
        "isomirmap_LCL_NA19257_random10k_trimmed",
        "illumina",
        "none",
    ),
];

fn quant(shared: &Path, run: &str, protocol: &str, adapter: &str, out: &Path) {
    let hairpin = Some("hairpin_v22.fa.gz");
    common::Quant::mirbase(shared, "hsa", "mature_v22.fa.gz", hairpin, out)
        .args(["--database", "miRBasev22"])
        .args(["--protocol", protocol, "--adapter", adapter])
        .arg(shared.join(format!("data/fastq/{run}.fastq.gz")))
        .run_ok();
}

#[test]
fn names_and_variants_agree_with_mirtop() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (run, protocol, adapter) in RUNS {
        let out = dir.path().join(run);
        quant(&shared, run, protocol, adapter, &out);
        let report = common::run_ok(
            Command::new("python3")
                .arg(here.join("tests/mirtop/compare.py"))
                .arg(here.join(format!("tests/data/mirtop/{run}.mirtop.gff.gz")))
                .arg(out.join("isomirs.gff3")),
        );
        let last = report.lines().last().unwrap_or_default();
        let frac: f64 = last
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix("frac="))
            .unwrap_or_else(|| panic!("no frac in {report}"))
            .parse()
            .unwrap();
        eprintln!("{run}: {last}");
        assert!(frac >= 0.95, "{run}: {last}");
    }
}

#[test]
fn expression_adds_up_to_the_count_tables() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (run, protocol, adapter) = RUNS[0];
    quant(&shared, run, protocol, adapter, &out);
    let gff = std::fs::read_to_string(out.join("isomirs.gff3")).unwrap();
    let mut lines = gff.lines();
    for prefix in [
        "## mirGFF3. VERSION 1.2",
        "## source-ontology: miRBasev22 doi:10.25504/fairsharing.hmgte8",
        "## TOOLS: mirq ",
        &format!("## COLDATA: {run}"),
    ] {
        let l = lines.next().unwrap();
        assert!(l.starts_with(prefix), "{l}");
    }
    let mut by_name: HashMap<String, f64> = HashMap::new();
    let mut reference_reads: HashMap<String, f64> = HashMap::new();
    for l in lines {
        let cols: Vec<&str> = l.split('\t').collect();
        assert_eq!(cols.len(), 9, "{l}");
        let attr: HashMap<&str, &str> = cols[8]
            .split("; ")
            .map(|kv| kv.split_once(' ').unwrap())
            .collect();
        let expression: f64 = attr["Expression"].parse().unwrap();
        let hits: f64 = attr["Hits"].parse().unwrap();
        *by_name.entry(attr["Name"].to_string()).or_default() += expression / hits;
        if attr["Variant"] == "NA" {
            assert_eq!(cols[2], "ref_miRNA");
            *reference_reads.entry(attr["Name"].to_string()).or_default() += expression;
        }
    }
    // reads of a miRNA = sum of its lines' Expression / Hits (sequences with
    // N have no mirGFF3 line, so at most that)
    let (_, counts) = common::read_table(&out.join("mature_counts.tsv"));
    let (mut in_gff, mut in_table) = (0.0, 0.0);
    for (name, v) in &counts {
        let g = by_name.get(name).copied().unwrap_or(0.0);
        assert!(
            g <= v[0] + 1e-6,
            "{name}: {g} in the GFF, {} in the table",
            v[0]
        );
        in_gff += g;
        in_table += v[0];
    }
    assert!(in_gff >= 0.99 * in_table, "{in_gff} of {in_table}");
    // isomirs.tsv: the ref_miRNA rows are the reference lines' Expression
    let tsv = std::fs::read_to_string(out.join("isomirs.tsv")).unwrap();
    for l in tsv.lines().skip(1) {
        let f: Vec<&str> = l.split('\t').collect();
        if f[1] == "ref_miRNA" {
            let n: f64 = f[2].parse().unwrap();
            assert_eq!(reference_reads.get(f[0]).copied().unwrap_or(0.0), n, "{l}");
        }
    }
}

/// Every shared real run (as tests/real_runs.rs runs them): (run, species,
/// trimming arguments).
const REAL_RUNS: [(&str, &str, &[&str]); 16] = [
    ("mirtrace_sample1", "hsa", &["--protocol", "illumina"]),
    (
        "mirtrace_sample3",
        "hsa",
        &["--adapter", "ATCTCGTATGCCGTCTTCTGCTTG"],
    ),
    ("mirtrace_qiaseq", "mmu", &["--protocol", "qiaseq"]),
    (
        "excerpt_testdata_human",
        "hsa",
        &["--adapter", "TCGTATGCCGTCTTCTGCTTG"],
    ),
    (
        "trimgalore_smallRNA_100K",
        "mmu",
        &["--protocol", "illumina"],
    ),
    ("compsra_sample01", "hsa", &["--protocol", "nextflex"]),
    ("compsra_sample02", "hsa", &["--protocol", "nextflex"]),
    ("compsra_sample03", "hsa", &["--protocol", "nextflex"]),
    ("compsra_sample07", "hsa", &["--protocol", "nextflex"]),
    ("compsra_sample08", "hsa", &["--protocol", "nextflex"]),
    ("compsra_sample09", "hsa", &["--protocol", "nextflex"]),
    (
        "encode_ENCSR569QVM_rep1_chr19_trimmed",
        "hsa",
        &["--adapter", "none"],
    ),
    (
        "encode_ENCSR569QVM_rep2_chr19_trimmed",
        "hsa",
        &["--adapter", "none"],
    ),
    (
        "isomirmap_LCL_NA19257_random10k_trimmed",
        "hsa",
        &["--adapter", "none"],
    ),
    (
        "smallrnaseq_bovine_plasma_trimmed",
        "bta",
        &["--adapter", "none"],
    ),
    (
        "smallrnaseq_bovine_serum_trimmed",
        "bta",
        &["--adapter", "none"],
    ),
];

/// One run against one database: its quant directory (mirtop form) and the
/// merge of it in the GFF3 form.
struct Job {
    run: &'static str,
    species: &'static str,
    args: &'static [&'static str],
    mirgenedb: bool,
    dir: PathBuf,
}

impl Job {
    fn gff(&self) -> PathBuf {
        self.dir.join("quant/isomirs.gff3")
    }

    fn gff3(&self) -> PathBuf {
        self.dir.join("gff3/isomirs.gff3")
    }

    /// Quantifies the run and merges it into the GFF3 form.
    fn run(&self, shared: &Path) {
        let data = shared.join("data");
        let quant = self.dir.join("quant");
        let mut cmd = common::mirq();
        cmd.args(["quant", "-q", "-t", "1", "--species", self.species]);
        if self.mirgenedb {
            cmd.arg("--mature")
                .arg(data.join("mirgenedb/mirgenedb_hsa_mature.fa"))
                .arg("--hairpin")
                .arg(data.join("mirgenedb/mirgenedb_hsa_hairpin.fa"));
        } else {
            cmd.arg("--mature")
                .arg(data.join("mirbase/mature_v22.fa.gz"))
                .arg("--hairpin")
                .arg(data.join("mirbase/hairpin_v22.fa.gz"))
                .args(["--database", "miRBasev22"]);
        }
        common::run_ok(
            cmd.args(self.args)
                .arg(data.join(format!("fastq/{}.fastq.gz", self.run)))
                .arg("-o")
                .arg(&quant),
        );
        common::run_ok(
            common::mirq()
                .args(["merge", "-q", "-t", "1", "--gff-coordinates", "gff3"])
                .arg(&quant)
                .arg("-o")
                .arg(self.dir.join("gff3")),
        );
    }

    /// digest.py's job line.
    fn digest_line(&self, shared: &Path) -> String {
        let data = shared.join("data");
        let (style, hairpin, database, species) = if self.mirgenedb {
            (
                "mirgenedb",
                data.join("mirgenedb/mirgenedb_hsa_hairpin.fa"),
                data.join("mirgenedb/mirgenedb_hsa_mature.fa"),
                "Hsa",
            )
        } else if self.species == "hsa" {
            // miRBase's own human GFF3 (genome coordinates)
            let hairpin = data.join("mirbase/hairpin_v22.fa.gz");
            ("mirbase", hairpin, data.join("mirbase/hsa_v22.gff3"), "hsa")
        } else {
            let hairpin = data.join("mirbase/hairpin_v22.fa.gz");
            let mature = data.join("mirbase/mature_v22.fa.gz");
            ("mirbase", hairpin, mature, self.species)
        };
        [
            self.gff(),
            style.into(),
            hairpin,
            database,
            species.into(),
            self.gff3(),
        ]
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join("\t")
    }
}

/// Name -> length of every record of a FASTA file (plain or gzip).
fn fasta_lengths(path: &Path) -> HashMap<String, usize> {
    let mut text = String::new();
    let file = std::fs::File::open(path).unwrap();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::MultiGzDecoder::new(file)
            .read_to_string(&mut text)
            .unwrap();
    } else {
        std::io::BufReader::new(file)
            .read_to_string(&mut text)
            .unwrap();
    }
    let mut lengths = HashMap::new();
    let mut name = String::new();
    for l in text.lines() {
        if let Some(h) = l.strip_prefix('>') {
            name = h.split_whitespace().next().unwrap_or_default().to_string();
            lengths.insert(name.clone(), 0);
        } else {
            *lengths.get_mut(&name).unwrap() += l.trim().len();
        }
    }
    lengths
}

/// The lines of a GFF: (columns, attributes), `Key value; ` (mirtop) or
/// `key=value;` (GFF3).
fn gff_features(path: &Path) -> Vec<(Vec<String>, HashMap<String, String>)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let cols: Vec<String> = l.split('\t').map(String::from).collect();
            assert_eq!(cols.len(), 9, "{}: {l}", path.display());
            let attr = if cols[8].contains('=') {
                cols[8]
                    .split(';')
                    .map(|kv| kv.split_once('=').unwrap())
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            } else {
                cols[8]
                    .split("; ")
                    .map(|kv| kv.split_once(' ').unwrap())
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            };
            (cols, attr)
        })
        .collect()
}

/// Lines of `path` whose start or end lies outside the precursor (`base`:
/// the coordinate of its first base); also checks start <= end.
fn outside(path: &Path, base: i64, lengths: &HashMap<String, usize>) -> (usize, usize) {
    let features = gff_features(path);
    let mut bad = 0;
    for (cols, _) in &features {
        let length = lengths[&cols[0]] as i64;
        let (start, end): (i64, i64) = (cols[3].parse().unwrap(), cols[4].parse().unwrap());
        assert!(start <= end, "{}: {}", path.display(), cols.join("\t"));
        if start < base || end > length - 1 + base {
            bad += 1;
            eprintln!("outside {}: {}", path.display(), cols.join("\t"));
        }
    }
    (bad, features.len())
}

/// isomirs.gff3 of every shared real run, with miRBase 22 and (the human
/// runs) MirGeneDB: no coordinate outside the precursor, mirtop 0.4.30's
/// validator, `stats`, `counts --add-extra` and `export --format vcf` take
/// it with no error, reference lines start at the mature's database
/// position, and the GFF3 form (`mirq merge --gff-coordinates gff3`) is the
/// same lines one base on, read by pybedtools (tests/mirtop/digest.py).
#[test]
fn every_real_run_gff_is_digested_by_mirtop_and_pybedtools() {
    let Some(shared) = common::shared() else {
        return;
    };
    if !common::tool_available(
        "python3",
        &["-c", "import mirtop.gff.validator, pybedtools"],
        "pip install mirtop pysam pybedtools six biopython colorlog pandas",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let jobs: Vec<Job> = REAL_RUNS
        .iter()
        .flat_map(|&(run, species, args)| {
            let databases: &[bool] = if species == "hsa" {
                &[false, true]
            } else {
                &[false]
            };
            let dir = dir.path();
            databases.iter().map(move |&mirgenedb| Job {
                run,
                species,
                args,
                mirgenedb,
                dir: dir.join(format!("{run}.{}", if mirgenedb { "mgdb" } else { "mb" })),
            })
        })
        .collect();
    assert_eq!(jobs.len(), 28);
    // two runs at a time, one thread each
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                job.run(&shared);
            });
        }
    });
    let data = shared.join("data");
    let mirbase = fasta_lengths(&data.join("mirbase/hairpin_v22.fa.gz"));
    let mirgenedb = fasta_lengths(&data.join("mirgenedb/mirgenedb_hsa_hairpin.fa"));
    for job in &jobs {
        let lengths = if job.mirgenedb { &mirgenedb } else { &mirbase };
        let (bad, lines) = outside(&job.gff(), 0, lengths);
        let (bad3, lines3) = outside(&job.gff3(), 1, lengths);
        assert!(lines > 0, "{}: no line", job.gff().display());
        assert_eq!((bad, bad3), (0, 0), "{}: lines outside", job.dir.display());
        // the GFF3 form adds one precursor line per precursor
        assert!(lines3 > lines, "{}", job.gff3().display());
        // the reads of the lines (reads before a precursor's start and
        // sequences with N have none) are nearly all the table's
        let in_gff: f64 = gff_features(&job.gff())
            .iter()
            .map(|(_, a)| {
                let hits: f64 = a["Hits"].parse().unwrap();
                a["Expression"].parse::<f64>().unwrap() / hits
            })
            .sum();
        let (_, table) = common::read_table(&job.dir.join("quant/mature_counts.tsv"));
        let in_table: f64 = table.values().map(|v| v[0]).sum();
        // (the table's values are rounded to 3 decimals)
        let rounding = 5e-4 * table.len() as f64;
        assert!(
            in_gff <= in_table + rounding && in_gff >= 0.98 * in_table,
            "{}: {in_gff} reads in the GFF, {in_table} in the table",
            job.dir.display()
        );
    }
    // GFF3 readers see miRBase's 1-based position: let-7a-5p at base 6 of
    // hsa-let-7a-1 (mirtop's form: 5)
    let first = &jobs[0];
    assert_eq!((first.run, first.mirgenedb), ("mirtrace_sample1", false));
    for (path, start) in [(first.gff(), "5"), (first.gff3(), "6")] {
        let let7 = gff_features(&path)
            .into_iter()
            .find(|(c, a)| c[2] == "ref_miRNA" && a["Name"] == "hsa-let-7a-5p")
            .unwrap_or_else(|| panic!("{}: no let-7a-5p reference line", path.display()));
        assert_eq!(
            (let7.0[0].as_str(), let7.0[3].as_str()),
            ("hsa-let-7a-1", start)
        );
    }
    // quant writes the same GFF3 form, and a merge keeps the form its
    // directories recorded
    let direct = dir.path().join("direct");
    common::run_ok(
        common::mirq()
            .args(["quant", "-q", "-t", "2", "--species", "hsa", "--mature"])
            .arg(data.join("mirbase/mature_v22.fa.gz"))
            .arg("--hairpin")
            .arg(data.join("mirbase/hairpin_v22.fa.gz"))
            .args(["--database", "miRBasev22", "--gff-coordinates", "gff3"])
            .args(first.args)
            .arg(data.join(format!("fastq/{}.fastq.gz", first.run)))
            .arg("-o")
            .arg(&direct),
    );
    let merged = dir.path().join("merged");
    common::run_ok(
        common::mirq()
            .args(["merge", "-q", "-t", "2"])
            .arg(&direct)
            .arg("-o")
            .arg(&merged),
    );
    let read = |p: &Path| std::fs::read_to_string(p).unwrap();
    let gff3 = read(&first.gff3());
    assert!(gff3.starts_with("##gff-version 3\n"));
    assert_eq!(read(&direct.join("isomirs.gff3")), gff3);
    assert_eq!(read(&merged.join("isomirs.gff3")), gff3);
    assert_eq!(
        common::stats(&merged)["settings"]["gff_coordinates"],
        "gff3"
    );
    let list = dir.path().join("jobs.tsv");
    let lines: Vec<String> = jobs.iter().map(|j| j.digest_line(&shared)).collect();
    std::fs::write(&list, lines.join("\n") + "\n").unwrap();
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(here.join("tests/mirtop/digest.py"))
        .arg(&list)
        .arg(dir.path().join("digest"))
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("{report}");
    assert!(out.status.success(), "{report}");
    assert_eq!(
        report.lines().last(),
        Some("DIGEST files=28 failed=0"),
        "{report}"
    );
}

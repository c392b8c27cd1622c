//! Per-read trimming parity with cutadapt 5.2 on the shared real runs that
//! carry a 3' adapter: cutadapt (`-a ADAPTER -e RATE -O OVERLAP`, no length
//! filter, every read kept) and mirq's trimmer, with the error rate and
//! minimum overlap mirq's settings resolve to, must cut every read at the
//! same base. mirq's `--min-length`/`--max-length` are cutadapt's `-m`/`-M`
//! on that same length, so equal lengths mean equal filtering too.
//!
//! A second test does the same on seeded random reads carrying edited copies
//! of adapters the shared runs lack: poly-A (CATS), one with `N`s, a
//! repetitive one, where cutadapt's rarer choices show.
//!
//! Needs `cutadapt` 5.2: outside CI a missing one skips the test with a
//! message; in CI (`.ci/run` installs it) it fails.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use mirq::input::fastq::for_each_record;
use mirq::input::library::{AdapterChoice, Protocol, QIASEQ, TRUSEQ_SMALL_RNA};
use mirq::prep::protocol::TrimSettings;
use mirq::prep::trim::{AdapterFinder, TrimOutcome};
use mirq::rng::Rng;

const CUTADAPT_VERSION: &str = "5.2";

/// Illumina small RNA v1.5 and v1.0 3' adapters.
const SMALL_RNA_V15: &str = "ATCTCGTATGCCGTCTTCTGCTTG";
const SMALL_RNA_V10: &str = "TCGTATGCCGTCTTCTGCTTG";

/// The shared runs with a known 3' adapter (`../shared/data/README.md`).
const RUNS: [(&str, &str); 11] = [
    ("mirtrace_sample1", TRUSEQ_SMALL_RNA),
    ("mirtrace_sample3", SMALL_RNA_V15),
    ("mirtrace_qiaseq", QIASEQ),
    ("excerpt_testdata_human", SMALL_RNA_V10),
    ("trimgalore_smallRNA_100K", TRUSEQ_SMALL_RNA),
    ("compsra_sample01", TRUSEQ_SMALL_RNA),
    ("compsra_sample02", TRUSEQ_SMALL_RNA),
    ("compsra_sample03", TRUSEQ_SMALL_RNA),
    ("compsra_sample07", TRUSEQ_SMALL_RNA),
    ("compsra_sample08", TRUSEQ_SMALL_RNA),
    ("compsra_sample09", TRUSEQ_SMALL_RNA),
];

/// Whether cutadapt 5.2 runs; panics in CI when it does not.
fn cutadapt_available() -> bool {
    let version = Command::new("cutadapt")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match version {
        Some(v) if v == CUTADAPT_VERSION => true,
        found => {
            let msg = format!(
                "cutadapt {CUTADAPT_VERSION} is needed, found {found:?} \
                 (pip install cutadapt=={CUTADAPT_VERSION})"
            );
            if std::env::var_os("CI").is_some() {
                panic!("{msg}; CI must install it (.ci/run)");
            }
            eprintln!("skipping: {msg}");
            false
        }
    }
}

/// Starts cutadapt on `fastq`, writing each read's trimmed sequence as FASTA
/// to its stdout.
fn spawn_cutadapt(fastq: &Path, adapter: &str, settings: &TrimSettings) -> std::process::Child {
    Command::new("cutadapt")
        .args(["-a", adapter])
        .args(["-e", &settings.max_error_rate.to_string()])
        .args(["-O", &settings.min_overlap.to_string()])
        .args(["--fasta", "--quiet", "-j", "1"])
        .arg(fastq)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cutadapt")
}

/// Each read's length after mirq's trimming (the read's length when no
/// adapter is found).
fn mirq_lengths(fastq: &Path, settings: &TrimSettings) -> Vec<usize> {
    let trimmer = settings.trimmer();
    let mut lengths = Vec::new();
    let mut read = Vec::new();
    for_each_record(fastq, |seq, _| {
        read.clear();
        read.extend(seq.iter().map(|&b| mirq::seq::normalize_base(b)));
        lengths.push(match trimmer.trim(&read) {
            TrimOutcome::NoAdapter => read.len(),
            TrimOutcome::Insert { start, end } => end - start,
            TrimOutcome::TooShort(len) | TrimOutcome::TooLong(len) => len,
        });
    })
    .expect("read FASTQ");
    lengths
}

#[test]
fn trimming_matches_cutadapt_read_by_read_on_shared_runs() {
    let Some(shared) = common::shared() else {
        return;
    };
    if !cutadapt_available() {
        return;
    }
    // no length filter and no protocol cuts: the adapter's start is compared
    let settings: Vec<TrimSettings> = RUNS
        .iter()
        .map(|(_, adapter)| {
            let adapter: AdapterChoice = adapter.parse().unwrap();
            TrimSettings::resolve(Protocol::Illumina, Some(&adapter), 0, usize::MAX).unwrap()
        })
        .collect();
    let fastqs: Vec<_> = RUNS
        .iter()
        .map(|(run, _)| shared.join(format!("data/fastq/{run}.fastq.gz")))
        .collect();
    let children: Vec<_> = RUNS
        .iter()
        .zip(&fastqs)
        .zip(&settings)
        .map(|(((_, adapter), fastq), s)| spawn_cutadapt(fastq, adapter, s))
        .collect();
    let mut report = Vec::new();
    let mut total = (0usize, 0usize);
    for ((((run, _), fastq), s), child) in RUNS.iter().zip(&fastqs).zip(&settings).zip(children) {
        let mine = mirq_lengths(fastq, s);
        let out = child.wait_with_output().expect("cutadapt runs");
        assert!(
            out.status.success(),
            "cutadapt failed on {run}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: Vec<usize> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .skip(1)
            .step_by(2)
            .map(str::len)
            .collect();
        assert_eq!(mine.len(), theirs.len(), "{run}: read counts differ");
        let differ: Vec<usize> = (0..mine.len()).filter(|&i| mine[i] != theirs[i]).collect();
        let first = differ
            .iter()
            .take(3)
            .map(|&i| format!("read {} mirq {} cutadapt {}", i + 1, mine[i], theirs[i]))
            .collect::<Vec<_>>();
        report.push(format!(
            "{run}: {} of {} reads differ {first:?}",
            differ.len(),
            mine.len()
        ));
        total.0 += differ.len();
        total.1 += mine.len();
    }
    eprintln!("{}", report.join("\n"));
    assert_eq!(
        total.0,
        0,
        "{} of {} reads trimmed differently:\n{}",
        total.0,
        total.1,
        report.join("\n")
    );
}

/// Seeded random reads of `alphabet` holding 0 to 2 copies of `adapter`
/// (its `N`s filled in) with up to 3 edits each, cut short after a copy.
fn random_reads(rng: &mut Rng, adapter: &[u8], alphabet: &[u8], n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|_| {
            let len = rng.below(60);
            let mut read = rng.seq_from(len, alphabet);
            for _ in 0..rng.below(3) {
                let mut a: Vec<u8> = adapter
                    .iter()
                    .map(|&b| if b == b'N' { b"ACGT"[rng.below(4)] } else { b })
                    .collect();
                for _ in 0..rng.below(4) {
                    let at = rng.below(a.len());
                    match rng.below(3) {
                        0 => a[at] = alphabet[rng.below(alphabet.len())],
                        1 => a.insert(at, alphabet[rng.below(alphabet.len())]),
                        _ if a.len() > 1 => {
                            a.remove(at);
                        }
                        _ => {}
                    }
                }
                let at = rng.below(read.len() + 1);
                read.splice(at..at, a);
                read.truncate(at + 3 + rng.below(50));
            }
            read
        })
        .collect()
}

#[test]
fn trimming_matches_cutadapt_on_random_reads_with_rarer_adapters() {
    if !cutadapt_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(0x5EED_CA7A);
    let cases: [(&[u8], &[u8]); 3] = [
        (b"AAAAAAAAAAAAAAA", b"AAAAAAACGTN"),
        (b"TGGAATTCTCNNNNNCCAAGG", b"ACGTN"),
        (b"GAAAAGAAAAAGAAAAAAAAAGAA", b"AAAAAAAG"),
    ];
    for (adapter, alphabet) in cases {
        let reads = random_reads(&mut rng, adapter, alphabet, 4000);
        let fastq = dir.path().join("reads.fastq");
        let mut text = Vec::new();
        for (i, r) in reads.iter().enumerate() {
            text.extend_from_slice(format!("@r{i}\n").as_bytes());
            text.extend_from_slice(r);
            text.extend_from_slice(b"\n+\n");
            text.extend(std::iter::repeat_n(b'I', r.len()));
            text.push(b'\n');
        }
        std::fs::write(&fastq, text).unwrap();
        let adapter: AdapterChoice = std::str::from_utf8(adapter).unwrap().parse().unwrap();
        let settings =
            TrimSettings::resolve(Protocol::Illumina, Some(&adapter), 0, usize::MAX).unwrap();
        let adapter_text = settings.adapter.clone().unwrap();
        let out = spawn_cutadapt(&fastq, &adapter_text, &settings)
            .wait_with_output()
            .expect("cutadapt runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: Vec<usize> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .skip(1)
            .step_by(2)
            .map(str::len)
            .collect();
        let finder = AdapterFinder::new(
            adapter_text.as_bytes(),
            settings.max_error_rate,
            settings.min_overlap,
        );
        assert_eq!(theirs.len(), reads.len());
        let differ: Vec<String> = reads
            .iter()
            .zip(&theirs)
            .filter_map(|(r, &want)| {
                let got = finder.find(r).map_or(r.len(), |m| m.start);
                (got != want)
                    .then(|| format!("{} mirq {got} cutadapt {want}", String::from_utf8_lossy(r)))
            })
            .collect();
        assert!(
            differ.is_empty(),
            "adapter {}: {} of {} reads differ: {:?}",
            adapter_text,
            differ.len(),
            reads.len(),
            &differ[..differ.len().min(3)]
        );
    }
}

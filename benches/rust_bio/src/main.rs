//! rust-bio (`bio`) against mirq's own code, on one thread each, on the two
//! jobs where bio offers a candidate:
//!
//! 1. Adapter search: bio's Myers bit-parallel matcher (whole adapter, at
//!    most k edits) against mirq's `AdapterFinder` (cutadapt 5.2's rules:
//!    partial adapters at the read end, error rate per aligned length,
//!    cutadapt's choice among equal hits).
//! 2. Exact placement of distinct inserts on the other species' miRNAs
//!    (the exogenous stage): bio's FM index (suffix array, BWT, occurrence
//!    table, backward search, locate) against mirq's `WindowStarts` (the
//!    starts near mature starts, keyed by their first 16 bases).
//!
//! Usage: mirq-rust-bio-comparison READS.fastq INSERTS.txt MATURE HAIRPIN SPECIES
//! (plain FASTQ; one insert per line). benches/rust_bio.sh makes the inputs.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::Instant;

use bio::alphabets::dna;
use bio::data_structures::bwt::{bwt, less, Occ};
use bio::data_structures::fmindex::{BackwardSearchResult, FMIndex, FMIndexable};
use bio::data_structures::suffix_array::suffix_array;
use bio::pattern_matching::myers::Myers;
use mirq::align::exact::WindowStarts;
use mirq::align::TargetSet;
use mirq::input::library::TRUSEQ_SMALL_RNA;
use mirq::input::reference::{AllSpecies, Reference};
use mirq::prep::trim::AdapterFinder;

/// Exogenous placements need this many bases (mirq's EXOGENOUS_MIN_LENGTH).
const MIN_LENGTH: usize = 18;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        eprintln!(
            "usage: {} READS.fastq INSERTS.txt MATURE HAIRPIN SPECIES",
            args[0]
        );
        std::process::exit(2);
    }
    let reads = read_fastq_sequences(Path::new(&args[1]));
    let inserts = read_lines(Path::new(&args[2]));
    adapters(&reads);
    placements(&inserts, Path::new(&args[3]), Path::new(&args[4]), &args[5]);
}

fn read_fastq_sequences(path: &Path) -> Vec<Vec<u8>> {
    let file = std::fs::File::open(path).expect("reads file");
    BufReader::new(file)
        .lines()
        .skip(1)
        .step_by(4)
        .map(|l| l.expect("reads line").into_bytes())
        .collect()
}

fn read_lines(path: &Path) -> Vec<Vec<u8>> {
    let text = std::fs::read(path).expect("inserts file");
    text.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| l.to_vec())
        .collect()
}

fn per_read_ns(seconds: f64, n: usize) -> f64 {
    seconds * 1e9 / n.max(1) as f64
}

/// Times both adapter searches over every read and counts where their cut
/// positions differ.
fn adapters(reads: &[Vec<u8>]) {
    let adapter = TRUSEQ_SMALL_RNA.as_bytes();
    let finder = AdapterFinder::new(adapter, 0.1, 3);
    let started = Instant::now();
    let mirq_cuts: Vec<Option<usize>> = reads
        .iter()
        .map(|r| finder.find(r).map(|m| m.start))
        .collect();
    let mirq_s = started.elapsed().as_secs_f64();

    let k = (0.1 * adapter.len() as f64) as u8;
    let mut myers = Myers::<u64>::new(adapter);
    // the scan alone (end positions, no start): a lower bound for bio
    let started = Instant::now();
    let ends: usize = reads.iter().map(|r| myers.find_all_end(r, k).count()).sum();
    let scan_s = started.elapsed().as_secs_f64();
    // the cut: the lowest distance, then the leftmost end, traced back
    let started = Instant::now();
    let bio_cuts: Vec<Option<usize>> = reads
        .iter()
        .map(|r| {
            let mut matches = myers.find_all_lazy(r, k);
            let best = matches.by_ref().min_by_key(|&(end, dist)| (dist, end));
            best.and_then(|(end, _)| matches.hit_at(end))
                .map(|(start, _)| start)
        })
        .collect();
    let bio_s = started.elapsed().as_secs_f64();

    let (mut same, mut partial_missed, mut other) = (0usize, 0usize, 0usize);
    for ((m, b), r) in mirq_cuts.iter().zip(&bio_cuts).zip(reads) {
        match (m, b) {
            _ if m == b => same += 1,
            (Some(s), None) if s + adapter.len() > r.len() => partial_missed += 1,
            _ => other += 1,
        }
    }
    println!("adapter search, {} reads, one thread", reads.len());
    println!(
        "  mirq AdapterFinder (cutadapt's rules): {:.3} s, {:.0} ns/read",
        mirq_s,
        per_read_ns(mirq_s, reads.len())
    );
    println!(
        "  bio Myers<u64>, whole adapter, k = {k}, ends only ({ends} ends): {:.3} s, {:.0} ns/read ({:.1}x mirq's time)",
        scan_s,
        per_read_ns(scan_s, reads.len()),
        scan_s / mirq_s
    );
    println!(
        "  bio Myers<u64>, whole adapter, k = {k}, best hit's start: {:.3} s, {:.0} ns/read ({:.1}x mirq's time)",
        bio_s,
        per_read_ns(bio_s, reads.len()),
        bio_s / mirq_s
    );
    println!(
        "  same cut: {same}; partial adapter at the read end that Myers cannot see: {partial_missed}; other differences: {other}"
    );
}

/// Times both exact placement indexes on the other species' miRNAs and
/// checks that they place every insert alike.
fn placements(inserts: &[Vec<u8>], mature: &Path, hairpin: &Path, species: &str) {
    let all = AllSpecies::read(mature, Some(hairpin)).expect("reference");
    let foreign = Reference::foreign_of(&all, species).expect("other species");
    let ts = TargetSet::build(&foreign, 3, 5);
    let queries: Vec<&Vec<u8>> = inserts
        .iter()
        .filter(|q| q.len() >= MIN_LENGTH && !q.contains(&b'N'))
        .collect();
    let codes: Vec<Vec<u8>> = queries.iter().map(|q| mirq::seq::encode(q)).collect();
    let views: Vec<&[u8]> = codes.iter().map(|c| &c[..]).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("one-thread pool");

    let started = Instant::now();
    let index = pool.install(|| WindowStarts::build(&ts));
    let mirq_build = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let found = pool.install(|| index.align(&views));
    let mirq_query = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let fm = FmPlacer::build(&ts);
    let bio_build = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let placed: Vec<Vec<(u32, i32)>> = queries.iter().map(|q| fm.place(&ts, q)).collect();
    let bio_query = started.elapsed().as_secs_f64();

    let mut differ = 0usize;
    let mut hits = 0usize;
    for (i, bio_hits) in placed.iter().enumerate() {
        let mirq_hits: Vec<(u32, i32)> =
            found.get(i).iter().map(|h| (h.target, h.offset)).collect();
        hits += mirq_hits.len();
        differ += usize::from(&mirq_hits != bio_hits);
    }
    println!(
        "exact placement on the other species' miRNAs ({} targets, {} bases), {} inserts of {MIN_LENGTH}+ nt, one thread",
        ts.targets.len(),
        fm.text_len,
        queries.len()
    );
    println!(
        "  mirq WindowStarts: build {mirq_build:.3} s, queries {mirq_query:.3} s ({:.0} ns/insert)",
        per_read_ns(mirq_query, queries.len())
    );
    println!(
        "  bio FM index (sampled occ k=64, full suffix array): build {bio_build:.3} s, queries + locate {bio_query:.3} s ({:.0} ns/insert, {:.1}x mirq's queries)",
        per_read_ns(bio_query, queries.len()),
        bio_query / mirq_query
    );
    println!("  placements: {hits}; inserts placed differently: {differ}");
}

/// bio's FM index over every target's real bases, targets joined by N.
struct FmPlacer {
    sa: SuffixArrayVec,
    bwt: Vec<u8>,
    less: Vec<usize>,
    occ: Occ,
    /// Each target's first position in the text.
    starts: Vec<usize>,
    text_len: usize,
}

type SuffixArrayVec = Vec<usize>;

impl FmPlacer {
    fn build(ts: &TargetSet) -> Self {
        let mut text = Vec::new();
        let mut starts = Vec::with_capacity(ts.targets.len());
        for t in &ts.targets {
            starts.push(text.len());
            let codes = &ts.text[t.text_start..t.text_start + t.len];
            text.extend(codes.iter().map(|&c| b"ACGTN"[c.min(4) as usize]));
            text.push(b'N');
        }
        text.push(b'$');
        let alphabet = dna::n_alphabet();
        let sa = suffix_array(&text);
        let bwt = bwt(&text, &sa);
        let less = less(&bwt, &alphabet);
        let occ = Occ::new(&bwt, 64, &alphabet);
        Self {
            sa,
            bwt,
            less,
            occ,
            starts,
            text_len: text.len(),
        }
    }

    /// The insert's exact in-window placements, sorted as mirq sorts them.
    fn place(&self, ts: &TargetSet, q: &[u8]) -> Vec<(u32, i32)> {
        let fm = FMIndex::new(&self.bwt, &self.less, &self.occ);
        let BackwardSearchResult::Complete(interval) = fm.backward_search(q.iter()) else {
            return Vec::new();
        };
        let mut hits: Vec<(u32, i32)> = interval
            .occ(&self.sa)
            .into_iter()
            .filter_map(|pos| {
                let t = self.starts.partition_point(|&s| s <= pos) - 1;
                let offset = (pos - self.starts[t]) as i32;
                let end = offset + q.len() as i32;
                (end as usize <= ts.targets[t].len && ts.in_any_window(t, offset, end))
                    .then_some((t as u32, offset))
            })
            .collect();
        hits.sort_unstable();
        hits
    }
}

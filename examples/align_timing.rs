//! Times the CPU engine's miRNA search alone on a file of distinct inserts.
//!
//! ```text
//! cargo run --release --example align_timing -- INSERTS.txt [--reps N] [--mature FA --hairpin FA]
//! ```
//!
//! Inserts are read one sequence a line (e.g. the first column of a run's
//! `inserts.tsv.gz`). The references default to `../shared/data/mirbase/`
//! (human matures and hairpins, as a `quant --species hsa` run). Prints the
//! time to build the seed indexes, then, at 1 and 2 threads, the best of
//! `--reps` (5) searches of every insert (wall time, and the CPU time of
//! the thread that called, which at 1 thread is the search's), and a digest
//! of all hits (equal digests: equal hits).

use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::time::Instant;

use mirq::align::cpu::Searcher;
use mirq::align::{AlignParams, FlatHits, TargetSet};
use mirq::input::reference::Reference;
use mirq::seq::encode;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Seconds this thread has run on a CPU (Linux; 0 elsewhere): steadier
/// than wall time on a shared machine.
fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns * 1e-9)
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: align_timing INSERTS.txt [--reps N] [--mature FA --hairpin FA]");
        std::process::exit(2);
    };
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mirbase");
    let hairpin = arg("--hairpin").map_or(shared.join("hairpin_hsa.fa"), PathBuf::from);
    let mature = arg("--mature").map_or(shared.join("mature_nfcore_test.fa"), PathBuf::from);
    let reps: usize = arg("--reps").map_or(5, |v| v.parse().expect("--reps N"));
    let reference = Reference::load(&mature, Some(&hairpin), "hsa").expect("reference");
    let ts = TargetSet::build(&reference, 3, 5);
    let text = std::fs::read_to_string(&path).expect("inserts");
    let codes: Vec<Vec<u8>> = text.lines().map(|l| encode(l.as_bytes())).collect();
    let views: Vec<&[u8]> = codes.iter().map(Vec::as_slice).collect();
    let params = AlignParams::default();
    let started = Instant::now();
    let searcher = Searcher::new(&ts);
    println!(
        "{} inserts; indexes built in {:.1} ms",
        views.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let (mut best, mut best_cpu) = (f64::MAX, f64::MAX);
        let mut hits = FlatHits::default();
        for _ in 0..reps {
            let started = Instant::now();
            hits = FlatHits::default();
            let cpu = pool.install(|| {
                let cpu = thread_cpu();
                searcher.align_into(&views, &params, &mut hits);
                thread_cpu() - cpu
            });
            best = best.min(started.elapsed().as_secs_f64());
            best_cpu = best_cpu.min(cpu);
        }
        let mut digest = std::collections::hash_map::DefaultHasher::new();
        for i in 0..hits.len() {
            hits.get(i).hash(&mut digest);
        }
        println!(
            "{threads} thread(s): best of {reps} {:.1} ms ({:.1} ms on the calling thread's CPU), {} hits, digest {:016x}",
            best * 1e3,
            best_cpu * 1e3,
            hits.total_hits(),
            digest.finish()
        );
    }
}

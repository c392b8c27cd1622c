//! Times `--protocol auto`'s detection on each FASTQ given, and prints what
//! it decided.
//!
//! ```text
//! cargo run --release --example detect_timing -- [--json] FASTQ...
//! ```
//!
//! Reads each file's first `SAMPLE_READS` reads (as `--protocol auto`
//! keeps them), then, five times, builds the detection sample from them
//! (`ReadSample::from_reads`, as a run does while it keeps them) and calls
//! `detect` on it. Prints one line a file: the name, the call (protocol,
//! adapter, confidence, insert ends), the fraction and reads it rests on,
//! and the seconds of building and detecting: the first time (as a run
//! meets them, once per sample) and the best of five, in wall seconds and
//! in the thread's CPU seconds (which a busy machine inflates less). With
//! `--json`, the whole `Detection` follows on a line of its own (to compare
//! two builds' calls).

mod common;

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

use common::thread_cpu_seconds;
use mirq::input::fastq::for_each_record_until;
use mirq::input::samples::sample_name_from_path;
use mirq::prep::detect::{detect, ReadSample, SAMPLE_READS};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let files: Vec<PathBuf> = args
        .iter()
        .filter(|a| *a != "--json")
        .map(PathBuf::from)
        .collect();
    if files.is_empty() {
        eprintln!("usage: detect_timing [--json] FASTQ...");
        std::process::exit(2);
    }
    for file in &files {
        let mut raw: Vec<Vec<u8>> = Vec::new();
        for_each_record_until(file, |seq, _| {
            raw.push(seq.to_vec());
            if raw.len() < SAMPLE_READS {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(())
            }
        })
        .expect("reads");
        let mut times: Vec<[f64; 4]> = Vec::new();
        let mut d = None;
        for _ in 0..5 {
            let (t, cpu) = (Instant::now(), thread_cpu_seconds());
            let sample = ReadSample::from_reads(raw.iter().map(Vec::as_slice));
            let (built, built_cpu) = (t.elapsed().as_secs_f64(), thread_cpu_seconds() - cpu);
            d = Some(detect(&sample));
            times.push([
                built,
                t.elapsed().as_secs_f64() - built,
                built_cpu,
                thread_cpu_seconds() - cpu - built_cpu,
            ]);
        }
        let d = d.expect("five calls");
        let best = |i: usize| times.iter().map(|t| t[i]).fold(f64::INFINITY, f64::min);
        println!(
            "{:42} {:9} {:24} {:6} ends {:12} {:>6.2}% of {:>6} reads  build+detect: first {:.4}+{:.4} s, best {:.4}+{:.4} s ({:.4}+{:.4} s cpu)",
            sample_name_from_path(file),
            d.protocol.to_string(),
            d.adapter.as_deref().unwrap_or("none"),
            d.confidence.to_string(),
            format!("{:?}", d.random_ends.call),
            100.0 * d.fraction,
            d.reads_sampled,
            times[0][0],
            times[0][1],
            best(0),
            best(1),
            best(2),
            best(3),
        );
        if json {
            println!("{}", serde_json::to_string(&d).expect("json"));
        }
    }
}

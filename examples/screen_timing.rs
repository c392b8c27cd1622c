//! Times the genome screen on both engines.
//!
//! ```text
//! cargo run --release --example screen_timing -- REFERENCE.fa[.gz] [INSERTS.txt | N] [--cpu]
//! ```
//!
//! Inserts are read one sequence a line, or `N` (226000 by default) distinct
//! ones are made: half fragments of the reference (either strand, 0 to 2
//! substitutions), half random, 17 to 40 bases. Mismatches: 0 below 20
//! bases, 1 from 20. Times `screen_cpu` and, when an adapter exists,
//! `GpuEngine::screen` (kernels built before timing), checks that they
//! agree, and prints seconds, inserts per second and hit counts. `--cpu`
//! times the CPU engine only. The CPU time is the best of three calls.

use std::path::Path;
use std::time::Instant;

use mirq::align::gpu::GpuEngine;
use mirq::align::screen::screen_cpu;
use mirq::align::{FlatHits, TargetSet};
use mirq::input::screen::ScreenReference;
use mirq::seq::encode;

fn main() {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let cpu_only = all.iter().any(|a| a == "--cpu");
    let args: Vec<String> = all.into_iter().filter(|a| a != "--cpu").collect();
    let Some(reference) = args.first() else {
        eprintln!("usage: screen_timing REFERENCE.fa[.gz] [INSERTS.txt | N]");
        std::process::exit(2);
    };
    let started = Instant::now();
    let r = ScreenReference::load("screen", Path::new(reference)).expect("reference");
    let ts = TargetSet::from_screen(&r);
    println!(
        "reference: {} records, {} bases, loaded and packed in {:.2} s",
        r.records.len(),
        r.bases(),
        started.elapsed().as_secs_f64()
    );
    let inserts = match args.get(1) {
        Some(a) if a.parse::<usize>().is_err() => std::fs::read_to_string(a)
            .expect("inserts file")
            .lines()
            .map(|l| l.trim().as_bytes().to_vec())
            .filter(|l| (17..=255).contains(&l.len()))
            .collect(),
        n => make_inserts(&r, n.map_or(226_000, |a| a.parse().unwrap())),
    };
    let codes: Vec<Vec<u8>> = inserts.iter().map(|q| encode(q)).collect();
    let views: Vec<&[u8]> = codes.iter().map(Vec::as_slice).collect();
    let mismatches: Vec<u8> = views.iter().map(|q| u8::from(q.len() >= 20)).collect();
    println!(
        "inserts: {} (17-40 nt; k = 0 below 20 nt, 1 from 20 nt); threads: {}",
        views.len(),
        rayon::current_num_threads()
    );
    let mut best_cpu = f64::MAX;
    let mut cpu = FlatHits::default();
    for _ in 0..3 {
        let t = Instant::now();
        cpu = screen_cpu(&ts, &views, &mismatches);
        best_cpu = best_cpu.min(t.elapsed().as_secs_f64());
    }
    report("cpu", best_cpu, &cpu, views.len());
    if cpu_only {
        return;
    }
    match GpuEngine::new() {
        Err(e) => println!("gpu: no adapter ({e})"),
        Ok(gpu) => {
            let a = gpu.adapter();
            println!("gpu: {} ({}, {})", a.name, a.backend, a.device_type);
            // the first call builds the kernels: time it apart
            let t = Instant::now();
            let warm = gpu.screen(&ts, &views[..1], &mismatches[..1]).expect("gpu");
            drop(warm);
            println!("gpu: kernels built in {:.2} s", t.elapsed().as_secs_f64());
            let t = Instant::now();
            let got = gpu.screen(&ts, &views, &mismatches).expect("gpu");
            report("gpu", t.elapsed().as_secs_f64(), &got, views.len());
            println!(
                "gpu / cpu: {:.2}; reruns: {}",
                t.elapsed().as_secs_f64() / best_cpu,
                gpu.reruns()
            );
            assert!(got == cpu, "the engines disagree");
            println!("engines agree");
        }
    }
    mirq::align::gpu::exit_after_gpu(0)
}

fn report(engine: &str, secs: f64, hits: &FlatHits, n: usize) {
    let with = (0..hits.len()).filter(|&i| !hits.get(i).is_empty()).count();
    println!(
        "{engine}: {secs:.3} s, {:.0} inserts/s, {} hits, {with} inserts with hits",
        n as f64 / secs,
        hits.total_hits()
    );
}

/// `n` distinct inserts: half fragments of the reference, half random (the
/// workload of `mirq bench --screen`).
fn make_inserts(r: &ScreenReference, n: usize) -> Vec<Vec<u8>> {
    mirq::input::sim::screen_workload(r, n, 2024)
}

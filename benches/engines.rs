//! Alignment stage per engine: unique simulated inserts against the human
//! miRBase hairpins, timed per engine (inserts/s), GPU hits checked against
//! the CPU's. The inserts are `mirq::input::sim::workload`'s (as `mirq bench`
//! simulates them), with its default seed.
//!
//! `cargo bench --bench engines -- [--inserts N] [--gpu-inserts M] [--hairpin FA --mature FA]`
//!
//! Defaults: 1,000,000 inserts for the CPU engine and all of them for the GPU
//! engine on a hardware adapter, 2,000 on a software one (lavapipe runs the
//! same seed-and-extend kernels as vector code on the CPU cores, far slower
//! than the CPU engine). The references default to `../shared/data/mirbase/`.

use std::path::PathBuf;
use std::time::Instant;

use mirq::align::cpu::CpuEngine;
use mirq::align::gpu::GpuEngine;
use mirq::align::{AlignParams, Engine, TargetSet};
use mirq::input::reference::Reference;
use mirq::seq::encode;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let shared = std::env::var_os("MIRQ_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let hairpin = arg("--hairpin")
        .map(PathBuf::from)
        .unwrap_or(shared.join("data/mirbase/hairpin_hsa.fa"));
    let mature = arg("--mature")
        .map(PathBuf::from)
        .unwrap_or(shared.join("data/mirbase/mature_nfcore_test.fa"));
    let n: usize = arg("--inserts").map_or(1_000_000, |v| v.parse().expect("--inserts N"));
    let reference = Reference::load(&mature, Some(&hairpin), "hsa").expect("reference");
    let ts = TargetSet::build(&reference, 3, 5);
    let inserts = mirq::input::sim::workload(&reference, n, mirq::cmd::bench::DEFAULT_SEED);
    let codes: Vec<Vec<u8>> = inserts.iter().map(|s| encode(s)).collect();
    let views: Vec<&[u8]> = codes.iter().map(Vec::as_slice).collect();
    let params = AlignParams::default();
    println!(
        "reference: {} hairpins, {} matures, {} target bases; {} unique inserts",
        reference.hairpins.len(),
        reference.matures.len(),
        ts.text.len(),
        views.len()
    );
    let threads = rayon::current_num_threads();
    let t = Instant::now();
    let cpu = CpuEngine.align(&ts, &views, &params).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "cpu engine ({threads} threads): {} inserts in {secs:.2} s = {:.0} inserts/s",
        views.len(),
        views.len() as f64 / secs
    );
    match GpuEngine::new() {
        Err(e) => println!("gpu engine: not run ({e})"),
        Ok(gpu) => {
            let a = gpu.adapter().clone();
            let default_m = if a.is_software() { 2_000 } else { views.len() };
            let m: usize =
                arg("--gpu-inserts").map_or(default_m, |v| v.parse().expect("--gpu-inserts M"));
            let m = m.min(views.len());
            let t = Instant::now();
            let got = gpu.align(&ts, &views[..m], &params).unwrap();
            let secs = t.elapsed().as_secs_f64();
            let same = got.iter().zip(&cpu).all(|(g, c)| g == c);
            println!(
                "gpu engine ({}, {}, {}): {m} inserts in {secs:.2} s = {:.0} inserts/s; hits identical to cpu: {same}",
                a.name,
                a.backend,
                a.device_type,
                m as f64 / secs
            );
            assert!(same, "GPU hits differ from CPU hits");
        }
    }
    mirq::align::gpu::exit_after_gpu(0)
}

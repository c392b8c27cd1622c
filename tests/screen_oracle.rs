//! The genome screen, CPU and GPU, against `brute_force` as oracle: phage
//! lambda with inserts planted on both strands (record ends included, 0 to
//! 2 substitutions, N) and random ones, every mismatch limit mixed; random
//! multi-record references with N runs; and the GPU forced into tiny
//! reference parts, insert batches and queues, and on E. coli, against the
//! CPU. Runs the GPU checks on any wgpu adapter (lavapipe in CI).
//!
//! A small harness of its own (`harness = false`), ending through
//! `exit_after_gpu` as `tests/gpu_oracle.rs` does (lavapipe's LLVM can abort
//! at process exit).

mod common;

use std::time::Instant;

use mirq::align::gpu::GpuEngine;
use mirq::align::screen::screen_cpu;
use mirq::align::{brute_force, AlignParams, FlatHits, TargetSet};
use mirq::input::screen::{ScreenRecord, ScreenReference};
use mirq::rng::Rng;
use mirq::seq::encode;

/// The GPU engine, or None outside CI when no adapter exists (CI installs
/// lavapipe, so there it must exist).
fn gpu() -> Option<GpuEngine> {
    match GpuEngine::new() {
        Ok(e) => Some(e),
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipping the GPU screen checks: {e}");
            None
        }
        Err(e) => panic!("CI must have a wgpu adapter (lavapipe): {e}"),
    }
}

/// A screen reference from the shared data, or None (skipped) outside CI.
fn shared_reference(file: &str) -> Option<ScreenReference> {
    let dir = common::shared()?;
    let path = dir.join("data/screen").join(file);
    Some(ScreenReference::load(file, &path).unwrap())
}

/// Inserts (base codes) planted on either strand of the targets, with 0 to
/// 2 substitutions and sometimes an N, some at a record's first or last
/// base, and random ones; 14 to 60 bases; mismatch limits 0 to 2.
fn inserts(rng: &mut Rng, ts: &TargetSet, n: usize) -> (Vec<Vec<u8>>, Vec<u8>) {
    (0..n)
        .map(|i| {
            let len = 14 + rng.below(47);
            let k = rng.below(3) as u8;
            let t = &ts.targets[rng.below(ts.targets.len())];
            let mut q = if i % 5 != 4 && t.len >= len {
                let at = match i % 5 {
                    0 => 0,
                    1 => t.len - len,
                    _ => rng.below(t.len - len + 1),
                };
                ts.text[t.text_start + at..t.text_start + at + len].to_vec()
            } else {
                encode(&rng.bases(len))
            };
            for _ in 0..rng.below(3) {
                let at = rng.below(len);
                q[at] = rng.below(4) as u8;
            }
            if rng.chance(0.05) {
                let at = rng.below(len);
                q[at] = mirq::seq::N;
            }
            (q, k)
        })
        .unzip()
}

/// Asserts that `got` holds, for every insert, the oracle's hits.
fn assert_oracle(engine: &str, ts: &TargetSet, qs: &[Vec<u8>], ks: &[u8], got: &FlatHits) {
    assert_eq!(got.len(), qs.len(), "{engine}: inserts returned");
    let mut with_hits = 0;
    for (i, q) in qs.iter().enumerate() {
        let params = AlignParams {
            max_mismatches: ks[i],
            max_nontemplated: 0,
        };
        let want = brute_force(ts, q, &params);
        assert_eq!(
            got.get(i),
            want.as_slice(),
            "{engine}: insert {i} {} k {}",
            mirq::seq::decode(q),
            ks[i]
        );
        with_hits += usize::from(!want.is_empty());
    }
    assert!(
        with_hits > qs.len() / 3,
        "too few planted hits: {with_hits} of {}",
        qs.len()
    );
}

/// Both engines (the GPU where there is one) against the oracle.
fn check(ts: &TargetSet, qs: &[Vec<u8>], ks: &[u8], gpu: Option<&GpuEngine>) {
    let views: Vec<&[u8]> = qs.iter().map(Vec::as_slice).collect();
    let cpu = screen_cpu(ts, &views, ks);
    assert_oracle("cpu", ts, qs, ks, &cpu);
    if let Some(gpu) = gpu {
        let got = gpu.screen(ts, &views, ks).unwrap();
        assert_oracle("gpu", ts, qs, ks, &got);
    }
}

/// A random reference of `records` records of 1 to 3000 bases, with N runs
/// and low-complexity stretches.
fn random_reference(rng: &mut Rng, records: usize) -> ScreenReference {
    let records = (0..records)
        .map(|i| {
            let len = if rng.chance(0.85) {
                100 + rng.below(2900)
            } else {
                1 + rng.below(60)
            };
            let mut seq = rng.bases(len);
            for _ in 0..rng.below(3) {
                let run = 1 + rng.below(30);
                if len > run {
                    let at = rng.below(len - run);
                    seq[at..at + run].fill(b'N');
                }
            }
            if rng.chance(0.2) && len > 50 {
                let at = rng.below(len - 40);
                seq[at..at + 40].fill(b'A');
            }
            ScreenRecord {
                name: format!("r{i}"),
                seq,
            }
        })
        .collect();
    ScreenReference::from_records("random", records)
}

fn screen_equals_brute_force_on_lambda() {
    let Some(r) = shared_reference("lambda_NC_001416.fa.gz") else {
        return;
    };
    assert_eq!(r.records.len(), 1);
    let ts = TargetSet::from_screen(&r);
    let mut rng = Rng::new(1);
    let (qs, ks) = inserts(&mut rng, &ts, 500);
    check(&ts, &qs, &ks, gpu().as_ref());
    // the decoy is a reference like any other
    let decoy = TargetSet::from_screen(&r.reversed());
    let (qs, ks) = inserts(&mut rng, &decoy, 100);
    check(&decoy, &qs, &ks, None);
}

fn screen_equals_brute_force_on_random_references() {
    let gpu = gpu();
    let mut rng = Rng::new(2);
    for records in [1, 7, 60] {
        let ts = TargetSet::from_screen(&random_reference(&mut rng, records));
        let (qs, ks) = inserts(&mut rng, &ts, 400);
        check(&ts, &qs, &ks, gpu.as_ref());
    }
}

fn gpu_in_tiny_parts_and_batches_equals_cpu() {
    let Some(gpu) = gpu() else {
        return;
    };
    let gpu = gpu.with_max_binding(16 << 10).with_batch_size(700);
    let mut rng = Rng::new(3);
    let mut references = vec![random_reference(&mut rng, 40)];
    references.extend(shared_reference("lambda_NC_001416.fa.gz"));
    for r in &references {
        let ts = TargetSet::from_screen(r);
        let (qs, ks) = inserts(&mut rng, &ts, 2000);
        let views: Vec<&[u8]> = qs.iter().map(Vec::as_slice).collect();
        let cpu = screen_cpu(&ts, &views, &ks);
        let got = gpu.screen(&ts, &views, &ks).unwrap();
        assert!(got == cpu, "tiny parts and batches");
        // the brute force on a sample
        let sample: Vec<usize> = (0..qs.len()).step_by(10).collect();
        for &i in &sample {
            let params = AlignParams {
                max_mismatches: ks[i],
                max_nontemplated: 0,
            };
            assert_eq!(got.get(i), brute_force(&ts, &qs[i], &params).as_slice());
        }
    }
    // every 60-mer of lambda's sense strand (and the antisense one's, every
    // fifth): placements lying across every slice boundary
    if let Some(lambda) = references.get(1) {
        let ts = TargetSet::from_screen(lambda);
        let mut qs = Vec::new();
        for (t, step) in [(0, 1), (1, 5)] {
            let target = &ts.targets[t];
            let text = &ts.text[target.text_start..target.text_start + target.len];
            qs.extend(text.windows(60).step_by(step).map(<[u8]>::to_vec));
        }
        let views: Vec<&[u8]> = qs.iter().map(Vec::as_slice).collect();
        let ks = vec![0u8; views.len()];
        let cpu = screen_cpu(&ts, &views, &ks);
        let got = gpu.screen(&ts, &views, &ks).unwrap();
        assert!(got == cpu, "every 60-mer");
        assert!((0..cpu.len()).all(|i| !cpu.get(i).is_empty()));
    }
    assert!(gpu.reruns() > 0, "tiny queues must have been rerun");
    // an empty call and one insert
    let ts = TargetSet::from_screen(&references[0]);
    assert_eq!(gpu.screen(&ts, &[], &[]).unwrap().len(), 0);
    let t = ts
        .targets
        .iter()
        .find(|t| t.len >= 30)
        .expect("a long record");
    let q = ts.text[t.text_start..][..30].to_vec();
    let one = gpu.screen(&ts, &[&q], &[2]).unwrap();
    assert!(one == screen_cpu(&ts, &[&q], &[2]));
    // broken preconditions are errors, not panics
    assert!(gpu.screen(&ts, &[&q[..2]], &[2]).is_err());
}

fn gpu_equals_cpu_on_ecoli() {
    let Some(gpu) = gpu() else {
        return;
    };
    let Some(r) = shared_reference("ecoli_536_NC_008253.fa.gz") else {
        return;
    };
    let ts = TargetSet::from_screen(&r);
    let mut rng = Rng::new(4);
    // the workload's limits: k = 0 below 20 bases, 1 from 20, and 2 for
    // some of 36 or more (seeds of 12 bases: few random candidates)
    let (qs, mut ks) = inserts(&mut rng, &ts, 20_000);
    let qs: Vec<Vec<u8>> = qs.into_iter().filter(|q| q.len() >= 17).collect();
    ks.clear();
    ks.extend(qs.iter().map(|q| match q.len() {
        0..=19 => 0,
        36.. if rng.chance(0.3) => 2,
        _ => 1,
    }));
    let views: Vec<&[u8]> = qs.iter().map(Vec::as_slice).collect();
    let cpu = screen_cpu(&ts, &views, &ks);
    let got = gpu.screen(&ts, &views, &ks).unwrap();
    assert!(got == cpu, "E. coli");
    let with_hits = (0..cpu.len()).filter(|&i| !cpu.get(i).is_empty()).count();
    assert!(with_hits > qs.len() / 2, "{with_hits}");
}

fn main() {
    let tests: [(&str, fn()); 4] = [
        (
            "screen_equals_brute_force_on_lambda",
            screen_equals_brute_force_on_lambda,
        ),
        (
            "screen_equals_brute_force_on_random_references",
            screen_equals_brute_force_on_random_references,
        ),
        (
            "gpu_in_tiny_parts_and_batches_equals_cpu",
            gpu_in_tiny_parts_and_batches_equals_cpu,
        ),
        ("gpu_equals_cpu_on_ecoli", gpu_equals_cpu_on_ecoli),
    ];
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in tests {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let started = Instant::now();
        let ok = std::panic::catch_unwind(test).is_ok();
        println!(
            "test {name} ... {} ({:.1} s)",
            if ok { "ok" } else { "FAILED" },
            started.elapsed().as_secs_f64()
        );
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    println!();
    println!(
        "test result: {}. {passed} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out",
        if failed == 0 { "ok" } else { "FAILED" }
    );
    mirq::align::gpu::exit_after_gpu(if failed == 0 { 0 } else { 101 })
}

//! The GPU engine against the CPU engine as oracle (the coitrees pattern):
//! random inserts (0..64 bases, with N, every isomiR kind), random references,
//! edge sizes (0, 1, batch boundary ± 1, several batches), inserts at the
//! length limits (1 to 300 bases, around `MAX_INSERT_LEN`), slices aligned
//! one after the other with one prepared reference (as `mirq quant` does),
//! batches that overflow the initial buffers, and every record of miRBase 21
//! (all species) with workload inserts. Hits must be equal, and so must the
//! assignments made from them. Runs on any wgpu adapter; in CI that is Mesa's
//! lavapipe (software Vulkan).
//!
//! A small harness of its own (`harness = false`) runs the tests one after the
//! other and ends through `exit_after_gpu`, because lavapipe's LLVM can abort
//! at process exit (llvm-project#105547) after every test has passed.

mod common;

use std::time::Instant;

use mirq::align::cpu::CpuEngine;
use mirq::align::gpu::{GpuEngine, MAX_INSERT_LEN};
use mirq::align::{align_all, AlignParams, Engine, FlatHits, Hit, TargetSet};
use mirq::count::assign::assign;
use mirq::input::reference::{RefSeq, Reference};
use mirq::input::sim::{random_inserts as inserts, random_reference as reference};
use mirq::rng::Rng;
use mirq::seq::encode;

/// The GPU engine on the adapter wgpu prefers (`WGPU_BACKEND` narrows the
/// choice; the first one is named on stderr), or None outside CI when no
/// adapter exists (CI installs lavapipe, so there it must exist).
fn gpu() -> Option<GpuEngine> {
    match GpuEngine::new() {
        Ok(e) => {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                let a = e.adapter();
                eprintln!(
                    "gpu_oracle: GPU engine on {} ({}, {})",
                    a.name, a.backend, a.device_type
                );
            });
            Some(e)
        }
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipping GPU oracle test: {e}");
            None
        }
        Err(e) => panic!("CI must have a wgpu adapter (lavapipe): {e}"),
    }
}

/// Params with `mm` mismatches and `nt` non-templated bases.
fn params(mm: u8, nt: u8) -> AlignParams {
    AlignParams {
        max_mismatches: mm,
        max_nontemplated: nt,
    }
}

fn unflatten(flat: &FlatHits) -> Vec<Vec<Hit>> {
    (0..flat.len()).map(|i| flat.get(i).to_vec()).collect()
}

/// Asserts that the GPU's hits equal the CPU's insert by insert, and that
/// they make the same assignments and isomiR calls.
fn assert_same(
    ts: &TargetSet,
    qs: &[Vec<u8>],
    views: &[&[u8]],
    got: &[Vec<Hit>],
    want: &[Vec<Hit>],
    params: &AlignParams,
) {
    assert_eq!(got.len(), want.len(), "inserts returned, params {params:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(
            g,
            w,
            "insert {i} {} params {params:?}; brute force says {:?}",
            String::from_utf8_lossy(&qs[i]),
            mirq::align::brute_force(ts, views[i], params)
        );
        assert_eq!(assign(ts, views[i], g), assign(ts, views[i], w));
    }
}

/// One `Engine::align` call on each engine, compared; the hits.
fn compare(gpu: &GpuEngine, ts: &TargetSet, qs: &[Vec<u8>], params: &AlignParams) -> Vec<Vec<Hit>> {
    let codes: Vec<Vec<u8>> = qs.iter().map(|q| encode(q)).collect();
    let views: Vec<&[u8]> = codes.iter().map(Vec::as_slice).collect();
    let want = CpuEngine.align(ts, &views, params).unwrap();
    let got = gpu.align(ts, &views, params).unwrap();
    assert_same(ts, qs, &views, &got, &want, params);
    got
}

/// The reference prepared once on each engine, then the inserts aligned in
/// slices of the given sizes (the rest in one last slice), appended to one
/// `FlatHits` per engine, compared; the hits.
fn compare_in_slices(
    gpu: &GpuEngine,
    ts: &TargetSet,
    qs: &[Vec<u8>],
    params: &AlignParams,
    slices: &[usize],
) -> Vec<Vec<Hit>> {
    let codes: Vec<Vec<u8>> = qs.iter().map(|q| encode(q)).collect();
    let views: Vec<&[u8]> = codes.iter().map(Vec::as_slice).collect();
    let cpu = CpuEngine.prepare(ts, params).unwrap();
    let prepared = gpu.prepare(ts, params).unwrap();
    let (mut want, mut got) = (FlatHits::default(), FlatHits::default());
    let mut lo = 0;
    for &size in slices.iter().chain([&usize::MAX]) {
        let hi = lo + size.min(views.len() - lo);
        cpu.align_into(&views[lo..hi], &mut want).unwrap();
        prepared.align_into(&views[lo..hi], &mut got).unwrap();
        assert_eq!(got.len(), hi, "inserts aligned after slice {lo}..{hi}");
        lo = hi;
    }
    let got = unflatten(&got);
    assert_same(ts, qs, &views, &got, &unflatten(&want), params);
    got
}

fn gpu_hits_equal_cpu_hits_on_random_inputs() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(0x00C0_FFEE_1234_5678);
    for hairpins in [true, false] {
        let r = reference(&mut rng, hairpins, 40);
        let ts = TargetSet::build(&r, 3, 5);
        for mm in 0..=2u8 {
            for nt in [0u8, 3] {
                let qs = inserts(&mut rng, &r, 300);
                compare(&gpu, &ts, &qs, &params(mm, nt));
            }
        }
    }
}

fn gpu_handles_edge_sizes_and_batch_boundaries() {
    let Some(gpu) = gpu() else { return };
    let gpu = gpu.with_batch_size(64);
    let mut rng = Rng::new(0x000B_ADC0_DE42);
    let r = reference(&mut rng, true, 25);
    let ts = TargetSet::build(&r, 3, 5);
    let params = AlignParams::default();
    for n in [0usize, 1, 63, 64, 65, 200] {
        let qs = inserts(&mut rng, &r, n);
        compare(&gpu, &ts, &qs, &params);
    }
    // an empty reference: no hits at all
    let empty = TargetSet::build(&Reference::from_sequences("xyz", vec![], vec![]), 3, 5);
    compare(&gpu, &empty, &inserts(&mut rng, &r, 10), &params);
}

/// Pieces of `source` at every length of `lens` (clipped to it), exact, with
/// one or two substitutions, with an N, and with a 3' A tail; `source` must
/// be at least as long as the longest length asked.
fn cuts(rng: &mut Rng, source: &[u8], lens: &[usize]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for &len in lens {
        let start = rng.below(source.len() - len + 1);
        let exact = source[start..start + len].to_vec();
        out.push(exact.clone());
        if len == 0 {
            continue;
        }
        for (subs, n) in [(1, false), (2, false), (0, true), (1, true)] {
            let mut s = exact.clone();
            for _ in 0..subs {
                let p = rng.below(len);
                s[p] = if s[p] == b'A' { b'C' } else { b'A' };
            }
            if n {
                s[rng.below(len)] = b'N';
            }
            out.push(s);
        }
        let mut tailed = exact[..len.saturating_sub(2)].to_vec();
        tailed.extend_from_slice(b"AA");
        out.push(tailed);
    }
    out
}

fn gpu_handles_n_and_the_length_limits() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(0x0001_1E46_7415);
    let r = reference(&mut rng, true, 30);
    // a hairpin longer than the longest insert, with a mature inside
    let long = rng.bases(420);
    let (mut matures, mut hairpins) = (r.matures.clone(), r.hairpins.clone());
    matures.push(RefSeq {
        name: "xyz-miR-long".into(),
        seq: long[200..222].to_vec(),
    });
    hairpins.push(RefSeq {
        name: "xyz-mir-long".into(),
        seq: long.clone(),
    });
    let r = Reference::from_sequences("xyz", matures, hairpins);
    let ts = TargetSet::build(&r, 3, 5);
    let lens = [
        0,
        1,
        2,
        3,
        15,
        16,
        40,
        MAX_INSERT_LEN - 1,
        MAX_INSERT_LEN,
        MAX_INSERT_LEN + 1,
        300,
    ];
    let mut qs = cuts(&mut rng, &long, &lens);
    // the same lengths from a mature's hairpin (up to its length) and
    // unrelated
    qs.extend(cuts(&mut rng, &r.hairpins[3].seq, &lens[..6]));
    for len in lens {
        qs.push(rng.bases(len));
    }
    // N everywhere: alone, all N, at either end, two of them, in the tail
    let m = r.matures[5].seq.clone();
    let with_n = |positions: &[usize]| {
        let mut s = m.clone();
        for &p in positions {
            s[p] = b'N';
        }
        s
    };
    qs.push(b"N".to_vec());
    qs.push(vec![b'N'; 22]);
    qs.push(vec![b'N'; 300]);
    qs.push(with_n(&[0]));
    qs.push(with_n(&[m.len() - 1]));
    qs.push(with_n(&[3, 12]));
    qs.push(with_n(&[0, 7, 14]));
    let mut tail_n = m.clone();
    tail_n.extend_from_slice(b"AN");
    qs.push(tail_n);
    assert!(qs.iter().any(|q| q.len() > MAX_INSERT_LEN));
    for mm in 0..=2u8 {
        for nt in [0u8, 3] {
            let hits = compare(&gpu, &ts, &qs, &params(mm, nt));
            // not a comparison of empty lists: exact cuts are placed
            for (q, h) in qs.iter().zip(&hits) {
                if !q.is_empty() && long.windows(q.len()).any(|w| w == &q[..]) {
                    assert!(!h.is_empty(), "exact cut of {} bases unplaced", q.len());
                }
            }
        }
    }
    // the same inserts across many small batches, and no inserts at all
    let gpu = gpu.with_batch_size(7);
    compare(&gpu, &ts, &qs, &params(2, 3));
    compare(&gpu, &ts, &[], &params(1, 3));
    compare_in_slices(&gpu, &ts, &qs, &params(1, 3), &[0, 5, 0, 20]);
}

fn gpu_aligns_slices_with_one_prepared_reference() {
    let Some(gpu) = gpu() else { return };
    let gpu = gpu.with_batch_size(300);
    let mut rng = Rng::new(0x5_11CE_5EED);
    let r = reference(&mut rng, true, 40);
    let ts = TargetSet::build(&r, 3, 5);
    let qs = inserts(&mut rng, &r, 2500);
    for mm in 0..=2u8 {
        compare_in_slices(&gpu, &ts, &qs, &params(mm, 3), &[0, 1, 299, 700, 0, 1]);
    }
    // `mirq quant`'s path: align_all encodes and aligns slice after slice
    let p = params(1, 3);
    let prepared = gpu.prepare(&ts, &p).unwrap();
    let got = align_all(&*prepared, qs.len(), |i| &qs[i][..], 512).unwrap();
    let cpu = CpuEngine.prepare(&ts, &p).unwrap();
    let want = align_all(&*cpu, qs.len(), |i| &qs[i][..], 512).unwrap();
    assert_eq!(got.len(), qs.len());
    assert!(got == want, "align_all differs between the engines");
}

fn gpu_overflowing_buffers_are_rerun() {
    let Some(gpu) = gpu() else { return };
    // A batch of one short repetitive insert against a long repetitive
    // hairpin: it hits every other offset, far more hits (and seed
    // occurrences) than the first buffers hold (4 hits per insert, at least
    // 256).
    let gpu = gpu.with_batch_size(1);
    let r = Reference::from_sequences(
        "xyz",
        vec![],
        vec![RefSeq {
            name: "xyz-mir-ac".into(),
            seq: b"AC".repeat(3000),
        }],
    );
    let ts = TargetSet::build(&r, 3, 5);
    for (insert, mm) in [
        (&b"ACACACACACACACACACAC"[..], 0u8),
        (b"CACACACACACACACACAGA", 2),
    ] {
        let p = params(mm, 3);
        let qs = vec![insert.to_vec()];
        let cpu_hits = CpuEngine.align(&ts, &[&encode(insert)[..]], &p).unwrap();
        let found = cpu_hits[0].len();
        assert!(
            found > 10 * 256,
            "{found} CPU hits: too few to overflow the GPU's first buffers"
        );
        let before = gpu.reruns();
        compare(&gpu, &ts, &qs, &p);
        assert!(
            gpu.reruns() > before,
            "{found} hits of one insert did not make the GPU rerun its batch"
        );
    }
}

/// Every record of miRBase 21 (28,645 hairpins and 35,828 matures of 223
/// species in one reference), a few thousand workload inserts, mismatches
/// 0, 1 and 2: prepared once per setting, aligned in slices.
fn gpu_equals_cpu_on_all_species_mirbase() {
    let Some(shared) = common::shared() else {
        return;
    };
    let Some(gpu) = gpu() else { return };
    let dir = shared.join("data/mirbase");
    let started = Instant::now();
    let r = Reference::load_all(
        &dir.join("mature_v21.fa.gz"),
        Some(&dir.join("hairpin_v21.fa")),
    )
    .unwrap();
    assert_eq!((r.matures.len(), r.hairpins.len()), (35_828, 28_645));
    let ts = TargetSet::build(&r, 3, 5);
    let mut qs = mirq::input::sim::workload(&r, 3000, mirq::cmd::bench::DEFAULT_SEED);
    // and the longest hairpins cut at the length limits
    let mut rng = Rng::new(0xA11_5BEC1E5);
    let longest = r.hairpins.iter().max_by_key(|h| h.seq.len()).unwrap();
    qs.extend(cuts(
        &mut rng,
        &longest.seq,
        &[1, 3, 16, 40, 254, 255, 256, 300],
    ));
    eprintln!(
        "all-species reference: {} targets, loaded in {:.1} s",
        ts.targets.len(),
        started.elapsed().as_secs_f64()
    );
    for mm in 0..=2u8 {
        let t = Instant::now();
        let hits = compare_in_slices(&gpu, &ts, &qs, &params(mm, 3), &[1000, 0, 1000]);
        let placed = hits.iter().filter(|h| !h.is_empty()).count();
        eprintln!(
            "  mismatches {mm}: {} inserts compared in {:.1} s, {placed} placed",
            qs.len(),
            t.elapsed().as_secs_f64()
        );
        assert!(placed > qs.len() / 2, "{placed} of {} placed", qs.len());
    }
}

fn main() {
    let tests: [(&str, fn()); 6] = [
        (
            "gpu_hits_equal_cpu_hits_on_random_inputs",
            gpu_hits_equal_cpu_hits_on_random_inputs,
        ),
        (
            "gpu_handles_edge_sizes_and_batch_boundaries",
            gpu_handles_edge_sizes_and_batch_boundaries,
        ),
        (
            "gpu_handles_n_and_the_length_limits",
            gpu_handles_n_and_the_length_limits,
        ),
        (
            "gpu_aligns_slices_with_one_prepared_reference",
            gpu_aligns_slices_with_one_prepared_reference,
        ),
        (
            "gpu_overflowing_buffers_are_rerun",
            gpu_overflowing_buffers_are_rerun,
        ),
        (
            "gpu_equals_cpu_on_all_species_mirbase",
            gpu_equals_cpu_on_all_species_mirbase,
        ),
    ];
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let mut failed = 0;
    let mut passed = 0;
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

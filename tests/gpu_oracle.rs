//! The GPU engine against the CPU engine as oracle (the coitrees pattern):
//! random inserts (0..64 bases, with N, every isomiR kind), random references,
//! and edge sizes (0, 1, batch boundary ± 1, several batches). Runs on any
//! wgpu adapter; in CI that is Mesa's lavapipe (software Vulkan).
//!
//! A small harness of its own (`harness = false`) runs the tests one after the
//! other and ends through `exit_after_gpu`, because lavapipe's LLVM can abort
//! at process exit (llvm-project#105547) after every test has passed.

use mirq::align::cpu::CpuEngine;
use mirq::align::gpu::GpuEngine;
use mirq::align::{AlignParams, Engine, TargetSet};
use mirq::assign::assign;
use mirq::reference::{RefSeq, Reference};
use mirq::seq::encode;

/// The GPU engine, or None outside CI when no adapter exists (CI installs
/// lavapipe, so there it must exist).
fn gpu() -> Option<GpuEngine> {
    match GpuEngine::new() {
        Ok(e) => Some(e),
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipping GPU oracle test: {e}");
            None
        }
        Err(e) => panic!("CI must have a wgpu adapter (lavapipe): {e}"),
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn seq(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| b"ACGT"[self.below(4)]).collect()
    }
}

fn reference(rng: &mut Rng, hairpins: bool, n: usize) -> Reference {
    let mut matures = Vec::new();
    let mut hps = Vec::new();
    for i in 0..n {
        let len = 18 + rng.below(8);
        let m = rng.seq(len);
        // a mature right at the hairpin start or end now and then (edge windows)
        let f5 = if i % 5 == 0 { 0 } else { rng.below(15) };
        let f3 = if i % 7 == 0 { 1 } else { 10 + rng.below(40) };
        let mut h = rng.seq(f5);
        h.extend_from_slice(&m);
        let tail = rng.seq(f3);
        h.extend(tail);
        if i % 11 == 0 {
            h[rng.below(len)] = b'N';
        }
        matures.push(RefSeq {
            name: format!("xyz-miR-{i}"),
            seq: m,
        });
        hps.push(RefSeq {
            name: format!("xyz-mir-{i}"),
            seq: h,
        });
    }
    // a family member one base off, and a mature in two hairpins
    let mut fam = matures[0].seq.clone();
    fam[9] = if fam[9] == b'A' { b'C' } else { b'A' };
    matures.push(RefSeq {
        name: "xyz-miR-fam".into(),
        seq: fam,
    });
    let mut twin = b"GG".to_vec();
    twin.extend_from_slice(&matures[1].seq);
    twin.extend_from_slice(b"TTTTTTTTTTTT");
    hps.push(RefSeq {
        name: "xyz-mir-twin".into(),
        seq: twin,
    });
    if !hairpins {
        hps.clear();
    }
    Reference::from_sequences("xyz", matures, hps)
}

/// Inserts of every kind: exact matures, 5' shifts both ways, 3' trims and
/// templated extensions, A/U tails, substitutions, N, random junk, lengths
/// 0..64.
fn inserts(rng: &mut Rng, r: &Reference, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            if i % 9 == 0 {
                let len = rng.below(65);
                return rng.seq(len);
            }
            let source = if !r.hairpins.is_empty() && i % 3 == 0 {
                &r.hairpins[rng.below(r.hairpins.len())].seq
            } else {
                &r.matures[rng.below(r.matures.len())].seq
            };
            let start = rng.below(source.len().min(12));
            let len = (14 + rng.below(14)).min(source.len() - start);
            let mut s = source[start..start + len].to_vec();
            let tail = rng.below(4);
            for _ in 0..tail {
                s.push(b"AAT"[rng.below(3)]);
            }
            for _ in 0..rng.below(3) {
                let p = rng.below(s.len());
                s[p] = b"ACGTN"[rng.below(5)];
            }
            if i % 13 == 0 {
                let k = 1 + rng.below(2);
                let extra = rng.seq(k);
                s.splice(0..0, extra);
            }
            s.truncate(64);
            s
        })
        .collect()
}

fn compare(gpu: &GpuEngine, ts: &TargetSet, qs: &[Vec<u8>], params: &AlignParams) {
    let codes: Vec<Vec<u8>> = qs.iter().map(|q| encode(q)).collect();
    let views: Vec<&[u8]> = codes.iter().map(Vec::as_slice).collect();
    let want = CpuEngine.align(ts, &views, params).unwrap();
    let got = gpu.align(ts, &views, params).unwrap();
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        // the same hits make the same assignments and isomiR calls
        assert_eq!(assign(ts, views[i], g), assign(ts, views[i], w));
        assert_eq!(
            g,
            w,
            "insert {i} {} params {params:?}; brute force says {:?}",
            String::from_utf8_lossy(&qs[i]),
            mirq::align::brute_force(ts, views[i], params)
        );
    }
}

fn gpu_hits_equal_cpu_hits_on_random_inputs() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng(0x00C0_FFEE_1234_5678);
    for hairpins in [true, false] {
        let r = reference(&mut rng, hairpins, 40);
        let ts = TargetSet::build(&r, 3, 5);
        for mm in 0..=2u8 {
            for nt in [0u8, 3] {
                let params = AlignParams {
                    max_mismatches: mm,
                    max_nontemplated: nt,
                };
                let qs = inserts(&mut rng, &r, 300);
                compare(&gpu, &ts, &qs, &params);
            }
        }
    }
}

fn gpu_handles_edge_sizes_and_batch_boundaries() {
    let Some(gpu) = gpu() else { return };
    let gpu = gpu.with_batch_size(64);
    let mut rng = Rng(0x000B_ADC0_DE42);
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

fn gpu_overflowing_hit_buffer_is_retried() {
    let Some(gpu) = gpu() else { return };
    // one short insert matching almost everywhere: far more hits than the
    // initial buffer (4 per insert) holds
    let r = Reference::from_sequences(
        "xyz",
        vec![],
        vec![RefSeq {
            name: "xyz-mir-a".into(),
            seq: b"ACACACACACACACACACACACACACACACACACACACACACACAC".to_vec(),
        }],
    );
    let ts = TargetSet::build(&r, 3, 5);
    let params = AlignParams {
        max_mismatches: 2,
        max_nontemplated: 3,
    };
    compare(
        &gpu,
        &ts,
        &[b"ACAC".to_vec(), b"CACA".to_vec(), b"ACGT".to_vec()],
        &params,
    );
}

fn main() {
    let tests: [(&str, fn()); 3] = [
        (
            "gpu_hits_equal_cpu_hits_on_random_inputs",
            gpu_hits_equal_cpu_hits_on_random_inputs,
        ),
        (
            "gpu_handles_edge_sizes_and_batch_boundaries",
            gpu_handles_edge_sizes_and_batch_boundaries,
        ),
        (
            "gpu_overflowing_hit_buffer_is_retried",
            gpu_overflowing_hit_buffer_is_retried,
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
        let ok = std::panic::catch_unwind(test).is_ok();
        println!("test {name} ... {}", if ok { "ok" } else { "FAILED" });
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

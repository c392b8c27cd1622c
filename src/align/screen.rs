//! The genome screen on the CPU: best end-to-end hits of inserts on a large
//! reference without pads (both strands).
//!
//! TEMPORARY: the CPU engine's seed index per mismatch limit; replaced by
//! the scan of the screen branch.

use super::cpu::CpuEngine;
use super::{AlignParams, Engine, FlatHits, TargetSet};

/// Best end-to-end hits of each insert (base codes), in input order: for
/// insert i, `brute_force(ts, inserts[i], {mismatches[i], 0})`.
pub fn screen_cpu(ts: &TargetSet, inserts: &[&[u8]], mismatches: &[u8]) -> FlatHits {
    let mut per: Vec<Vec<crate::align::Hit>> = vec![Vec::new(); inserts.len()];
    for k in 0..=2u8 {
        let ids: Vec<usize> = (0..inserts.len()).filter(|&i| mismatches[i] == k).collect();
        if ids.is_empty() {
            continue;
        }
        let params = AlignParams {
            max_mismatches: k,
            max_nontemplated: 0,
        };
        let qs: Vec<&[u8]> = ids.iter().map(|&i| inserts[i]).collect();
        let found = CpuEngine.align(ts, &qs, &params).expect("cpu");
        for (i, h) in ids.into_iter().zip(found) {
            per[i] = h;
        }
    }
    let mut out = FlatHits::default();
    for h in &per {
        out.push(h);
    }
    out
}

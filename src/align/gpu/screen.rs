//! TEMPORARY: the genome screen on the GPU through the seed-index kernels;
//! replaced by the scan kernel of the screen branch.

use super::GpuEngine;
use crate::align::{AlignParams, Engine, FlatHits, TargetSet};
use crate::error::Result;

impl GpuEngine {
    /// Best end-to-end hits of each insert, as [`crate::align::screen::screen_cpu`].
    pub fn screen(&self, ts: &TargetSet, inserts: &[&[u8]], mismatches: &[u8]) -> Result<FlatHits> {
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
            let found = self.align(ts, &qs, &params)?;
            for (i, h) in ids.into_iter().zip(found) {
                per[i] = h;
            }
        }
        let mut out = FlatHits::default();
        for h in &per {
            out.push(h);
        }
        Ok(out)
    }
}

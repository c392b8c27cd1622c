//! Exact end-to-end placements of inserts in the mature windows of a large
//! miRNA reference (all other species of miRBase: about 3M positions):
//! what the exogenous stage asks for (no mismatch, no non-templated base,
//! on real bases). Instead of a seed index of every position, only the
//! positions a hit may start at (within `window_5p` of a mature start) are
//! keyed by their first [`KEY`] bases; each insert looks its own first
//! bases up and is compared base by base.

use rayon::prelude::*;

use super::{FlatHits, Hit, TargetSet};
use crate::seq::N;

/// Bases of the key: inserts shorter than this find nothing.
pub const KEY: usize = 16;

/// Possible hit starts near mature starts, sorted by the code of their
/// first [`KEY`] bases.
pub struct WindowStarts<'a> {
    ts: &'a TargetSet,
    /// (key, target, start), sorted.
    starts: Vec<(u32, u32, u32)>,
}

/// 2-bit code of `KEY` bases (none of them N), or None.
fn key_of(codes: &[u8]) -> Option<u32> {
    codes[..KEY]
        .iter()
        .try_fold(0u32, |k, &b| (b < N).then_some(k << 2 | b as u32))
}

impl<'a> WindowStarts<'a> {
    /// Keys every real position within `window_5p` of a mature start that
    /// has `KEY` real bases after it.
    pub fn build(ts: &'a TargetSet) -> Self {
        let w5 = ts.window_5p as i32;
        let mut starts: Vec<(u32, u32, u32)> = (0..ts.targets.len())
            .into_par_iter()
            .flat_map_iter(|t| {
                let target = &ts.targets[t];
                let seq = &ts.text[target.text_start..target.text_start + target.len];
                let mut out: Vec<(u32, u32, u32)> = Vec::new();
                for w in ts.target_windows(t) {
                    let lo = (w.start - w5).max(0);
                    let hi = (w.start + w5).min(target.len as i32 - KEY as i32);
                    for start in lo..=hi {
                        let at = start as usize;
                        if let Some(k) = key_of(&seq[at..]) {
                            out.push((k, t as u32, at as u32));
                        }
                    }
                }
                out
            })
            .collect();
        starts.par_sort_unstable();
        starts.dedup();
        Self { ts, starts }
    }

    /// Every insert's (base codes) exact placements on real bases that lie
    /// in a mature window (5' end within `window_5p` of its start, 3' end
    /// within `window_3p` of its end), sorted by (target, offset).
    pub fn align(&self, inserts: &[&[u8]]) -> FlatHits {
        let found: Vec<Vec<Hit>> = inserts.par_iter().map(|q| self.place(q)).collect();
        let mut out = FlatHits::default();
        for hits in &found {
            out.push(hits);
        }
        out
    }

    fn place(&self, q: &[u8]) -> Vec<Hit> {
        let ts = self.ts;
        let Some(key) = (q.len() >= KEY).then(|| key_of(q)).flatten() else {
            return Vec::new();
        };
        let lo = self.starts.partition_point(|e| e.0 < key);
        let hi = lo + self.starts[lo..].partition_point(|e| e.0 == key);
        let mut hits = Vec::new();
        for &(_, t, start) in &self.starts[lo..hi] {
            let target = &ts.targets[t as usize];
            let (start, end) = (start as usize, start as usize + q.len());
            if end > target.len {
                continue;
            }
            let text = &ts.text[target.text_start + start..target.text_start + end];
            if text != q || !ts.in_any_window(t as usize, start as i32, end as i32) {
                continue;
            }
            hits.push(Hit {
                target: t,
                offset: start as i32,
                templated: q.len() as u16,
                nontemplated: 0,
                mismatches: 0,
                wildcards: 0,
            });
        }
        hits.sort_unstable();
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::{brute_force, AlignParams};
    use crate::input::reference::{RefSeq, Reference};
    use crate::seq::encode;

    /// The placements are brute force's exact in-window hits on real bases.
    #[test]
    fn exact_window_hits_equal_brute_force_filtered() {
        let mut rng = crate::rng::Rng::new(21);
        let mut matures = Vec::new();
        let mut hairpins = Vec::new();
        for i in 0..40 {
            let (lm, l5, l3) = (18 + rng.below(6), rng.below(8), 10 + rng.below(20));
            let m = rng.bases(lm);
            let mut h = rng.bases(l5);
            h.extend_from_slice(&m);
            h.extend(rng.bases(l3));
            matures.push(RefSeq::new(&format!("xyz-miR-{i}"), &m));
            hairpins.push(RefSeq::new(&format!("xyz-mir-{i}"), &h));
        }
        // a mature in no hairpin: aligned on its own, windows reach pads
        matures.push(RefSeq::new("xyz-miR-alone", rng.bases(22)));
        let r = Reference::from_sequences("xyz", matures, hairpins);
        let ts = TargetSet::build(&r, 3, 5);
        let index = WindowStarts::build(&ts);
        let exact = AlignParams {
            max_mismatches: 0,
            max_nontemplated: 0,
        };
        let mut checked = 0;
        for i in 0..2000 {
            let h = &r.hairpins[i % r.hairpins.len()].seq;
            let from = rng.below(h.len().saturating_sub(16).max(1));
            let len = (16 + rng.below(12)).min(h.len() - from);
            let mut q = h[from..from + len].to_vec();
            if i % 7 == 0 {
                q = r.matures[r.matures.len() - 1].seq.clone();
                let keep = 16 + rng.below(7);
                q.truncate(keep);
            }
            let codes = encode(&q);
            let want: Vec<Hit> = brute_force(&ts, &codes, &exact)
                .into_iter()
                .filter(|h| {
                    h.rank() == (0, 0) && ts.in_any_window(h.target as usize, h.offset, h.end())
                })
                .collect();
            checked += usize::from(!want.is_empty());
            assert_eq!(index.place(&codes), want, "{}", String::from_utf8_lossy(&q));
        }
        assert!(checked > 100, "{checked}");
    }
}

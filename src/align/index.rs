//! Exact seed lookup over all target positions: every position keeps the
//! 2-bit packed code of the (up to) 32 real bases that follow it, sorted, so
//! that a seed of any length up to 32 is found by two binary searches.

use super::TargetSet;
use crate::seq::N;

/// Longest seed the index answers.
pub const MAX_SEED: usize = 32;

#[derive(Debug, Clone, Copy)]
struct Entry {
    key: u64,
    target: u32,
    pos: u32,
    valid: u8,
}

/// Sorted k-mer prefixes of every target position.
#[derive(Debug, Clone, Default)]
pub struct SeedIndex {
    entries: Vec<Entry>,
}

impl SeedIndex {
    /// Indexes every real position of every target.
    pub fn build(ts: &TargetSet) -> Self {
        let mut entries = Vec::with_capacity(ts.text.len());
        for (t, target) in ts.targets.iter().enumerate() {
            let seq = &ts.text[target.text_start..target.text_start + target.len];
            for pos in 0..seq.len() {
                let mut key = 0u64;
                let mut valid = 0usize;
                while valid < MAX_SEED && pos + valid < seq.len() && seq[pos + valid] < N {
                    key |= (seq[pos + valid] as u64) << (62 - 2 * valid);
                    valid += 1;
                }
                if valid > 0 {
                    entries.push(Entry {
                        key,
                        target: t as u32,
                        pos: pos as u32,
                        valid: valid as u8,
                    });
                }
            }
        }
        entries.sort_unstable_by_key(|e| (e.key, e.target, e.pos));
        Self { entries }
    }

    /// Indexed positions.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no position is indexed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Calls `visit(target, position)` for every exact occurrence of `seed`
    /// (base codes, all below N, 1 to 32 long). Seeds with an N find nothing.
    pub fn for_each_occurrence(&self, seed: &[u8], mut visit: impl FnMut(u32, i32)) {
        let s = seed.len();
        if s == 0 || s > MAX_SEED || seed.iter().any(|&c| c >= N) {
            return;
        }
        let shift = 64 - 2 * s as u32;
        let mut code = 0u64;
        for &c in seed {
            code = (code << 2) | c as u64;
        }
        let lo = self.entries.partition_point(|e| (e.key >> shift) < code);
        let hi = lo + self.entries[lo..].partition_point(|e| (e.key >> shift) <= code);
        for e in &self.entries[lo..hi] {
            if e.valid as usize >= s {
                visit(e.target, e.pos as i32);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::{RefSeq, Reference};
    use crate::seq::encode;

    #[test]
    fn seeds_are_found_at_every_occurrence_and_not_across_n() {
        let r = Reference::from_sequences(
            "hsa",
            vec![],
            vec![
                RefSeq {
                    name: "hsa-mir-a".into(),
                    seq: b"ACGTACGTNACG".to_vec(),
                },
                RefSeq {
                    name: "hsa-mir-b".into(),
                    seq: b"TTACGT".to_vec(),
                },
            ],
        );
        let ts = TargetSet::build(&r, 3, 5);
        let idx = SeedIndex::build(&ts);
        let mut found = Vec::new();
        idx.for_each_occurrence(&encode(b"ACG"), |t, p| found.push((t, p)));
        found.sort();
        assert_eq!(found, vec![(0, 0), (0, 4), (0, 9), (1, 2)]);
        let mut across = 0;
        idx.for_each_occurrence(&encode(b"GTNA"), |_, _| across += 1);
        idx.for_each_occurrence(&encode(b"CGTACGTAC"), |_, _| across += 1);
        assert_eq!(across, 0);
    }
}

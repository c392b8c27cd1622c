//! Exact seed lookup over all target positions: every position keeps the
//! 2-bit packed code of the (up to) 32 real bases that follow it, sorted. The
//! first [`BUCKET_BASES`] bases of a key name its bucket; a bitmap of the
//! buckets that hold entries turns most absent seeds away, and a table of
//! offsets per group of 64 buckets narrows a lookup to the groups its
//! buckets lie in, where two binary searches find the seed's entries. Both
//! tables together are 192 KiB (the GPU engine reads a 4 MiB table of every
//! bucket's offset instead, [`SeedIndex::buckets`]).

use super::TargetSet;
use crate::seq::N;

/// Longest seed the index answers.
pub const MAX_SEED: usize = 32;

/// Bases of the key prefix that selects a bucket (4^10 buckets).
pub const BUCKET_BASES: usize = 10;

/// Shift that leaves a key's bucket (its first [`BUCKET_BASES`] bases).
const BUCKET_SHIFT: u32 = 64 - 2 * BUCKET_BASES as u32;

/// One indexed position: the 2-bit codes of the (up to) 32 real bases from
/// it, most significant first, its target, and its position and number of
/// real bases (`pos << VALID_BITS | valid`). 16 bytes, laid out as the GPU
/// kernel reads it (`vec4<u32>`: key low word, key high word, target,
/// position and valid bases).
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Entry {
    /// Packed bases.
    pub key: u64,
    /// Target index, and a tag in the top bits (see [`Entry::tag`]).
    pub target: u32,
    /// `pos << VALID_BITS | valid`.
    pub pos_valid: u32,
}

/// Bits of [`Entry::pos_valid`] that hold the number of real bases.
pub const VALID_BITS: u32 = 6;

/// Bits of [`Entry::target`] that hold the target index; the bits above
/// hold the entry's tag (see [`SeedIndex::build_windows`]).
pub const TARGET_MASK: u32 = (1 << TAG_SHIFT) - 1;

/// Shift of an entry's tag in [`Entry::target`].
pub const TAG_SHIFT: u32 = 24;

/// Largest tag: a distance this large or larger.
pub const MAX_TAG: u32 = 255;

impl Entry {
    /// Target index.
    #[inline]
    pub fn target(&self) -> u32 {
        self.target & TARGET_MASK
    }

    /// Tag: the distance from the window start in a window index, else 0.
    #[inline]
    pub fn tag(&self) -> u32 {
        self.target >> TAG_SHIFT
    }

    /// Position in the target.
    #[inline]
    pub fn pos(&self) -> u32 {
        self.pos_valid >> VALID_BITS
    }

    /// Real bases the key holds (1..=32).
    #[inline]
    pub fn valid(&self) -> usize {
        (self.pos_valid & ((1 << VALID_BITS) - 1)) as usize
    }
}

/// Sorted k-mer prefixes of every target position.
#[derive(Debug, Clone, Default)]
pub struct SeedIndex {
    entries: Vec<Entry>,
    /// One bit per bucket (the entries whose key starts with the bucket's
    /// [`BUCKET_BASES`] bases), set when it holds an entry. A position
    /// followed by fewer real bases has its missing bases as zeros (A) in
    /// its key, which is also where the sort put it. Empty when `entries`
    /// is.
    occupied: Box<[u64]>,
    /// `4^BUCKET_BASES / GROUP + 1` offsets into `entries`: group `g` (the
    /// buckets `g * GROUP..(g + 1) * GROUP`) starts at `group_starts[g]`.
    /// With `occupied`, 192 KiB read per seed, where a table of every
    /// bucket's offset (4 MiB) missed the caches far more often.
    group_starts: Box<[u32]>,
}

/// Buckets per group of [`SeedIndex::group_starts`]: one word of
/// [`SeedIndex::occupied`].
const GROUP: usize = 64;

/// Buckets of the index: `4^BUCKET_BASES`.
const BUCKETS: usize = 1 << (2 * BUCKET_BASES);

impl SeedIndex {
    /// Indexes every real position of every target. Each target's keys are
    /// rolled from its 3' end (a position's key is its base, then the next
    /// position's key less its last base), the targets in parallel.
    pub fn build(ts: &TargetSet) -> Self {
        use rayon::prelude::*;
        assert!(
            ts.targets.len() <= TARGET_MASK as usize,
            "over 2^24 targets"
        );
        let per_target: Vec<Vec<Entry>> = ts
            .targets
            .par_iter()
            .enumerate()
            .map(|(t, target)| {
                let seq = &ts.text[target.text_start..target.text_start + target.len];
                assert!(seq.len() < 1 << (32 - VALID_BITS), "target over 2^26 bases");
                let mut out = Vec::with_capacity(seq.len());
                let (mut key, mut valid) = (0u64, 0usize);
                for pos in (0..seq.len()).rev() {
                    if seq[pos] >= N {
                        (key, valid) = (0, 0);
                        continue;
                    }
                    key = (seq[pos] as u64) << 62 | key >> 2;
                    valid = (valid + 1).min(MAX_SEED);
                    out.push(Entry {
                        key,
                        target: t as u32,
                        pos_valid: (pos as u32) << VALID_BITS | valid as u32,
                    });
                }
                out
            })
            .collect();
        Self::from_entries(per_target.concat())
    }

    /// Indexes the neighbourhood of each window: the positions from its start
    /// to `window_3p` past its end (inside the target), tagged with their
    /// distance from the window start ([`MAX_TAG`] for that or more). A
    /// position near two windows is indexed once for each.
    pub fn build_windows(ts: &TargetSet, windows: &[(u32, super::Window)]) -> Self {
        let w3 = ts.window_3p as i32;
        let positions = windows.iter().flat_map(|&(t, w)| {
            let len = ts.targets[t as usize].len as i32;
            let (lo, hi) = (w.start.max(0), (w.end + w3).min(len));
            (lo..hi).map(move |pos| {
                let tag = (pos - w.start).min(MAX_TAG as i32) as u32;
                (t as usize, pos as usize, tag)
            })
        });
        Self::build_from(ts, positions)
    }

    /// Indexes the given (target, position, tag) triples (real positions).
    fn build_from(ts: &TargetSet, positions: impl Iterator<Item = (usize, usize, u32)>) -> Self {
        assert!(
            ts.targets.len() <= TARGET_MASK as usize,
            "over 2^24 targets"
        );
        let mut entries = Vec::new();
        for (t, pos, tag) in positions {
            let target = &ts.targets[t];
            let seq = &ts.text[target.text_start..target.text_start + target.len];
            let mut key = 0u64;
            let mut valid = 0usize;
            while valid < MAX_SEED && pos + valid < seq.len() && seq[pos + valid] < N {
                key |= (seq[pos + valid] as u64) << (62 - 2 * valid);
                valid += 1;
            }
            if valid > 0 {
                assert!(pos < 1 << (32 - VALID_BITS), "target over 2^26 bases");
                entries.push(Entry {
                    key,
                    target: t as u32 | tag << TAG_SHIFT,
                    pos_valid: (pos as u32) << VALID_BITS | valid as u32,
                });
            }
        }
        Self::from_entries(entries)
    }

    /// Sorts entries into an index.
    fn from_entries(mut entries: Vec<Entry>) -> Self {
        use rayon::slice::ParallelSliceMut;
        entries.par_sort_unstable_by_key(|e| (e.key, e.target, e.pos_valid));
        assert!(
            entries.len() <= u32::MAX as usize,
            "seed index over 2^32 positions"
        );
        let (mut occupied, mut group_starts) = (Vec::new(), Vec::new());
        if !entries.is_empty() {
            occupied = crate::runtime::written_zeros::<u64>(BUCKETS / GROUP);
            group_starts = crate::runtime::written_zeros::<u32>(BUCKETS / GROUP + 1);
            // Count per group, then prefix sums: group_starts[g] = first
            // entry of g.
            for e in &entries {
                let b = (e.key >> BUCKET_SHIFT) as usize;
                occupied[b / GROUP] |= 1 << (b % GROUP);
                group_starts[b / GROUP + 1] += 1;
            }
            for g in 1..group_starts.len() {
                group_starts[g] += group_starts[g - 1];
            }
        }
        Self {
            entries,
            occupied: occupied.into_boxed_slice(),
            group_starts: group_starts.into_boxed_slice(),
        }
    }

    /// Indexed positions.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no position is indexed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The sorted entries (uploaded as they are by the GPU engine).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// `4^BUCKET_BASES + 1` offsets into [`Self::entries`]: bucket `b`
    /// holds the entries whose key starts with the bases of `b`, from
    /// offset `b` to offset `b + 1` (empty when no position is indexed).
    /// Made on each call (the GPU engine uploads it once).
    pub fn buckets(&self) -> Vec<u32> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        let mut buckets = crate::runtime::written_zeros::<u32>(BUCKETS + 1);
        for e in &self.entries {
            buckets[(e.key >> BUCKET_SHIFT) as usize + 1] += 1;
        }
        for b in 1..buckets.len() {
            buckets[b] += buckets[b - 1];
        }
        buckets
    }

    /// Whether any of the buckets `first..last` (at most [`GROUP`],
    /// aligned, within one group) holds an entry.
    #[inline]
    fn any_occupied(&self, first: usize, last: usize) -> bool {
        let spanned = u64::MAX >> (GROUP - (last - first));
        self.occupied[first / GROUP] >> (first % GROUP) & spanned != 0
    }

    /// The entries whose key starts with the `s` bases of `code` (1 to 32),
    /// and perhaps others of their groups: empty when their buckets are.
    #[inline]
    fn candidates(&self, code: u64, s: usize) -> &[Entry] {
        let (first, last) = bucket_range(code, s, BUCKET_BASES);
        if last - first <= GROUP && !self.any_occupied(first, last) {
            return &[];
        }
        let lo = self.group_starts[first / GROUP] as usize;
        let hi = self.group_starts[(last - 1) / GROUP + 1] as usize;
        &self.entries[lo..hi]
    }

    /// Calls `visit(target, position)` for every exact occurrence of `seed`
    /// (base codes, all below N, 1 to 32 long). Seeds with an N find nothing.
    pub fn for_each_occurrence(&self, seed: &[u8], mut visit: impl FnMut(u32, i32)) {
        self.for_each_entry(seed, |e| visit(e.target(), e.pos() as i32));
    }

    /// Calls `visit(entry)` for every entry where `seed` occurs exactly (as
    /// [`Self::for_each_occurrence`], with the entry's tag).
    pub fn for_each_entry(&self, seed: &[u8], mut visit: impl FnMut(&Entry)) {
        let Some(code) = seed_code(seed) else {
            return;
        };
        if self.entries.is_empty() {
            return;
        }
        let s = seed.len();
        let shift = 64 - 2 * s as u32;
        let group = self.candidates(code, s);
        let lo = group.partition_point(|e| (e.key >> shift) < code);
        let hi = lo + group[lo..].partition_point(|e| (e.key >> shift) <= code);
        for e in &group[lo..hi] {
            if e.valid() >= s {
                visit(e);
            }
        }
    }
}

/// The 2-bit code of `seed` (base codes, 1 to 32 long), most significant
/// first; None when it is empty, too long or holds an N.
#[inline]
pub(super) fn seed_code(seed: &[u8]) -> Option<u64> {
    if seed.is_empty() || seed.len() > MAX_SEED || seed.iter().any(|&c| c >= N) {
        return None;
    }
    Some(seed.iter().fold(0u64, |code, &c| (code << 2) | c as u64))
}

/// The buckets `first..last` (of keys' first `bases` bases) of the keys
/// that start with the `s` bases of `code`.
#[inline]
pub(super) fn bucket_range(code: u64, s: usize, bases: usize) -> (usize, usize) {
    if s >= bases {
        let b = (code >> (2 * (s - bases))) as usize;
        (b, b + 1)
    } else {
        let extra = 2 * (bases - s);
        ((code << extra) as usize, ((code + 1) << extra) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::reference::{RefSeq, Reference};
    use crate::seq::encode;

    /// `count` hairpin targets of 1 to `max_len` bases drawn by `rng` from
    /// `alphabet` (repeated letters skew it).
    fn random_targets(
        rng: &mut crate::rng::Rng,
        count: usize,
        max_len: usize,
        alphabet: &[u8],
    ) -> TargetSet {
        let seqs: Vec<RefSeq> = (0..count)
            .map(|i| {
                let len = 1 + rng.below(max_len);
                let seq = (0..len)
                    .map(|_| alphabet[rng.below(alphabet.len())])
                    .collect::<Vec<u8>>();
                RefSeq::new(&format!("hsa-mir-{i}"), seq)
            })
            .collect();
        TargetSet::build(&Reference::from_sequences("hsa", vec![], seqs), 3, 5)
    }

    /// The rolled keys of [`SeedIndex::build`] are those computed base by
    /// base from each position (N bases, 32-base caps, short targets).
    #[test]
    fn rolled_keys_equal_keys_read_from_each_position() {
        let ts = random_targets(&mut crate::rng::Rng::new(7), 40, 90, b"ACGTACGTACGTN");
        let all = ts
            .targets
            .iter()
            .enumerate()
            .flat_map(|(t, target)| (0..target.len).map(move |pos| (t, pos, 0)));
        let (fast, slow) = (SeedIndex::build(&ts), SeedIndex::build_from(&ts, all));
        let fields = |i: &SeedIndex| -> Vec<(u64, u32, u32)> {
            i.entries()
                .iter()
                .map(|e| (e.key, e.target, e.pos_valid))
                .collect()
        };
        assert_eq!(fields(&fast), fields(&slow));
        assert_eq!(fast.buckets(), slow.buckets());
    }

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

    /// The lookup through the occupancy bitmap and group offsets finds the
    /// entries that the table of every bucket's offset (the GPU engine's,
    /// and this index's before) finds, for seeds of every length, present
    /// and absent, on skewed random targets; and that table holds every
    /// entry in its bucket.
    #[test]
    fn group_lookups_equal_bucket_table_lookups() {
        let mut rng = crate::rng::Rng::new(0x6A09_E667_F3BC_C908);
        let ts = random_targets(&mut rng, 300, 120, b"AACGTTACGTN");
        let idx = SeedIndex::build(&ts);
        let buckets = idx.buckets();
        assert!(buckets.windows(2).all(|pair| pair[0] <= pair[1]));
        assert_eq!(buckets[BUCKETS] as usize, idx.len());
        for (i, e) in idx.entries().iter().enumerate() {
            let b = (e.key >> BUCKET_SHIFT) as usize;
            assert!((buckets[b] as usize..buckets[b + 1] as usize).contains(&i));
        }
        // the lookup of the bucket table: whole buckets, or one bucket and
        // two binary searches
        let old = |seed: &[u8]| -> Vec<(u32, i32)> {
            let s = seed.len();
            let code = seed.iter().fold(0u64, |c, &b| c << 2 | b as u64);
            let range = if s <= BUCKET_BASES {
                let extra = 2 * (BUCKET_BASES - s) as u32;
                let (first, last) = ((code << extra) as usize, ((code + 1) << extra) as usize);
                buckets[first] as usize..buckets[last] as usize
            } else {
                let shift = 64 - 2 * s as u32;
                let b = (code >> (2 * (s - BUCKET_BASES) as u32)) as usize;
                let base = buckets[b] as usize;
                let bucket = &idx.entries()[base..buckets[b + 1] as usize];
                let lo = bucket.partition_point(|e| (e.key >> shift) < code);
                let hi = lo + bucket[lo..].partition_point(|e| (e.key >> shift) <= code);
                base + lo..base + hi
            };
            idx.entries()[range]
                .iter()
                .filter(|e| e.valid() >= s)
                .map(|e| (e.target(), e.pos() as i32))
                .collect()
        };
        let mut found_some = 0;
        for _ in 0..20_000 {
            let s = 1 + rng.below(MAX_SEED);
            let seed: Vec<u8> = if rng.below(2) == 0 {
                let t = &ts.targets[rng.below(ts.targets.len())];
                let seq = &ts.text[t.text_start..t.text_start + t.len];
                let p = rng.below(seq.len());
                let piece = &seq[p..(p + s).min(seq.len())];
                piece.iter().map(|&c| c.min(3)).collect()
            } else {
                (0..s).map(|_| rng.below(4) as u8).collect()
            };
            let mut found = Vec::new();
            idx.for_each_occurrence(&seed, |t, p| found.push((t, p)));
            assert_eq!(found, old(&seed), "seed {seed:?}");
            found_some += usize::from(!found.is_empty());
        }
        assert!(found_some > 5000, "{found_some}");
    }

    /// Every lookup (bucket-only and bucket + binary search) equals a scan of
    /// the target text, for seeds of every length on random targets with Ns.
    #[test]
    fn lookups_equal_a_scan_for_every_seed_length() {
        let mut rng = crate::rng::Rng::new(0x9E37_79B9_7F4A_7C15);
        let mut rnd = |n: u64| rng.below(n as usize) as u64;
        let hairpins = (0..40)
            .map(|i| {
                let len = 5 + rnd(80) as usize;
                // a small alphabet skew makes short repeats and shared prefixes
                let seq = (0..len)
                    .map(|_| match rnd(23) {
                        0 => b'N',
                        r => b"ACGTA"[(r % 5) as usize],
                    })
                    .collect();
                RefSeq {
                    name: format!("hsa-mir-{i}"),
                    seq,
                }
            })
            .collect();
        let r = Reference::from_sequences("hsa", vec![], hairpins);
        let ts = TargetSet::build(&r, 3, 5);
        let idx = SeedIndex::build(&ts);
        let scan = |seed: &[u8]| {
            let mut v = Vec::new();
            for (t, target) in ts.targets.iter().enumerate() {
                let seq = &ts.text[target.text_start..target.text_start + target.len];
                for p in 0..seq.len() {
                    if seq[p..].starts_with(seed) && seed.iter().all(|&c| c < N) {
                        v.push((t as u32, p as i32));
                    }
                }
            }
            v
        };
        for _ in 0..3000 {
            let s = 1 + rnd(MAX_SEED as u64) as usize;
            let seed: Vec<u8> = if rnd(2) == 0 {
                // a piece of a target, so that most seeds occur
                let t = &ts.targets[rnd(ts.targets.len() as u64) as usize];
                let seq = &ts.text[t.text_start..t.text_start + t.len];
                let p = rnd(seq.len() as u64) as usize;
                seq[p..(p + s).min(seq.len())].to_vec()
            } else {
                (0..s).map(|_| rnd(4) as u8).collect()
            };
            let mut found = Vec::new();
            idx.for_each_occurrence(&seed, |t, p| found.push((t, p)));
            found.sort();
            assert_eq!(found, scan(&seed), "seed {seed:?}");
        }
    }
}

//! The edge windows' seed index by tag, for the CPU engine's edge stage.
//! A seed at insert position `p` of a hit whose 5' end lies within
//! `window_5p` of a window start can only occur where the target position
//! lies `p - window_5p ..= p + window_5p` past that start: the entry's tag.
//! Here the entries are sorted by (tag, key), and each tag's entries have a
//! table of offsets by their first [`BUCKET_BASES`] bases, so that a lookup
//! reads the entries of those few tags only, not every window position
//! where the (often short) seed occurs.

use std::ops::RangeInclusive;

use super::index::{bucket_range, seed_code, Entry, SeedIndex};

/// Bases of a key that select its bucket within a tag (`4^5` buckets).
const BUCKET_BASES: usize = 5;

/// Buckets per tag.
const BUCKETS: usize = 1 << (2 * BUCKET_BASES);

/// The entries of a window index ([`SeedIndex::build_windows`]) by tag.
#[derive(Debug, Clone, Default)]
pub struct TaggedIndex {
    /// Sorted by (tag, key, target, position).
    entries: Vec<Entry>,
    /// `tags * BUCKETS + 1` offsets into `entries`: the entries of tag `t`
    /// whose key starts with the bases of bucket `b` run from
    /// `starts[t * BUCKETS + b]` to the next offset.
    starts: Vec<u32>,
    /// Tags held: one more than the largest.
    tags: u32,
}

impl TaggedIndex {
    /// Re-sorts the entries of a window index by tag.
    pub fn new(index: &SeedIndex) -> Self {
        let mut entries = index.entries().to_vec();
        entries.sort_unstable_by_key(|e| (e.tag(), e.key, e.target, e.pos_valid));
        let tags = entries.last().map_or(0, |e| e.tag() + 1);
        let mut starts = crate::runtime::written_zeros::<u32>(tags as usize * BUCKETS + 1);
        for e in &entries {
            starts[bucket_of(e) + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        Self {
            entries,
            starts,
            tags,
        }
    }

    /// Calls `visit(entry)` for every entry whose tag lies in `tags` and
    /// where `seed` (base codes, all below N, 1 to 32 long) occurs exactly:
    /// the entries of [`SeedIndex::for_each_entry`] with those tags, in
    /// (tag, key) order. Seeds with an N find nothing.
    pub fn for_each_entry(
        &self,
        seed: &[u8],
        tags: RangeInclusive<u32>,
        mut visit: impl FnMut(&Entry),
    ) {
        let Some(code) = seed_code(seed) else {
            return;
        };
        let s = seed.len();
        let (first, last) = bucket_range(code, s, BUCKET_BASES);
        let shift = 64 - 2 * s as u32;
        let (lo_tag, hi_tag) = (
            *tags.start(),
            (*tags.end()).min(self.tags.saturating_sub(1)),
        );
        if self.tags == 0 || lo_tag > hi_tag {
            return;
        }
        for tag in lo_tag..=hi_tag {
            let base = tag as usize * BUCKETS;
            let (lo, hi) = (self.starts[base + first], self.starts[base + last]);
            for e in &self.entries[lo as usize..hi as usize] {
                if e.key >> shift == code && e.valid() >= s {
                    visit(e);
                }
            }
        }
    }
}

/// An entry's place in [`TaggedIndex::starts`]: its tag's buckets, then
/// the bucket of its first bases.
fn bucket_of(e: &Entry) -> usize {
    e.tag() as usize * BUCKETS + (e.key >> (64 - 2 * BUCKET_BASES)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::TargetSet;
    use crate::input::sim::random_reference;
    use crate::rng::Rng;

    #[test]
    fn finds_the_window_index_entries_of_the_tags_asked() {
        let mut rng = Rng::new(0x7A66_ED00_0000_0001);
        let r = random_reference(&mut rng, true, 60);
        let ts = TargetSet::build(&r, 3, 5);
        let mut windows = ts.edge_windows();
        windows.sort_by_key(|(t, w)| (*t, w.start, std::cmp::Reverse(w.end)));
        windows.dedup_by_key(|(t, w)| (*t, w.start));
        let index = SeedIndex::build_windows(&ts, &windows);
        assert!(index.len() > 500, "{} entries", index.len());
        let tagged = TaggedIndex::new(&index);
        let key = |e: &Entry| (e.tag(), e.key, e.target, e.pos_valid);
        let mut found_any = 0;
        for _ in 0..3000 {
            let s = 1 + rng.below(8);
            let seed: Vec<u8> = (0..s).map(|_| rng.below(4) as u8).collect();
            let lo = rng.below(40) as u32;
            let tags = lo..=lo + rng.below(8) as u32;
            let mut want = Vec::new();
            index.for_each_entry(&seed, |e| {
                if tags.contains(&e.tag()) {
                    want.push(key(e));
                }
            });
            want.sort_unstable();
            let mut got = Vec::new();
            tagged.for_each_entry(&seed, tags.clone(), |e| got.push(key(e)));
            assert_eq!(got, want, "seed {seed:?} tags {tags:?}");
            found_any += usize::from(!got.is_empty());
        }
        assert!(found_any > 300, "{found_any} lookups found entries");
        let mut none = Vec::new();
        tagged.for_each_entry(&[0, 4, 1], 0..=255, |e| none.push(*e));
        assert!(none.is_empty(), "a seed with an N finds nothing");
    }
}

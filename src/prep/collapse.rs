//! Collapsing identical inserts: per sample while reads stream in, then
//! across samples into one table of unique inserts (sorted by sequence, so
//! ids are deterministic).
//!
//! Memory follows distinct sequences, not reads, and is kept small per
//! distinct sequence: inserts of up to 32 ACGT bases are packed two bits a
//! base into 16-byte slots of the hash table, others live in an arena beside
//! a table of 12-byte slots ([`SampleInserts`]); a finished sample is frozen
//! into a sorted arena ([`SortedInserts`], bases plus 8 bytes), and the
//! cross-sample table is a k-way merge of those ([`InsertTable`]), never a
//! hash map over every sample's sequences.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// One distinct sequence in a [`SampleInserts`] arena.
#[derive(Debug, Clone, Copy)]
struct Slot {
    start: u32,
    len: u32,
    count: u32,
}

/// One distinct sequence of at most [`PACKED_MAX`] upper-case ACGT bases,
/// held in the hash table itself: two bits a base, the first base in the
/// highest bits ([`pack`]).
#[derive(Debug, Clone, Copy)]
struct Packed {
    bases: u64,
    len: u32,
    count: u32,
}

/// Longest sequence a [`Packed`] key holds.
const PACKED_MAX: usize = 32;

/// The 2-bit code of `A`, `C`, `G` and `T` (in their byte order, so that
/// packed keys sort as their bytes do); every other byte, `N` and lower case
/// included, is [`NOT_PACKED`].
static PACK: [u8; 256] = {
    let mut t = [NOT_PACKED; 256];
    t[b'A' as usize] = 0;
    t[b'C' as usize] = 1;
    t[b'G' as usize] = 2;
    t[b'T' as usize] = 3;
    t
};
const NOT_PACKED: u8 = 0x80;

/// `seq` packed two bits a base, left-aligned (the first base in bits 62
/// and 63, unused low bits zero): for keys of ACGT only, comparing
/// `(bases, len)` orders them as comparing their bytes does (a prefix, padded
/// with A's, ties with the longer key and sorts first by length). None for
/// a longer key or one with any other byte.
#[inline]
fn pack(seq: &[u8]) -> Option<u64> {
    if seq.len() > PACKED_MAX {
        return None;
    }
    let mut bases = 0u64;
    let mut bad = 0u8;
    for &b in seq {
        let code = PACK[b as usize];
        bad |= code;
        bases = (bases << 2) | (code & 3) as u64;
    }
    if bad & NOT_PACKED != 0 {
        return None;
    }
    // `seq.len()` may be 32: shift in two steps
    Some(bases << (PACKED_MAX - seq.len()) << (PACKED_MAX - seq.len()))
}

/// Writes the `len` bases of a packed key into `out`.
fn unpack(bases: u64, len: usize, out: &mut [u8; PACKED_MAX]) -> &[u8] {
    for (i, b) in out[..len].iter_mut().enumerate() {
        *b = b"ACGT"[((bases >> (62 - 2 * i)) & 3) as usize];
    }
    &out[..len]
}

/// The hash of a packed key: a folded 64 x 64-bit multiply, whose high and
/// low bits (the table's tag and bucket) both depend on every key bit.
#[inline]
fn hash_packed(bases: u64, len: u32) -> u64 {
    let x = bases ^ (len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let m = (x as u128).wrapping_mul(0xa076_1d64_78bd_642f);
    (m as u64) ^ ((m >> 64) as u64)
}

/// Distinct inserts (or any byte keys) of one sample with their read counts,
/// while reads are being added. Keys of up to 32 upper-case ACGT bases (most
/// inserts) live packed in one table; any other key (an `N`, a longer
/// insert, a UMI key) in a second one, its bytes in an arena.
#[derive(Default)]
pub struct SampleInserts {
    packed: HashTable<Packed>,
    bases: Vec<u8>,
    slots: HashTable<Slot>,
}

impl std::fmt::Debug for SampleInserts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SampleInserts")
            .field("distinct", &self.len())
            .field("packed", &self.packed.len())
            .field("bases", &self.bases.len())
            .finish()
    }
}

fn hash_of(seq: &[u8]) -> u64 {
    FxBuildHasher.hash_one(seq)
}

impl SampleInserts {
    /// Counts one read's insert; stores its bases only for a new sequence.
    /// Returns whether the sequence is new to this table.
    #[inline]
    pub fn add(&mut self, insert: &[u8]) -> bool {
        self.add_count(insert, 1)
    }

    /// Adds `n` reads of one insert; returns whether it is new to this
    /// table.
    ///
    /// # Panics
    /// When one sample's distinct sequences exceed 4 GiB of bases.
    #[inline]
    pub fn add_count(&mut self, insert: &[u8], n: u32) -> bool {
        match pack(insert) {
            Some(bases) => self.add_packed(bases, insert.len() as u32, n),
            None => self.add_bytes(insert, n),
        }
    }

    #[inline]
    fn add_packed(&mut self, bases: u64, len: u32, n: u32) -> bool {
        let hash = hash_packed(bases, len);
        if let Some(slot) = self
            .packed
            .find_mut(hash, |s| s.bases == bases && s.len == len)
        {
            slot.count += n;
            return false;
        }
        let slot = Packed {
            bases,
            len,
            count: n,
        };
        self.packed
            .insert_unique(hash, slot, |s| hash_packed(s.bases, s.len));
        true
    }

    fn add_bytes(&mut self, insert: &[u8], n: u32) -> bool {
        let hash = hash_of(insert);
        let Self { bases, slots, .. } = self;
        let found = slots.find_mut(hash, |s| {
            &bases[s.start as usize..(s.start + s.len) as usize] == insert
        });
        if let Some(slot) = found {
            slot.count += n;
            return false;
        }
        let start = u32::try_from(bases.len())
            .ok()
            .filter(|s| s.checked_add(insert.len() as u32).is_some())
            .expect("more than 4 GiB of distinct inserts in one sample");
        bases.extend_from_slice(insert);
        let slot = Slot {
            start,
            len: insert.len() as u32,
            count: n,
        };
        slots.insert_unique(hash, slot, |s| {
            hash_of(&bases[s.start as usize..(s.start + s.len) as usize])
        });
        true
    }

    /// Adds every sequence and count of `other`.
    pub fn merge(&mut self, other: &SampleInserts) {
        self.packed
            .reserve(other.packed.len(), |s| hash_packed(s.bases, s.len));
        for s in &other.packed {
            self.add_packed(s.bases, s.len, s.count);
        }
        for s in &other.slots {
            let seq = &other.bases[s.start as usize..(s.start + s.len) as usize];
            self.add_bytes(seq, s.count);
        }
    }

    /// Number of distinct inserts.
    pub fn len(&self) -> usize {
        self.packed.len() + self.slots.len()
    }

    /// Whether no insert was counted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads counted.
    pub fn reads(&self) -> u64 {
        let packed: u64 = self.packed.iter().map(|s| s.count as u64).sum();
        packed + self.slots.iter().map(|s| s.count as u64).sum::<u64>()
    }

    /// Freezes the counts into a table sorted by sequence, releasing the
    /// hash tables: each table sorted on its own (packed keys by their
    /// words), then the two merged.
    pub fn into_sorted(self) -> SortedInserts {
        let Self {
            packed,
            bases,
            slots,
        } = self;
        let mut short: Vec<Packed> = packed.into_iter().collect();
        short.sort_unstable_by_key(|s| (s.bases, s.len));
        let mut other: Vec<Slot> = slots.into_iter().collect();
        let seq = |s: &Slot| &bases[s.start as usize..(s.start + s.len) as usize];
        other.sort_unstable_by(|a, b| seq(a).cmp(seq(b)));
        let total = short.len() + other.len();
        let packed_bases: usize = short.iter().map(|s| s.len as usize).sum();
        let mut sorted = SortedInserts {
            bases: Vec::with_capacity(packed_bases + bases.len()),
            ends: Vec::with_capacity(total),
            counts: Vec::with_capacity(total),
        };
        let mut buf = [0u8; PACKED_MAX];
        let mut rest = other.iter().peekable();
        for s in &short {
            let key = unpack(s.bases, s.len as usize, &mut buf);
            while let Some(o) = rest.next_if(|o| seq(o) < key) {
                sorted.push(seq(o), o.count);
            }
            sorted.push(key, s.count);
        }
        for o in rest {
            sorted.push(seq(o), o.count);
        }
        sorted
    }
}

/// Distinct sequences with counts, sorted by sequence: a finished sample.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SortedInserts {
    bases: Vec<u8>,
    /// One past each sequence's last base (4 bytes a sequence: an arena of
    /// up to 4 GiB of bases, some 190 million distinct 22-nt inserts).
    ends: Vec<u32>,
    counts: Vec<u32>,
}

impl SortedInserts {
    /// Appends a sequence, which must sort after the last one.
    pub fn push(&mut self, seq: &[u8], count: u32) {
        debug_assert!(self.is_empty() || self.seq(self.len() - 1) < seq);
        self.bases.extend_from_slice(seq);
        let end = u32::try_from(self.bases.len())
            .expect("distinct inserts over 4 GiB of bases in one table");
        self.ends.push(end);
        self.counts.push(count);
    }

    /// Number of distinct sequences.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `i`-th sequence in sorted order.
    pub fn seq(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bases[start..self.ends[i] as usize]
    }

    /// The `i`-th sequence's count.
    pub fn count(&self, i: usize) -> u32 {
        self.counts[i]
    }

    /// Reads counted.
    pub fn reads(&self) -> u64 {
        self.counts.iter().map(|&c| c as u64).sum()
    }

    /// Iterates over (sequence, count) in sequence order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], u32)> {
        (0..self.len()).map(|i| (self.seq(i), self.counts[i]))
    }
}

/// Unique inserts of all samples and each sample's counts of them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct InsertTable {
    seqs: SortedInserts,
    /// Per sample, (insert id, reads) sorted by id.
    pub counts: Vec<Vec<(u32, u32)>>,
}

impl InsertTable {
    /// Merges per-sample inserts (in sample order) into one table.
    ///
    /// # Panics
    /// With more than `u32::MAX` unique inserts.
    pub fn build(samples: &[&SortedInserts]) -> Self {
        // k-way merge: the heap holds each sample's next sequence
        let mut heap: BinaryHeap<Reverse<(&[u8], usize)>> = samples
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.is_empty())
            .map(|(k, s)| Reverse((s.seq(0), k)))
            .collect();
        let mut next = vec![0usize; samples.len()];
        let mut seqs = SortedInserts::default();
        let mut counts: Vec<Vec<(u32, u32)>> = samples
            .iter()
            .map(|s| Vec::with_capacity(s.len()))
            .collect();
        while let Some(Reverse((seq, k))) = heap.pop() {
            if seqs.is_empty() || seqs.seq(seqs.len() - 1) != seq {
                seqs.push(seq, 0);
            }
            let id = u32::try_from(seqs.len() - 1).expect("at most 2^32 unique inserts");
            let i = next[k];
            let n = samples[k].count(i);
            seqs.counts[id as usize] += n;
            counts[k].push((id, n));
            next[k] = i + 1;
            if i + 1 < samples[k].len() {
                heap.push(Reverse((samples[k].seq(i + 1), k)));
            }
        }
        Self { seqs, counts }
    }

    /// A table from its sorted unique inserts and each sample's (id, reads)
    /// pairs sorted by id (the totals are summed here).
    pub fn from_parts(mut seqs: SortedInserts, counts: Vec<Vec<(u32, u32)>>) -> Self {
        seqs.counts.iter_mut().for_each(|c| *c = 0);
        for sample in &counts {
            for &(id, n) in sample {
                seqs.counts[id as usize] += n;
            }
        }
        Self { seqs, counts }
    }

    /// Number of unique inserts.
    pub fn len(&self) -> usize {
        self.seqs.len()
    }

    /// Whether there are no inserts.
    pub fn is_empty(&self) -> bool {
        self.seqs.is_empty()
    }

    /// The insert with id `id`.
    pub fn seq(&self, id: usize) -> &[u8] {
        self.seqs.seq(id)
    }

    /// Reads of insert `id` over all samples.
    pub fn total(&self, id: usize) -> u32 {
        self.seqs.count(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collapse(reads: &[&[u8]]) -> SortedInserts {
        let mut s = SampleInserts::default();
        for r in reads {
            s.add(r);
        }
        s.into_sorted()
    }

    #[test]
    fn identical_inserts_collapse_and_table_is_sorted() {
        let a = collapse(&[b"TTT", b"AAA", b"TTT"]);
        let b = collapse(&[b"CCC", b"TTT"]);
        let t = InsertTable::build(&[&a, &b]);
        let seqs: Vec<&[u8]> = (0..t.len()).map(|i| t.seq(i)).collect();
        assert_eq!(seqs, vec![&b"AAA"[..], b"CCC", b"TTT"]);
        assert_eq!(t.counts[0], vec![(0, 1), (2, 2)]);
        assert_eq!(t.counts[1], vec![(1, 1), (2, 1)]);
        assert_eq!((t.total(0), t.total(2)), (1, 3));
    }

    #[test]
    fn prefixes_sort_first_and_empty_samples_are_fine() {
        let a = collapse(&[b"ACA", b"AC", b"", b"ACAA", b"AC"]);
        let empty = SortedInserts::default();
        let t = InsertTable::build(&[&empty, &a, &empty]);
        let seqs: Vec<&[u8]> = (0..t.len()).map(|i| t.seq(i)).collect();
        assert_eq!(seqs, vec![&b""[..], b"AC", b"ACA", b"ACAA"]);
        assert!(t.counts[0].is_empty() && t.counts[2].is_empty());
        assert_eq!(t.counts[1], vec![(0, 1), (1, 2), (2, 1), (3, 1)]);
    }

    /// The k-way merge against a plain sort-and-count of every sample.
    #[test]
    fn merge_matches_a_brute_force_table() {
        let mut rng = crate::rng::Rng::new(0x9e37_79b9_7f4a_7c15);
        let mut rand = move |n: u64| rng.below(n as usize) as u64;
        let samples: Vec<Vec<Vec<u8>>> = (0..5)
            .map(|_| {
                (0..rand(400))
                    .map(|_| (0..rand(6)).map(|_| b"ACGTN"[rand(5) as usize]).collect())
                    .collect()
            })
            .collect();
        let sorted: Vec<SortedInserts> = samples
            .iter()
            .map(|reads| {
                let refs: Vec<&[u8]> = reads.iter().map(Vec::as_slice).collect();
                collapse(&refs)
            })
            .collect();
        let t = InsertTable::build(&sorted.iter().collect::<Vec<_>>());
        let mut all: Vec<&[u8]> = samples.iter().flatten().map(Vec::as_slice).collect();
        all.sort_unstable();
        all.dedup();
        let seqs: Vec<&[u8]> = (0..t.len()).map(|i| t.seq(i)).collect();
        assert_eq!(seqs, all);
        for (k, reads) in samples.iter().enumerate() {
            let mut expected: Vec<(u32, u32)> = Vec::new();
            for (id, seq) in all.iter().enumerate() {
                let n = reads.iter().filter(|r| r.as_slice() == *seq).count() as u32;
                if n > 0 {
                    expected.push((id as u32, n));
                }
            }
            assert_eq!(t.counts[k], expected, "sample {k}");
        }
    }

    /// Packed (ACGT, up to 32 nt) and arena keys side by side: sorted as
    /// their bytes, whatever table holds them, and `add` tells new keys.
    #[test]
    fn packed_and_other_keys_sort_as_bytes() {
        let long = "ACGT".repeat(8);
        let keys: Vec<Vec<u8>> = [
            "",
            "A",
            "AA",
            "AAN",
            "AC",
            "ACGTN",
            "acgt",
            "T",
            "TTTT",
            "TN",
            &long,
            &format!("{long}A"),
            &format!("{long}N"),
            &long[..31],
            &format!("{}A", &long[..31]),
            "GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG",
            "\u{1}X",
            "CCCC",
        ]
        .iter()
        .map(|k| k.as_bytes().to_vec())
        .collect();
        let mut s = SampleInserts::default();
        for (i, k) in keys.iter().enumerate() {
            assert!(s.add_count(k, i as u32 + 1), "{k:?} new");
            assert!(!s.add(k), "{k:?} seen");
        }
        assert_eq!(s.len(), keys.len());
        let mut expected: Vec<(&[u8], u32)> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_slice(), i as u32 + 2))
            .collect();
        expected.sort_unstable();
        let sorted = s.into_sorted();
        assert_eq!(sorted.iter().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn merging_worker_tables_equals_one_table() {
        let reads: Vec<&[u8]> = vec![b"AC", b"GT", b"AC", b"TT", b"GT", b"AC"];
        let mut one = SampleInserts::default();
        let new: Vec<bool> = reads.iter().map(|r| one.add(r)).collect();
        assert_eq!(new, [true, true, false, true, false, false]);
        let (mut a, mut b) = (SampleInserts::default(), SampleInserts::default());
        reads[..3].iter().for_each(|r| _ = a.add(r));
        reads[3..].iter().for_each(|r| _ = b.add(r));
        a.merge(&b);
        assert_eq!(a.reads(), 6);
        assert_eq!(a.into_sorted(), one.into_sorted());
    }
}

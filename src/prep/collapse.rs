//! Collapsing identical inserts: per sample while reads stream in, then
//! across samples into one table of unique inserts (sorted by sequence, so
//! ids are deterministic).
//!
//! Memory follows distinct sequences, not reads, and is kept small per
//! distinct sequence: inserts of up to 31 ACGT bases are packed two bits a
//! base into the 12-byte slots of an open-addressing table, others live in an
//! arena beside a hash table of 12-byte slots ([`SampleInserts`]); a finished
//! sample is frozen into a sorted arena ([`SortedInserts`], bases plus 8
//! bytes), and the cross-sample table is a k-way merge of those
//! ([`InsertTable`]), never a hash map over every sample's sequences.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hash::BuildHasher;

use hashbrown::HashTable;
use rayon::prelude::*;
use rustc_hash::FxBuildHasher;

/// One distinct sequence in a [`SampleInserts`] arena.
#[derive(Debug, Clone, Copy)]
struct Slot {
    start: u32,
    len: u32,
    count: u32,
}

impl Slot {
    /// The key's bytes in the table's arena.
    #[inline]
    fn bytes<'a>(&self, arena: &'a [u8]) -> &'a [u8] {
        &arena[self.start as usize..(self.start + self.len) as usize]
    }
}

/// Longest sequence a packed key holds: 31 bases, so that a key's two bits
/// a base and its end marker fit one word ([`pack`]).
const PACKED_MAX: usize = 31;

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

/// `seq` packed into one nonzero word: two bits a base, the first base in
/// bits 62 and 63, then a single 1 bit (the end marker) and zeros. The bases
/// are the word without its lowest set bit ([`packed_bases`]), the length
/// follows from the marker's place ([`packed_len`]). None for a key longer
/// than [`PACKED_MAX`] or with any byte but `ACGT`.
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
    Some(((bases << 1) | 1) << (63 - 2 * seq.len()))
}

/// A packed key's bases, left-aligned, the unused low bits zero: for keys
/// of ACGT only, comparing `(bases, len)` orders them as comparing their
/// bytes does (a prefix, padded with A's, ties with the longer key and sorts
/// first by length).
#[inline]
fn packed_bases(key: u64) -> u64 {
    key & key.wrapping_sub(1)
}

/// A packed key's length in bases.
#[inline]
fn packed_len(key: u64) -> usize {
    (63 - key.trailing_zeros() as usize) / 2
}

/// Room [`unpack`] writes into: a whole key's word, four bases a byte.
const UNPACKED: usize = 32;

/// Writes the bases of a packed key into `out`, four at a time (what
/// follows them in `out` is left undefined).
#[inline]
fn unpack(key: u64, out: &mut [u8; UNPACKED]) -> &[u8] {
    for (i, four) in out.chunks_exact_mut(4).enumerate() {
        four.copy_from_slice(&BASES_OF_BYTE[(key >> (56 - 8 * i)) as usize & 0xFF]);
    }
    &out[..packed_len(key)]
}

/// The four bases of each byte of a packed key, as letters.
static BASES_OF_BYTE: [[u8; 4]; 256] = {
    let mut t = [[0u8; 4]; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut j = 0;
        while j < 4 {
            t[byte][j] = b"ACGT"[(byte >> (6 - 2 * j)) & 3];
            j += 1;
        }
        byte += 1;
    }
    t
};

/// The hash of a packed key: a folded 64 x 64-bit multiply, whose high bits
/// (the table's bucket) depend on every key bit.
#[inline]
fn hash_packed(key: u64) -> u64 {
    let m = (key as u128).wrapping_mul(0xa076_1d64_78bd_642f);
    (m as u64) ^ ((m >> 64) as u64)
}

/// One packed key and its reads: 12 bytes (4-byte aligned), the key word
/// zero in an empty slot.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, packed(4))]
struct Entry {
    key: u64,
    count: u32,
}

/// Packed keys with their counts: open addressing with linear probing over
/// a power-of-two number of slots, the key and its count in one slot (a
/// lookup touches one cache line, seldom two), at most three quarters full.
#[derive(Debug, Default)]
struct PackedTable {
    /// Empty, or a power of two of slots.
    slots: Vec<Entry>,
    len: usize,
}

/// Slots of a table's first allocation.
const PACKED_MIN_SLOTS: usize = 64;

impl PackedTable {
    /// The slot where a search for `key` starts: the hash's high bits.
    #[inline]
    fn home(&self, key: u64) -> usize {
        // `slots.len()` is a power of two of at least PACKED_MIN_SLOTS here
        (hash_packed(key) >> (64 - self.slots.len().trailing_zeros())) as usize
    }

    /// Adds `n` reads of `key` (nonzero); returns whether it is new.
    #[inline]
    fn add(&mut self, key: u64, n: u32) -> bool {
        self.reserve(1);
        self.add_from(self.home(key), key, n)
    }

    /// [`Self::add`] with the key's home slot known and room for it
    /// reserved.
    #[inline]
    fn add_from(&mut self, home: usize, key: u64, n: u32) -> bool {
        let mask = self.slots.len() - 1;
        let mut i = home;
        loop {
            let slot = &mut self.slots[i];
            let k = slot.key;
            if k == key {
                slot.count += n;
                return false;
            }
            if k == 0 {
                *slot = Entry { key, count: n };
                self.len += 1;
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    /// Asks the processor to fetch slot `i` into its cache ahead of use (on
    /// x86-64; elsewhere nothing).
    #[inline]
    fn prefetch(&self, i: usize) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let slot = std::ptr::from_ref(&self.slots[i]).cast();
            // SAFETY: SSE is part of every x86-64 processor, and a prefetch
            // only hints the cache (it reads nothing and cannot fault); the
            // address is that of a live slot anyway.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(slot) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = i;
    }

    /// The first empty slot from `key`'s home on (the key not in the table).
    #[inline]
    fn vacant(&self, key: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        while self.slots[i].key != 0 {
            i = (i + 1) & mask;
        }
        i
    }

    /// Doubles the slots (or makes the first ones) and moves every entry;
    /// taken in slot order, they land in the new slots nearly in order too.
    #[cold]
    fn grow(&mut self) {
        let slots = (2 * self.slots.len()).max(PACKED_MIN_SLOTS);
        let old = std::mem::replace(&mut self.slots, vec![Entry::default(); slots]);
        for e in old.into_iter().filter(|e| e.key != 0) {
            let i = self.vacant(e.key);
            self.slots[i] = e;
        }
    }

    /// Makes room for `more` further keys without growing.
    #[inline]
    fn reserve(&mut self, more: usize) {
        while (self.len + more) * 4 > self.slots.len() * 3 {
            self.grow();
        }
    }

    /// The entries, in no particular order.
    fn iter(&self) -> impl Iterator<Item = Entry> + '_ {
        self.slots.iter().copied().filter(|e| e.key != 0)
    }

    /// The entries sorted as their sequences' bytes, in the table's own
    /// allocation.
    fn into_sorted(self, on_pool: bool) -> Vec<Entry> {
        let mut entries = self.slots;
        entries.retain(|e| e.key != 0);
        // same bases: the shorter key has the higher marker, the larger word
        let order = |e: &Entry| (packed_bases(e.key), Reverse(e.key));
        if on_pool {
            entries.par_sort_unstable_by_key(order);
        } else {
            entries.sort_unstable_by_key(order);
        }
        entries
    }
}

/// Distinct inserts (or any byte keys) of one sample with their read counts,
/// while reads are being added. Keys of up to 31 upper-case ACGT bases (most
/// inserts) live packed in one table; any other key (an `N`, a longer
/// insert, a UMI key) in a second one, its bytes in an arena.
#[derive(Default)]
pub struct SampleInserts {
    packed: PackedTable,
    bases: Vec<u8>,
    slots: HashTable<Slot>,
    /// Keys [`Self::add_later`] holds, not counted yet: packed, or 0 for the
    /// next of `later_bytes` (ending at the next of `later_ends`).
    later: Vec<u64>,
    later_bytes: Vec<u8>,
    later_ends: Vec<usize>,
}

/// Keys [`SampleInserts::add_later`] holds before counting them together.
const LATER: usize = 32;

impl std::fmt::Debug for SampleInserts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SampleInserts")
            .field("distinct", &self.len())
            .field("packed", &self.packed.len)
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
            Some(key) => self.packed.add(key, n),
            None => self.add_bytes(insert, n),
        }
    }

    fn add_bytes(&mut self, insert: &[u8], n: u32) -> bool {
        let hash = hash_of(insert);
        let Self { bases, slots, .. } = self;
        let found = slots.find_mut(hash, |s| s.bytes(bases) == insert);
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
        slots.insert_unique(hash, slot, |s| hash_of(s.bytes(bases)));
        true
    }

    /// Counts one read's insert like [`Self::add`], but later: keys wait
    /// until [`LATER`] of them are held, then are counted together, their
    /// table slots fetched from memory side by side instead of one after
    /// another ([`Self::flush`] counts the rest). `on_new` gets each key new
    /// to the table, in the order of the calls.
    #[inline]
    pub fn add_later(&mut self, insert: &[u8], on_new: impl FnMut(&[u8])) {
        match pack(insert) {
            Some(key) => self.later.push(key),
            None => {
                self.later.push(0);
                self.later_bytes.extend_from_slice(insert);
                self.later_ends.push(self.later_bytes.len());
            }
        }
        if self.later.len() >= LATER {
            self.flush(on_new);
        }
    }

    /// Counts the keys [`Self::add_later`] holds, handing each one new to
    /// the table to `on_new`, in the order they came.
    pub fn flush(&mut self, mut on_new: impl FnMut(&[u8])) {
        let mut later = std::mem::take(&mut self.later);
        let bytes = std::mem::take(&mut self.later_bytes);
        let ends = std::mem::take(&mut self.later_ends);
        self.packed.reserve(later.len());
        let mut others = ends.iter();
        let mut start = 0;
        let mut buf = [0u8; UNPACKED];
        for chunk in later.chunks(LATER) {
            let mut homes = [0usize; LATER];
            for (home, &key) in homes.iter_mut().zip(chunk) {
                if key != 0 {
                    *home = self.packed.home(key);
                    self.packed.prefetch(*home);
                }
            }
            for (&home, &key) in homes.iter().zip(chunk) {
                if key != 0 {
                    if self.packed.add_from(home, key, 1) {
                        on_new(unpack(key, &mut buf));
                    }
                    continue;
                }
                let end = *others.next().expect("an end for each unpacked key");
                let insert = &bytes[start..end];
                start = end;
                if self.add_bytes(insert, 1) {
                    on_new(insert);
                }
            }
        }
        later.clear();
        self.later = later;
        self.later_bytes = bytes;
        self.later_bytes.clear();
        self.later_ends = ends;
        self.later_ends.clear();
    }

    /// Number of distinct inserts (of those counted: not the keys
    /// [`Self::add_later`] holds).
    pub fn len(&self) -> usize {
        self.packed.len + self.slots.len()
    }

    /// Whether no insert was counted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads counted or held by [`Self::add_later`].
    pub fn reads(&self) -> u64 {
        let packed: u64 = self.packed.iter().map(|e| e.count as u64).sum();
        let held = self.later.len() as u64;
        packed + held + self.slots.iter().map(|s| s.count as u64).sum::<u64>()
    }

    /// Freezes the counts into a table sorted by sequence, releasing the
    /// hash tables: each table sorted on its own (packed keys by their
    /// words), then the two merged (on the pool, in parts side by side,
    /// each written straight to its place in the table).
    pub fn into_sorted(self) -> SortedInserts {
        self.sorted(false)
    }

    /// [`Self::into_sorted`], sorting on the thread pool (from one of its
    /// threads: from any other thread, rayon would start its global pool).
    pub fn into_sorted_on_pool(self) -> SortedInserts {
        self.sorted(true)
    }

    fn sorted(mut self, on_pool: bool) -> SortedInserts {
        self.flush(|_| {});
        let Self {
            packed,
            bases,
            slots,
            ..
        } = self;
        let short = packed.into_sorted(on_pool);
        let mut other: Vec<Slot> = slots.into_iter().collect();
        let seq = |s: &Slot| s.bytes(&bases);
        if on_pool {
            other.par_sort_unstable_by(|a, b| compare(seq(a), seq(b)));
        } else {
            other.sort_unstable_by(|a, b| compare(seq(a), seq(b)));
        }
        Filling::table(&short, &other, &bases, on_pool)
    }
}

/// Packed keys in a part of a sorted table, at least, for it to be filled
/// in parts side by side.
const SORTED_PART_MIN: usize = 1 << 14;

/// A part of a sorted table being filled: a run of the sorted packed keys
/// and the sorted other keys that sort among them, and the part's share of
/// the table's arrays.
struct Filling<'a> {
    short: &'a [Entry],
    other: &'a [Slot],
    bases: &'a mut [u8],
    ends: &'a mut [u32],
    counts: &'a mut [u32],
    /// Where `bases` starts in the whole table's.
    offset: usize,
}

impl<'a> Filling<'a> {
    /// The sorted table of the sorted packed keys `short` and the sorted
    /// `other` keys (their bytes in `arena`), made in parts side by side
    /// with `on_pool`.
    fn table(short: &[Entry], other: &[Slot], arena: &[u8], on_pool: bool) -> SortedInserts {
        let seq = |s: &Slot| s.bytes(arena);
        let parts = if on_pool {
            (short.len() / SORTED_PART_MIN).clamp(1, 4 * rayon::current_num_threads())
        } else {
            1
        };
        let mut buf = [0u8; UNPACKED];
        // where each part starts in `short` and in `other` (the last cut at
        // both ends, even with no packed key at all)
        let cuts: Vec<(usize, usize)> = (0..=parts)
            .map(|p| match p {
                0 => (0, 0),
                _ if p == parts => (short.len(), other.len()),
                _ => {
                    let i = p * short.len() / parts;
                    let key = unpack(short[i].key, &mut buf);
                    (i, other.partition_point(|o| compare(seq(o), key).is_lt()))
                }
            })
            .collect();
        let runs: Vec<(&[Entry], &[Slot])> = cuts
            .windows(2)
            .map(|w| (&short[w[0].0..w[1].0], &other[w[0].1..w[1].1]))
            .collect();
        let run_bases = |(short, other): &(&[Entry], &[Slot])| -> usize {
            let packed: usize = short.iter().map(|e| packed_len(e.key)).sum();
            packed + other.iter().map(|o| o.len as usize).sum::<usize>()
        };
        let bases: Vec<usize> = runs.iter().map(run_bases).collect();
        let seqs = short.len() + other.len();
        let mut table = SortedInserts {
            bases: vec![0; bases.iter().sum()],
            ends: vec![0; seqs],
            counts: vec![0; seqs],
        };
        let parts = Filling::split(&mut table, &runs, &bases);
        let fill = |part: Filling| part.fill(arena);
        if on_pool {
            parts.into_par_iter().for_each(fill);
        } else {
            parts.into_iter().for_each(fill);
        }
        table
    }

    /// `table`'s arrays cut into the parts of `runs` (of `bases` bases).
    fn split(
        table: &'a mut SortedInserts,
        runs: &[(&'a [Entry], &'a [Slot])],
        bases: &[usize],
    ) -> Vec<Filling<'a>> {
        let (mut b, mut e, mut c) = (
            &mut table.bases[..],
            &mut table.ends[..],
            &mut table.counts[..],
        );
        let mut offset = 0;
        let mut parts = Vec::with_capacity(runs.len());
        for (&(short, other), &n) in runs.iter().zip(bases) {
            let seqs = short.len() + other.len();
            let (bases, b_rest) = std::mem::take(&mut b).split_at_mut(n);
            let (ends, e_rest) = std::mem::take(&mut e).split_at_mut(seqs);
            let (counts, c_rest) = std::mem::take(&mut c).split_at_mut(seqs);
            parts.push(Filling {
                short,
                other,
                bases,
                ends,
                counts,
                offset,
            });
            (b, e, c, offset) = (b_rest, e_rest, c_rest, offset + n);
        }
        parts
    }

    /// Writes the part's keys in order (the other keys' bytes in `arena`).
    fn fill(self, arena: &[u8]) {
        let seq = |s: &Slot| s.bytes(arena);
        let (mut at, mut i) = (0, 0);
        let mut push = |key: &[u8], count: u32| {
            let end = at + key.len();
            self.bases[at..end].copy_from_slice(key);
            at = end;
            self.ends[i] = u32::try_from(self.offset + end)
                .expect("distinct inserts over 4 GiB of bases in one table");
            self.counts[i] = count;
            i += 1;
        };
        let mut buf = [0u8; UNPACKED];
        let mut rest = self.other.iter().peekable();
        for e in self.short {
            let key = unpack(e.key, &mut buf);
            while let Some(o) = rest.next_if(|o| compare(seq(o), key).is_lt()) {
                push(seq(o), o.count);
            }
            push(key, e.count);
        }
        for o in rest {
            push(seq(o), o.count);
        }
    }
}

/// `a` against `b` as byte strings, as `Ord` for slices does: by their
/// first 8 bytes as one word where both have them (most inserts differ
/// there), else (or where those are equal) byte by byte.
#[inline]
fn compare(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    if let (Some(x), Some(y)) = (a.first_chunk::<8>(), b.first_chunk::<8>()) {
        let (x, y) = (u64::from_be_bytes(*x), u64::from_be_bytes(*y));
        if x != y {
            return x.cmp(&y);
        }
    }
    a.cmp(b)
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

    /// An empty table with room for `seqs` sequences of `bases` bases in
    /// all.
    fn with_capacity(seqs: usize, bases: usize) -> Self {
        Self {
            bases: Vec::with_capacity(bases),
            ends: Vec::with_capacity(seqs),
            counts: Vec::with_capacity(seqs),
        }
    }

    /// Sums tables of the same sample (its trimming workers'): each
    /// sequence once, with its reads over all of them, sorted. Tables are
    /// merged two by two, level by level, so each sequence is copied about
    /// log2(tables) times. The sum holds no spare room: the workers' tables
    /// share most sequences, and a run keeps every sample's sum until the
    /// insert table is built.
    pub fn sum(mut tables: Vec<SortedInserts>) -> SortedInserts {
        while tables.len() > 1 {
            let mut level = Vec::with_capacity(tables.len().div_ceil(2));
            let mut pairs = tables.into_iter();
            while let Some(a) = pairs.next() {
                level.push(match pairs.next() {
                    Some(b) => Self::sum_two(&a, &b),
                    None => a,
                });
            }
            tables = level;
        }
        let mut sum = tables.pop().unwrap_or_default();
        sum.bases.shrink_to_fit();
        sum.ends.shrink_to_fit();
        sum.counts.shrink_to_fit();
        sum
    }

    /// The two-way step of [`Self::sum`].
    fn sum_two(a: &SortedInserts, b: &SortedInserts) -> SortedInserts {
        let mut out = Self::with_capacity(a.len() + b.len(), a.bases.len() + b.bases.len());
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            let (x, y) = (a.seq(i), b.seq(j));
            match x.cmp(y) {
                std::cmp::Ordering::Less => {
                    out.push(x, a.counts[i]);
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    out.push(y, b.counts[j]);
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    out.push(x, a.counts[i] + b.counts[j]);
                    i += 1;
                    j += 1;
                }
            }
        }
        (i..a.len()).for_each(|i| out.push(a.seq(i), a.counts[i]));
        (j..b.len()).for_each(|j| out.push(b.seq(j), b.counts[j]));
        out
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

    /// [`Self::build`] over owned samples: one sample's inserts become the
    /// table as they are, without a copy.
    pub fn of_samples(mut samples: Vec<SortedInserts>) -> Self {
        if samples.len() == 1 {
            return Self::of_one(samples.pop().expect("one sample"));
        }
        Self::build(&samples.iter().collect::<Vec<_>>())
    }

    /// The table of one sample: its inserts, ids in their order.
    fn of_one(sample: SortedInserts) -> Self {
        let ids = u32::try_from(sample.len()).expect("at most 2^32 unique inserts");
        let counts = (0..ids).zip(sample.counts.iter().copied()).collect();
        Self {
            seqs: sample,
            counts: vec![counts],
        }
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
    use std::collections::HashMap;

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
        let sum = SortedInserts::sum(vec![a.into_sorted(), b.into_sorted()]);
        assert_eq!(sum.reads(), 6);
        assert_eq!(sum, one.into_sorted());
    }

    /// Random keys that keep hitting each other (short lengths from a small
    /// pool), of every length up to past the packed limit, some with an `N`.
    fn random_keys(seed: u64, n: usize) -> Vec<Vec<u8>> {
        let mut rng = crate::rng::Rng::new(seed);
        let pool: Vec<Vec<u8>> = (0..n / 4)
            .map(|_| {
                let len = match rng.below(10) {
                    0 => 33 + rng.below(8),
                    1 => rng.below(4),
                    2 => 30 + rng.below(3),
                    _ => 18 + rng.below(8),
                };
                let alphabet: &[u8] = if rng.chance(0.05) { b"ACGTN" } else { b"ACGT" };
                rng.seq_from(len, alphabet)
            })
            .collect();
        (0..n)
            .map(|_| pool[rng.below(pool.len())].clone())
            .collect()
    }

    /// Counts, `add`'s answers, `len`, `reads` and the sorted table against
    /// a HashMap over the same keys, through many growths of the table.
    #[test]
    fn sample_inserts_match_a_hash_map_model() {
        let keys = random_keys(7, 40_000);
        let mut model: HashMap<&[u8], u32> = HashMap::new();
        let mut s = SampleInserts::default();
        for (i, k) in keys.iter().enumerate() {
            let n = 1 + (i % 3) as u32;
            let new = !model.contains_key(k.as_slice());
            *model.entry(k).or_default() += n;
            assert_eq!(s.add_count(k, n), new, "{k:?}");
        }
        assert_eq!(s.len(), model.len());
        assert_eq!(s.reads(), model.values().map(|&n| n as u64).sum::<u64>());
        assert!(s.packed.len > 1000 && !s.slots.is_empty(), "{s:?}");
        let mut expected: Vec<(&[u8], u32)> = model.into_iter().collect();
        expected.sort_unstable();
        assert_eq!(s.into_sorted().iter().collect::<Vec<_>>(), expected);
    }

    /// A table large enough to be sorted in parts on the pool comes out as
    /// it does sorted whole on one thread, and as a model of it does.
    #[test]
    fn a_table_sorted_in_parts_equals_one_sorted_whole() {
        let keys = random_keys(29, 300_000);
        let mut model: HashMap<&[u8], u32> = HashMap::new();
        let (mut whole, mut in_parts) = (SampleInserts::default(), SampleInserts::default());
        for k in &keys {
            *model.entry(k).or_default() += 1;
            whole.add(k);
            in_parts.add(k);
        }
        assert!(in_parts.packed.len >= 3 * SORTED_PART_MIN, "{in_parts:?}");
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .expect("pool");
        let in_parts = pool.install(|| in_parts.into_sorted_on_pool());
        let mut expected: Vec<(&[u8], u32)> = model.into_iter().collect();
        expected.sort_unstable();
        assert_eq!(in_parts.iter().collect::<Vec<_>>(), expected);
        assert_eq!(in_parts, whole.into_sorted());
        // no packed key at all, or nothing but packed keys: every key kept
        let no_packed: Vec<Vec<u8>> = keys.iter().map(|k| [&k[..], b"N"].concat()).collect();
        let only_packed: Vec<Vec<u8>> =
            keys.iter().filter(|k| pack(k).is_some()).cloned().collect();
        for keys in [no_packed, only_packed] {
            let mut table = SampleInserts::default();
            keys.iter().for_each(|k| _ = table.add(k));
            let distinct = table.len();
            let sorted = pool.install(|| table.into_sorted_on_pool());
            assert_eq!(sorted.len(), distinct);
            assert_eq!(sorted.reads(), keys.len() as u64);
        }
    }

    /// `add_later` (flushed at odd points, or left to `into_sorted`) hands
    /// out the same new keys in the same order as `add`, and
    /// ends with the same table.
    #[test]
    fn adding_later_matches_adding_now() {
        let keys = random_keys(5, 20_000);
        let mut now = SampleInserts::default();
        let firsts: Vec<&[u8]> = keys
            .iter()
            .filter(|k| now.add(k))
            .map(Vec::as_slice)
            .collect();
        let mut later = SampleInserts::default();
        let mut seen: Vec<Vec<u8>> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            later.add_later(k, |new| seen.push(new.to_vec()));
            if i % 1000 == 999 {
                later.flush(|new| seen.push(new.to_vec()));
            }
        }
        later.flush(|new| seen.push(new.to_vec()));
        assert_eq!(seen, firsts);
        assert_eq!(later.reads(), keys.len() as u64);
        // keys still held count in into_sorted, and so in a sum
        let mut held = SampleInserts::default();
        keys[..LATER - 1]
            .iter()
            .for_each(|k| held.add_later(k, |_| {}));
        assert_eq!(held.reads(), LATER as u64 - 1);
        let mut other = SampleInserts::default();
        keys[LATER - 1..]
            .iter()
            .for_each(|k| other.add_later(k, |_| {}));
        let tables = vec![held.into_sorted(), other.into_sorted()];
        assert_eq!(SortedInserts::sum(tables), now.into_sorted());
        assert_eq!(later.into_sorted().reads(), keys.len() as u64);
    }

    /// Summing workers' sorted tables equals one table over all their keys,
    /// for any number of workers.
    #[test]
    fn summed_worker_tables_match_one_table() {
        let all = random_keys(13, 30_000);
        // with the short keys every table starts alike (they repeat most):
        // without them, the tables' smallest keys differ
        let long: Vec<Vec<u8>> = all.iter().filter(|k| k.len() >= 4).cloned().collect();
        for keys in [all, long] {
            sum_matches_one_table(&keys);
        }
        assert_eq!(SortedInserts::sum(Vec::new()), SortedInserts::default());
    }

    fn sum_matches_one_table(keys: &[Vec<u8>]) {
        let mut one = SampleInserts::default();
        keys.iter().for_each(|k| _ = one.add(k));
        let one = one.into_sorted();
        for workers in [1, 2, 3, 5, 8] {
            let mut parts: Vec<SampleInserts> =
                (0..workers).map(|_| SampleInserts::default()).collect();
            for (i, k) in keys.iter().enumerate() {
                parts[(i * i + i / 7) % workers].add(k);
            }
            let sorted = parts.into_iter().map(SampleInserts::into_sorted).collect();
            let sum = SortedInserts::sum(sorted);
            assert_eq!(sum, one, "{workers} workers");
            // every sample's sum is kept until the table is built: no spare room
            assert_eq!(sum.bases.capacity(), sum.bases.len(), "{workers} workers");
            assert_eq!(sum.ends.capacity(), sum.ends.len(), "{workers} workers");
            assert_eq!(sum.counts.capacity(), sum.counts.len(), "{workers} workers");
        }
    }

    /// One sample's table ([`InsertTable::of_samples`]' shortcut) equals
    /// the k-way merge's, of that sample alone and beside an empty one.
    #[test]
    fn one_sample_table_matches_the_merge() {
        let mut s = SampleInserts::default();
        random_keys(17, 5000).iter().for_each(|k| _ = s.add(k));
        let s = s.into_sorted();
        let empty = SortedInserts::default();
        let merged = InsertTable::build(&[&s, &empty]);
        let one = InsertTable::build(&[&s]);
        assert_eq!(one.seqs, merged.seqs);
        assert_eq!(one.counts[..], merged.counts[..1]);
        assert_eq!(InsertTable::build(&[&empty]).counts, vec![Vec::new()]);
        assert_eq!(InsertTable::of_samples(vec![s.clone()]), one);
        assert_eq!(InsertTable::of_samples(vec![s, empty]), merged);
        assert_eq!(InsertTable::of_samples(Vec::new()), InsertTable::build(&[]));
    }

    /// Packing keeps the bases and length and orders keys as their bytes.
    #[test]
    fn packed_keys_round_trip_and_sort_as_bytes() {
        let mut rng = crate::rng::Rng::new(3);
        let mut keys: Vec<Vec<u8>> = (0..2000)
            .map(|_| {
                let len = rng.below(PACKED_MAX + 1);
                let alphabet: &[u8] = if rng.chance(0.5) { b"AC" } else { b"ACGT" };
                rng.seq_from(len, alphabet)
            })
            .collect();
        keys.push(Vec::new());
        let mut buf = [0; UNPACKED];
        for k in &keys {
            let key = pack(k).unwrap();
            assert_ne!(key, 0);
            assert_eq!(unpack(key, &mut buf), k.as_slice());
        }
        let mut by_key = keys.clone();
        by_key.sort_by_key(|k| {
            let key = pack(k).unwrap();
            (packed_bases(key), Reverse(key))
        });
        keys.sort();
        assert_eq!(by_key, keys);
        assert!(pack(&[b'A'; PACKED_MAX + 1]).is_none() && pack(b"ACN").is_none());
    }
}

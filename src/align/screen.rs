//! Screening inserts against large references (genomes): every end-to-end
//! placement with at most k mismatches (no non-templated bases, no pads),
//! the best-ranked ones kept per insert.
//!
//! The inserts are indexed, not the reference: each insert of `l` bases
//! with `k` mismatches allowed holds `k + 1` pigeonhole pieces of
//! `p = l / (k + 1)` bases, one of which a hit matches exactly. The first
//! `s = min(p, MAX_SEED)` bases of each piece (and their reverse complement,
//! which stands for the piece on the antisense strand) go into a seed table
//! per seed length: a bitmap over the `4^s` codes with a running rank every
//! 64 codes (16 bytes per 64 codes, 4 MiB for 12-base seeds, whatever the
//! number of inserts), the distinct codes' entry ranges, and the entries
//! (insert, piece start, strand). The sense strand of the reference is then
//! read once, in chunks (in parallel), with a rolling 2-bit code: every
//! position looks its seeds up (a block of positions at a time), every
//! entry found gives a candidate placement. Each entry carries a check (the
//! insert's 7 bases beside the seed), compared with the reference there
//! first: most random candidates end without reading the insert; the others
//! are verified by comparing eight bases at a time (antisense placements as
//! the insert's reverse complement on the sense strand). The placements
//! are grouped by insert and the best kept. The GPU engine
//! ([`crate::align::gpu::GpuEngine::screen`]) runs the same tables and scan.

use rayon::prelude::*;

use super::{keep_best, FlatHits, Hit, TargetSet};
use crate::seq::{N, T};

/// Longest seed looked up (bases): a 12-base table is 4 MiB, and a random
/// 12-mer occurs once in 16.8 million positions.
pub const MAX_SEED: usize = 12;

/// Longest insert (a seed entry packs its piece start in 8 bits).
pub const MAX_INSERT_LEN: usize = 255;

/// Most mismatches an insert may be given.
pub const MAX_MISMATCHES: u8 = 2;

/// Inserts per batch: an entry packs the insert in 23 bits.
pub(crate) const MAX_BATCH: usize = 1 << 23;

/// Entry bits: piece start (8 bits), reverse-complement flag, insert.
pub(crate) const ENTRY_RC: u32 = 1 << 8;
pub(crate) const ENTRY_INSERT_SHIFT: u32 = 9;

/// Reference positions a CPU task scans.
const CHUNK_BASES: usize = 1 << 16;

/// Positions whose seeds are looked up together.
const BLOCK: usize = 256;

/// Code of an insert N in the verifier's copy of the inserts: it differs
/// from every reference code (0..=4), so an N always mismatches.
const INSERT_N: u8 = 0xff;

/// 64 consecutive seed codes: which have entries (bit `c % 64`), and how
/// many codes with entries come before these 64 (the rank). The GPU reads
/// the same 16 bytes as four words (bits low, bits high, rank, 0).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct RankWord {
    pub bits: u64,
    pub rank: u32,
    pub pad: u32,
}

/// The seeds of one length.
#[derive(Debug)]
pub(crate) struct SeedTable {
    /// Seed length (bases).
    pub len: usize,
    /// `4^len - 1`.
    pub mask: u32,
    /// One word per 64 codes.
    pub words: Vec<RankWord>,
    /// Entry range of the `d`-th code with entries: `starts[d]..starts[d + 1]`
    /// (indices into [`SeedTables::entries`]).
    pub starts: Vec<u32>,
}

impl SeedTable {
    /// Entry range of seed `code`, if it has entries.
    #[inline]
    fn lookup(&self, code: u32) -> Option<(usize, usize)> {
        let c = code & self.mask;
        let w = &self.words[(c >> 6) as usize];
        let bit = c & 63;
        if (w.bits >> bit) & 1 == 0 {
            return None;
        }
        let d = (w.rank + (w.bits & ((1u64 << bit) - 1)).count_ones()) as usize;
        Some((self.starts[d] as usize, self.starts[d + 1] as usize))
    }
}

/// The seed tables of a batch of inserts, by increasing seed length, and
/// their entries: `insert << 9 | rc << 8 | piece start`, each with its
/// check (see [`check_of`]).
#[derive(Debug)]
pub(crate) struct SeedTables {
    pub tables: Vec<SeedTable>,
    pub entries: Vec<u32>,
    pub checks: Vec<u64>,
}

/// A check's byte for an insert base it does not test.
const ANY: u8 = 0xff;

/// Bytes 0..7 of a check: the 7 bases of the insert next to a seed.
const CHECK_BASES: u64 = 0x00ff_ffff_ffff_ffff;

/// The check of a seed entry: the insert's 7 bases (as read on the sense
/// strand, reverse-complemented for `rc` seeds) right after the seed
/// (byte 7 bit 0 clear) or right before it (set), [`ANY`] where there is
/// no base or an N; byte 7 also holds `k << 1`. A candidate whose
/// reference bases there differ in more than k tested bases cannot be a
/// hit: most random candidates are rejected without reading the insert.
pub(crate) fn check_of(q: &[u8], k: u8, from: usize, s: usize, rc: bool) -> u64 {
    let l = q.len();
    // base x of the insert as read on the sense strand
    let base = |x: usize| -> u8 {
        let b = if rc {
            let c = q[l - 1 - x];
            if c >= N {
                N
            } else {
                T - c
            }
        } else {
            q[x]
        };
        if b >= N {
            ANY
        } else {
            b
        }
    };
    // the seed's first base in that reading
    let f = if rc { l - from - s } else { from };
    let after = (l - f - s).min(7);
    let before = f.min(7);
    let mut bytes = [ANY; 8];
    if after == 7 || after >= before {
        for (j, b) in bytes[..after].iter_mut().enumerate() {
            *b = base(f + s + j);
        }
        bytes[7] = k << 1;
    } else {
        for (j, b) in bytes[7 - before..7].iter_mut().enumerate() {
            *b = base(f - before + j);
        }
        bytes[7] = k << 1 | 1;
    }
    u64::from_le_bytes(bytes)
}

/// Whether the reference bases `r` (8 codes, the last one ignored) where a
/// check lies can hold the insert's: at most k of its tested bases differ.
#[inline]
fn passes(check: u64, r: u64) -> bool {
    let bases = check & CHECK_BASES;
    let any = ((bases & 0x0080_8080_8080_8080) >> 7) * 0xff;
    let mut d = (r ^ bases) & !any & CHECK_BASES;
    d |= d >> 4;
    d |= d >> 2;
    d |= d >> 1;
    (d & 0x0101_0101_0101_0101).count_ones() <= (check >> 57) as u32
}

/// Seed length of an insert of `len` bases with `k` mismatches, seeds of at
/// most `max_seed` bases.
#[inline]
pub(crate) fn seed_len(len: usize, k: usize, max_seed: usize) -> usize {
    (len / (k + 1)).min(max_seed)
}

impl SeedTables {
    /// The seeds of every insert's pieces (up to `max_seed` bases) and
    /// their reverse complements. Pieces with an N have no seed (a hit
    /// mismatches there, so another piece matches exactly).
    pub(crate) fn build(inserts: &[&[u8]], mismatches: &[u8], max_seed: usize) -> Self {
        let mut keys: Vec<Vec<(u32, u32, u64)>> = vec![Vec::new(); max_seed + 1];
        for (i, (q, &k)) in inserts.iter().zip(mismatches).enumerate() {
            let piece = q.len() / (k as usize + 1);
            let s = seed_len(q.len(), k as usize, max_seed);
            for j in 0..=k as usize {
                let from = j * piece;
                let bases = &q[from..from + s];
                let entry = (i as u32) << ENTRY_INSERT_SHIFT | from as u32;
                if let Some(code) = code_of(bases) {
                    keys[s].push((code, entry, check_of(q, k, from, s, false)));
                }
                if let Some(code) = code_of_reverse_complement(bases) {
                    let check = check_of(q, k, from, s, true);
                    keys[s].push((code, entry | ENTRY_RC, check));
                }
            }
        }
        let n = keys.iter().map(Vec::len).sum();
        let mut entries = vec![0u32; n];
        let mut checks = vec![0u64; n];
        let mut filled = 0;
        let mut tables = Vec::new();
        for (len, keys) in keys.iter().enumerate() {
            if keys.is_empty() {
                continue;
            }
            let out = (&mut entries[filled..], &mut checks[filled..]);
            tables.push(SeedTable::build(len, keys, out, filled as u32));
            filled += keys.len();
        }
        Self {
            tables,
            entries,
            checks,
        }
    }

    /// Longest seed of any table (0 without tables).
    pub(crate) fn max_len(&self) -> usize {
        self.tables.last().map_or(0, |t| t.len)
    }
}

impl SeedTable {
    /// The table of `keys` (code, entry, check) of seeds of `len` bases;
    /// writes the entries and checks, grouped by code, to `out` (which
    /// starts at entry `base`).
    fn build(
        len: usize,
        keys: &[(u32, u32, u64)],
        out: (&mut [u32], &mut [u64]),
        base: u32,
    ) -> Self {
        let mut words = vec![RankWord::default(); (1usize << (2 * len)).div_ceil(64)];
        for &(code, _, _) in keys {
            words[(code >> 6) as usize].bits |= 1u64 << (code & 63);
        }
        let mut distinct = 0u32;
        for w in &mut words {
            w.rank = distinct;
            distinct += w.bits.count_ones();
        }
        let rank = |code: u32| {
            let w = &words[(code >> 6) as usize];
            (w.rank + (w.bits & ((1u64 << (code & 63)) - 1)).count_ones()) as usize
        };
        let mut fill = crate::runtime::written_zeros::<u32>(distinct as usize + 1);
        for &(code, _, _) in keys {
            fill[rank(code) + 1] += 1;
        }
        for d in 1..fill.len() {
            fill[d] += fill[d - 1];
        }
        let starts = fill.iter().map(|&e| base + e).collect();
        for &(code, entry, check) in keys {
            let d = rank(code);
            out.0[fill[d] as usize] = entry;
            out.1[fill[d] as usize] = check;
            fill[d] += 1;
        }
        Self {
            len,
            mask: ((1u64 << (2 * len)) - 1) as u32,
            words,
            starts,
        }
    }
}

/// 2-bit code of bases (none of them N), first base highest, or None.
pub(crate) fn code_of(bases: &[u8]) -> Option<u32> {
    bases
        .iter()
        .try_fold(0u32, |code, &b| (b < N).then_some(code << 2 | b as u32))
}

/// 2-bit code of the reverse complement of bases (none of them N), or None.
pub(crate) fn code_of_reverse_complement(bases: &[u8]) -> Option<u32> {
    bases.iter().rev().try_fold(0u32, |code, &b| {
        (b < N).then_some(code << 2 | (T - b) as u32)
    })
}

/// Checks the preconditions of [`screen_cpu`] and the GPU screen: strand
/// pairs without pads, one mismatch limit per insert, every insert of
/// `k + 1..=255` bases with `k <= 2`. The first broken one, in words.
pub(crate) fn check_inputs(ts: &TargetSet, inserts: &[&[u8]], mismatches: &[u8]) -> Option<String> {
    if ts.window_5p != 0 || ts.window_3p != 0 || !super::scan::strand_pairs(ts) {
        return Some("the targets are not a screen reference's strand pairs".into());
    }
    if inserts.len() != mismatches.len() {
        return Some(format!(
            "{} inserts but {} mismatch limits",
            inserts.len(),
            mismatches.len()
        ));
    }
    inserts
        .iter()
        .zip(mismatches)
        .position(|(q, &k)| {
            k > MAX_MISMATCHES || q.len() <= k as usize || q.len() > MAX_INSERT_LEN
        })
        .map(|i| {
            format!(
                "insert {i} has {} bases and {} mismatches (at most {MAX_MISMATCHES} mismatches, {MAX_INSERT_LEN} bases, more bases than mismatches)",
                inserts[i].len(),
                mismatches[i]
            )
        })
}

/// Best end-to-end hits of each insert (base codes, as
/// [`crate::seq::encode`] gives), in input order: for insert `i` exactly
/// `brute_force(ts, inserts[i], &AlignParams { max_mismatches:
/// mismatches[i], max_nontemplated: 0 })`, all its placements of the fewest
/// mismatches, sorted by (target, offset), however many.
///
/// `ts` must come from [`TargetSet::from_screen`] (strand pairs, no pads);
/// inserts may hold N (which always mismatches) and must have more bases
/// than mismatches and at most [`MAX_INSERT_LEN`]; mismatches are at most
/// [`MAX_MISMATCHES`]. Seeds are `min(len / (k + 1), 12)` bases long, so
/// inserts of 14 bases or more (with k up to 2) are fast on genomes.
///
/// # Panics
/// When a precondition above is broken.
pub fn screen_cpu(ts: &TargetSet, inserts: &[&[u8]], mismatches: &[u8]) -> FlatHits {
    if let Some(why) = check_inputs(ts, inserts, mismatches) {
        panic!("screen_cpu: {why}");
    }
    let mut out = FlatHits::default();
    for lo in (0..inserts.len()).step_by(MAX_BATCH) {
        let hi = (lo + MAX_BATCH).min(inserts.len());
        out.append(&screen_batch(ts, &inserts[lo..hi], &mismatches[lo..hi]));
    }
    out
}

/// [`screen_cpu`] for at most [`MAX_BATCH`] inserts.
fn screen_batch(ts: &TargetSet, inserts: &[&[u8]], mismatches: &[u8]) -> FlatHits {
    let started = std::time::Instant::now();
    let tables = SeedTables::build(inserts, mismatches, MAX_SEED);
    let padded = PaddedInserts::new(inserts, mismatches);
    let built = started.elapsed();
    let scan = Scan {
        ts,
        tables: &tables,
        inserts: &padded,
    };
    let chunks: Vec<(usize, usize, usize)> = (0..ts.targets.len())
        .step_by(2)
        .flat_map(|t| {
            let len = ts.targets[t].len;
            (0..len)
                .step_by(CHUNK_BASES)
                .map(move |a| (t, a, (a + CHUNK_BASES).min(len)))
        })
        .collect();
    let raw: Vec<Vec<[u32; 4]>> = chunks
        .par_iter()
        .map(|&(t, a, b)| {
            let mut out = Vec::new();
            scan.chunk(t, a, b, &mut out);
            out
        })
        .collect();
    let scanned = started.elapsed();
    let parts: Vec<&[[u32; 4]]> = raw.iter().map(Vec::as_slice).collect();
    let out = gather(inserts, &parts);
    if crate::tuning::Tuning::current().screen_profile {
        let entries = tables.entries.len();
        crate::runtime::streams::to_stderr(&format!(
            "mirq: screen profile: {} inserts, {entries} seeds: tables {:.3} s, scan {:.3} s, gather {:.3} s",
            inserts.len(),
            built.as_secs_f64(),
            (scanned - built).as_secs_f64(),
            (started.elapsed() - scanned).as_secs_f64()
        ));
    }
    out
}

/// The inserts as the verifier reads them, each in one record: length and
/// mismatch limit (8 bytes), its codes, then its reverse complement's
/// (each padded to a multiple of 8 bases, N as [`INSERT_N`]), so that a
/// candidate reads one place in memory.
struct PaddedInserts {
    data: Vec<u8>,
    starts: Vec<u32>,
}

impl PaddedInserts {
    fn new(inserts: &[&[u8]], mismatches: &[u8]) -> Self {
        let total: usize = inserts
            .iter()
            .map(|q| 8 + 2 * q.len().next_multiple_of(8))
            .sum();
        let mut data = Vec::with_capacity(total);
        let mut starts = Vec::with_capacity(inserts.len());
        let code = |b: u8| if b >= N { INSERT_N } else { b };
        for (q, &k) in inserts.iter().zip(mismatches) {
            starts.push(data.len() as u32);
            data.extend([q.len() as u8, k, 0, 0, 0, 0, 0, 0]);
            let padded = data.len() + q.len().next_multiple_of(8);
            data.extend(q.iter().map(|&b| code(b)));
            data.resize(padded, 0);
            let padded = data.len() + q.len().next_multiple_of(8);
            data.extend(
                q.iter()
                    .rev()
                    .map(|&b| if b >= N { INSERT_N } else { T - b }),
            );
            data.resize(padded, 0);
        }
        Self { data, starts }
    }
}

/// What the scan of a batch reads.
struct Scan<'a> {
    ts: &'a TargetSet,
    tables: &'a SeedTables,
    inserts: &'a PaddedInserts,
}

impl Scan<'_> {
    /// Looks up every seed ending at a position in `a..b` of sense target
    /// `t` and verifies the candidates; appends (insert, target, offset,
    /// mismatches) of the placements found. Positions go [`BLOCK`] at a
    /// time: their codes first, then each table's bit tests over the block
    /// (independent loads, which the processor overlaps), then the entries
    /// of the codes found.
    fn chunk(&self, t: usize, a: usize, b: usize, out: &mut Vec<[u32; 4]>) {
        let target = &self.ts.targets[t];
        let seq = &self.ts.text[target.text_start..target.text_start + target.len];
        let longest = self.tables.max_len().max(1);
        let (mut code, mut run) = (0u32, 0u32);
        let mut roll = |base: u8| {
            if base >= N {
                run = 0;
            } else {
                code = code << 2 | base as u32;
                run += 1;
            }
            (code, run)
        };
        for &base in &seq[a.saturating_sub(longest - 1)..a] {
            roll(base);
        }
        let mut codes = [0u32; BLOCK];
        let mut runs = [0u32; BLOCK];
        let mut found = [0u16; BLOCK];
        for lo in (a..b).step_by(BLOCK) {
            let hi = (lo + BLOCK).min(b);
            for (i, &base) in seq[lo..hi].iter().enumerate() {
                (codes[i], runs[i]) = roll(base);
            }
            for table in &self.tables.tables {
                let s = table.len as u32;
                let mut n = 0;
                for i in 0..hi - lo {
                    let c = codes[i] & table.mask;
                    let w = &table.words[(c >> 6) as usize];
                    let present = (w.bits >> (c & 63)) & 1 != 0 && runs[i] >= s;
                    found[n] = i as u16;
                    n += usize::from(present);
                }
                for &i in &found[..n] {
                    let (first, end) = table.lookup(codes[i as usize]).expect("a code found");
                    let start = lo + i as usize + 1 - table.len;
                    let entries = &self.tables.entries[first..end];
                    let checks = &self.tables.checks[first..end];
                    // the reference bases after and before the seed
                    let after = seq.get(start + table.len..start + table.len + 8);
                    let before = start.checked_sub(7).and_then(|b| seq.get(b..b + 8));
                    let [after, before] = [after, before]
                        .map(|r| r.map(|r| u64::from_le_bytes(r.try_into().expect("8 bases"))));
                    for (&entry, &check) in entries.iter().zip(checks) {
                        let r = if check >> 56 & 1 == 0 { after } else { before };
                        if r.map_or(true, |r| passes(check, r)) {
                            self.candidate(t, start, table.len, entry, out);
                        }
                    }
                }
            }
        }
    }

    /// Verifies the placement a seed of `s` bases at `start` on sense target
    /// `t` gives for `entry`. Placements on the antisense target are
    /// compared as the insert's reverse complement on the sense one (the
    /// same bases, near the scan in memory).
    #[inline]
    fn candidate(&self, t: usize, start: usize, s: usize, entry: u32, out: &mut Vec<[u32; 4]>) {
        let i = (entry >> ENTRY_INSERT_SHIFT) as usize;
        let from = (entry & 0xff) as usize;
        let len = self.ts.targets[t].len;
        let record = &self.inserts.data[self.inserts.starts[i] as usize..];
        let (l, k) = (record[0] as usize, record[1] as u32);
        let codes = &record[8..];
        // the placement's first position on the sense target, and the codes
        // compared there
        let (sense, q) = if entry & ENTRY_RC == 0 {
            let Some(h) = start.checked_sub(from) else {
                return;
            };
            (h, codes)
        } else {
            // the seed's reverse complement is the insert's piece on the
            // antisense target, so the insert's reverse complement lies
            // `from` bases past the seed's end less its length
            let Some(h) = (start + s + from).checked_sub(l) else {
                return;
            };
            (h, &codes[l.next_multiple_of(8)..])
        };
        if sense + l > len {
            return;
        }
        let r = &self.ts.text[self.ts.targets[t].text_start + sense..];
        if let Some(mm) = mismatches(r, q, l, k) {
            let (on, offset) = if entry & ENTRY_RC == 0 {
                (t, sense)
            } else {
                (t + 1, len - sense - l)
            };
            out.push([i as u32, on as u32, offset as u32, mm]);
        }
    }
}

/// Mismatches of the first `l` codes of `q` (padded to a multiple of 8, N
/// as [`INSERT_N`]) against those of `r` (codes 0..=4), or None when more
/// than `k`.
#[inline]
fn mismatches(r: &[u8], q: &[u8], l: usize, k: u32) -> Option<u32> {
    let mut mm = 0u32;
    if r.len() < l.next_multiple_of(8) {
        mm = r[..l]
            .iter()
            .zip(&q[..l])
            .map(|(a, b)| u32::from(a != b))
            .sum();
        return (mm <= k).then_some(mm);
    }
    let mut x = 0;
    while x < l {
        let rw = u64::from_le_bytes(r[x..x + 8].try_into().expect("8 bytes"));
        let qw = u64::from_le_bytes(q[x..x + 8].try_into().expect("8 bytes"));
        let mut d = rw ^ qw;
        if l - x < 8 {
            d &= (1u64 << (8 * (l - x))) - 1;
        }
        // bit 0 of each byte: whether the byte differs
        d |= d >> 4;
        d |= d >> 2;
        d |= d >> 1;
        mm += (d & 0x0101_0101_0101_0101).count_ones();
        if mm > k {
            return None;
        }
        x += 8;
    }
    Some(mm)
}

/// Each insert's best hits from placements (insert, target, offset,
/// mismatches) in any order and with repeats: grouped by insert, the
/// fewest mismatches kept, sorted by (target, offset).
pub(crate) fn gather(inserts: &[&[u8]], parts: &[&[[u32; 4]]]) -> FlatHits {
    let n = inserts.len();
    let mut starts = vec![0usize; n + 1];
    for r in parts.iter().flat_map(|p| p.iter()) {
        starts[r[0] as usize + 1] += 1;
    }
    for q in 0..n {
        starts[q + 1] += starts[q];
    }
    let mut fill = starts.clone();
    let placeholder = Hit {
        target: 0,
        offset: 0,
        templated: 0,
        nontemplated: 0,
        mismatches: 0,
        wildcards: 0,
    };
    let mut grouped = vec![placeholder; starts[n]];
    for r in parts.iter().flat_map(|p| p.iter()) {
        let q = r[0] as usize;
        grouped[fill[q]] = Hit {
            target: r[1],
            offset: r[2] as i32,
            templated: inserts[q].len() as u16,
            nontemplated: 0,
            mismatches: r[3] as u8,
            wildcards: 0,
        };
        fill[q] += 1;
    }
    let mut out = FlatHits::default();
    let mut hits = Vec::new();
    for q in 0..n {
        hits.clear();
        hits.extend_from_slice(&grouped[starts[q]..starts[q + 1]]);
        keep_best(&mut hits);
        out.push(&hits);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::{brute_force, AlignParams};
    use crate::input::screen::{ScreenRecord, ScreenReference};
    use crate::rng::Rng;
    use crate::seq::encode;

    /// Random records (some with N runs), low-complexity stretches included.
    fn reference(rng: &mut Rng, records: usize) -> ScreenReference {
        let records = (0..records)
            .map(|i| {
                let len = if rng.chance(0.9) {
                    200 + rng.below(800)
                } else {
                    1 + rng.below(30)
                };
                let mut seq = rng.bases(len);
                if rng.chance(0.3) && len > 10 {
                    let at = rng.below(len - 5);
                    for b in &mut seq[at..at + 1 + rng.below(5)] {
                        *b = b'N';
                    }
                }
                if rng.chance(0.2) && len > 40 {
                    let at = rng.below(len - 30);
                    for b in &mut seq[at..at + 30] {
                        *b = b'A';
                    }
                }
                ScreenRecord {
                    name: format!("r{i}"),
                    seq,
                }
            })
            .collect();
        ScreenReference::from_records("test", records)
    }

    /// Inserts from either strand (with up to 3 changes, N included) and at
    /// random, 14 to 60 bases, with their mismatch limits.
    fn inserts(rng: &mut Rng, ts: &TargetSet, n: usize) -> (Vec<Vec<u8>>, Vec<u8>) {
        (0..n)
            .map(|_| {
                let len = 14 + rng.below(47);
                let k = rng.below(3) as u8;
                let t = &ts.targets[rng.below(ts.targets.len())];
                let mut q = if rng.chance(0.8) && t.len >= len {
                    let start = t.text_start + rng.below(t.len - len + 1);
                    ts.text[start..start + len].to_vec()
                } else {
                    encode(&rng.bases(len))
                };
                for _ in 0..rng.below(4) {
                    let at = rng.below(len);
                    q[at] = rng.below(5) as u8;
                }
                (q, k)
            })
            .unzip()
    }

    #[test]
    fn screen_finds_the_brute_force_hits() {
        let mut rng = Rng::new(7);
        for round in 0..4 {
            let r = reference(&mut rng, 1 + round * 10);
            let ts = TargetSet::from_screen(&r);
            let (qs, ks) = inserts(&mut rng, &ts, 400);
            let views: Vec<&[u8]> = qs.iter().map(Vec::as_slice).collect();
            let got = screen_cpu(&ts, &views, &ks);
            assert_eq!(got.len(), views.len());
            let mut with_hits = 0;
            for (i, q) in views.iter().enumerate() {
                let params = AlignParams {
                    max_mismatches: ks[i],
                    max_nontemplated: 0,
                };
                assert_eq!(got.get(i), brute_force(&ts, q, &params), "insert {i}");
                with_hits += usize::from(!got.get(i).is_empty());
            }
            assert!(
                with_hits > views.len() / 3,
                "{with_hits} of {}",
                views.len()
            );
        }
    }

    #[test]
    fn every_repeat_is_reported() {
        // a 20-mer five times on the sense strand, its reverse complement twice
        let unit = b"ACGTTGCAAGGCTTACCGAT";
        let rc = crate::seq::reverse_complement(unit);
        let mut seq = Vec::new();
        for i in 0..7 {
            seq.extend_from_slice(if i % 3 == 1 { &rc } else { unit });
            seq.extend_from_slice(b"TTTTT");
        }
        let r = ScreenReference::from_records(
            "rep",
            vec![ScreenRecord {
                name: "a".into(),
                seq,
            }],
        );
        let ts = TargetSet::from_screen(&r);
        let q = encode(unit);
        let got = screen_cpu(&ts, &[&q], &[1]);
        assert_eq!(got.get(0).len(), 7);
        assert!(got
            .get(0)
            .iter()
            .all(|h| h.mismatches == 0 && h.templated == 20));
    }

    #[test]
    fn mismatch_counting_equals_a_byte_loop() {
        let mut rng = Rng::new(3);
        for _ in 0..2000 {
            let l = 1 + rng.below(60);
            let r: Vec<u8> = (0..l + rng.below(10)).map(|_| rng.below(5) as u8).collect();
            let mut q: Vec<u8> = r[..l].to_vec();
            for _ in 0..rng.below(4) {
                let at = rng.below(l);
                q[at] = rng.below(5) as u8;
            }
            let mut padded: Vec<u8> = q
                .iter()
                .map(|&b| if b >= N { INSERT_N } else { b })
                .collect();
            padded.resize(l.next_multiple_of(8), 0);
            let want = (0..l)
                .filter(|&x| r[x] >= N || q[x] >= N || r[x] != q[x])
                .count() as u32;
            for k in 0..3 {
                assert_eq!(mismatches(&r, &padded, l, k), (want <= k).then_some(want));
            }
        }
    }
}

//! Read preparation: one sample's FASTQ records streamed through the
//! trimmer (on as many workers as the pool has threads) into its collapsed
//! inserts, with what became of every read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};

use indicatif::ProgressBar;
use rayon::prelude::*;

use crate::error::Result;
use crate::input::samples::Sample;
use crate::numbers::round_to;
use crate::prep::collapse::{SampleInserts, SortedInserts};
use crate::prep::plan::{stream_prepared, Detected, FirstReads, Streamed};
use crate::prep::protocol::{PrepPlan, TrimSettings};
use crate::prep::sink::{InsertSink, NewInserts};
use crate::prep::trim::{TrimOutcome, Trimmer};
use crate::prep::umi::{inserts_of_keys, UmiKey, UmiSpec};
use crate::seq::{is_upper_acgt, normalize_base};

/// One sample after trimming and collapsing.
pub struct CollapsedSample {
    /// What became of its reads.
    pub counts: TrimCounts,
    /// Mean base quality (Phred+33) over all bases of all reads; None when
    /// no read had qualities (FASTA input, or no read).
    pub mean_quality: Option<f64>,
    /// Reads whose insert is low complexity ([`is_low_complexity`]).
    pub low_complexity: u64,
    /// Its inserts with their reads, sorted.
    pub inserts: SortedInserts,
    /// (insert, UMI) keys ([`UmiKey`]) with their reads, when deduplicating.
    pub umi_keys: Option<SortedInserts>,
    /// What `--protocol auto` decided for the sample.
    pub detected: Option<Detected>,
    /// With a preset: the sample's first reads, to check the preset against.
    pub first_reads: Option<FirstReads>,
}

/// What trimming made of a sample's reads (summed over workers).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrimCounts {
    /// Reads read.
    pub reads_in: u64,
    /// Reads in which the adapter was found (0 when reads come trimmed).
    pub adapter_found: u64,
    /// Reads without the adapter.
    pub no_adapter: u64,
    /// Inserts shorter than the minimum length (adapter dimers included).
    pub too_short: u64,
    /// Of those too short, adapter dimers (empty inserts).
    pub adapter_dimers: u64,
    /// Inserts longer than the maximum length.
    pub too_long: u64,
    /// Reads whose insert passed the length filter (and carried a whole UMI
    /// when deduplicating).
    pub inserts: u64,
    /// Reads with an insert but no whole UMI.
    pub umi_missing: u64,
    /// Reads by insert length before the length filter (index = length).
    pub insert_lengths: Vec<u64>,
}

impl TrimCounts {
    /// Adds another worker's counts.
    fn add(&mut self, from: &TrimCounts) {
        self.reads_in += from.reads_in;
        self.adapter_found += from.adapter_found;
        self.no_adapter += from.no_adapter;
        self.too_short += from.too_short;
        self.adapter_dimers += from.adapter_dimers;
        self.too_long += from.too_long;
        self.inserts += from.inserts;
        self.umi_missing += from.umi_missing;
        let (h, f) = (&mut self.insert_lengths, &from.insert_lengths);
        if h.len() < f.len() {
            h.resize(f.len(), 0);
        }
        for (a, b) in h.iter_mut().zip(f) {
            *a += b;
        }
    }

    /// Counts one insert length.
    #[inline]
    fn length(&mut self, len: usize) {
        let h = &mut self.insert_lengths;
        if h.len() <= len {
            h.resize(len + 1, 0);
        }
        h[len] += 1;
    }
}

/// Reads per batch handed from the parsing thread to a trimming worker.
const TRIM_BATCH: usize = 8192;

/// Threads of a sample's reading that are not trimming workers: the
/// decompressing thread and the parsing (calling) thread, which trim too.
const READING_THREADS: usize = 2;

/// Streams one sample's files through the trimmer into its collapsed inserts.
///
/// With more than one thread in the pool, the calling thread parses (its
/// file is decompressed on a thread of its own, see [`fastq`]) and hands
/// batches of reads to trimming workers, one for each of the pool's
/// threads beyond the decompressing and the parsing thread
/// ([`READING_THREADS`]). Those two trim too, so that no core waits: the
/// parsing thread a batch the workers have no room for, the decompressing
/// thread queued batches while the parser is behind (its chunks' channel
/// full). Each trimming thread collapses into its own table, and the tables
/// and counts are summed at the end, so the result does not depend on how
/// reads were spread. With a `sink`, each trimming thread hands it the
/// inserts new to its own table after each batch (on one thread, none).
pub fn trim_and_collapse(
    sample: &Sample,
    plan: &PrepPlan,
    progress: &ProgressBar,
    sink: Option<&dyn InsertSink>,
) -> Result<CollapsedSample> {
    let threads = rayon::current_num_threads();
    let chosen = Chosen::default();
    let read = Read {
        plan,
        chosen: &chosen,
        progress,
        bytes: AtomicU64::new(0),
    };
    let Trimmed {
        counts,
        quality,
        inserts,
        streamed,
    } = if threads <= 1 {
        trim_serial(sample, &read)?
    } else {
        let workers = threads.saturating_sub(READING_THREADS);
        trim_parallel(sample, &read, workers, sink)?
    };
    progress.finish_and_clear();
    let (detected, first_reads) = match streamed {
        Streamed::Detected(d) => (Some(*d), None),
        Streamed::Fixed(first) => (None, Some(first)),
    };
    let dedup = chosen.settings.get().is_some_and(|t| t.umi.is_some());
    let (inserts, umi_keys) = if dedup {
        (inserts_of_keys(&inserts), Some(inserts))
    } else {
        (inserts, None)
    };
    let low_complexity = low_complexity_reads(&inserts);
    Ok(CollapsedSample {
        counts,
        mean_quality: quality.mean(),
        low_complexity,
        inserts,
        umi_keys,
        detected,
        first_reads,
    })
}

/// Whether an insert is low complexity: its commonest base makes more than
/// 90% of it, or a run of one base covers at least half of it.
///
/// One pass without branches on the bases: each byte adds one to its
/// letter's lane of a word ([`LANE`]), and the current run grows or
/// restarts by arithmetic. A byte other than `ACGTN` (the lanes then sum to
/// less than the length) or an insert too long for the lanes goes to
/// [`is_low_complexity_bytes`].
pub fn is_low_complexity(insert: &[u8]) -> bool {
    let Some(&first) = insert.first() else {
        return false;
    };
    if insert.len() > LANE_MASK {
        return is_low_complexity_bytes(insert);
    }
    let (mut lanes, mut run, mut longest, mut prev) = (0u64, 0usize, 0usize, first);
    for &b in insert {
        lanes += LANE[b as usize];
        run = 1 + run * usize::from(b == prev);
        longest = longest.max(run);
        prev = b;
    }
    let counts = (0..5).map(|i| (lanes >> (LANE_BITS * i)) as usize & LANE_MASK);
    let (sum, commonest) = counts.fold((0, 0), |(sum, max), c| (sum + c, c.max(max)));
    if sum != insert.len() {
        return is_low_complexity_bytes(insert);
    }
    commonest * 10 > insert.len() * 9 || longest * 2 >= insert.len()
}

/// Bits of each letter's count in [`LANE`]'s words.
const LANE_BITS: usize = 12;

/// One lane of [`LANE`]'s words.
const LANE_MASK: usize = (1 << LANE_BITS) - 1;

/// One in the lane of `A`, `C`, `G`, `T` or `N` (lanes 0 to 4, 12 bits
/// each); zero for any other byte.
static LANE: [u64; 256] = {
    let mut t = [0u64; 256];
    let letters = *b"ACGTN";
    let mut i = 0;
    while i < letters.len() {
        t[letters[i] as usize] = 1 << (LANE_BITS * i);
        i += 1;
    }
    t
};

/// [`is_low_complexity`] over any bytes.
fn is_low_complexity_bytes(insert: &[u8]) -> bool {
    let mut counts = [0usize; 256];
    let (mut run, mut longest) = (0usize, 0usize);
    for (i, &b) in insert.iter().enumerate() {
        counts[b as usize] += 1;
        run = if i > 0 && insert[i - 1] == b {
            run + 1
        } else {
            1
        };
        longest = longest.max(run);
    }
    let commonest = counts.iter().copied().max().unwrap_or(0);
    commonest * 10 > insert.len() * 9 || longest * 2 >= insert.len()
}

/// A sample's preparation: its settings, set by [`stream_prepared`] before
/// the first record, and the [`ReadPrep`] made from them once.
#[derive(Default)]
struct Chosen {
    settings: OnceLock<TrimSettings>,
    prep: OnceLock<ReadPrep>,
}

impl Chosen {
    /// The preparation (once the first record has come).
    #[inline]
    fn prep(&self) -> &ReadPrep {
        self.prep.get_or_init(|| {
            let settings = self.settings.get();
            ReadPrep::new(settings.expect("preparation chosen before the first read"))
        })
    }
}

/// How a sample is read: its plan, the preparation chosen for it, and its
/// progress bar (over the bytes read from its files).
struct Read<'a> {
    plan: &'a PrepPlan,
    chosen: &'a Chosen,
    progress: &'a ProgressBar,
    bytes: AtomicU64,
}

impl Read<'_> {
    /// Moves the progress bar to the bytes read so far.
    fn tick(&self) {
        self.progress
            .set_position(self.bytes.load(Ordering::Relaxed));
    }
}

/// Trims and collapses on the calling thread.
fn trim_serial(sample: &Sample, read: &Read) -> Result<Trimmed> {
    let Read { plan, chosen, .. } = *read;
    let mut counts = TrimCounts::default();
    let mut inserts = SampleInserts::default();
    let mut scratch = Scratch::default();
    let mut since_tick = 0u64;
    let mut quality = QualitySum::default();
    let settings = &chosen.settings;
    let records = |seq: &[u8], qual: &[u8]| {
        quality.add(qual);
        since_tick += 1;
        if since_tick == 1 << 16 {
            read.tick();
            since_tick = 0;
        }
        if let Some(key) = chosen.prep().read(seq, qual, &mut counts, &mut scratch) {
            inserts.add_later(key, |_| {});
        }
    };
    let streamed = stream_prepared(sample, plan, settings, &read.bytes, records, None)?;
    read.tick();
    Ok(Trimmed {
        counts,
        quality,
        inserts: inserts.into_sorted(),
        streamed,
    })
}

/// A sample's trimming counts, qualities, sorted inserts (or UMI keys),
/// and its detection or first reads.
struct Trimmed {
    counts: TrimCounts,
    quality: QualitySum,
    inserts: SortedInserts,
    streamed: Streamed,
}

/// A batch of reads' sequences, concatenated, with each read's end, and
/// their qualities when the trimmer uses them; reused.
#[derive(Default)]
struct ReadBatch {
    bases: Vec<u8>,
    quals: Vec<u8>,
    ends: Vec<usize>,
}

/// Sum of base qualities (Phred+33) and bases, for the mean quality.
#[derive(Default)]
struct QualitySum {
    sum: u64,
    bases: u64,
}

impl QualitySum {
    #[inline]
    fn add(&mut self, qual: &[u8]) {
        self.sum += byte_sum(qual);
        self.bases += qual.len() as u64;
    }

    /// The mean over the bases that had qualities; None without any.
    fn mean(&self) -> Option<f64> {
        if self.bases == 0 {
            return None;
        }
        let mean = self.sum as f64 / self.bases as f64 - 33.0;
        Some(round_to(mean, 2))
    }
}

/// The sum of `bytes`: 16 at a time by SSE2's sum of absolute differences
/// (every x86_64 CPU has it), the rest one by one.
#[inline]
fn byte_sum(bytes: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_add_epi64, _mm_cvtsi128_si64, _mm_loadu_si128, _mm_sad_epu8,
            _mm_setzero_si128, _mm_unpackhi_epi64,
        };
        let mut chunks = bytes.chunks_exact(16);
        // SAFETY: SSE2 is part of x86_64; each load reads one whole chunk.
        let sixteens = unsafe {
            let zero = _mm_setzero_si128();
            let mut lanes = zero;
            for chunk in &mut chunks {
                let v = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
                lanes = _mm_add_epi64(lanes, _mm_sad_epu8(v, zero));
            }
            let high = _mm_unpackhi_epi64(lanes, lanes);
            (_mm_cvtsi128_si64(lanes) + _mm_cvtsi128_si64(high)) as u64
        };
        sixteens + chunks.remainder().iter().map(|&b| b as u64).sum::<u64>()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        bytes.iter().map(|&b| b as u64).sum()
    }
}

/// Parses on the calling thread; trims and collapses on `workers` threads
/// (none at all is fine), on the calling thread when they have no room,
/// and on the decompressing thread while the calling thread is behind.
fn trim_parallel(
    sample: &Sample,
    read: &Read,
    workers: usize,
    sink: Option<&dyn InsertSink>,
) -> Result<Trimmed> {
    let Read { plan, chosen, .. } = *read;
    let (full_tx, full_rx) = sync_channel::<ReadBatch>(2 * workers.max(1));
    let mut quality = QualitySum::default();
    let full_rx = Arc::new(Mutex::new(full_rx));
    let (empty_tx, empty_rx) = channel::<ReadBatch>();
    // the decompressing thread's own table, for the queued batches it trims
    // while the parser is behind (no other thread takes it but at the end)
    let inflating = Mutex::new(BatchTrimmer::new(chosen, sink));
    let help = || -> bool {
        let batch = match full_rx.try_lock() {
            Ok(queue) => queue.try_recv(),
            Err(_) => return false,
        };
        let (Ok(mut batch), Ok(mut trimmer)) = (batch, inflating.lock()) else {
            return false;
        };
        trimmer.trim(&mut batch);
        let _ = empty_tx.send(batch);
        true
    };
    let (parsed, results, parsing) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (full_rx, empty_tx) = (Arc::clone(&full_rx), empty_tx.clone());
                scope.spawn(move || trim_batches(chosen, &full_rx, &empty_tx, sink))
            })
            .collect();
        let mut batch = ReadBatch::default();
        let mut parsing = BatchTrimmer::new(chosen, sink);
        let settings = &chosen.settings;
        let records = |seq: &[u8], qual: &[u8]| {
            quality.add(qual);
            batch.bases.extend_from_slice(seq);
            // the preparation is chosen before the first record comes
            if chosen.prep().uses_quality() {
                batch.quals.extend_from_slice(qual);
            }
            batch.ends.push(batch.bases.len());
            if batch.ends.len() == TRIM_BATCH {
                // a full queue: the parser trims the batch itself
                match full_tx.try_send(std::mem::take(&mut batch)) {
                    Ok(()) => batch = empty_rx.try_recv().unwrap_or_default(),
                    Err(TrySendError::Full(mut back) | TrySendError::Disconnected(mut back)) => {
                        parsing.trim(&mut back);
                        batch = back;
                    }
                }
                read.tick();
            }
        };
        let parsed = stream_prepared(sample, plan, settings, &read.bytes, records, Some(&help));
        if parsed.is_ok() && !batch.ends.is_empty() {
            read.tick();
            parsing.trim(&mut batch);
        }
        drop(full_tx); // the workers finish the queue and stop
        let results: Vec<(TrimCounts, SortedInserts)> = handles
            .into_iter()
            .map(|h| h.join().expect("trimming worker panicked"))
            .collect();
        (parsed, results, parsing)
    });
    let streamed = parsed?;
    let inflating = inflating
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (counts, inserts) = sum_tables(results, parsing, inflating, &full_rx);
    Ok(Trimmed {
        counts,
        quality,
        inserts,
        streamed,
    })
}

/// The sample's counts and table: the workers' (`results`), the parsing
/// thread's (which first trims what is still `queued`: without workers,
/// up to a queue's length) and the decompressing thread's, summed (the
/// same for any split of the reads).
fn sum_tables(
    results: Vec<(TrimCounts, SortedInserts)>,
    mut parsing: BatchTrimmer,
    inflating: BatchTrimmer,
    queued: &BatchQueue,
) -> (TrimCounts, SortedInserts) {
    if let Ok(queue) = queued.lock() {
        for mut batch in queue.try_iter() {
            parsing.trim(&mut batch);
        }
    }
    // their tables sorted side by side, as the workers sort theirs
    let finish = |t: BatchTrimmer| (t.counts.reads_in > 0).then(|| t.finish(true));
    let (parsed_here, inflated_here) = rayon::join(|| finish(parsing), || finish(inflating));
    let mut counts = TrimCounts::default();
    let tables = results
        .into_iter()
        .chain(parsed_here)
        .chain(inflated_here)
        .map(|(trimmed_counts, inserts)| {
            counts.add(&trimmed_counts);
            inserts
        })
        .collect();
    (counts, SortedInserts::sum(tables))
}

/// A worker's reusable buffers: the normalised read and the key built
/// from it.
#[derive(Default)]
struct Scratch {
    read: Vec<u8>,
    key: Vec<u8>,
}

/// The queue of full batches, shared by the trimming workers.
type BatchQueue = Arc<Mutex<Receiver<ReadBatch>>>;

/// One thread's trimming: its counts, its table of inserts, its scratch
/// buffers, and the inserts new to its table since the last batch.
struct BatchTrimmer<'a> {
    chosen: &'a Chosen,
    sink: Option<&'a dyn InsertSink>,
    counts: TrimCounts,
    inserts: SampleInserts,
    scratch: Scratch,
    fresh: NewInserts,
}

impl<'a> BatchTrimmer<'a> {
    fn new(chosen: &'a Chosen, sink: Option<&'a dyn InsertSink>) -> Self {
        Self {
            chosen,
            sink,
            counts: TrimCounts::default(),
            inserts: SampleInserts::default(),
            scratch: Scratch::default(),
            fresh: NewInserts::default(),
        }
    }

    /// Trims and collapses one batch's reads, hands the inserts it made new
    /// to the sink, and empties the batch.
    fn trim(&mut self, batch: &mut ReadBatch) {
        let Self {
            chosen,
            sink,
            counts,
            inserts,
            scratch,
            fresh,
        } = self;
        let prep = chosen.prep();
        // the sink's hook: the keys new to this table
        let mut on_new = |key: &[u8]| {
            if sink.is_some() {
                fresh.push_key(key);
            }
        };
        let mut start = 0;
        for &end in &batch.ends {
            let seq = &batch.bases[start..end];
            let qual = batch.quals.get(start..end).unwrap_or_default();
            if let Some(key) = prep.read(seq, qual, counts, scratch) {
                inserts.add_later(key, &mut on_new);
            }
            start = end;
        }
        inserts.flush(&mut on_new);
        if let Some(sink) = sink.filter(|_| !fresh.is_empty()) {
            sink.take(std::mem::take(fresh));
        }
        batch.bases.clear();
        batch.quals.clear();
        batch.ends.clear();
    }

    /// Its counts and table, sorted (`on_pool`: called from a thread of the
    /// pool, which then sorts).
    fn finish(self, on_pool: bool) -> (TrimCounts, SortedInserts) {
        let inserts = if on_pool {
            self.inserts.into_sorted_on_pool()
        } else {
            self.inserts.into_sorted()
        };
        (self.counts, inserts)
    }
}

/// A trimming worker: takes full batches until the queue closes, trims
/// and collapses their reads with the sample's chosen preparation, hands
/// each emptied batch back, and the inserts it made new to the worker's
/// table to `sink`; its table comes back sorted (the workers sort theirs
/// side by side).
fn trim_batches(
    chosen: &Chosen,
    full: &BatchQueue,
    empty: &Sender<ReadBatch>,
    sink: Option<&dyn InsertSink>,
) -> (TrimCounts, SortedInserts) {
    let mut trimmer = BatchTrimmer::new(chosen, sink);
    loop {
        let next = full.lock().expect("batch queue").recv();
        let Ok(mut batch) = next else { break };
        trimmer.trim(&mut batch);
        let _ = empty.send(batch);
    }
    trimmer.finish(false)
}

/// Reads whose insert is low complexity ([`is_low_complexity`]), counted
/// on the pool (the calling thread is one of its threads).
fn low_complexity_reads(inserts: &SortedInserts) -> u64 {
    (0..inserts.len())
        .into_par_iter()
        .filter(|&i| is_low_complexity(inserts.seq(i)))
        .map(|i| u64::from(inserts.count(i)))
        .sum()
}

/// How a read becomes a counted key: the trimmer, and the UMI taken from
/// the read when deduplicating.
#[derive(Debug, Clone)]
pub struct ReadPrep {
    trimmer: Trimmer,
    has_adapter: bool,
    umi: Option<UmiSpec>,
}

impl ReadPrep {
    /// The preparation `trim` describes.
    pub fn new(trim: &TrimSettings) -> Self {
        let trimmer = trim.trimmer();
        Self {
            has_adapter: trimmer.has_adapter(),
            trimmer,
            umi: trim.umi,
        }
    }

    /// Whether the trimmer reads qualities (`--quality-cutoff`).
    pub fn uses_quality(&self) -> bool {
        self.trimmer.uses_quality()
    }

    /// Normalises one read's bases (upper-case ACGT, U as T, anything else
    /// N) before any adapter, UMI or insert logic sees them, trims it and
    /// counts its outcome. Returns the key to collapse: its insert, followed
    /// by its UMI when deduplicating (a [`UmiKey`]).
    #[inline]
    fn read<'s>(
        &self,
        raw: &'s [u8],
        qual: &[u8],
        counts: &mut TrimCounts,
        scratch: &'s mut Scratch,
    ) -> Option<&'s [u8]> {
        let Scratch { read, key: buf } = scratch;
        // most reads are upper-case ACGT already: they are taken as they are
        let seq: &'s [u8] = if is_upper_acgt(raw) {
            raw
        } else {
            read.clear();
            read.extend(raw.iter().map(|&b| normalize_base(b)));
            read
        };
        counts.reads_in += 1;
        let outcome = if self.trimmer.uses_quality() {
            self.trimmer.trim_with_quality(seq, qual)
        } else {
            self.trimmer.trim(seq)
        };
        if self.has_adapter && outcome != TrimOutcome::NoAdapter {
            counts.adapter_found += 1;
        }
        match outcome {
            TrimOutcome::NoAdapter => {
                counts.no_adapter += 1;
                None
            }
            TrimOutcome::TooShort(len) => {
                counts.length(len);
                counts.too_short += 1;
                if len == 0 {
                    counts.adapter_dimers += 1;
                }
                None
            }
            TrimOutcome::TooLong(len) => {
                counts.length(len);
                counts.too_long += 1;
                None
            }
            TrimOutcome::Insert { start, end } => {
                counts.length(end - start);
                let Some(umi) = &self.umi else {
                    counts.inserts += 1;
                    return Some(&seq[start..end]);
                };
                buf.clear();
                buf.extend_from_slice(&seq[start..end]);
                buf.push(UmiKey::SEPARATOR);
                let adapter_start = end + self.trimmer.cut_3p();
                if !umi.extract(seq, adapter_start, self.trimmer.adapter_len(), buf) {
                    counts.umi_missing += 1;
                    return None;
                }
                counts.inserts += 1;
                Some(&buf[..])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule over any bytes ([`is_low_complexity_bytes`], 256 counters),
    /// with an empty insert not low complexity: the oracle of the lane one.
    fn oracle(insert: &[u8]) -> bool {
        !insert.is_empty() && is_low_complexity_bytes(insert)
    }

    /// Random inserts over ACGTN (many runs and one-base-rich ones), other
    /// bytes, every short length and lengths around the lanes' limit.
    fn low_complexity_cases() -> Vec<Vec<u8>> {
        let mut rng = crate::rng::Rng::new(0x10c0);
        let mut cases: Vec<Vec<u8>> = Vec::new();
        for _ in 0..200_000 {
            let len = match rng.below(20) {
                0 => rng.below(4),
                1 => 30 + rng.below(200),
                _ => 15 + rng.below(20),
            };
            let alphabet: &[u8] = match rng.below(8) {
                0 => b"A",
                1 => b"AC",
                2 => b"AAAAAAAAAAAAAAAAAAAC",
                3 => b"ACGTN",
                4 => b"ACGTNacgu\x00\xff",
                _ => b"ACGT",
            };
            let mut seq = rng.seq_from(len, alphabet);
            if !seq.is_empty() && rng.chance(0.3) {
                // a run of one base somewhere
                let (at, run) = (rng.below(seq.len()), rng.below(seq.len()) + 1);
                let b = b"ACGTNx"[rng.below(6)];
                seq[at..].iter_mut().take(run).for_each(|s| *s = b);
            }
            cases.push(seq);
        }
        for len in [63, 64, 65, 100, LANE_MASK - 1, LANE_MASK, LANE_MASK + 1] {
            for share in [0.5, 0.89, 0.9, 0.91, 1.0] {
                let a = (len as f64 * share) as usize;
                cases.push([vec![b'A'; a], b"CG".repeat(len)][..].concat()[..len].to_vec());
                cases.push(rng.seq_from(len, b"ACGT"));
            }
        }
        cases
    }

    #[test]
    fn low_complexity_matches_the_any_bytes_oracle() {
        let cases = low_complexity_cases();
        let low = cases.iter().filter(|c| oracle(c)).count();
        assert!(low > 10_000 && low < cases.len() - 10_000, "{low}");
        for c in &cases {
            assert_eq!(is_low_complexity(c), oracle(c), "{c:?}");
        }
    }

    /// Edges of both rules: shares and runs at and next to their limits.
    #[test]
    fn low_complexity_matches_the_oracle_at_the_limits() {
        for len in 1..=70usize {
            for k in 0..=len {
                for fill in [b'A', b'N', b'x'] {
                    // k of one base then alternating others; one run of k
                    let share: Vec<u8> = (0..len)
                        .map(|i| if i < k { fill } else { b"CG"[i % 2] })
                        .collect();
                    let mut spread: Vec<u8> = (0..len).map(|i| b"ACGT"[i % 4]).collect();
                    spread
                        .iter_mut()
                        .step_by(len / k.max(1))
                        .take(k)
                        .for_each(|b| *b = fill);
                    for c in [share, spread] {
                        assert_eq!(is_low_complexity(&c), oracle(&c), "{c:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn byte_sums_equal_the_plain_sum() {
        let mut rng = crate::rng::Rng::new(0xB17E_5A3D);
        for len in (0..100).chain([255, 256, 257, 4096]) {
            let bytes: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
            let plain: u64 = bytes.iter().map(|&b| b as u64).sum();
            assert_eq!(byte_sum(&bytes), plain, "{len} bytes");
        }
        assert_eq!(byte_sum(&[255; 1 << 16]), 255 << 16);
    }

    #[test]
    fn low_complexity_by_base_share_and_runs() {
        assert!(is_low_complexity(b"AAAAAAAAAAAAAAAAAAAC")); // 95% A
        assert!(is_low_complexity(b"ACGTAAAAAAAAAACG")); // run of 10 in 16
        assert!(!is_low_complexity(b"TAGCTTATCAGACTGATGTTGA")); // miR-21
        assert!(!is_low_complexity(b"AAAAAAAAACGTCGTCGTCG")); // run 9 of 20
        assert!(!is_low_complexity(b""));
        // any bytes, as the five-letter count
        assert!(is_low_complexity(b"xxxxxxxxxxxxxxxxxxxA"));
        assert!(!is_low_complexity(b"xyxyxyxyxyxyxyxyxyxA"));
        assert!(is_low_complexity(b"NNNNNNNNNNACGTACGTAC"));
    }
}

//! `mirq quant`: reads → trimmed inserts → collapsed table → alignment →
//! assignment → count matrices and stats.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::mpsc::{channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::align::select::align_table;
use crate::align::{AlignParams, TargetSet};
use crate::collapse::{InsertTable, SampleInserts, SortedInserts};
use crate::count::{inserts_of_keys, UMI_SEPARATOR};
use crate::detect::Detection;
use crate::error::{Error, Result};
use crate::fastq;
use crate::finish::{finish, Molecules, RunData};
use crate::output::StagedOutputs;
use crate::protocol::{Protocol, TrimSettings};
use crate::qc;
use crate::reference::Reference;
use crate::samples::Sample;
use crate::seq::normalize_base;
use crate::stats::{Counting, ReferenceStats, RunSettings, RunStats, SampleStats, Timings};
use crate::trim::{TrimOutcome, Trimmer};
use crate::umi::UmiSpec;

pub use crate::align::select::EngineChoice;

/// Everything `mirq quant` needs.
#[derive(Debug, Clone)]
pub struct QuantOptions {
    /// Samples in output column order.
    pub samples: Vec<Sample>,
    /// Mature FASTA.
    pub mature: PathBuf,
    /// Hairpin FASTA (optional).
    pub hairpin: Option<PathBuf>,
    /// Species code.
    pub species: String,
    /// Protocol preset (recorded in stats).
    pub protocol: Protocol,
    /// Resolved trimming settings.
    pub trim: TrimSettings,
    /// `--protocol auto`: `protocol`, and `trim`'s adapter and cuts, are
    /// replaced by those detected from the first reads before trimming.
    pub auto_detect: Option<AutoDetect>,
    /// Alignment limits.
    pub params: AlignParams,
    /// 5' window around a mature start.
    pub window_5p: usize,
    /// 3' window around a mature end.
    pub window_3p: usize,
    /// Engine choice.
    pub engine: EngineChoice,
    /// Worker threads.
    pub threads: usize,
    /// Database named in isomirs.gff3 (None: `miRBase`, or `MirGeneDB` for
    /// MirGeneDB-style names).
    pub database: Option<String>,
    /// Output directory.
    pub outdir: PathBuf,
    /// Show a progress bar on stderr (when it is a terminal).
    pub progress: bool,
}

/// `--protocol auto` (see [`crate::detect`]).
#[derive(Debug, Clone, Default)]
pub struct AutoDetect {
    /// `--adapter` was given: it stays, only the detected cuts apply.
    pub keep_adapter: bool,
    /// `--trim-5p` given: it replaces the detected 5' cut.
    pub cut_5p: Option<usize>,
    /// `--trim-3p` given: it replaces the detected 3' cut.
    pub cut_3p: Option<usize>,
    /// `--dedup` given (with its `--umi`, if any): the UMI follows the
    /// detected protocol.
    pub dedup: Option<Option<UmiSpec>>,
}

/// Resolves `--protocol auto` from the run's first reads, saying what it
/// found on stderr (always: a low or no confidence answer is a warning).
fn resolve_protocol(opts: &QuantOptions) -> Result<(Protocol, TrimSettings, Option<Detection>)> {
    let Some(auto) = &opts.auto_detect else {
        return Ok((opts.protocol, opts.trim.clone(), None));
    };
    let mut detection = crate::detect::detect_run(&opts.samples)?;
    eprintln!("mirq: adapter auto-detection: {}", detection.summary);
    if let Some(w) = &detection.warning {
        eprintln!("mirq: WARNING: {w}");
    }
    let (cut_5p, cut_3p) = detection.protocol.cuts();
    let adapter = if auto.keep_adapter {
        let given = opts.trim.adapter.clone();
        eprintln!(
            "mirq: --adapter {} replaces the detected adapter",
            given.as_deref().unwrap_or("none")
        );
        detection.adapter_override = Some(given.clone().unwrap_or_else(|| "none".into()));
        given
    } else {
        detection.adapter.clone()
    };
    let mut trim = TrimSettings {
        adapter,
        cut_5p: auto.cut_5p.unwrap_or(cut_5p),
        cut_3p: auto.cut_3p.unwrap_or(cut_3p),
        ..opts.trim.clone()
    };
    if let Some(umi) = auto.dedup {
        trim.deduplicate(detection.protocol, umi)?;
    }
    Ok((detection.protocol, trim, Some(detection)))
}

/// One sample after trimming and collapsing.
struct SampleRun {
    stats: SampleStats,
    inserts: SortedInserts,
    /// (insert, UMI) keys with their reads, when deduplicating.
    umi_keys: Option<SortedInserts>,
}

/// Runs the whole quantification and writes the outputs.
pub fn run(opts: &QuantOptions) -> Result<RunStats> {
    let started = Instant::now();
    in_thread_pool(opts.threads, || run_in_pool(opts, started))
}

/// Runs `work` in a rayon pool of `threads` threads (at least one): every
/// parallel step of a run uses that pool, never the global one.
pub(crate) fn in_thread_pool<T>(
    threads: usize,
    work: impl FnOnce() -> Result<T> + Send,
) -> Result<T>
where
    T: Send,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| Error::InvalidValue {
            what: "--threads",
            value: threads.to_string(),
            message: e.to_string(),
        })?;
    pool.install(work)
}

/// The run itself. Its stage timings (stats.json `timings`):
/// `read_trim_collapse` runs from `started` (before the thread pool was
/// made) through [`InsertTable::build`], so it includes loading the
/// reference, building its targets and `--protocol auto` detection; `align`
/// is engine selection (also the early one of `--engine gpu`) plus
/// [`align_table`]; [`finish`] times `assign_count` and `write`.
fn run_in_pool(opts: &QuantOptions, started: Instant) -> Result<RunStats> {
    // --engine gpu fails before any FASTQ is read when no adapter exists
    let early_started = Instant::now();
    let early = match opts.engine {
        EngineChoice::Gpu => Some(crate::align::select::gpu_engine()?),
        _ => None,
    };
    let early_selection = early_started.elapsed();
    let reference = Reference::load(&opts.mature, opts.hairpin.as_deref(), &opts.species)?;
    let targets = TargetSet::build(&reference, opts.window_5p, opts.window_3p);
    let (protocol, trim, detection) = resolve_protocol(opts)?;
    let prep = ReadPrep::new(&trim);
    let progress = progress_bar(opts.progress);
    let out = StagedOutputs::new(&opts.outdir)?;

    let runs: Vec<SampleRun> = opts
        .samples
        .par_iter()
        .map(|s| {
            let run = trim_and_collapse(s, &prep, &progress);
            // the sample's hash tables are gone: their pages go back
            crate::memory::release_free_memory();
            run
        })
        .collect::<Result<_>>()?;
    progress.finish_and_clear();

    let table = InsertTable::build(&runs.iter().map(|r| &r.inserts).collect::<Vec<_>>());
    let (sample_stats, umi_keys): (Vec<SampleStats>, Vec<Option<SortedInserts>>) =
        runs.into_iter().map(|r| (r.stats, r.umi_keys)).unzip();
    crate::memory::release_free_memory();
    let read_trim_collapse = started.elapsed().saturating_sub(early_selection);
    let align_started = Instant::now();
    let alignment = align_table(
        opts.engine,
        early,
        &targets,
        &opts.params,
        table.len(),
        |i| table.seq(i),
        ALIGN_SLICE,
    )?;
    let align = align_started.elapsed() + early_selection;
    let molecules = if trim.umi.is_some() {
        Molecules::FromKeys(
            umi_keys
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect(),
        )
    } else {
        Molecules::None
    };

    let stats = RunStats {
        mirq_version: env!("CARGO_PKG_VERSION").to_string(),
        engine: alignment.engine.to_string(),
        gpu_adapter: alignment.adapter.clone(),
        engine_note: alignment.warning.clone().or_else(|| {
            (opts.engine == EngineChoice::Auto).then(|| alignment.decision.reason.clone())
        }),
        engine_decision: Some(alignment.decision.clone()),
        threads: opts.threads.max(1),
        elapsed_seconds: 0.0,
        // finish adds assign_count and write
        timings: Timings {
            read_trim_collapse: Timings::seconds(read_trim_collapse),
            align: Timings::seconds(align),
            ..Timings::default()
        },
        align_inserts_per_second: Timings::per_second(table.len(), align),
        unique_inserts: table.len() as u64,
        reference: ReferenceStats {
            fingerprint: reference.fingerprint(),
            species: opts.species.clone(),
            mature: opts.mature.display().to_string(),
            hairpin: opts.hairpin.as_ref().map(|h| h.display().to_string()),
            mature_mirnas: reference.matures.len(),
            hairpins: reference.hairpins.len(),
            unplaced_matures: if reference.hairpins.is_empty() {
                0
            } else {
                reference.unplaced_matures().len()
            },
        },
        settings: RunSettings {
            protocol: protocol.to_string(),
            adapter: trim.adapter.clone(),
            cut_5p: trim.cut_5p,
            cut_3p: trim.cut_3p,
            min_length: trim.min_length,
            max_length: trim.max_length,
            adapter_error_rate: trim.max_error_rate,
            adapter_min_overlap: trim.min_overlap,
            database: opts
                .database
                .clone()
                .unwrap_or_else(|| default_database(&reference).to_string()),
            quality_cutoff: trim.quality_cutoff,
            umi: trim.umi.map(|u| u.to_string()),
            counting: if trim.umi.is_some() {
                Counting::Molecules
            } else {
                Counting::Reads
            },
            mismatches: opts.params.max_mismatches,
            max_nontemplated: opts.params.max_nontemplated,
            window_5p: opts.window_5p,
            window_3p: opts.window_3p,
        },
        samples: sample_stats,
        adapter_detection: detection,
    };
    let data = RunData {
        reference: &reference,
        targets: &targets,
        table: &table,
        hits: &alignment.hits,
        molecules,
    };
    finish(out, data, stats, started)
}

/// `MirGeneDB` when the matures have MirGeneDB-style names (`Hsa-Let-7-P1b_5p`:
/// capitalised species code), else `miRBase`.
fn default_database(reference: &Reference) -> &'static str {
    match reference.matures.first() {
        Some(m) if m.name.starts_with(|c: char| c.is_ascii_uppercase()) => "MirGeneDB",
        _ => "miRBase",
    }
}

/// Unique inserts aligned per slice of the table, so that base codes and
/// per-insert hit vectors exist for one slice at a time.
const ALIGN_SLICE: usize = 1 << 19;

fn progress_bar(wanted: bool) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {human_pos} reads trimmed ({per_sec}) {elapsed}")
            .expect("valid template"),
    );
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    pb
}

/// Reads per batch handed from the parsing thread to a trimming worker.
const TRIM_BATCH: usize = 8192;

/// Streams one sample's files through the trimmer into its collapsed inserts.
///
/// With more than one thread in the pool, the calling thread only parses
/// (its file is decompressed on a thread of its own, see [`fastq`]) and
/// hands batches of reads to as many trimming workers as the pool has
/// threads; each worker collapses into its own table, and the tables and
/// counts are summed at the end, so the result does not depend on how reads
/// were spread over workers.
fn trim_and_collapse(
    sample: &Sample,
    prep: &ReadPrep,
    progress: &ProgressBar,
) -> Result<SampleRun> {
    let mut stats = SampleStats {
        sample: sample.name.clone(),
        files: sample
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect(),
        ..Default::default()
    };
    let workers = rayon::current_num_threads();
    let inserts = if workers <= 1 {
        trim_serial(sample, prep, progress, &mut stats)?
    } else {
        trim_parallel(sample, prep, progress, &mut stats, workers)?
    };
    let (inserts, umi_keys) = if prep.umi.is_some() {
        let keys = inserts.into_sorted();
        (inserts_of_keys(&keys), Some(keys))
    } else {
        (inserts.into_sorted(), None)
    };
    stats.unique_inserts = inserts.len() as u64;
    stats.qc.low_complexity = inserts
        .iter()
        .filter(|(seq, _)| qc::is_low_complexity(seq))
        .map(|(_, n)| n as u64)
        .sum();
    Ok(SampleRun {
        stats,
        inserts,
        umi_keys,
    })
}

/// Trims and collapses on the calling thread.
fn trim_serial(
    sample: &Sample,
    prep: &ReadPrep,
    progress: &ProgressBar,
    stats: &mut SampleStats,
) -> Result<SampleInserts> {
    let mut inserts = SampleInserts::default();
    let mut buf: Vec<u8> = Vec::with_capacity(256);
    let mut since_tick = 0u64;
    let mut quality = QualitySum::default();
    for file in &sample.files {
        fastq::for_each_record(file, |seq, qual| {
            quality.add(qual);
            since_tick += 1;
            if since_tick == 1 << 16 {
                progress.inc(since_tick);
                since_tick = 0;
            }
            prep.read(seq, qual, stats, &mut inserts, &mut buf);
        })?;
    }
    progress.inc(since_tick);
    stats.qc.mean_quality = quality.mean();
    Ok(inserts)
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
        // bytes summed in u32 lanes the compiler vectorises
        self.sum += qual.iter().map(|&q| q as u32).sum::<u32>() as u64;
        self.bases += qual.len() as u64;
    }

    fn mean(&self) -> f64 {
        if self.bases == 0 {
            return 0.0;
        }
        let mean = self.sum as f64 / self.bases as f64 - 33.0;
        (mean * 100.0).round() / 100.0
    }
}

/// Parses on the calling thread, trims and collapses on `workers` threads.
fn trim_parallel(
    sample: &Sample,
    prep: &ReadPrep,
    progress: &ProgressBar,
    stats: &mut SampleStats,
    workers: usize,
) -> Result<SampleInserts> {
    let (full_tx, full_rx) = sync_channel::<ReadBatch>(2 * workers);
    let mut quality = QualitySum::default();
    let full_rx = Arc::new(Mutex::new(full_rx));
    let (empty_tx, empty_rx) = channel::<ReadBatch>();
    let (parsed, results) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (full_rx, empty_tx) = (Arc::clone(&full_rx), empty_tx.clone());
                scope.spawn(move || {
                    let mut counts = SampleStats::default();
                    let mut inserts = SampleInserts::default();
                    let mut buf: Vec<u8> = Vec::with_capacity(256);
                    loop {
                        let next = full_rx.lock().expect("batch queue").recv();
                        let Ok(mut batch) = next else { break };
                        let mut start = 0;
                        for &end in &batch.ends {
                            let seq = &batch.bases[start..end];
                            let qual = batch.quals.get(start..end).unwrap_or_default();
                            prep.read(seq, qual, &mut counts, &mut inserts, &mut buf);
                            start = end;
                        }
                        batch.bases.clear();
                        batch.quals.clear();
                        batch.ends.clear();
                        let _ = empty_tx.send(batch);
                    }
                    (counts, inserts)
                })
            })
            .collect();
        drop(empty_tx);
        // Workers hold the queue's receiving end: should they all die, a
        // send fails instead of blocking, and the join below reports it.
        drop(full_rx);
        let mut batch = ReadBatch::default();
        let mut parsed = Ok(());
        let with_quals = prep.trimmer.uses_quality();
        for file in &sample.files {
            parsed = fastq::for_each_record(file, |seq, qual| {
                quality.add(qual);
                batch.bases.extend_from_slice(seq);
                if with_quals {
                    batch.quals.extend_from_slice(qual);
                }
                batch.ends.push(batch.bases.len());
                if batch.ends.len() == TRIM_BATCH {
                    let next = empty_rx.try_recv().unwrap_or_default();
                    let _ = full_tx.send(std::mem::replace(&mut batch, next));
                    progress.inc(TRIM_BATCH as u64);
                }
            })
            .map(|_| ());
            if parsed.is_err() {
                break;
            }
        }
        if parsed.is_ok() && !batch.ends.is_empty() {
            progress.inc(batch.ends.len() as u64);
            let _ = full_tx.send(batch);
        }
        drop(full_tx); // the workers finish the queue and stop
        let results: Vec<(SampleStats, SampleInserts)> = handles
            .into_iter()
            .map(|h| h.join().expect("trimming worker panicked"))
            .collect();
        (parsed, results)
    });
    parsed?;
    stats.qc.mean_quality = quality.mean();
    // Sum into the largest table: the result is the same for any split.
    let mut results = results;
    results.sort_by_key(|(_, inserts)| std::cmp::Reverse(inserts.len()));
    let mut results = results.into_iter();
    let (counts, mut inserts) = results.next().expect("at least one worker");
    add_trim_counts(stats, &counts);
    for (counts, other) in results {
        add_trim_counts(stats, &counts);
        inserts.merge(&other);
    }
    Ok(inserts)
}

/// Adds the read counts of trimming (not names, files or later stages).
fn add_trim_counts(into: &mut SampleStats, from: &SampleStats) {
    into.reads_in += from.reads_in;
    into.adapter_found += from.adapter_found;
    into.no_adapter += from.no_adapter;
    into.too_short += from.too_short;
    into.adapter_dimers += from.adapter_dimers;
    into.too_long += from.too_long;
    into.inserts += from.inserts;
    into.umi_missing += from.umi_missing;
    let (h, f) = (&mut into.qc.insert_lengths, &from.qc.insert_lengths);
    if h.len() < f.len() {
        h.resize(f.len(), 0);
    }
    for (a, b) in h.iter_mut().zip(f) {
        *a += b;
    }
}

/// How a read becomes a counted key: the trimmer, and the UMI taken from
/// the read when deduplicating.
pub(crate) struct ReadPrep {
    trimmer: Trimmer,
    has_adapter: bool,
    umi: Option<UmiSpec>,
}

impl ReadPrep {
    fn new(trim: &TrimSettings) -> Self {
        let trimmer = trim.trimmer();
        Self {
            has_adapter: trimmer.has_adapter(),
            trimmer,
            umi: trim.umi,
        }
    }

    /// Trims one read, counts its outcome and collapses its insert
    /// (normalised to upper-case ACGT, U as T, anything else N), followed by
    /// [`UMI_SEPARATOR`] and its UMI when deduplicating; `buf` is scratch.
    #[inline]
    fn read(
        &self,
        seq: &[u8],
        qual: &[u8],
        stats: &mut SampleStats,
        inserts: &mut SampleInserts,
        buf: &mut Vec<u8>,
    ) {
        stats.reads_in += 1;
        let outcome = if self.trimmer.uses_quality() {
            self.trimmer.trim_with_quality(seq, qual)
        } else {
            self.trimmer.trim(seq)
        };
        if self.has_adapter && outcome != TrimOutcome::NoAdapter {
            stats.adapter_found += 1;
        }
        let length = |stats: &mut SampleStats, len: usize| {
            let h = &mut stats.qc.insert_lengths;
            if h.len() <= len {
                h.resize(len + 1, 0);
            }
            h[len] += 1;
        };
        match outcome {
            TrimOutcome::NoAdapter => stats.no_adapter += 1,
            TrimOutcome::TooShort(len) => {
                length(stats, len);
                stats.too_short += 1;
                if len == 0 {
                    stats.adapter_dimers += 1;
                }
            }
            TrimOutcome::TooLong(len) => {
                length(stats, len);
                stats.too_long += 1;
            }
            TrimOutcome::Insert { start, end } => {
                length(stats, end - start);
                buf.clear();
                buf.extend(seq[start..end].iter().map(|&b| normalize_base(b)));
                if let Some(umi) = &self.umi {
                    buf.push(UMI_SEPARATOR);
                    let adapter_start = end + self.trimmer.cut_3p();
                    if !umi.extract(seq, adapter_start, self.trimmer.adapter_len(), buf) {
                        stats.umi_missing += 1;
                        return;
                    }
                }
                stats.inserts += 1;
                inserts.add(buf);
            }
        }
    }
}

//! `mirq quant`: reads → trimmed inserts → collapsed table → alignment →
//! assignment → count matrices and stats.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::mpsc::{channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::align::cpu::CpuEngine;
use crate::align::gpu::{preferred_adapter, AdapterSummary, GpuEngine};
use crate::align::{AlignParams, Engine, TargetSet};
use crate::assign::{assign, Assignment};
use crate::collapse::{write_collapsed_fasta, InsertTable, SampleInserts, SortedInserts};
use crate::error::{Error, Result};
use crate::fastq;
use crate::output::{format_count, format_rpm, write_matrix, StagedOutputs};
use crate::protocol::{Protocol, TrimSettings};
use crate::qc;
use crate::reference::Reference;
use crate::samples::Sample;
use crate::seq::encode;
use crate::stats::{MoleculeStats, ReferenceStats, RunSettings, RunStats, SampleStats};
use crate::trim::{TrimOutcome, Trimmer};
use crate::umi::{directional_molecules, UmiCount, UmiSpec};
use rustc_hash::FxHashMap;

/// Which alignment engine to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineChoice {
    /// The GPU when one can be had, else the CPU.
    Auto,
    /// The CPU engine.
    Cpu,
    /// The GPU engine, or an error.
    Gpu,
}

impl FromStr for EngineChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "gpu" => Ok(Self::Gpu),
            _ => Err(Error::InvalidValue {
                what: "--engine",
                value: s.into(),
                message: "expected auto, cpu or gpu".into(),
            }),
        }
    }
}

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
    /// Output directory.
    pub outdir: PathBuf,
    /// Show a progress bar on stderr (when it is a terminal).
    pub progress: bool,
}

/// One sample after trimming and collapsing.
struct SampleRun {
    stats: SampleStats,
    inserts: SortedInserts,
    /// (insert, UMI) keys with their reads, when deduplicating.
    umi_keys: Option<SortedInserts>,
}

/// Count matrices of a run: per sample, one value per mature / hairpin,
/// and the units (reads or molecules) by what they count for.
#[derive(Debug, PartialEq)]
struct Counts {
    totals: Vec<MoleculeStats>,
    mature: Vec<Vec<f64>>,
    mature_unique: Vec<Vec<f64>>,
    hairpin: Vec<Vec<f64>>,
}

/// Runs the whole quantification and writes the outputs.
pub fn run(opts: &QuantOptions) -> Result<RunStats> {
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .map_err(|e| Error::InvalidValue {
            what: "--threads",
            value: opts.threads.to_string(),
            message: e.to_string(),
        })?;
    pool.install(|| run_in_pool(opts, started))
}

/// `--engine auto` takes a hardware GPU only from this many unique inserts
/// on: below it, uploading the reference and inserts costs more than the
/// CPU engine's whole search.
pub const AUTO_GPU_MIN_INSERTS: usize = 200_000;

/// The engine a run uses, the adapter behind it, and why it was chosen when
/// that is worth telling (a fallback).
pub struct EngineSelection {
    /// The engine.
    pub engine: Box<dyn Engine>,
    /// The GPU adapter, when the GPU engine runs.
    pub adapter: Option<AdapterSummary>,
    /// Why `auto` chose the CPU, if it did for a reason a user should see.
    pub note: Option<String>,
}

impl EngineSelection {
    fn cpu(note: Option<String>) -> Self {
        Self {
            engine: Box::new(CpuEngine),
            adapter: None,
            note,
        }
    }

    fn gpu(engine: GpuEngine) -> Self {
        Self {
            adapter: Some(engine.adapter().clone()),
            engine: Box::new(engine),
            note: None,
        }
    }
}

/// Resolves `--engine` for a run of `unique_inserts` distinct inserts. `gpu`
/// fails without an adapter; `auto` falls back to the CPU and says why.
pub fn select_engine(choice: EngineChoice, unique_inserts: usize) -> Result<EngineSelection> {
    match choice {
        EngineChoice::Cpu => Ok(EngineSelection::cpu(None)),
        EngineChoice::Gpu => GpuEngine::new()
            .map(EngineSelection::gpu)
            .map_err(|e| match e {
                Error::EngineUnavailable { message, .. } => Error::EngineUnavailable {
                    engine: "gpu",
                    message: format!("{message}; use --engine cpu or auto"),
                },
                other => other,
            }),
        EngineChoice::Auto => Ok(match preferred_adapter() {
            Err(e) => EngineSelection::cpu(Some(format!("{e}: using the CPU engine"))),
            Ok(a) if a.is_software() => EngineSelection::cpu(Some(format!(
                "only a software GPU adapter ({}): using the CPU engine",
                a.name
            ))),
            Ok(_) if unique_inserts < AUTO_GPU_MIN_INSERTS => EngineSelection::cpu(None),
            Ok(_) => match GpuEngine::new() {
                Ok(gpu) => EngineSelection::gpu(gpu),
                Err(e) => EngineSelection::cpu(Some(format!("{e}: using the CPU engine"))),
            },
        }),
    }
}

fn run_in_pool(opts: &QuantOptions, started: Instant) -> Result<RunStats> {
    // --engine gpu fails before any FASTQ is read when no adapter exists
    let early = match opts.engine {
        EngineChoice::Gpu => Some(select_engine(EngineChoice::Gpu, 0)?),
        _ => None,
    };
    let reference = Reference::load(&opts.mature, opts.hairpin.as_deref(), &opts.species)?;
    let targets = TargetSet::build(&reference, opts.window_5p, opts.window_3p);
    let prep = ReadPrep::new(&opts.trim);
    let progress = progress_bar(opts.progress);
    let out = StagedOutputs::new(&opts.outdir)?;

    // Each sample's collapsed FASTA is staged as soon as the sample is done,
    // and only its sorted inserts are kept.
    let runs: Vec<SampleRun> = opts
        .samples
        .par_iter()
        .map(|s| {
            let run = trim_and_collapse(s, &prep, &progress)?;
            let rel = format!("collapsed/{}.fa", run.stats.sample);
            out.write(&rel, |w| write_collapsed_fasta(w, &run.inserts))?;
            Ok(run)
        })
        .collect::<Result<_>>()?;
    progress.finish_and_clear();

    let table = InsertTable::build(&runs.iter().map(|r| &r.inserts).collect::<Vec<_>>());
    let (mut sample_stats, umi_keys): (Vec<SampleStats>, Vec<Option<SortedInserts>>) =
        runs.into_iter().map(|r| (r.stats, r.umi_keys)).unzip();
    let selection = match early {
        Some(s) => s,
        None => select_engine(opts.engine, table.len())?,
    };
    let classes = classify(
        &targets,
        &table,
        selection.engine.as_ref(),
        &opts.params,
        ALIGN_SLICE,
    )?;
    let by_reads = count(&reference, &classes, &table.counts);
    for (st, t) in sample_stats.iter_mut().zip(&by_reads.totals) {
        st.assigned_mature = t.assigned_mature;
        st.mature_multimapped = t.mature_multimapped;
        st.hairpin_only = t.hairpin_only;
        st.unassigned = t.unassigned;
    }
    let counts = if opts.trim.umi.is_some() {
        let molecules: Vec<Vec<(u32, u32)>> = umi_keys
            .par_iter()
            .zip(&table.counts)
            .map(|(keys, ids)| {
                sample_molecules(keys.as_ref().expect("UMI keys kept"), ids, &classes)
            })
            .collect();
        let by_molecules = count(&reference, &classes, &molecules);
        for (st, t) in sample_stats.iter_mut().zip(&by_molecules.totals) {
            st.molecules = Some(t.clone());
        }
        by_molecules
    } else {
        by_reads
    };
    let has_adapter = opts.trim.adapter.is_some();
    for (st, mature) in sample_stats.iter_mut().zip(&counts.mature) {
        st.mirnas_detected = mature.iter().filter(|&&c| c > 0.0).count() as u64;
        st.qc.composition = qc::composition(st);
        (st.qc.verdict, st.qc.reasons) = qc::verdict(st, has_adapter);
    }

    let stats = RunStats {
        mirq_version: env!("CARGO_PKG_VERSION").to_string(),
        engine: selection.engine.name().to_string(),
        gpu_adapter: selection.adapter.clone(),
        engine_note: selection.note.clone(),
        threads: opts.threads.max(1),
        elapsed_seconds: 0.0,
        unique_inserts: table.len() as u64,
        reference: ReferenceStats {
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
            protocol: opts.protocol.to_string(),
            adapter: opts.trim.adapter.clone(),
            cut_5p: opts.trim.cut_5p,
            cut_3p: opts.trim.cut_3p,
            min_length: opts.trim.min_length,
            max_length: opts.trim.max_length,
            adapter_error_rate: opts.trim.max_error_rate,
            adapter_min_overlap: opts.trim.min_overlap,
            quality_cutoff: opts.trim.quality_cutoff,
            umi: opts.trim.umi.map(|u| u.to_string()),
            counting: if opts.trim.umi.is_some() {
                "molecules"
            } else {
                "reads"
            }
            .to_string(),
            mismatches: opts.params.max_mismatches,
            max_nontemplated: opts.params.max_nontemplated,
            window_5p: opts.window_5p,
            window_3p: opts.window_3p,
        },
        samples: sample_stats,
    };
    write_outputs(opts, &reference, out, &counts, stats, started)
}

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
                buf.extend(
                    seq[start..end]
                        .iter()
                        .map(|&b| match b.to_ascii_uppercase() {
                            b'U' => b'T',
                            b'A' | b'C' | b'G' | b'T' => b.to_ascii_uppercase(),
                            _ => b'N',
                        }),
                );
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

/// Unique inserts aligned and assigned per slice of the table, so that hits
/// and isomiR calls exist for one slice at a time.
const ALIGN_SLICE: usize = 1 << 19;

/// What every unique insert counts for, interned: inserts assigned to the
/// same miRNAs (or hairpins) share one class. Class 0 is "unassigned".
#[derive(Debug, PartialEq)]
struct Classes {
    /// Class of each insert id.
    of_insert: Vec<u32>,
    /// The classes (isomiR calls left out).
    classes: Vec<Assignment>,
}

/// Aligns every unique insert and records its class.
fn classify(
    targets: &TargetSet,
    table: &InsertTable,
    engine: &dyn Engine,
    params: &AlignParams,
    slice: usize,
) -> Result<Classes> {
    let mut classes = vec![Assignment::Unassigned];
    let mut ids: FxHashMap<(bool, Vec<u32>), u32> = FxHashMap::default();
    let mut of_insert = Vec::with_capacity(table.len());
    let mut lo = 0;
    while lo < table.len() {
        let hi = lo.saturating_add(slice.max(1)).min(table.len());
        let codes: Vec<Vec<u8>> = (lo..hi)
            .into_par_iter()
            .map(|id| encode(table.seq(id)))
            .collect();
        let views: Vec<&[u8]> = codes.iter().map(Vec::as_slice).collect();
        let hits = engine.align(targets, &views, params)?;
        let assignments: Vec<Assignment> = views
            .par_iter()
            .zip(hits.par_iter())
            .map(|(q, h)| assign(targets, q, h))
            .collect();
        for a in assignments {
            let key = match a {
                Assignment::Unassigned => {
                    of_insert.push(0);
                    continue;
                }
                Assignment::Mature { matures, .. } => (true, matures),
                Assignment::Hairpin { hairpins } => (false, hairpins),
            };
            let next = classes.len() as u32;
            let id = *ids.entry(key).or_insert_with_key(|(mature, features)| {
                classes.push(if *mature {
                    Assignment::Mature {
                        matures: features.clone(),
                        calls: Vec::new(),
                    }
                } else {
                    Assignment::Hairpin {
                        hairpins: features.clone(),
                    }
                });
                next
            });
            of_insert.push(id);
        }
        lo = hi;
    }
    Ok(Classes { of_insert, classes })
}

/// Adds each sample's units (reads, or molecules when deduplicating) of
/// every insert to the miRNAs and hairpins of its class, in insert order (so
/// the sums do not depend on threads).
fn count(reference: &Reference, classes: &Classes, units: &[Vec<(u32, u32)>]) -> Counts {
    let samples = units.len();
    let mut counts = Counts {
        mature: vec![vec![0f64; reference.matures.len()]; samples],
        mature_unique: vec![vec![0f64; reference.matures.len()]; samples],
        hairpin: vec![vec![0f64; reference.hairpins.len()]; samples],
        totals: vec![MoleculeStats::default(); samples],
    };
    for (s, sample_units) in units.iter().enumerate() {
        let totals = &mut counts.totals[s];
        for &(id, n) in sample_units {
            let class = &classes.classes[classes.of_insert[id as usize] as usize];
            totals.total += n as u64;
            add_units(
                class,
                n,
                totals,
                &mut counts.mature[s],
                &mut counts.mature_unique[s],
                &mut counts.hairpin[s],
            );
        }
    }
    counts
}

/// Separates the insert from the UMI in a deduplication key.
pub(crate) const UMI_SEPARATOR: u8 = 0;

/// Splits a deduplication key into (insert, UMI).
fn split_key(key: &[u8]) -> (&[u8], &[u8]) {
    let at = memchr::memchr(UMI_SEPARATOR, key).unwrap_or(key.len());
    (&key[..at], &key[(at + 1).min(key.len())..])
}

/// Sums a sample's (insert, UMI) keys, sorted, into its inserts (sorted too:
/// the separator sorts before every base).
fn inserts_of_keys(keys: &SortedInserts) -> SortedInserts {
    let mut inserts = SortedInserts::default();
    let mut current: Option<(&[u8], u32)> = None;
    for (key, n) in keys.iter() {
        let (insert, _) = split_key(key);
        match &mut current {
            Some((seq, c)) if *seq == insert => *c += n,
            _ => {
                if let Some((seq, c)) = current {
                    inserts.push(seq, c);
                }
                current = Some((insert, n));
            }
        }
    }
    if let Some((seq, c)) = current {
        inserts.push(seq, c);
    }
    inserts
}

/// A UMI with the insert id it came with and its reads.
type UmiRead<'a> = (&'a [u8], u32, u32);

/// One sample's molecules per insert id: reads are grouped by what they
/// count for (their class; unassigned inserts each on their own, as
/// UMI-tools groups reads by locus), the UMIs of a group are deduplicated
/// with the directional rule, and each molecule goes to the insert most of
/// its founding UMI's reads carry (ties: the smaller insert id).
fn sample_molecules(
    keys: &SortedInserts,
    ids: &[(u32, u32)],
    classes: &Classes,
) -> Vec<(u32, u32)> {
    let mut groups: FxHashMap<(u32, u32), Vec<UmiRead>> = FxHashMap::default();
    let mut local = 0usize;
    let mut previous: Option<&[u8]> = None;
    for (key, reads) in keys.iter() {
        let (insert, umi) = split_key(key);
        if let Some(p) = previous {
            if p != insert {
                local += 1;
            }
        }
        previous = Some(insert);
        let id = ids[local].0;
        let class = classes.of_insert[id as usize];
        let group = (class, if class == 0 { id } else { u32::MAX });
        groups.entry(group).or_default().push((umi, id, reads));
    }
    let mut molecules: FxHashMap<u32, u32> = FxHashMap::default();
    for (_, mut entries) in groups {
        entries.sort_unstable();
        // per UMI: its reads over all inserts, and the insert with most reads
        let mut umis: Vec<UmiCount> = Vec::new();
        let mut best: Vec<(u32, u32)> = Vec::new();
        for &(umi, id, reads) in &entries {
            match umis.last_mut() {
                Some(u) if u.umi == umi => {
                    u.reads += reads as u64;
                    let b = best.last_mut().expect("one best per UMI");
                    if reads > b.1 {
                        *b = (id, reads);
                    }
                }
                _ => {
                    umis.push(UmiCount {
                        umi,
                        reads: reads as u64,
                    });
                    best.push((id, reads));
                }
            }
        }
        for founder in directional_molecules(&umis) {
            *molecules.entry(best[founder].0).or_default() += 1;
        }
    }
    let mut out: Vec<(u32, u32)> = molecules.into_iter().collect();
    out.sort_unstable();
    out
}

/// Adds `reads` reads (or molecules) of one insert to the columns and
/// totals of one sample.
fn add_units(
    assignment: &Assignment,
    reads: u32,
    st: &mut MoleculeStats,
    mature: &mut [f64],
    unique: &mut [f64],
    hairpin: &mut [f64],
) {
    let reads_f = reads as f64;
    match assignment {
        Assignment::Mature { matures, .. } => {
            st.assigned_mature += reads as u64;
            let share = reads_f / matures.len() as f64;
            for &m in matures {
                mature[m as usize] += share;
            }
            if matures.len() == 1 {
                unique[matures[0] as usize] += reads_f;
            } else {
                st.mature_multimapped += reads as u64;
            }
        }
        Assignment::Hairpin { hairpins } => {
            st.hairpin_only += reads as u64;
            let share = reads_f / hairpins.len() as f64;
            for &h in hairpins {
                hairpin[h as usize] += share;
            }
        }
        Assignment::Unassigned => st.unassigned += reads as u64,
    }
}

fn write_outputs(
    opts: &QuantOptions,
    reference: &Reference,
    out: StagedOutputs,
    counts: &Counts,
    mut stats: RunStats,
    started: Instant,
) -> Result<RunStats> {
    let samples: Vec<String> = opts.samples.iter().map(|s| s.name.clone()).collect();
    let mature_names: Vec<String> = reference.matures.iter().map(|m| m.name.clone()).collect();
    let hairpin_names: Vec<String> = reference.hairpins.iter().map(|h| h.name.clone()).collect();
    let rpm: Vec<Vec<f64>> = counts
        .mature
        .iter()
        .zip(&counts.totals)
        .map(|(col, t)| {
            let total = t.assigned_mature as f64;
            col.iter()
                .map(|&c| if total > 0.0 { c * 1e6 / total } else { 0.0 })
                .collect()
        })
        .collect();

    for st in &stats.samples {
        let rel = format!("qc/{}.length.tsv", st.sample);
        out.write(&rel, |w| qc::write_lengths(w, &st.qc.insert_lengths))?;
    }
    crate::multiqc::write(&out, &stats)?;
    stats.elapsed_seconds = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
    let json = serde_json::to_string_pretty(&stats).expect("stats serialize");
    out.write("stats.json", |w| {
        use std::io::Write;
        w.write_all(json.as_bytes())?;
        w.write_all(b"\n")
    })?;
    out.write("hairpin_counts.tsv", |w| {
        write_matrix(
            w,
            "hairpin",
            &samples,
            &hairpin_names,
            &counts.hairpin,
            format_count,
        )
    })?;
    out.write("mature_rpm.tsv", |w| {
        write_matrix(w, "mirna", &samples, &mature_names, &rpm, format_rpm)
    })?;
    out.write("mature_counts_unique.tsv", |w| {
        write_matrix(
            w,
            "mirna",
            &samples,
            &mature_names,
            &counts.mature_unique,
            format_count,
        )
    })?;
    out.write("mature_counts.tsv", |w| {
        write_matrix(
            w,
            "mirna",
            &samples,
            &mature_names,
            &counts.mature,
            format_count,
        )
    })?;
    out.commit()?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collapse::SampleInserts;
    use crate::reference::RefSeq;

    /// Aligning slice by slice gives the same classes and sums as one slice.
    #[test]
    fn counts_do_not_depend_on_the_alignment_slice() {
        let seq = |name: &str, s: &str| RefSeq {
            name: name.into(),
            seq: s.as_bytes().to_vec(),
        };
        let reference = Reference::from_sequences(
            "hsa",
            vec![
                seq("hsa-miR-a", "TAGCTTATCAGACTGATGTTGA"),
                seq("hsa-miR-b", "TAGCTTATCAGACTGATGTTGC"),
                seq("hsa-miR-c", "AAACCGTTACCATTACTGAGTT"),
            ],
            vec![],
        );
        let targets = TargetSet::build(&reference, 3, 5);
        let reads: [&[u8]; 8] = [
            b"TAGCTTATCAGACTGATGTTGA",
            b"TAGCTTATCAGACTGATGTTG",
            b"AAACCGTTACCATTACTGAGTTAA",
            b"GGGGGGGGGGGGGGGGGG",
            b"TAGCTTATCAGACTGATGTT",
            b"AAACCGTTACCATTACTGAGT",
            b"AGCTTATCAGACTGATGTTGA",
            b"CCCCCCCCCCCCCCCCCCCCC",
        ];
        let samples: Vec<SortedInserts> = (0..3)
            .map(|k| {
                let mut s = SampleInserts::default();
                for (i, r) in reads.iter().enumerate() {
                    s.add_count(r, 1 + (i * 7 + k * 3) as u32 % 5);
                }
                s.into_sorted()
            })
            .collect();
        let table = InsertTable::build(&samples.iter().collect::<Vec<_>>());
        let count_with = |slice| {
            let classes =
                classify(&targets, &table, &CpuEngine, &AlignParams::default(), slice).unwrap();
            let c = count(&reference, &classes, &table.counts);
            (c, classes)
        };
        let whole = count_with(usize::MAX);
        assert!(whole.0.totals.iter().all(|t| t.assigned_mature > 0));
        for slice in [1, 2, 3, 5] {
            assert_eq!(count_with(slice), whole, "slice {slice}");
        }
    }

    fn keys(entries: &[(&str, &str, u32)]) -> SortedInserts {
        let mut s = SampleInserts::default();
        for (insert, umi, n) in entries {
            let mut k = insert.as_bytes().to_vec();
            k.push(UMI_SEPARATOR);
            k.extend_from_slice(umi.as_bytes());
            s.add_count(&k, *n);
        }
        s.into_sorted()
    }

    /// A PCR copy with an insert error and the same UMI is the same molecule
    /// when both inserts count for the same miRNA; unassigned inserts are
    /// deduplicated each on its own.
    #[test]
    fn molecules_are_grouped_by_class_not_by_insert() {
        let k = keys(&[
            ("AAAA", "ACGT", 5), // miRNA 1, molecule 1
            ("AAAT", "ACGT", 1), // an error copy of it
            ("AAAA", "ACGA", 1), // a UMI error of it: absorbed (5 >= 1)
            ("AAAA", "TTTT", 2), // miRNA 1, molecule 2
            ("CCCC", "ACGT", 3), // unassigned, own group
            ("GGGG", "ACGT", 1), // unassigned, own group
        ]);
        let inserts = inserts_of_keys(&k);
        let seqs: Vec<&[u8]> = inserts.iter().map(|(s, _)| s).collect();
        assert_eq!(seqs, vec![&b"AAAA"[..], b"AAAT", b"CCCC", b"GGGG"]);
        assert_eq!(inserts.reads(), 13);
        let table = InsertTable::build(&[&inserts]);
        let mature = Assignment::Mature {
            matures: vec![0],
            calls: vec![],
        };
        let classes = Classes {
            of_insert: vec![1, 1, 0, 0],
            classes: vec![Assignment::Unassigned, mature],
        };
        let m = sample_molecules(&k, &table.counts[0], &classes);
        assert_eq!(m, vec![(0, 2), (2, 1), (3, 1)]);
    }
}

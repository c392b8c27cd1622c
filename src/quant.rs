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
use crate::collapse::{write_collapsed_fasta, InsertTable, SampleInserts};
use crate::detect::Detection;
use crate::error::{Error, Result};
use crate::fastq;
use crate::output::{format_count, format_rpm, write_matrix, StagedOutputs};
use crate::protocol::{Protocol, TrimSettings};
use crate::reference::Reference;
use crate::samples::Sample;
use crate::seq::encode;
use crate::stats::{ReferenceStats, RunSettings, RunStats, SampleStats};
use crate::trim::{TrimOutcome, Trimmer};

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
    let trim = TrimSettings {
        adapter,
        cut_5p,
        cut_3p,
        ..opts.trim.clone()
    };
    Ok((detection.protocol, trim, Some(detection)))
}

/// One sample after trimming and collapsing.
struct SampleRun {
    stats: SampleStats,
    inserts: SampleInserts,
}

/// Count matrices of a run: per sample, one value per mature / hairpin.
struct Counts {
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
    let (protocol, trim, detection) = resolve_protocol(opts)?;
    let trimmer = trim.trimmer();
    let progress = progress_bar(opts.progress);

    let runs: Vec<SampleRun> = opts
        .samples
        .par_iter()
        .map(|s| trim_and_collapse(s, &trimmer, &progress))
        .collect::<Result<_>>()?;
    progress.finish_and_clear();

    let table = InsertTable::build(&runs.iter().map(|r| &r.inserts).collect::<Vec<_>>());
    let selection = match early {
        Some(s) => s,
        None => select_engine(opts.engine, table.seqs.len())?,
    };
    let engine = &selection.engine;
    let codes: Vec<Vec<u8>> = table.seqs.par_iter().map(|s| encode(s)).collect();
    let views: Vec<&[u8]> = codes.iter().map(Vec::as_slice).collect();
    let hits = engine.align(&targets, &views, &opts.params)?;
    let assignments: Vec<Assignment> = views
        .par_iter()
        .zip(hits.par_iter())
        .map(|(q, h)| assign(&targets, q, h))
        .collect();

    let mut sample_stats: Vec<SampleStats> = runs.iter().map(|r| r.stats.clone()).collect();
    let counts = count(&reference, &table, &assignments, &mut sample_stats);

    let stats = RunStats {
        mirq_version: env!("CARGO_PKG_VERSION").to_string(),
        engine: engine.name().to_string(),
        gpu_adapter: selection.adapter.clone(),
        engine_note: selection.note.clone(),
        threads: opts.threads.max(1),
        elapsed_seconds: 0.0,
        unique_inserts: table.seqs.len() as u64,
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
            protocol: protocol.to_string(),
            adapter: trim.adapter.clone(),
            cut_5p: trim.cut_5p,
            cut_3p: trim.cut_3p,
            min_length: trim.min_length,
            max_length: trim.max_length,
            adapter_error_rate: trim.max_error_rate,
            adapter_min_overlap: trim.min_overlap,
            mismatches: opts.params.max_mismatches,
            max_nontemplated: opts.params.max_nontemplated,
            window_5p: opts.window_5p,
            window_3p: opts.window_3p,
        },
        samples: sample_stats,
        adapter_detection: detection,
    };
    write_outputs(opts, &reference, &runs, &counts, stats, started)
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
    trimmer: &Trimmer,
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
        trim_serial(sample, trimmer, progress, &mut stats)?
    } else {
        trim_parallel(sample, trimmer, progress, &mut stats, workers)?
    };
    stats.unique_inserts = inserts.len() as u64;
    Ok(SampleRun { stats, inserts })
}

/// Trims and collapses on the calling thread.
fn trim_serial(
    sample: &Sample,
    trimmer: &Trimmer,
    progress: &ProgressBar,
    stats: &mut SampleStats,
) -> Result<SampleInserts> {
    let mut inserts = SampleInserts::default();
    let mut buf: Vec<u8> = Vec::with_capacity(256);
    let mut since_tick = 0u64;
    let has_adapter = trimmer.has_adapter();
    for file in &sample.files {
        fastq::for_each_record(file, |seq, _qual| {
            since_tick += 1;
            if since_tick == 1 << 16 {
                progress.inc(since_tick);
                since_tick = 0;
            }
            trim_read(trimmer, has_adapter, seq, stats, &mut inserts, &mut buf);
        })?;
    }
    progress.inc(since_tick);
    Ok(inserts)
}

/// A batch of reads' sequences, concatenated, with each read's end; reused.
#[derive(Default)]
struct ReadBatch {
    bases: Vec<u8>,
    ends: Vec<usize>,
}

/// Parses on the calling thread, trims and collapses on `workers` threads.
fn trim_parallel(
    sample: &Sample,
    trimmer: &Trimmer,
    progress: &ProgressBar,
    stats: &mut SampleStats,
    workers: usize,
) -> Result<SampleInserts> {
    let has_adapter = trimmer.has_adapter();
    let (full_tx, full_rx) = sync_channel::<ReadBatch>(2 * workers);
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
                            trim_read(
                                trimmer,
                                has_adapter,
                                seq,
                                &mut counts,
                                &mut inserts,
                                &mut buf,
                            );
                            start = end;
                        }
                        batch.bases.clear();
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
        for file in &sample.files {
            parsed = fastq::for_each_record(file, |seq, _qual| {
                batch.bases.extend_from_slice(seq);
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
    // Sum into the largest table: the result is the same for any split.
    let mut results = results;
    results.sort_by_key(|(_, inserts)| std::cmp::Reverse(inserts.len()));
    let mut results = results.into_iter();
    let (counts, mut inserts) = results.next().expect("at least one worker");
    add_trim_counts(stats, &counts);
    for (counts, other) in results {
        add_trim_counts(stats, &counts);
        for (seq, n) in other.iter() {
            inserts.add_count(seq, n);
        }
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
}

/// Trims one read, counts its outcome and collapses its insert (normalised
/// to upper-case ACGT, U as T, anything else N); `buf` is scratch space.
#[inline]
fn trim_read(
    trimmer: &Trimmer,
    has_adapter: bool,
    seq: &[u8],
    stats: &mut SampleStats,
    inserts: &mut SampleInserts,
    buf: &mut Vec<u8>,
) {
    stats.reads_in += 1;
    let outcome = trimmer.trim(seq);
    if has_adapter && outcome != TrimOutcome::NoAdapter {
        stats.adapter_found += 1;
    }
    match outcome {
        TrimOutcome::NoAdapter => stats.no_adapter += 1,
        TrimOutcome::TooShort(len) => {
            stats.too_short += 1;
            if len == 0 {
                stats.adapter_dimers += 1;
            }
        }
        TrimOutcome::TooLong(_) => stats.too_long += 1,
        TrimOutcome::Insert { start, end } => {
            stats.inserts += 1;
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
            inserts.add(buf);
        }
    }
}

/// Adds every sample's reads to the miRNAs and hairpins their inserts are
/// assigned to, in insert order (so the sums do not depend on threads).
fn count(
    reference: &Reference,
    table: &InsertTable,
    assignments: &[Assignment],
    stats: &mut [SampleStats],
) -> Counts {
    let n_mature = reference.matures.len();
    let n_hairpin = reference.hairpins.len();
    let mut counts = Counts {
        mature: Vec::new(),
        mature_unique: Vec::new(),
        hairpin: Vec::new(),
    };
    for (s, sample_counts) in table.counts.iter().enumerate() {
        let mut mature = vec![0f64; n_mature];
        let mut unique = vec![0f64; n_mature];
        let mut hairpin = vec![0f64; n_hairpin];
        let st = &mut stats[s];
        for &(id, reads) in sample_counts {
            let reads_f = reads as f64;
            match &assignments[id as usize] {
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
        st.mirnas_detected = mature.iter().filter(|&&c| c > 0.0).count() as u64;
        counts.mature.push(mature);
        counts.mature_unique.push(unique);
        counts.hairpin.push(hairpin);
    }
    counts
}

fn write_outputs(
    opts: &QuantOptions,
    reference: &Reference,
    runs: &[SampleRun],
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
        .zip(&stats.samples)
        .map(|(col, st)| {
            let total = st.assigned_mature as f64;
            col.iter()
                .map(|&c| if total > 0.0 { c * 1e6 / total } else { 0.0 })
                .collect()
        })
        .collect();

    let mut out = StagedOutputs::new(&opts.outdir)?;
    for run in runs {
        let rel = format!("collapsed/{}.fa", run.stats.sample);
        out.write(&rel, |w| write_collapsed_fasta(w, &run.inserts))?;
    }
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

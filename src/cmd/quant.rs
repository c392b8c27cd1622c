//! `mirq quant`: reads → trimmed inserts → collapsed table → alignment →
//! assignment → count matrices and stats.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::align::select::{align_table, Alignment, EngineChoice};
use crate::align::{AlignParams, TargetSet};
use crate::error::Result;
use crate::input::reference::Reference;
use crate::input::samples::Sample;
use crate::output::finish::{finish, Molecules, RunData};
use crate::output::stats::{
    Counting, ReferenceStats, RunSettings, RunStats, SampleStats, SampleTrimming, Timings,
};
use crate::output::StagedOutputs;
use crate::prep::collapse::{InsertTable, SortedInserts};
use crate::prep::plan::PrepPlan;
use crate::prep::protocol::{ProtocolChoice, TrimRequest};
use crate::prep::reads::{trim_and_collapse, CollapsedSample, ReadPrep};
use crate::runtime::{in_thread_pool, progress_bar, release_free_memory};

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
    /// Trimming as asked; resolved (with `--protocol auto`, from the first
    /// reads) when the run starts.
    pub trim: TrimRequest,
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

/// Says on stderr which samples have no read, and what `--protocol auto`
/// decided for each sample (always: a low or no confidence answer is a
/// warning).
fn report_detections(samples: &[SampleStats]) {
    for s in samples.iter().filter(|s| s.reads_in == 0) {
        eprintln!(
            "mirq: WARNING: {}: no reads in {}: its columns are all zeros",
            s.sample,
            s.files.join(", ")
        );
    }
    for s in samples {
        let Some(d) = s.trimming.as_ref().and_then(|t| t.detection.as_ref()) else {
            continue;
        };
        eprintln!("mirq: {}: adapter auto-detection: {}", s.sample, d.summary);
        if let Some(w) = &d.warning {
            eprintln!("mirq: {}: WARNING: {w}", s.sample);
        }
        if let Some(given) = &d.adapter_override {
            eprintln!(
                "mirq: {}: --adapter {given} replaces the detected adapter",
                s.sample
            );
        }
    }
}

/// Runs the whole quantification and writes the outputs.
pub fn run(opts: &QuantOptions) -> Result<RunStats> {
    let started = Instant::now();
    in_thread_pool(opts.threads, || run_in_pool(opts, started))
}

/// The samples trimmed and collapsed into one table of unique inserts.
struct Collapsed {
    table: InsertTable,
    samples: Vec<SampleStats>,
    /// Per sample, its (insert, UMI) keys when deduplicating.
    umi_keys: Vec<Option<SortedInserts>>,
}

/// Trims and collapses every sample (in parallel), then joins them.
fn collapse_samples(opts: &QuantOptions, plan: &PrepPlan) -> Result<Collapsed> {
    let progress = progress_bar(opts.progress);
    let runs: Vec<CollapsedSample> = opts
        .samples
        .par_iter()
        .map(|s| {
            let run = trim_and_collapse(s, plan, &progress);
            // the sample's hash tables are gone: their pages go back
            release_free_memory();
            run
        })
        .collect::<Result<_>>()?;
    progress.finish_and_clear();
    let table = InsertTable::build(&runs.iter().map(|r| &r.inserts).collect::<Vec<_>>());
    let (samples, umi_keys) = opts
        .samples
        .iter()
        .zip(runs)
        .map(|(sample, run)| {
            let mut stats = SampleStats::from_collapsed(sample, &run);
            stats.trimming = run
                .detected
                .map(|d| SampleTrimming::new(d.protocol.name(), &d.trim, Some(d.detection)));
            (stats, run.umi_keys)
        })
        .unzip();
    release_free_memory();
    Ok(Collapsed {
        table,
        samples,
        umi_keys,
    })
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
    warn_ambiguous(&reference);
    let targets = TargetSet::build(&reference, opts.window_5p, opts.window_3p);
    // with --protocol auto each sample decides its own trimming (the run's
    // settings take the request's until the samples say)
    let auto = opts.trim.protocol == ProtocolChoice::Auto;
    let (protocol, trim) = opts.trim.resolve_for_run()?;
    let out = StagedOutputs::new(&opts.outdir)?;
    let prep = ReadPrep::new(&trim);
    let plan = if auto {
        PrepPlan::Detect(&opts.trim)
    } else {
        PrepPlan::Fixed(&prep)
    };
    let collapsed = collapse_samples(opts, &plan)?;
    report_detections(&collapsed.samples);
    let table = &collapsed.table;
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
    let mut settings = RunSettings::new(
        protocol,
        &trim,
        &opts.params,
        (opts.window_5p, opts.window_3p),
        database_of(opts, &reference),
    );
    settings.trimming_of(&collapsed.samples);
    let molecules = if settings.counting == Counting::Molecules {
        Molecules::FromKeys(
            collapsed
                .umi_keys
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect(),
        )
    } else {
        Molecules::None
    };
    let stats = RunStats {
        settings,
        reference: ReferenceStats::of(&reference, &opts.mature, opts.hairpin.as_deref()),
        samples: collapsed.samples,
        ..engine_stats(opts, &alignment, table.len(), (read_trim_collapse, align))
    };
    let data = RunData {
        reference: &reference,
        targets: &targets,
        table,
        hits: &alignment.hits,
        molecules,
    };
    finish(out, data, stats, started)
}

/// The run-level figures of the engine and the first two stages; the rest
/// of [`RunStats`] is left empty for the caller.
fn engine_stats(
    opts: &QuantOptions,
    alignment: &Alignment,
    inserts: usize,
    (read_trim_collapse, align): (Duration, Duration),
) -> RunStats {
    RunStats {
        mirq_version: RunStats::VERSION.to_string(),
        engine: alignment.engine.to_string(),
        gpu_adapter: alignment.adapter.clone(),
        engine_note: alignment.warning.clone().or_else(|| {
            (opts.engine == EngineChoice::Auto).then(|| alignment.decision.reason.clone())
        }),
        engine_decision: Some(alignment.decision.clone()),
        threads: opts.threads.max(1),
        // finish adds assign_count and write
        timings: Timings {
            read_trim_collapse: Timings::seconds(read_trim_collapse),
            align: Timings::seconds(align),
            ..Timings::default()
        },
        align_inserts_per_second: Timings::per_second(inserts, align),
        unique_inserts: inserts as u64,
        ..RunStats::default()
    }
}

/// Says on stderr which matures hold IUPAC letters (each costs a
/// mismatch where it stands).
pub(crate) fn warn_ambiguous(reference: &Reference) {
    let names = reference.ambiguous_matures();
    if names.is_empty() {
        return;
    }
    let shown: Vec<&str> = names.iter().copied().take(5).collect();
    eprintln!(
        "mirq: WARNING: {} mature miRNA{} hold letters other than ACGTU ({}{}): no read base matches them there, so each costs a mismatch",
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        shown.join(", "),
        if names.len() > shown.len() { ", ..." } else { "" }
    );
}

/// `--database`, or the reference's default.
fn database_of(opts: &QuantOptions, reference: &Reference) -> String {
    opts.database
        .clone()
        .unwrap_or_else(|| default_database(reference).to_string())
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

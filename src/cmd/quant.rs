//! `mirq quant`: reads → trimmed inserts → collapsed table → alignment →
//! assignment → count matrices and stats.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::align::gpu::GpuEngine;
use crate::align::select::{
    align_planned, cpu_alignment, plan_engine, Alignment, EngineChoice, EnginePlan,
};
use crate::align::stream::StreamAligner;
use crate::align::{AlignParams, TargetSet};
use crate::cmd::count_and_write::{self, Molecules, NcrnaRun, RunData};
use crate::cmd::origin::{
    foreign_targets, load_artifacts, read_all_species, ArtifactSource, LaterHits, LaterReferences,
    Passes, Screen,
};
use crate::count::clades::CladePanel;
use crate::count::ncrna::Precedence;
use crate::count::species::SpeciesPanel;
use crate::error::Result;
use crate::input::ncrna::NcrnaReference;
use crate::input::preflight;
use crate::input::reference::{Reference, ShortRecord};
use crate::input::samples::Sample;
use crate::input::screen::ScreenReference;
use crate::output::concerns::{Concern, ConcernKind, Outcome};
use crate::output::isomirs::GffCoordinates;
use crate::output::stats::{
    Counting, NcrnaSettings, ReferenceStats, RunSettings, RunStats, SampleStats, SampleTrimming,
    Spans, Timings,
};
use crate::output::StagedOutputs;
use crate::prep::check::{self, Mismatch};
use crate::prep::collapse::{InsertTable, SortedInserts};
use crate::prep::detect::{detect, Confidence};
use crate::prep::protocol::{PrepPlan, SampleTrim, TrimPlan};
use crate::prep::reads::{trim_and_collapse, CollapsedSample};
use crate::prep::sink::{InsertSink, NewInserts};
use crate::runtime::{in_thread_pool, release_free_memory, say, tell, Progress};

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
    /// Trimming: as asked, and each sample's plan (with `--protocol auto`,
    /// resolved on the sample's first reads).
    pub trim: TrimPlan,
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
    /// The form of isomirs.gff3's coordinates.
    pub gff_coordinates: GffCoordinates,
    /// Output directory.
    pub outdir: PathBuf,
    /// Say what the run is doing: a progress bar on stderr (when it is a
    /// terminal) and information lines; false with `-q` (warnings only).
    pub progress: bool,
    /// ncRNA reference files or directories (`--ncrna`); empty: none.
    pub ncrna: Vec<PathBuf>,
    /// Who gets a read on both a miRNA and an ncRNA.
    pub ncrna_precedence: Precedence,
    /// The artifact list (`--artifacts`, `--no-artifacts`).
    pub artifacts: ArtifactSource,
    /// Look for other species' miRNAs in the reference files (off with
    /// `--no-exogenous`).
    pub exogenous: bool,
    /// Screen references (`--screen NAME=PATH`), in the order given.
    pub screens: Vec<(String, PathBuf)>,
    /// Tell whether the reads fit the species (off with
    /// `--no-species-fit`).
    pub species_fit: bool,
    /// Clade-specific miRNA family lists (`--clades`).
    pub clades: Vec<PathBuf>,
    /// The samplesheet, when one was given (an input the output directory
    /// must not hold).
    pub samplesheet: Option<PathBuf>,
    /// Replace an output directory holding files mirq did not write
    /// (`--force`).
    pub force: bool,
}

impl QuantOptions {
    /// Every path the run reads, for the output directory's checks.
    fn inputs(&self) -> Vec<PathBuf> {
        let files = self
            .samples
            .iter()
            .flat_map(|s| s.files.iter().map(|f| &f.path));
        let artifacts = match &self.artifacts {
            ArtifactSource::Files(f) => f.as_slice(),
            _ => &[],
        };
        files
            .chain([&self.mature])
            .chain(&self.hairpin)
            .chain(&self.ncrna)
            .chain(artifacts)
            .chain(self.screens.iter().map(|(_, p)| p))
            .chain(&self.clades)
            .chain(&self.samplesheet)
            .cloned()
            .collect()
    }
}

/// Says which samples have no read (a warning), what `--protocol auto`
/// decided for each sample (one line: information, unless it is not sure),
/// and the samples whose explicit protocol or adapter the reads disagree
/// with (warnings, returned as concerns).
fn report_samples(
    samples: &[SampleStats],
    mismatches: &[Option<Mismatch>],
    shown: bool,
) -> Vec<Concern> {
    for s in samples.iter().filter(|s| s.reads_in == 0) {
        say(format!(
            "mirq: WARNING: {}: no reads in {}: its columns are all zeros",
            s.sample,
            s.files.join(", ")
        ));
    }
    for s in samples {
        let Some(d) = s.trimming.as_ref().and_then(|t| t.detection.as_ref()) else {
            continue;
        };
        let given = d
            .adapter_override
            .as_ref()
            .map(|a| format!("; --adapter {a} replaces the detected adapter"))
            .unwrap_or_default();
        match (&d.warning, d.confidence) {
            // not sure: a warning
            (Some(w), Confidence::Low) => say(format!(
                "mirq: WARNING: {}: {w} (adapter auto-detection: {}){given}",
                s.sample, d.summary
            )),
            // sure, or no adapter (already-trimmed reads): information
            _ => tell(
                format!(
                    "mirq: {}: adapter auto-detection: {}{given}",
                    s.sample, d.summary
                ),
                shown,
            ),
        }
    }
    samples
        .iter()
        .zip(mismatches)
        .filter_map(|(s, m)| {
            let m = m.as_ref()?;
            Some(Concern::said(
                &s.sample,
                ConcernKind::Trimming,
                m.warning(&s.sample),
            ))
        })
        .collect()
}

/// Runs the whole quantification and writes the outputs; the warnings
/// about samples (`--strict`'s concerns) come with the stats.
pub fn run(opts: &QuantOptions) -> Result<Outcome> {
    let started = Instant::now();
    let head = RunStats::starting();
    in_thread_pool(opts.threads, || run_in_pool(opts, started, head))
}

/// The samples trimmed and collapsed into one table of unique inserts.
struct Collapsed {
    table: InsertTable,
    samples: Vec<SampleStats>,
    /// Per sample, its (insert, UMI) keys when deduplicating.
    umi_keys: Vec<Option<SortedInserts>>,
    /// Per sample, how its reads disagree with its explicit trimming.
    mismatches: Vec<Option<Mismatch>>,
}

/// How a sample's reads disagree with its explicit trimming: detection
/// runs (on the first reads the pass kept, or reusing `auto`'s) only when
/// the trimmer's counts call for it.
fn mismatch_of(trim: &SampleTrim, run: &CollapsedSample) -> Option<Mismatch> {
    let given = trim.given.as_ref()?;
    if !check::needs_detection(given, &run.counts) {
        return None;
    }
    match (&run.detected, &run.first_reads) {
        (Some(d), _) => check::check(given, &run.counts, &d.detection),
        (None, Some(first)) => check::check(given, &run.counts, &detect(&first.sample())),
        (None, None) => None,
    }
}

/// Trims and collapses every sample (in parallel), then joins them; the
/// trimming workers hand the inserts new to them to `sink`.
fn collapse_samples(
    opts: &QuantOptions,
    progress: &Progress,
    sink: Option<&dyn InsertSink>,
) -> Result<Collapsed> {
    let runs: Vec<(CollapsedSample, Option<Mismatch>)> = opts
        .samples
        .par_iter()
        .zip(&opts.trim.samples)
        .map(|(s, trim)| {
            let size = s
                .files
                .iter()
                .filter_map(|f| f.path.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum();
            let bar = progress.reading(&s.name, size);
            let mut run = trim_and_collapse(s, &trim.prep, &bar, sink)?;
            let mismatch = mismatch_of(trim, &run);
            run.first_reads = None;
            // the sample's hash tables are gone: their pages go back, to
            // make room for the next sample (one has no next)
            if opts.samples.len() > 1 {
                release_free_memory();
            }
            Ok((run, mismatch))
        })
        .collect::<Result<_>>()?;
    let (runs, mismatches): (Vec<CollapsedSample>, Vec<Option<Mismatch>>) =
        runs.into_iter().unzip();
    let mut inserts = Vec::with_capacity(runs.len());
    let (samples, umi_keys) = opts
        .samples
        .iter()
        .zip(runs)
        .zip(&opts.trim.samples)
        .map(|((sample, mut run), trim)| {
            let mut stats = SampleStats::from_collapsed(sample, &run);
            inserts.push(std::mem::take(&mut run.inserts));
            stats.trimming = match (run.detected, &trim.prep) {
                (Some(d), _) => Some(SampleTrimming::new(
                    d.protocol.name(),
                    &d.trim,
                    Some(d.detection),
                )),
                (None, PrepPlan::Fixed { protocol, trim: t }) if trim.own => {
                    Some(SampleTrimming::new(protocol.name(), t, None))
                }
                _ => None,
            };
            (stats, run.umi_keys)
        })
        .unzip();
    let table = InsertTable::of_samples(inserts);
    release_free_memory();
    Ok(Collapsed {
        table,
        samples,
        umi_keys,
        mismatches,
    })
}

/// The run itself, stage by stage: the references, collapse and align
/// (the miRNA pass), the later references' passes, the stats, then
/// counting and writing. Its stage timings (stats.json `timings`, see
/// [`Timings`]): `read_trim_collapse` runs from `started` (before the thread
/// pool was made) through [`InsertTable::of_samples`], so it includes loading the
/// reference, building its targets and `--protocol auto` detection (but not
/// the early start of `--engine gpu`); `align` is the busy time of engine
/// selection (also the early one of `--engine gpu`), the miRNA pass (partly
/// while reading: [`collapse_and_stream`]) and the later passes; [`count_and_write::run`]
/// times `assign_count` and `write`.
fn run_in_pool(opts: &QuantOptions, started: Instant, head: RunStats) -> Result<Outcome> {
    // the output directory is checked and locked before any work
    let out = StagedOutputs::new(&opts.outdir, &opts.inputs(), opts.force)?;
    let early = EarlyEngine::select(opts)?;
    // the inputs' first records are parsed beside the references' load;
    // a fault in the inputs is told first, as if they were checked first
    let (inputs, refs) = rayon::join(|| check_inputs(opts), || load_references(opts));
    note_inputs(opts, &inputs?);
    let refs = refs?;
    let progress = Progress::new(opts.progress);
    let mut mirna = collapse_and_align(opts, &refs.targets, early, started, &progress)?;
    let later = align_later(opts, &refs, &mirna, &progress)?;
    report_engine(opts, &mirna.alignment);
    let (stats, molecules) = quant_stats(opts, &refs, &mut mirna, &later, started, head);
    let concerns = std::mem::take(&mut mirna.concerns);
    let screen_refs = refs.later.screen_refs();
    let data = run_data(opts, &refs, &mirna, &later, molecules, &screen_refs);
    let writing = progress.spinner("counting and writing");
    let outcome = count_and_write::run(out, data, stats, started, concerns);
    writing.finish_and_clear();
    outcome
}

/// `--engine gpu`'s engine, made before any FASTQ is read (so that the run
/// fails early when no adapter exists), with when and how long that took.
struct EarlyEngine {
    engine: Option<GpuEngine>,
    started: Instant,
    selection: Duration,
}

impl EarlyEngine {
    /// Makes the GPU engine when `--engine gpu` asks for it.
    fn select(opts: &QuantOptions) -> Result<EarlyEngine> {
        let started = Instant::now();
        let engine = match opts.engine {
            EngineChoice::Gpu => Some(crate::align::select::gpu_engine()?),
            _ => None,
        };
        Ok(EarlyEngine {
            engine,
            started,
            selection: started.elapsed(),
        })
    }
}

/// Looks at every FASTQ before any work (errors name the samplesheet line).
fn check_inputs(opts: &QuantOptions) -> Result<preflight::Inputs> {
    let quality = opts.trim.request.quality_cutoff.is_some();
    preflight::check_inputs(&opts.samples, quality)
}

/// Notes the FASTA inputs, which have no qualities.
fn note_inputs(opts: &QuantOptions, inputs: &preflight::Inputs) {
    for file in &inputs.fasta {
        tell(
            format!(
                "mirq: note: {}: FASTA reads, without qualities: mean quality is not available",
                file.display()
            ),
            opts.progress,
        );
    }
}

/// The run's references: the miRNAs, their targets and the later stages'.
struct References {
    reference: Reference,
    targets: TargetSet,
    later: LaterReferences,
}

/// Loads the miRNA reference (warning about its ambiguous and short
/// records), builds its targets and loads the later stages' references.
fn load_references(opts: &QuantOptions) -> Result<References> {
    let reference = Reference::load(&opts.mature, opts.hairpin.as_deref(), &opts.species)?;
    warn_ambiguous(&reference);
    if let Some(line) = ShortRecord::warning(&reference.short) {
        say(line);
    }
    let targets = TargetSet::build(&reference, opts.window_5p, opts.window_3p);
    let later = load_later(opts, &reference.short)?;
    if later.foreign.is_some() && later.ncrna.is_none() {
        // advice, not a problem of the data: information (silent with -q)
        tell("mirq: note: without --ncrna, rRNA and tRNA fragments reach the search for other species' miRNAs: some of those reads may be host fragments, not exogenous miRNAs (give --ncrna to classify them first)".to_string(), opts.progress);
    }
    Ok(References {
        reference,
        targets,
        later,
    })
}

/// The samples collapsed and their inserts aligned to the miRNAs.
struct MirnaStage {
    collapsed: Collapsed,
    /// The warnings about samples (`--strict`'s concerns).
    concerns: Vec<Concern>,
    alignment: Alignment,
    /// The miRNA pass's busy time.
    mirna_busy: Duration,
    /// When aligning started (the early engine's start with `--engine gpu`).
    align_from: Instant,
    /// From `started` to the end of reading.
    read_end: Duration,
    /// How long the early engine's selection took.
    early_selection: Duration,
}

/// Trims and collapses every sample (the miRNA pass beside it where it
/// can), reports the samples, then finishes the miRNA pass.
fn collapse_and_align(
    opts: &QuantOptions,
    targets: &TargetSet,
    early: EarlyEngine,
    started: Instant,
    progress: &Progress,
) -> Result<MirnaStage> {
    let (collapsed, pass) = collapse_and_stream(opts, targets, early.engine, progress);
    progress.clear();
    let collapsed = collapsed?;
    let concerns = report_samples(&collapsed.samples, &collapsed.mismatches, opts.progress);
    let read_end = started.elapsed();
    let (alignment, mirna_busy, align_from) =
        align_mirnas(opts, pass?, targets, &collapsed.table, progress)?;
    let align_from = match opts.engine {
        EngineChoice::Gpu => early.started.min(align_from),
        _ => align_from,
    };
    Ok(MirnaStage {
        collapsed,
        concerns,
        alignment,
        mirna_busy,
        align_from,
        read_end,
        early_selection: early.selection,
    })
}

/// The later references' hits and the passes' busy time.
struct LaterStage {
    hits: LaterHits,
    busy: Duration,
}

/// Aligns the inserts to the later references (ncRNAs, artifacts, other
/// species' miRNAs, screens).
fn align_later(
    opts: &QuantOptions,
    refs: &References,
    mirna: &MirnaStage,
    progress: &Progress,
) -> Result<LaterStage> {
    let later_started = Instant::now();
    let passes = Passes {
        alignment: &mirna.alignment,
        mirna_targets: &refs.targets,
        table: &mirna.collapsed.table,
        params: opts.params,
        precedence: opts.ncrna_precedence,
        slice: ALIGN_SLICE,
        progress,
    };
    let hits = passes.run(&refs.later)?;
    Ok(LaterStage {
        hits,
        busy: later_started.elapsed(),
    })
}

/// Says why the engine was chosen: a GPU that failed is a warning; why
/// auto chose, information.
fn report_engine(opts: &QuantOptions, alignment: &Alignment) {
    if let Some(w) = &alignment.warning {
        say(format!("mirq: WARNING: engine auto: {w}"));
    } else if let Some(note) = engine_note(opts, alignment) {
        tell(format!("mirq: engine auto: {note}"), opts.progress);
    }
}

/// The run's stats before counting (its settings, reference, samples,
/// engine and timings; the samples move out of `mirna`) and where the
/// molecule counts come from.
fn quant_stats(
    opts: &QuantOptions,
    refs: &References,
    mirna: &mut MirnaStage,
    later: &LaterStage,
    started: Instant,
    head: RunStats,
) -> (RunStats, Molecules) {
    let (reference, table) = (&refs.reference, &mirna.collapsed.table);
    let read_trim_collapse = mirna.read_end.saturating_sub(mirna.early_selection);
    let align = mirna.mirna_busy + later.busy + mirna.early_selection;
    let mut samples = std::mem::take(&mut mirna.collapsed.samples);
    let mut settings = run_settings(opts, reference, &mut samples);
    later_settings(&mut settings, &refs.later, opts);
    let umi_keys = std::mem::take(&mut mirna.collapsed.umi_keys);
    let molecules = molecules_of(settings.counting, umi_keys);
    let mut stats = RunStats {
        settings,
        reference: ReferenceStats::of(reference, &opts.mature, opts.hairpin.as_deref()),
        samples,
        ..engine_stats(
            opts,
            &mirna.alignment,
            table.len(),
            (read_trim_collapse, align),
            head,
        )
    };
    later_timings(&mut stats.timings, &refs.later, &later.hits);
    stats.timings.spans = Some(Spans {
        read_trim_collapse: [0.0, Timings::seconds(mirna.read_end)],
        align: Timings::span(started, mirna.align_from),
        ..Spans::default()
    });
    stats.reference_engines = later.hits.engines.clone();
    // the miRNA alignment's speed: the later passes align other references
    let later_elapsed: Duration = later.hits.elapsed.iter().sum();
    stats.align_inserts_per_second =
        Timings::per_second(table.len(), align.saturating_sub(later_elapsed));
    (stats, molecules)
}

/// Fills the later stages' settings (ncRNAs, artifacts, other species'
/// miRNAs, screens, species fit, clades).
fn later_settings(settings: &mut RunSettings, later: &LaterReferences, opts: &QuantOptions) {
    settings.ncrna = later
        .ncrna
        .as_ref()
        .map(|(r, _)| ncrna_settings(r, opts.ncrna_precedence));
    settings.artifacts = later.artifact_settings(&opts.artifacts);
    settings.exogenous = later.exogenous_settings();
    settings.screen = later.screens.iter().map(Screen::settings).collect();
    settings.species_fit = later.species.is_some();
    settings.clades = later.clade_settings();
}

/// Fills the later passes' timings: each stage's, when it ran.
fn later_timings(timings: &mut Timings, later: &LaterReferences, hits: &LaterHits) {
    let [artifact_s, ncrna_s, exogenous_s, screen_s] = hits.elapsed;
    timings.ncrna_align = later.ncrna.is_some().then(|| Timings::seconds(ncrna_s));
    timings.artifact_align = later
        .artifacts
        .is_some()
        .then(|| Timings::seconds(artifact_s));
    timings.exogenous_align = later
        .foreign
        .is_some()
        .then(|| Timings::seconds(exogenous_s));
    timings.screen_align = (!later.screens.is_empty()).then(|| Timings::seconds(screen_s));
}

/// What counting and writing take: the references, the table, every
/// pass's hits and the molecules.
fn run_data<'a>(
    opts: &QuantOptions,
    refs: &'a References,
    mirna: &'a MirnaStage,
    later: &'a LaterStage,
    molecules: Molecules,
    screen_refs: &'a [&'a ScreenReference],
) -> RunData<'a> {
    RunData {
        reference: &refs.reference,
        targets: &refs.targets,
        table: &mirna.collapsed.table,
        hits: &mirna.alignment.hits,
        molecules,
        merge: false,
        ncrna: match (&refs.later.ncrna, &later.hits.ncrna) {
            (Some((reference, targets)), Some(hits)) => Some(NcrnaRun {
                reference,
                targets,
                hits,
                precedence: opts.ncrna_precedence,
            }),
            _ => None,
        },
        origin: refs.later.origin_run(later.hits.borrowed(), screen_refs),
    }
}

/// Where the molecule counts come from: each sample's (insert, UMI) keys
/// when counting molecules.
fn molecules_of(counting: Counting, umi_keys: Vec<Option<SortedInserts>>) -> Molecules {
    match counting {
        Counting::Molecules => Molecules::FromKeys(
            umi_keys
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect(),
        ),
        Counting::Reads => Molecules::None,
    }
}

/// The miRNA pass as reading leaves it.
enum MirnaPass<'t> {
    /// To run after reading (one thread, `--engine gpu`), with the engine
    /// given early.
    After(Option<GpuEngine>),
    /// Planned while reading (`--engine auto` calibrating a GPU): to run
    /// after reading; `from`: when planning started, `busy`: how long it
    /// took.
    Planned {
        plan: EnginePlan,
        from: Instant,
        busy: Duration,
    },
    /// Under way with the CPU engine since `from`, with the inserts read so
    /// far (`planning`: the time the engine's choice took; `why`: its
    /// reason, adapter considered and warning).
    Streamed {
        aligner: Box<StreamAligner<'t>>,
        why: (String, Option<String>, Option<String>),
        from: Instant,
        planning: Duration,
    },
}

/// Trims and collapses every sample; with [`STREAM_MIN_THREADS`] threads or
/// more and no `--engine gpu`, the miRNA pass starts beside reading, on a
/// thread of its own ([`stream_mirnas`]), fed the inserts new to each
/// trimming worker. With fewer, reading keeps the cores busy: the table is
/// aligned after.
fn collapse_and_stream<'t>(
    opts: &QuantOptions,
    targets: &'t TargetSet,
    early: Option<GpuEngine>,
    progress: &Progress,
) -> (Result<Collapsed>, Result<MirnaPass<'t>>) {
    if opts.engine == EngineChoice::Auto && rayon::current_num_threads() < STREAM_MIN_THREADS {
        // auto's adapter probe (loading the GPU driver) runs beside reading
        return std::thread::scope(|scope| {
            let planning = scope.spawn(|| plan_mirnas(opts.engine));
            let collapsed = collapse_samples(opts, progress, None);
            let pass = planning.join().expect("engine planning thread panicked");
            (collapsed, pass)
        });
    }
    if rayon::current_num_threads() < STREAM_MIN_THREADS || opts.engine == EngineChoice::Gpu {
        let collapsed = collapse_samples(opts, progress, None);
        return (collapsed, Ok(MirnaPass::After(early)));
    }
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (tx, rx) = channel::<NewInserts>();
        let done = &done;
        let aligner = scope.spawn(move || stream_mirnas(opts, targets, rx, done));
        let collapsed = collapse_samples(opts, progress, Some(&tx));
        // the aligner takes what is left, unaligned, and stops: the pool
        // aligns it
        done.store(true, Ordering::Relaxed);
        drop(tx);
        let pass = aligner.join().expect("aligning thread panicked");
        (collapsed, pass)
    })
}

/// The miRNA pass while reading: plans the engine and, when it is the CPU
/// engine, aligns the inserts as they come until reading is `done`;
/// otherwise (a GPU to calibrate) leaves the table to after reading.
fn stream_mirnas<'t>(
    opts: &QuantOptions,
    targets: &'t TargetSet,
    inserts: std::sync::mpsc::Receiver<NewInserts>,
    done: &AtomicBool,
) -> Result<MirnaPass<'t>> {
    let (reason, adapter, warning, from, planning) = match plan_mirnas(opts.engine)? {
        MirnaPass::Planned {
            plan:
                EnginePlan::Cpu {
                    reason,
                    adapter,
                    warning,
                },
            from,
            busy,
        } => (reason, adapter, warning, from, busy),
        // the workers' sends fail, unheard, once `inserts` is dropped
        other => return Ok(other),
    };
    let mut aligner = StreamAligner::new(targets, &opts.params);
    aligner.take_all(inserts, done);
    Ok(MirnaPass::Streamed {
        aligner: Box::new(aligner),
        why: (reason, adapter, warning),
        from,
        planning,
    })
}

/// Plans the miRNA pass's engine while reading goes on: the pass, planned,
/// with when planning started and how long it took.
fn plan_mirnas<'t>(engine: EngineChoice) -> Result<MirnaPass<'t>> {
    let from = Instant::now();
    let plan = plan_engine(engine, None)?;
    Ok(MirnaPass::Planned {
        plan,
        from,
        busy: from.elapsed(),
    })
}

/// Completes the miRNA pass once the table is built: its alignment, the
/// seconds it was busy, and when it started.
fn align_mirnas(
    opts: &QuantOptions,
    pass: MirnaPass,
    targets: &TargetSet,
    table: &InsertTable,
    progress: &Progress,
) -> Result<(Alignment, Duration, Instant)> {
    let now = Instant::now();
    match pass {
        MirnaPass::After(early) => {
            let plan = plan_engine(opts.engine, early)?;
            let alignment = align_with_progress(opts, plan, targets, table, progress)?;
            Ok((alignment, now.elapsed(), now))
        }
        MirnaPass::Planned { plan, from, busy } => {
            let alignment = align_with_progress(opts, plan, targets, table, progress)?;
            Ok((alignment, busy + now.elapsed(), from))
        }
        MirnaPass::Streamed {
            aligner,
            why: (reason, adapter, warning),
            from,
            planning,
        } => {
            let placing = progress.spinner("aligning inserts");
            let (hits, busy) = aligner.place(table.len(), |i| table.seq(i), ALIGN_SLICE);
            placing.finish_and_clear();
            let alignment = cpu_alignment(opts.engine, hits, reason, adapter, warning);
            Ok((alignment, planning + busy, from))
        }
    }
}

/// Aligns the table with the engine planned, a bar on `progress` counting
/// the inserts.
fn align_with_progress(
    opts: &QuantOptions,
    plan: EnginePlan,
    targets: &TargetSet,
    table: &InsertTable,
    progress: &Progress,
) -> Result<Alignment> {
    let aligning = progress.stage("aligning inserts", "inserts", table.len() as u64);
    let alignment = align_planned(
        opts.engine,
        plan,
        targets,
        &opts.params,
        table.len(),
        |i| {
            // inserts are encoded slice by slice just before their alignment
            if i % 4096 == 0 {
                aligning.set_position(i as u64);
            }
            table.seq(i)
        },
        ALIGN_SLICE,
    );
    aligning.finish_and_clear();
    alignment
}

/// The references of the stages after the miRNAs' (artifacts, ncRNAs,
/// other species' miRNAs, screen references), loaded before any FASTQ is
/// read so that a bad one fails the run at once. `said`: the short records
/// already warned of with the run's own reference.
fn load_later(opts: &QuantOptions, said: &[ShortRecord]) -> Result<LaterReferences> {
    let ncrna = if opts.ncrna.is_empty() {
        None
    } else {
        let reference = NcrnaReference::load(&opts.ncrna, &opts.species)?;
        let targets = TargetSet::from_ncrna(&reference);
        Some((reference, targets))
    };
    // the mature and hairpin files' every record, read once for both
    let all = read_all_species(
        &opts.mature,
        opts.hairpin.as_deref(),
        opts.exogenous || opts.species_fit,
    )?;
    if let Some(all) = &all {
        // the run's own species' short records were said with its reference
        let others: Vec<ShortRecord> = all
            .short
            .iter()
            .filter(|r| !said.contains(r))
            .cloned()
            .collect();
        if let Some(line) = ShortRecord::warning(&others) {
            say(line);
        }
    }
    let foreign = all
        .as_ref()
        .filter(|_| opts.exogenous)
        .and_then(|all| foreign_targets(all, &opts.species, (opts.window_5p, opts.window_3p)));
    let screens = opts
        .screens
        .iter()
        .map(|(name, path)| Screen::load(name, path, opts.params.max_mismatches))
        .collect::<Result<_>>()?;
    let species = all
        .as_ref()
        .filter(|_| opts.species_fit)
        .and_then(|all| SpeciesPanel::from_all(all, &opts.species));
    let clades = if opts.clades.is_empty() {
        None
    } else {
        let panel = CladePanel::load(&opts.clades, &opts.mature)?;
        Some((panel, opts.clades.clone()))
    };
    Ok(LaterReferences {
        artifacts: load_artifacts(&opts.artifacts)?,
        ncrna,
        foreign,
        screens,
        species,
        clades,
    })
}

/// stats.json `settings.ncrna` of a reference.
pub(crate) fn ncrna_settings(reference: &NcrnaReference, precedence: Precedence) -> NcrnaSettings {
    NcrnaSettings {
        files: reference
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect(),
        classes: reference.classes.clone(),
        precedence: precedence.name().into(),
        features: reference.features.len(),
        groups: reference.groups.len(),
        fingerprint: reference.fingerprint(),
    }
}

/// The run's settings: the request's, with the samples' own trimming when
/// some sample has one (then every sample records its trimming).
fn run_settings(
    opts: &QuantOptions,
    reference: &Reference,
    samples: &mut [SampleStats],
) -> RunSettings {
    let (protocol, trim) = &opts.trim.run;
    let mut settings = RunSettings::new(
        *protocol,
        trim,
        &opts.params,
        (opts.window_5p, opts.window_3p),
        database_of(opts, reference),
    );
    settings.gff_coordinates = opts.gff_coordinates;
    // with `auto`, the run-level settings carry no UMI: the request says
    settings.counting = if opts.trim.request.dedup {
        Counting::Molecules
    } else {
        Counting::Reads
    };
    if samples.iter().any(|s| s.trimming.is_some()) {
        for s in samples.iter_mut() {
            s.trimming.get_or_insert_with(|| settings.trimming());
        }
        settings.trimming_of(samples);
    }
    settings
}

/// The run-level figures of the engine and the first two stages on top of
/// `head` (version, command line, start); the rest is the caller's.
fn engine_stats(
    opts: &QuantOptions,
    alignment: &Alignment,
    inserts: usize,
    (read_trim_collapse, align): (Duration, Duration),
    head: RunStats,
) -> RunStats {
    RunStats {
        engine: alignment.engine.to_string(),
        gpu_adapter: alignment.adapter.clone(),
        engine_note: engine_note(opts, alignment),
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
        ..head
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
    say(format!(
        "mirq: WARNING: {} mature miRNA{} hold letters other than ACGTU ({}{}): no read base matches them there, so each costs a mismatch",
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        shown.join(", "),
        if names.len() > shown.len() { ", ..." } else { "" }
    ));
}

/// Why `--engine auto` chose its engine, or a GPU warning.
fn engine_note(opts: &QuantOptions, alignment: &Alignment) -> Option<String> {
    alignment
        .warning
        .clone()
        .or_else(|| (opts.engine == EngineChoice::Auto).then(|| alignment.decision.reason.clone()))
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

/// Threads from which the miRNA pass aligns while reading goes on. With two,
/// reading (inflating and parsing, both trimming as well) keeps both cores busy
/// already: aligning beside it saves no wall time, and keeping each insert
/// once more and placing the hits costs CPU (measured on two cores: 9-12%
/// more CPU seconds, wall no shorter).
const STREAM_MIN_THREADS: usize = 3;

/// Unique inserts aligned per slice of the table, so that base codes and
/// per-insert hit vectors exist for one slice at a time.
const ALIGN_SLICE: usize = 1 << 19;

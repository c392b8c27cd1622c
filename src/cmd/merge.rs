//! `mirq merge`: per-sample (or any) `mirq quant` output directories into the
//! outputs one joint run over all their samples would have written, from
//! each directory's `stats.json` and `inserts.tsv.gz`: no FASTQ is read and
//! nothing is aligned again.

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::ProgressBar;
use serde_json::Value;

use crate::align::{FlatHits, TargetSet};
use crate::cmd::count_and_write::{self, Molecules, NcrnaRun, RunData};
use crate::cmd::merge_inputs;
use crate::cmd::origin::{
    foreign_targets, load_artifacts, read_all_species, ArtifactSource, LaterHitsRef,
    LaterReferences, Screen, BUILT_IN,
};
use crate::count::clades::CladePanel;
use crate::count::ncrna::Precedence;
use crate::count::species::SpeciesPanel;
use crate::error::{Error, Result};
use crate::input::ncrna::NcrnaReference;
use crate::input::reference::Reference;
use crate::output::concerns::Outcome;
use crate::output::inserts_file::{self, RunInserts};
use crate::output::isomirs::GffCoordinates;
use crate::output::stats::{Counting, RunSettings, RunStats, Spans, Timings};
use crate::output::StagedOutputs;
use crate::prep::collapse::{InsertTable, SortedInserts};
use crate::runtime::Progress;

/// What `mirq merge` needs.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    /// `mirq quant` output directories, in output column order.
    pub dirs: Vec<PathBuf>,
    /// Mature FASTA (default: the one the first directory recorded).
    pub mature: Option<PathBuf>,
    /// Hairpin FASTA (default: the one the first directory recorded).
    pub hairpin: Option<PathBuf>,
    /// ncRNA reference files or directories (default: the files the first
    /// directory recorded, when the runs had `--ncrna`).
    pub ncrna: Vec<PathBuf>,
    /// Output directory.
    pub outdir: PathBuf,
    /// Worker threads.
    pub threads: usize,
    /// Show progress on stderr (when it is a terminal).
    pub progress: bool,
    /// Screen references (`--screen NAME=PATH`) overriding the files the
    /// runs recorded.
    pub screens: Vec<(String, PathBuf)>,
    /// The form of isomirs.gff3's coordinates (default: the first
    /// directory's).
    pub gff_coordinates: Option<GffCoordinates>,
    /// Replace an output directory holding files mirq did not write
    /// (`--force`).
    pub force: bool,
}

impl MergeOptions {
    /// Every path the merge reads (the input directories and the references
    /// given), for the output directory's checks.
    fn inputs(&self) -> Vec<PathBuf> {
        self.dirs
            .iter()
            .chain(&self.mature)
            .chain(&self.hairpin)
            .chain(&self.ncrna)
            .chain(self.screens.iter().map(|(_, p)| p))
            .cloned()
            .collect()
    }
}

/// One input directory's recorded run (its stats.json).
struct Recorded {
    dir: PathBuf,
    run: RunStats,
}

fn invalid(dir: &Path, message: String) -> Error {
    Error::InvalidValue {
        what: "mirq merge",
        value: dir.display().to_string(),
        message,
    }
}

fn read_recorded(dir: &Path) -> Result<Recorded> {
    let path = dir.join("stats.json");
    let text = std::fs::read_to_string(&path).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => invalid(
            dir,
            "no stats.json: not a finished mirq quant output directory".into(),
        ),
        _ => Error::Io {
            path: path.clone(),
            err,
        },
    })?;
    let parse = |message: String| Error::Parse {
        path: path.clone(),
        message,
    };
    let run: RunStats = serde_json::from_str(&text)
        .map_err(|e| parse(format!("{e} (not a stats.json of this mirq version?)")))?;
    merge_inputs::check_recorded_samples(&path, &run.samples)?;
    Ok(Recorded {
        dir: dir.to_path_buf(),
        run,
    })
}

/// Settings that are the samples' own: runs trimmed differently merge
/// (each sample keeps its trimming), all others must agree.
const PER_SAMPLE_SETTINGS: [&str; 5] = ["protocol", "adapter", "cut_5p", "cut_3p", "umi"];

/// The settings that differ between two runs, by name (the samples' own
/// trimming aside): every key either has, so that a run with `--ncrna` and
/// one without differ. The ncRNA files' paths may differ (their
/// fingerprints may not).
fn differing_settings(a: &RunSettings, b: &RunSettings) -> Vec<String> {
    let (Value::Object(a), Value::Object(b)) = (comparable(a), comparable(b)) else {
        return vec!["settings".into()];
    };
    let keys = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k)));
    keys.filter(|k| !PER_SAMPLE_SETTINGS.contains(&k.as_str()))
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let value = |m: &serde_json::Map<String, Value>| m.get(k).cloned();
            let (x, y) = (value(&a).unwrap_or_default(), value(&b).unwrap_or_default());
            format!("{k}: {x} vs {y}")
        })
        .collect()
}

/// A run's settings as compared: JSON, less the paths of the ncRNA,
/// artifact and screen files (their fingerprints stay) and the GFF's form
/// (how a file is written, not what was counted).
fn comparable(settings: &RunSettings) -> Value {
    let mut v = serde_json::to_value(settings).unwrap_or_default();
    if let Some(v) = v.as_object_mut() {
        v.remove("gff_coordinates");
    }
    if let Some(ncrna) = v.get_mut("ncrna").and_then(Value::as_object_mut) {
        ncrna.remove("files");
    }
    if let Some(artifacts) = v.get_mut("artifacts").and_then(Value::as_object_mut) {
        artifacts.remove("source");
    }
    if let Some(screens) = v.get_mut("screen").and_then(Value::as_array_mut) {
        for s in screens.iter_mut().filter_map(Value::as_object_mut) {
            s.remove("files");
        }
    }
    v
}

/// Runs the merge and writes the outputs; the merged QC verdicts and
/// species fit are made anew, and their warnings are the outcome's
/// concerns.
pub fn run(opts: &MergeOptions) -> Result<Outcome> {
    let started = Instant::now();
    let head = RunStats::starting();
    crate::runtime::in_thread_pool(opts.threads, || run_in_pool(opts, started, head))
}

/// The merge itself. Its `read_trim_collapse` timing runs from `started`
/// through the merged table (reading the directories and the references);
/// `align` (and `ncrna_align`) is 0: the hits come from the directories.
fn run_in_pool(opts: &MergeOptions, started: Instant, head: RunStats) -> Result<Outcome> {
    if opts.dirs.is_empty() {
        return Err(invalid(Path::new(""), "no directory to merge".into()));
    }
    // the output directory is checked (apart from every input) and locked
    // before any work
    let out = StagedOutputs::new(&opts.outdir, &opts.inputs(), opts.force)?;
    let recorded = read_all_recorded(&opts.dirs)?;
    let reference = load_reference(opts, &recorded[0])?;
    let ncrna = load_ncrna(opts, &recorded[0])?;
    let later = load_later(opts, &recorded[0], &reference)?;
    let (recorded, settings) = merged_settings(opts, recorded);
    let targets = TargetSet::build(&reference, settings.window_5p, settings.window_3p);
    let dedup = settings.counting == Counting::Molecules;
    let target_counts = target_counts(&targets, ncrna.as_ref(), &later);
    let gathered = read_directories(opts, &recorded, dedup, target_counts)?;
    let Gathered {
        seqs,
        hits,
        later: later_hits,
        reads,
        molecules,
    } = gathered;
    let [ncrna_hits, artifact_hits, exogenous_hits, screen_hits] = &later_hits.hits;
    let screen_refs = later.screen_refs();
    let table = InsertTable::from_parts(seqs, reads);
    let molecules = if dedup {
        Molecules::Counted(molecules)
    } else {
        Molecules::None
    };
    let stats = merged_stats(opts, recorded, settings, started, head);
    let data = RunData {
        reference: &reference,
        targets: &targets,
        table: &table,
        hits: &hits,
        molecules,
        merge: true,
        ncrna: match (&ncrna, ncrna_hits) {
            (Some(n), Some(hits)) => Some(NcrnaRun {
                reference: &n.reference,
                targets: &n.targets,
                hits,
                precedence: n.precedence,
            }),
            _ => None,
        },
        origin: later.origin_run(
            LaterHitsRef {
                artifact: artifact_hits.as_ref(),
                exogenous: exogenous_hits.as_ref(),
                screen: screen_hits.as_ref(),
                decoy: later_hits.decoy.as_deref(),
            },
            &screen_refs,
        ),
    };
    let progress = Progress::new(opts.progress);
    let writing = progress.spinner("counting and writing");
    let outcome = count_and_write::run(out, data, stats, started, Vec::new());
    writing.finish_and_clear();
    outcome
}

/// Reads every directory's recorded run and refuses runs that do not go
/// together.
fn read_all_recorded(dirs: &[PathBuf]) -> Result<Vec<Recorded>> {
    let recorded: Vec<Recorded> = dirs
        .iter()
        .map(|d| read_recorded(d))
        .collect::<Result<_>>()?;
    check_compatible(&recorded)?;
    Ok(recorded)
}

/// The merged run's settings: the first directory's, with `--gff-coordinates`
/// when given and each sample's trimming when the runs differ in it.
fn merged_settings(opts: &MergeOptions, recorded: Vec<Recorded>) -> (Vec<Recorded>, RunSettings) {
    let mut settings = recorded[0].run.settings.clone();
    if let Some(form) = opts.gff_coordinates {
        settings.gff_coordinates = form;
    }
    let recorded = with_sample_trimming(recorded, &mut settings);
    (recorded, settings)
}

/// How many targets each stage has (miRNAs, ncRNAs, artifacts, other
/// species' miRNAs, screens), None for a stage that did not run.
fn target_counts(
    targets: &TargetSet,
    ncrna: Option<&MergedNcrna>,
    later: &LaterReferences,
) -> [Option<usize>; 5] {
    let screens = later.screens.iter().map(|s| s.targets.targets.len());
    [
        Some(targets.targets.len()),
        ncrna.map(|n| n.targets.targets.len()),
        later.artifacts.as_ref().map(|(_, t)| t.targets.len()),
        later.foreign.as_ref().map(|(_, t)| t.targets.len()),
        (!later.screens.is_empty()).then(|| screens.sum()),
    ]
}

/// Reads every directory's inserts, with a progress bar.
fn read_directories(
    opts: &MergeOptions,
    recorded: &[Recorded],
    dedup: bool,
    targets: [Option<usize>; 5],
) -> Result<Gathered> {
    let progress = Progress::new(opts.progress);
    let bar = progress.stage("reading directories", "directories", recorded.len() as u64);
    let gathered = gather_inserts(recorded, dedup, targets, &bar);
    progress.clear();
    gathered
}

/// The merged run's figures before counting: every directory's engine and
/// samples, the first one's reference, `settings`, and the time taken so
/// far as `read_trim_collapse`.
fn merged_stats(
    opts: &MergeOptions,
    recorded: Vec<Recorded>,
    settings: RunSettings,
    started: Instant,
    head: RunStats,
) -> RunStats {
    let mut engines: Vec<&str> = recorded.iter().map(|r| r.run.engine.as_str()).collect();
    engines.sort_unstable();
    engines.dedup();
    let engine = engines.join(",");
    let directories = recorded.len();
    let reference = recorded[0].run.reference.clone();
    RunStats {
        engine,
        engine_note: Some(format!(
            "merged from {directories} directories by mirq merge"
        )),
        threads: opts.threads.max(1),
        timings: Timings {
            read_trim_collapse: Timings::seconds(started.elapsed()),
            ncrna_align: settings.ncrna.as_ref().map(|_| 0.0),
            // a merge aligns nothing: its align span is empty, where
            // reading ends
            spans: Some({
                let read = Timings::span(started, started);
                Spans {
                    read_trim_collapse: read,
                    align: [read[1]; 2],
                    ..Spans::default()
                }
            }),
            ..Timings::default()
        },
        reference,
        settings,
        samples: recorded.into_iter().flat_map(|r| r.run.samples).collect(),
        ..head
    }
}

/// When the runs were trimmed differently, every sample carries its own
/// trimming (from its run's settings where it has none) and the merged
/// settings say [`crate::output::stats::PER_SAMPLE`]; otherwise nothing changes.
fn with_sample_trimming(mut recorded: Vec<Recorded>, settings: &mut RunSettings) -> Vec<Recorded> {
    let first = recorded[0].run.settings.trimming();
    let same = recorded.iter().all(|r| {
        r.run.settings.trimming() == first && r.run.samples.iter().all(|s| s.trimming.is_none())
    });
    if same {
        return recorded;
    }
    for r in &mut recorded {
        let own = r.run.settings.trimming();
        for s in &mut r.run.samples {
            s.trimming.get_or_insert_with(|| own.clone());
        }
    }
    let samples: Vec<_> = recorded
        .iter()
        .flat_map(|r| r.run.samples.iter().cloned())
        .collect();
    settings.trimming_of(&samples);
    recorded
}

/// Refuses runs made with another reference or other settings than the
/// first, and a sample in two directories.
fn check_compatible(recorded: &[Recorded]) -> Result<()> {
    let first = &recorded[0];
    let (fr, mut names) = (&first.run.reference, std::collections::HashSet::new());
    for r in recorded {
        let rr = &r.run.reference;
        if rr.fingerprint != fr.fingerprint || rr.species != fr.species {
            return Err(invalid(
                &r.dir,
                format!(
                    "made with another reference than {} (species {} vs {}, fingerprint {} vs {})",
                    first.dir.display(),
                    rr.species,
                    fr.species,
                    rr.fingerprint,
                    fr.fingerprint
                ),
            ));
        }
        let diff = differing_settings(&r.run.settings, &first.run.settings);
        if !diff.is_empty() {
            return Err(invalid(
                &r.dir,
                format!(
                    "made with other settings than {}: {}",
                    first.dir.display(),
                    diff.join("; ")
                ),
            ));
        }
        for s in &r.run.samples {
            if !names.insert(s.sample.clone()) {
                return Err(invalid(
                    &r.dir,
                    format!("sample '{}' is in more than one directory", s.sample),
                ));
            }
        }
    }
    Ok(())
}

/// The mature and hairpin FASTA of a merge: those given, else those the
/// first directory recorded.
fn reference_paths(opts: &MergeOptions, first: &Recorded) -> (PathBuf, Option<PathBuf>) {
    let recorded = &first.run.reference;
    let mature = opts
        .mature
        .clone()
        .unwrap_or_else(|| PathBuf::from(&recorded.mature));
    let hairpin = opts
        .hairpin
        .clone()
        .or_else(|| recorded.hairpin.as_ref().map(PathBuf::from));
    (mature, hairpin)
}

/// The reference the runs used: the files given, else those the first
/// directory recorded; its fingerprint must be the recorded one.
fn load_reference(opts: &MergeOptions, first: &Recorded) -> Result<Reference> {
    let recorded = &first.run.reference;
    let (mature, hairpin) = reference_paths(opts, first);
    let reference = Reference::load(&mature, hairpin.as_deref(), &recorded.species)?;
    if reference.fingerprint() != recorded.fingerprint {
        return Err(invalid(
            &first.dir,
            format!(
                "the reference loaded from {}{} (fingerprint {}) is not the one the runs used \
                 (fingerprint {}): give the same --mature/--hairpin files",
                mature.display(),
                hairpin
                    .as_ref()
                    .map(|h| format!(" and {}", h.display()))
                    .unwrap_or_default(),
                reference.fingerprint(),
                recorded.fingerprint
            ),
        ));
    }
    Ok(reference)
}

/// The later stages' references the runs used (artifacts, other species'
/// miRNAs, screen references), each checked against its recorded
/// fingerprint. Screen references load from `--screen NAME=PATH` when given,
/// else from the files recorded.
fn load_later(
    opts: &MergeOptions,
    first: &Recorded,
    reference: &Reference,
) -> Result<LaterReferences> {
    let settings = &first.run.settings;
    let artifacts = recorded_artifacts(first)?;
    let (mature, hairpin) = reference_paths(opts, first);
    // the mature and hairpin files' every record, read once for both
    let needed = settings.exogenous.is_some() || settings.species_fit;
    let all = read_all_species(&mature, hairpin.as_deref(), needed)?;
    let foreign = match (&settings.exogenous, &all) {
        (Some(e), Some(all)) => {
            let windows = (settings.window_5p, settings.window_3p);
            let loaded = foreign_targets(all, &reference.species, windows);
            let got = loaded
                .as_ref()
                .map(|(r, _)| r.fingerprint())
                .unwrap_or_default();
            same_fingerprint(first, "other species' miRNAs", &got, &e.fingerprint)?;
            loaded
        }
        _ => None,
    };
    let screens = recorded_screens(opts, first)?;
    let species = all
        .as_ref()
        .filter(|_| settings.species_fit)
        .and_then(|all| SpeciesPanel::from_all(all, &reference.species));
    let clades = recorded_clades(first, &mature)?;
    Ok(LaterReferences {
        artifacts,
        ncrna: None,
        foreign,
        screens,
        species,
        clades,
    })
}

/// Refuses a later reference loaded with another fingerprint (`got`) than
/// the one the runs recorded (`want`).
fn same_fingerprint(first: &Recorded, what: &str, got: &str, want: &str) -> Result<()> {
    if got == want {
        return Ok(());
    }
    Err(invalid(
        &first.dir,
        format!("the {what} loaded (fingerprint {got}) is not the one the runs used (fingerprint {want})"),
    ))
}

/// The artifact list the runs used (None when they had none): built in,
/// else the files recorded.
fn recorded_artifacts(first: &Recorded) -> Result<Option<(NcrnaReference, TargetSet)>> {
    let Some(a) = &first.run.settings.artifacts else {
        return Ok(None);
    };
    let source = if a.source == [BUILT_IN] {
        ArtifactSource::BuiltIn
    } else {
        ArtifactSource::Files(a.source.iter().map(PathBuf::from).collect())
    };
    let loaded = load_artifacts(&source)?;
    if let Some((r, _)) = &loaded {
        same_fingerprint(first, "artifact list", &r.fingerprint(), &a.fingerprint)?;
    }
    Ok(loaded)
}

/// The screen references the runs used, from `--screen NAME=PATH` when
/// given, else from the files recorded; a `--screen` the runs did not have
/// is refused.
fn recorded_screens(opts: &MergeOptions, first: &Recorded) -> Result<Vec<Screen>> {
    let settings = &first.run.settings;
    let mut screens = Vec::new();
    for s in &settings.screen {
        let given = opts.screens.iter().find(|(name, _)| *name == s.name);
        let screen = match given {
            Some((name, path)) => Screen::load(name, path, settings.mismatches)?,
            None => {
                let files: Vec<PathBuf> = s.files.iter().map(PathBuf::from).collect();
                Screen::load_files(&s.name, &files, settings.mismatches)?
            }
        };
        let what = format!("screen reference {}", s.name);
        same_fingerprint(
            first,
            &what,
            &screen.reference.fingerprint(),
            &s.fingerprint,
        )?;
        screens.push(screen);
    }
    if let Some((name, _)) = opts
        .screens
        .iter()
        .find(|(name, _)| !settings.screen.iter().any(|s| s.name == *name))
    {
        let message =
            format!("--screen {name} is given, but the runs had no screen reference of that name");
        return Err(invalid(&first.dir, message));
    }
    Ok(screens)
}

/// The clade lists the runs used (None when they had none), from the files
/// recorded.
fn recorded_clades(first: &Recorded, mature: &Path) -> Result<Option<(CladePanel, Vec<PathBuf>)>> {
    let Some(c) = &first.run.settings.clades else {
        return Ok(None);
    };
    let files: Vec<PathBuf> = c.files.iter().map(PathBuf::from).collect();
    let panel = CladePanel::load(&files, mature)?;
    same_fingerprint(first, "clade lists", &panel.fingerprint(), &c.fingerprint)?;
    Ok(Some((panel, files)))
}

/// The ncRNA side of runs made with `--ncrna`: the reference, its targets
/// and the recorded precedence.
struct MergedNcrna {
    reference: NcrnaReference,
    targets: TargetSet,
    precedence: Precedence,
}

/// The ncRNA reference the runs used (None when they had no `--ncrna`): the
/// files given, else those the first directory recorded, read for the
/// recorded species; its fingerprint must be the recorded one.
fn load_ncrna(opts: &MergeOptions, first: &Recorded) -> Result<Option<MergedNcrna>> {
    let Some(recorded) = &first.run.settings.ncrna else {
        if opts.ncrna.is_empty() {
            return Ok(None);
        }
        let message = "--ncrna is given, but the runs were made without --ncrna";
        return Err(invalid(&first.dir, message.into()));
    };
    let precedence = Precedence::parse(&recorded.precedence).ok_or_else(|| {
        let p = &recorded.precedence;
        invalid(&first.dir, format!("unknown ncRNA precedence '{p}'"))
    })?;
    let species = &first.run.reference.species;
    let reference = if opts.ncrna.is_empty() {
        let files: Vec<PathBuf> = recorded.files.iter().map(PathBuf::from).collect();
        NcrnaReference::load(&files, species).map_err(|e| {
            let message =
                format!("the ncRNA reference it recorded does not load ({e}): give --ncrna");
            invalid(&first.dir, message)
        })?
    } else {
        NcrnaReference::load(&opts.ncrna, species)?
    };
    if reference.fingerprint() != recorded.fingerprint {
        let files: Vec<String> = reference
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        return Err(invalid(
            &first.dir,
            format!(
                "the ncRNA reference loaded from {} (fingerprint {}) is not the one the runs \
                 used (fingerprint {}): give the same --ncrna files",
                files.join(", "),
                reference.fingerprint(),
                recorded.fingerprint
            ),
        ));
    }
    let targets = TargetSet::from_ncrna(&reference);
    Ok(Some(MergedNcrna {
        reference,
        targets,
        precedence,
    }))
}

/// Every directory's inserts file, one at a time into the growing table, so
/// that memory follows the unique inserts plus one directory; each checked
/// against its stats.json before it is taken in.
/// `targets`: the number of miRNA targets, then of those of `--ncrna`, the
/// artifact stage, the exogenous stage and `--screen` when the runs had them
/// (their files then have those columns, with hits on those targets).
fn gather_inserts(
    recorded: &[Recorded],
    dedup: bool,
    targets: [Option<usize>; 5],
    bar: &ProgressBar,
) -> Result<Gathered> {
    let mut gathered = Gathered::default();
    let expected: [bool; 4] = std::array::from_fn(|c| targets[c + 1].is_some());
    for r in recorded {
        let path = r.dir.join(inserts_file::FILE_NAME);
        let run = inserts_file::read(&path)?;
        merge_inputs::check_inserts_agree(&path, &r.run.samples, &run)?;
        if run.molecules.is_some() != dedup && !run.rows.is_empty() {
            return Err(invalid(
                &r.dir,
                "molecule counts do not match the recorded counting".into(),
            ));
        }
        let columns = [
            (run.ncrna.is_some(), expected[0], "ncrna", "--ncrna"),
            (
                run.artifact.is_some(),
                expected[1],
                "artifact",
                "the artifact stage",
            ),
            (
                run.exogenous.is_some(),
                expected[2],
                "exogenous",
                "the exogenous stage",
            ),
            (run.screen.is_some(), expected[3], "screen", "--screen"),
        ];
        for (has, recorded, column, stage) in columns {
            if has != recorded {
                let (has, recorded) = if recorded { ("no", "") } else { ("an", " no") };
                let message = format!(
                    "{} has {has} {column} column, but stats.json records{recorded} {stage}",
                    inserts_file::FILE_NAME
                );
                return Err(invalid(&r.dir, message));
            }
        }
        let columns = [
            ("miRNA", Some(&run.hits)),
            ("ncrna", run.ncrna.as_ref()),
            ("artifact", run.artifact.as_ref()),
            ("exogenous", run.exogenous.as_ref()),
            ("screen", run.screen.as_ref()),
        ];
        for ((column, hits), n) in columns.into_iter().zip(targets) {
            if let (Some(hits), Some(n)) = (hits, n) {
                merge_inputs::check_hit_targets(&path, column, &run, hits, n)?;
            }
        }
        gathered.absorb(run);
        bar.inc(1);
    }
    Ok(gathered)
}

/// The unique inserts of the directories absorbed so far, their hits (and
/// the later stages' hits: ncRNA, artifact, exogenous, screen and screen
/// decoy, each when its stage ran) and every sample's (id, reads) and (id,
/// molecules) pairs.
#[derive(Default)]
struct Gathered {
    seqs: SortedInserts,
    hits: FlatHits,
    later: LaterColumns,
    reads: Vec<Vec<(u32, u32)>>,
    molecules: Vec<Vec<(u32, u32)>>,
}

/// The later stages' per-insert columns of an inserts file.
#[derive(Default)]
struct LaterColumns {
    /// ncRNA, artifact, exogenous and screen hits.
    hits: [Option<FlatHits>; 4],
    /// Screen decoy bits.
    decoy: Option<Vec<u32>>,
}

impl LaterColumns {
    fn of(run: &mut RunInserts) -> Self {
        Self {
            hits: [
                run.ncrna.take(),
                run.artifact.take(),
                run.exogenous.take(),
                run.screen.take(),
            ],
            decoy: run.decoy.take(),
        }
    }

    /// The same columns, empty.
    fn empty_like(&self) -> Self {
        Self {
            hits: std::array::from_fn(|c| self.hits[c].as_ref().map(|_| FlatHits::default())),
            decoy: self.decoy.as_ref().map(|_| Vec::new()),
        }
    }

    /// Appends row `i` of `from`.
    fn push_from(&mut self, from: &LaterColumns, i: usize) {
        for (to, from) in self.hits.iter_mut().zip(&from.hits) {
            if let (Some(to), Some(from)) = (to, from) {
                to.push(from.get(i));
            }
        }
        if let (Some(to), Some(from)) = (&mut self.decoy, &from.decoy) {
            to.push(from[i]);
        }
    }
}

impl Gathered {
    /// Merges one directory's rows into the table (both sorted), renumbers
    /// the samples absorbed before and appends the directory's samples.
    /// An insert's hits (and later stages' hits) come from the first
    /// directory that has it (runs with one reference and settings agree
    /// on them).
    fn absorb(&mut self, mut run: RunInserts) {
        let new_later = LaterColumns::of(&mut run);
        let old_len = self.seqs.len();
        let mut seqs = SortedInserts::default();
        let mut hits = FlatHits::default();
        let mut later = new_later.empty_like();
        let mut old_ids = Vec::with_capacity(old_len);
        let mut row_ids = Vec::with_capacity(run.rows.len());
        let (mut i, mut j) = (0, 0);
        while i < old_len || j < run.rows.len() {
            let order = if j == run.rows.len() {
                std::cmp::Ordering::Less
            } else if i == old_len {
                std::cmp::Ordering::Greater
            } else {
                self.seqs.seq(i).cmp(run.rows.seq(j))
            };
            let id = seqs.len() as u32;
            if order.is_le() {
                seqs.push(self.seqs.seq(i), 0);
                hits.push(self.hits.get(i));
                later.push_from(&self.later, i);
                old_ids.push(id);
                i += 1;
                if order.is_eq() {
                    row_ids.push(id);
                    j += 1;
                }
            } else {
                seqs.push(run.rows.seq(j), 0);
                hits.push(run.hits.get(j));
                later.push_from(&new_later, j);
                row_ids.push(id);
                j += 1;
            }
        }
        for pairs in self.reads.iter_mut().chain(self.molecules.iter_mut()) {
            for p in pairs.iter_mut() {
                p.0 = old_ids[p.0 as usize];
            }
        }
        let map = |pairs: Vec<(u32, u32)>| -> Vec<(u32, u32)> {
            pairs
                .into_iter()
                .map(|(row, n)| (row_ids[row as usize], n))
                .collect()
        };
        let samples = run.reads.len();
        self.reads.extend(run.reads.into_iter().map(map));
        match run.molecules {
            Some(m) => self.molecules.extend(m.into_iter().map(map)),
            None => self.molecules.extend((0..samples).map(|_| Vec::new())),
        }
        self.seqs = seqs;
        self.hits = hits;
        self.later = later;
    }
}

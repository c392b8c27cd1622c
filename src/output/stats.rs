//! Per-sample and run-level statistics, written as stats.json.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::align::AlignParams;
use crate::input::library::Protocol;
use crate::input::reference::Reference;
use crate::input::samples::Sample;
use crate::output::isomirs::GffCoordinates;
use crate::prep::detect::Detection;
use crate::prep::protocol::TrimSettings;
use crate::prep::reads::CollapsedSample;

pub use crate::count::MoleculeStats;

/// What happened to one sample's reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleStats {
    /// Sample name (column of the count tables).
    pub sample: String,
    /// FASTQ files pooled into the sample.
    pub files: Vec<String>,
    /// The sample's own trimming, when samples of a run may differ in it
    /// (`--protocol auto` decides per sample; a merge of runs trimmed
    /// differently); otherwise the run's `settings` say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trimming: Option<SampleTrimming>,
    /// Reads read.
    pub reads_in: u64,
    /// Reads in which the adapter was found (0 when reads come trimmed).
    pub adapter_found: u64,
    /// Reads without the adapter: reported, not counted.
    pub no_adapter: u64,
    /// Inserts shorter than --min-length (adapter dimers included).
    pub too_short: u64,
    /// Inserts longer than --max-length.
    pub too_long: u64,
    /// Of those too short, adapter dimers (empty inserts).
    pub adapter_dimers: u64,
    /// Reads whose insert passed the length filter (and, when deduplicating,
    /// carried a whole UMI).
    pub inserts: u64,
    /// Reads with an insert but no whole UMI (the read ended first): not
    /// counted when deduplicating.
    pub umi_missing: u64,
    /// Molecules (reads deduplicated by UMI) by what they count for, with
    /// `--dedup`: the count tables count these.
    pub molecules: Option<MoleculeStats>,
    /// Distinct inserts among them.
    pub unique_inserts: u64,
    /// Reads assigned to at least one mature miRNA.
    pub assigned_mature: u64,
    /// Of those, reads shared between several mature miRNAs.
    pub mature_multimapped: u64,
    /// Reads on a hairpin outside every mature window.
    pub hairpin_only: u64,
    /// Reads with no hit (with `--ncrna`: on no miRNA and no ncRNA).
    pub unassigned: u64,
    /// With `--ncrna`: the reads on ncRNAs, by class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ncrna: Option<SampleNcrna>,
    /// With the artifact stage: the reads on adapter, primer and vector
    /// sequences (out of `unassigned`; those taken from miRNAs are not in
    /// `assigned_mature`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<SampleArtifacts>,
    /// With the exogenous stage: the reads on other species' miRNAs (out of
    /// `unassigned`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exogenous: Option<SampleExogenous>,
    /// With `--screen`: the reads on each screen reference, in the order
    /// given (out of `unassigned`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub screen: Vec<SampleScreen>,
    /// Whether the reads fit the species given or another one in the
    /// reference files (see [`crate::count::species`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub species_fit: Option<crate::count::species::SpeciesFit>,
    /// With `--clades`: reads on each clade's specific miRNA families
    /// (miRTrace's method), in the files' order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clades: Vec<CladeReads>,
    /// Mature miRNAs with at least one read.
    pub mirnas_detected: u64,
    /// Quality control: composition, lengths, verdict.
    pub qc: SampleQc,
}

impl SampleStats {
    /// A sample's figures after trimming and collapsing (later stages fill
    /// in the rest).
    pub fn from_collapsed(sample: &Sample, run: &CollapsedSample) -> Self {
        let c = &run.counts;
        Self {
            sample: sample.name.clone(),
            files: sample
                .files
                .iter()
                .map(|f| f.path.display().to_string())
                .collect(),
            reads_in: c.reads_in,
            adapter_found: c.adapter_found,
            no_adapter: c.no_adapter,
            too_short: c.too_short,
            too_long: c.too_long,
            adapter_dimers: c.adapter_dimers,
            inserts: c.inserts,
            umi_missing: c.umi_missing,
            unique_inserts: run.inserts.len() as u64,
            qc: SampleQc {
                mean_quality: run.mean_quality,
                low_complexity: run.low_complexity,
                insert_lengths: c.insert_lengths.clone(),
                ..SampleQc::default()
            },
            ..Self::default()
        }
    }
}

/// How one sample's reads were trimmed (see [`SampleStats::trimming`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleTrimming {
    /// Library protocol (detected, with `--protocol auto`).
    pub protocol: String,
    /// 3' adapter removed (null: reads were trimmed already).
    pub adapter: Option<String>,
    /// Bases cut from each insert's 5' end after adapter removal.
    pub cut_5p: usize,
    /// Bases cut from each insert's 3' end after adapter removal.
    pub cut_3p: usize,
    /// Where the UMI was taken from, when deduplicating.
    pub umi: Option<String>,
    /// What `--protocol auto` found on the sample's first reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection: Option<Detection>,
}

impl SampleTrimming {
    /// The trimming `trim` describes (protocol `protocol`).
    pub fn new(protocol: &str, trim: &TrimSettings, detection: Option<Detection>) -> Self {
        Self {
            protocol: protocol.to_string(),
            adapter: trim.adapter.clone(),
            cut_5p: trim.cut_5p,
            cut_3p: trim.cut_3p,
            umi: trim.umi.map(|u| u.to_string()),
            detection,
        }
    }

    /// The same trimming, detection aside.
    fn same_as(&self, other: &SampleTrimming) -> bool {
        (
            &self.protocol,
            &self.adapter,
            self.cut_5p,
            self.cut_3p,
            &self.umi,
        ) == (
            &other.protocol,
            &other.adapter,
            other.cut_5p,
            other.cut_3p,
            &other.umi,
        )
    }
}

impl SampleStats {
    /// Whether the sample's reads were searched for an adapter (its own
    /// trimming, else the run's).
    pub fn has_adapter(&self, settings: &RunSettings) -> bool {
        match &self.trimming {
            Some(t) => t.adapter.is_some(),
            None => settings.adapter.is_some(),
        }
    }
}

/// Per-sample quality control, in the spirit of miRTrace and exceRpt.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleQc {
    /// Mean base quality (Phred+33) over all bases of all reads; null when
    /// the reads have no qualities (FASTA input) or there is no read.
    pub mean_quality: Option<f64>,
    /// Reads whose insert (after the length filter) is low complexity: its
    /// commonest base makes more than 90% of it, or one base runs over at
    /// least half of it.
    pub low_complexity: u64,
    /// Fractions of the reads read, by what became of them (they sum to 1).
    pub composition: Composition,
    /// Reads by insert length (index = length in nt) after adapter removal
    /// and cuts, before the length filter; reads without an adapter are not
    /// in it. Also written as `qc/<sample>.length.tsv`.
    pub insert_lengths: Vec<u64>,
    /// PASS, WARN or FAIL (None until QC has run; stats.json always has one).
    #[serde(default, deserialize_with = "Verdict::deserialize_recorded")]
    pub verdict: Option<Verdict>,
    /// The rules that made the verdict WARN or FAIL (empty for PASS).
    pub reasons: Vec<String>,
}

/// A sample's QC verdict (see [`crate::output::qc`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    /// No rule fired.
    Pass,
    /// Only WARN rules fired.
    Warn,
    /// A FAIL rule fired.
    Fail,
}

impl Verdict {
    /// `PASS`, `WARN` or `FAIL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Warn => "WARN",
            Self::Fail => "FAIL",
        }
    }

    /// Reads a recorded verdict; an empty one (a sample recorded before its
    /// QC ran) is none.
    fn deserialize_recorded<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Option<Verdict>, D::Error> {
        let text = Option::<String>::deserialize(d)?.unwrap_or_default();
        match text.as_str() {
            "" => Ok(None),
            _ => serde_json::from_value(serde_json::Value::String(text))
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sample's reads on the ncRNA reference (`--ncrna`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleNcrna {
    /// Reads per class, in precedence order (every class of the reference).
    pub classes: Vec<ClassReads>,
    /// Reads an ncRNA explained strictly better than their miRNA hits did,
    /// counted for the ncRNA (included in `classes`).
    pub taken_from_mirna: u64,
    /// Of those, per mature miRNA: the reads it lost (a read shared by k
    /// miRNAs is 1/k on each); miRNAs that lost none are left out.
    pub mirna_lost: std::collections::BTreeMap<String, f64>,
    /// Of those, reads that were on a hairpin outside every mature.
    pub hairpin_lost: f64,
}

impl SampleNcrna {
    /// Reads counted for some class (sense).
    pub fn sense(&self) -> u64 {
        self.classes.iter().map(|c| c.reads).sum()
    }

    /// Reads whose ncRNA hits are all antisense.
    pub fn antisense(&self) -> u64 {
        self.classes.iter().map(|c| c.antisense).sum()
    }
}

/// A sample's reads on adapter, primer and vector sequences.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleArtifacts {
    /// Reads counted as artifacts.
    pub reads: u64,
    /// Of those, reads whose miRNA hits explained them no better (a tie
    /// goes to the artifact).
    pub taken_from_mirna: u64,
    /// Of those, per mature miRNA: the reads it lost (shares); miRNAs that
    /// lost none are left out.
    pub mirna_lost: std::collections::BTreeMap<String, f64>,
}

/// A sample's reads on other species' miRNAs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleExogenous {
    /// Reads on foreign matures (end to end, no mismatch, no added base).
    pub reads: u64,
    /// Species with at least 3 reads (shares), most reads first.
    pub species: Vec<SpeciesReads>,
    /// Reads of species with fewer than 3 reads each.
    pub other_species_reads: f64,
}

/// One species' exogenous reads in a sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpeciesReads {
    /// miRBase species code (`ebv`).
    pub species: String,
    /// Reads (a read on matures of k species is 1/k on each).
    pub reads: f64,
}

/// A sample's reads on one clade's specific miRNA families.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CladeReads {
    /// Clade name (`primates`, `rodents`, `insects`).
    pub clade: String,
    /// Reads of at least 20 nt whose first 20 nt are those of one of the
    /// clade's matures.
    pub reads: u64,
}

/// A sample's reads on one screen reference.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleScreen {
    /// The reference's name (`--screen NAME=PATH`).
    pub reference: String,
    /// Reads counted for it.
    pub reads: u64,
    /// Of those, reads of inserts with 50 or more best hits on it.
    pub repetitive: u64,
    /// Of those, reads that also hit another screen reference (less well,
    /// or as well but given later).
    pub overlap: u64,
    /// Screened reads with a hit on the reversed (not complemented)
    /// reference: an estimate of the random hits among `reads`.
    pub decoy: u64,
}

/// One class's reads in a sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassReads {
    /// Class name (`tRNA`).
    pub class: String,
    /// Reads counted for it (sense).
    pub reads: u64,
    /// Reads on it antisense only: reported, not counted.
    pub antisense: u64,
}

/// One class's share of a sample's reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassShare {
    /// Class name.
    pub class: String,
    /// Fraction of the reads read counted for it.
    pub fraction: f64,
}

/// What became of a sample's reads, as fractions of the reads read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Composition {
    /// Assigned to mature miRNAs.
    pub mature_mirna: f64,
    /// On a hairpin, outside every mature window.
    pub hairpin_only: f64,
    /// Insert of a counted length, but no hit (with `--ncrna`: on no miRNA
    /// and no ncRNA).
    pub unassigned: f64,
    /// With `--ncrna`: each class's reads (sense), in precedence order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ncrna: Vec<ClassShare>,
    /// With `--ncrna`: reads on ncRNAs antisense only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ncrna_antisense: Option<f64>,
    /// With the artifact stage: reads on adapters, primers and vectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<f64>,
    /// With the exogenous stage: reads on other species' miRNAs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exogenous_mirna: Option<f64>,
    /// With `--screen`: each screen reference's reads, in the order given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub screen: Vec<ClassShare>,
    /// Adapter right at the read start (empty insert).
    pub adapter_dimer: f64,
    /// Insert shorter than the minimum length (dimers excluded).
    pub too_short: f64,
    /// Insert longer than the maximum length.
    pub too_long: f64,
    /// No adapter found.
    pub no_adapter: f64,
    /// Insert of a counted length but no whole UMI (with --dedup).
    pub umi_missing: f64,
}

/// What a run's count tables count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Counting {
    /// Reads.
    #[default]
    Reads,
    /// UMI-deduplicated molecules (`--dedup`).
    Molecules,
}

/// The settings a run used, recorded so that runs can be compared and merged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    /// Library protocol preset (with `--protocol auto`, the detected one).
    pub protocol: String,
    /// 3' adapter removed (null: reads were trimmed already).
    pub adapter: Option<String>,
    /// Bases cut from each insert's 5' end after adapter removal.
    pub cut_5p: usize,
    /// Bases cut from each insert's 3' end after adapter removal.
    pub cut_3p: usize,
    /// Shortest insert kept.
    pub min_length: usize,
    /// Longest insert kept.
    pub max_length: usize,
    /// Maximum adapter error rate.
    pub adapter_error_rate: f64,
    /// Minimum adapter overlap.
    pub adapter_min_overlap: usize,
    /// Where the UMI was taken from (`adapter+12`, `5p:4,3p:4`), when
    /// deduplicating; null otherwise.
    pub umi: Option<String>,
    /// What the count tables count: `reads`, or `molecules` with `--dedup`.
    pub counting: Counting,
    /// Reference database named in isomirs.gff3 (`miRBasev22`, `MirGeneDB2.1`).
    pub database: String,
    /// The form of isomirs.gff3's coordinates (`mirtop`: 0-based starts;
    /// `gff3`: 1-based, GFF3 attributes).
    #[serde(default)]
    pub gff_coordinates: GffCoordinates,
    /// 3' quality trimming cutoff (Phred), if any.
    pub quality_cutoff: Option<u8>,
    /// Mismatches allowed in alignments.
    pub mismatches: u8,
    /// Non-templated 3' bases allowed.
    pub max_nontemplated: u8,
    /// 5' window around a mature start.
    pub window_5p: usize,
    /// 3' window around a mature end.
    pub window_3p: usize,
    /// The ncRNA reference and rule (`--ncrna`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ncrna: Option<NcrnaSettings>,
    /// The artifact list, when the artifact stage ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifacts: Option<ArtifactSettings>,
    /// The other species' miRNAs, when the exogenous stage ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exogenous: Option<ExogenousSettings>,
    /// The screen references (`--screen`), in the order given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub screen: Vec<ScreenSettings>,
    /// Whether the species fit ran (off with `--no-species-fit`, or when
    /// the reference files hold no other species).
    #[serde(default)]
    pub species_fit: bool,
    /// The clade lists (`--clades`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clades: Option<CladeSettings>,
}

/// The clade-specific miRNA family lists a run counted reads on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CladeSettings {
    /// The files read (`--clades`).
    pub files: Vec<String>,
    /// The clades, in the files' order.
    pub clades: Vec<String>,
    /// Digest of the lists and the mature starts they name.
    pub fingerprint: String,
}

/// The artifact list a run used.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArtifactSettings {
    /// `built-in`, or the FASTA files given (`--artifacts`).
    pub source: Vec<String>,
    /// Sequences.
    pub sequences: usize,
    /// Digest of names and sequences.
    pub fingerprint: String,
}

/// The other species' miRNAs a run looked for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExogenousSettings {
    /// Species in the reference files other than the run's.
    pub species: usize,
    /// Their mature miRNAs.
    pub matures: usize,
    /// Shortest insert called.
    pub min_length: usize,
    /// Reads a species needs in a sample to be named.
    pub min_reads: f64,
    /// Digest of their names and sequences.
    pub fingerprint: String,
}

/// One screen reference of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScreenSettings {
    /// Its name (`--screen NAME=PATH`).
    pub name: String,
    /// The FASTA files read.
    pub files: Vec<String>,
    /// Records and bases (one strand).
    pub records: usize,
    /// Bases, one strand.
    pub bases: usize,
    /// Shortest insert screened with no mismatch (null: none).
    pub min_length_exact: Option<usize>,
    /// Shortest insert screened with one mismatch or more (null: none).
    pub min_length_mismatch: Option<usize>,
    /// Digest of record names and sequences.
    pub fingerprint: String,
}

/// How a run classified the reads that are not miRNAs (`--ncrna`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NcrnaSettings {
    /// The FASTA files read, in the order given.
    pub files: Vec<String>,
    /// Classes, in precedence order: a read on several goes to the first.
    pub classes: Vec<String>,
    /// `--ncrna-precedence`: `better` (an ncRNA takes a read it explains
    /// strictly better than its miRNA) or `mirna`.
    pub precedence: String,
    /// Features (FASTA records) and feature groups.
    pub features: usize,
    /// Feature groups (tRNA isoacceptors, gene names).
    pub groups: usize,
    /// Digest of classes, names and sequences: equal digests, equal references.
    pub fingerprint: String,
}

impl RunSettings {
    /// The settings of a run that trimmed with `trim` (its protocol:
    /// `protocol`) and aligned with `params` and `(window_5p, window_3p)`.
    pub fn new(
        protocol: Protocol,
        trim: &TrimSettings,
        params: &AlignParams,
        (window_5p, window_3p): (usize, usize),
        database: String,
    ) -> Self {
        Self {
            protocol: protocol.to_string(),
            adapter: trim.adapter.clone(),
            cut_5p: trim.cut_5p,
            cut_3p: trim.cut_3p,
            min_length: trim.min_length,
            max_length: trim.max_length,
            adapter_error_rate: trim.max_error_rate,
            adapter_min_overlap: trim.min_overlap,
            umi: trim.umi.map(|u| u.to_string()),
            counting: if trim.umi.is_some() {
                Counting::Molecules
            } else {
                Counting::Reads
            },
            database,
            gff_coordinates: GffCoordinates::default(),
            quality_cutoff: trim.quality_cutoff,
            mismatches: params.max_mismatches,
            max_nontemplated: params.max_nontemplated,
            window_5p,
            window_3p,
            ncrna: None,
            artifacts: None,
            exogenous: None,
            screen: Vec::new(),
            species_fit: false,
            clades: None,
        }
    }
}

/// `settings.protocol` of a run whose samples were trimmed differently
/// (each sample's `trimming` says how).
pub const PER_SAMPLE: &str = "per-sample";

impl RunSettings {
    /// The run-level trimming fields, as one sample's trimming.
    pub fn trimming(&self) -> SampleTrimming {
        SampleTrimming {
            protocol: self.protocol.clone(),
            adapter: self.adapter.clone(),
            cut_5p: self.cut_5p,
            cut_3p: self.cut_3p,
            umi: self.umi.clone(),
            detection: None,
        }
    }

    /// Sets the run-level trimming fields from the samples': theirs when
    /// they all agree, else [`PER_SAMPLE`] (no adapter, no cuts, no UMI
    /// here; each sample's `trimming` says).
    pub fn trimming_of(&mut self, samples: &[SampleStats]) {
        let mut own = samples.iter().filter_map(|s| s.trimming.as_ref());
        let Some(first) = own.next() else { return };
        let all = samples
            .iter()
            .all(|s| s.trimming.as_ref().is_some_and(|t| t.same_as(first)));
        let (protocol, adapter, cut_5p, cut_3p, umi) = if all {
            let t = first.clone();
            (t.protocol, t.adapter, t.cut_5p, t.cut_3p, t.umi)
        } else {
            (PER_SAMPLE.to_string(), None, 0, 0, None)
        };
        (
            self.protocol,
            self.adapter,
            self.cut_5p,
            self.cut_3p,
            self.umi,
        ) = (protocol, adapter, cut_5p, cut_3p, umi);
    }
}

/// The reference a run used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceStats {
    /// Digest of the species' mature and hairpin names and sequences: runs
    /// with the same fingerprint used the same reference.
    pub fingerprint: String,
    /// Species code.
    pub species: String,
    /// Mature FASTA.
    pub mature: String,
    /// Hairpin FASTA, if any.
    pub hairpin: Option<String>,
    /// Mature miRNAs of the species.
    pub mature_mirnas: usize,
    /// Hairpins of the species.
    pub hairpins: usize,
    /// Matures found in no hairpin (aligned on their own).
    pub unplaced_matures: usize,
}

impl ReferenceStats {
    /// The summary of `reference`, loaded from `mature` and `hairpin`.
    pub fn of(reference: &Reference, mature: &Path, hairpin: Option<&Path>) -> Self {
        Self {
            fingerprint: reference.fingerprint(),
            species: reference.species.clone(),
            mature: mature.display().to_string(),
            hairpin: hairpin.map(|h| h.display().to_string()),
            mature_mirnas: reference.matures.len(),
            hairpins: reference.hairpins.len(),
            unplaced_matures: if reference.hairpins.is_empty() {
                0
            } else {
                reference.unplaced_matures().len()
            },
        }
    }
}

/// stats.json: written by every run, read back by `mirq merge` and the
/// report. Files written by older versions load too: a field added since
/// then takes its default when absent (`#[serde(default)]`); only
/// `reference`, `settings` and `samples` are required.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    /// mirq version ([`RunStats::VERSION`]).
    #[serde(default)]
    pub mirq_version: String,
    /// The git commit mirq was built from (`unknown` outside a checkout;
    /// empty in files written before it was recorded).
    #[serde(default)]
    pub commit: String,
    /// The command line, as given (empty in older files).
    #[serde(default)]
    pub command_line: Vec<String>,
    /// When the run started (UTC, RFC 3339; empty in older files).
    #[serde(default)]
    pub started: String,
    /// When the run finished, up to the writing of stats.json (UTC, RFC 3339;
    /// empty in older files).
    #[serde(default)]
    pub finished: String,
    /// Engine that aligned the inserts (`cpu` or `gpu`; a merge's: its
    /// directories', joined with commas).
    #[serde(default = "RunStats::unknown_engine")]
    pub engine: String,
    /// The GPU adapter (name, backend, device type, limits) when the GPU
    /// engine ran.
    #[serde(default)]
    pub gpu_adapter: Option<crate::align::gpu::AdapterSummary>,
    /// Why `--engine auto` chose its engine, or a GPU warning.
    #[serde(default)]
    pub engine_note: Option<String>,
    /// How the engine was chosen, with the calibration figures of `auto`
    /// (absent from merged runs, which align nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_decision: Option<crate::align::select::EngineDecision>,
    /// The engine of each reference aligned after the miRNAs' (artifacts,
    /// ncRNAs, other species' miRNAs, screen references), and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_engines: Vec<crate::align::select::ReferenceEngine>,
    /// Worker threads.
    #[serde(default)]
    pub threads: usize,
    /// Wall-clock seconds of the whole run, up to the writing of stats.json.
    #[serde(default)]
    pub elapsed_seconds: f64,
    /// Seconds each stage was at work, and when it ran ([`Timings`]:
    /// stages may overlap; all 0 in files written before timings).
    #[serde(default)]
    pub timings: Timings,
    /// Unique inserts aligned to the miRNA reference per second of the `align`
    /// stage (its ncRNA part left out); null when
    /// nothing was aligned (no insert, or `mirq merge`, which aligns nothing).
    #[serde(default)]
    pub align_inserts_per_second: Option<f64>,
    /// Unique inserts across all samples.
    #[serde(default)]
    pub unique_inserts: u64,
    /// Reference summary.
    pub reference: ReferenceStats,
    /// Settings.
    pub settings: RunSettings,
    /// One entry per sample, in input order.
    pub samples: Vec<SampleStats>,
    /// The run-level `--protocol auto` detection of files written before it
    /// was made per sample (each sample's `trimming` has it now): read,
    /// never written.
    #[serde(default, skip_serializing)]
    pub adapter_detection: Option<RunDetection>,
}

/// What the report shows of an older file's run-level adapter detection
/// ([`RunStats::adapter_detection`]).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RunDetection {
    /// One line on what was found.
    #[serde(default)]
    pub summary: Option<String>,
}

impl RunStats {
    /// This build's version, as `mirq_version` records it.
    pub const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    /// A record of a run starting now: version, commit, command line and
    /// start time filled in.
    pub fn starting() -> Self {
        Self {
            mirq_version: Self::VERSION.to_string(),
            commit: crate::runtime::COMMIT.to_string(),
            command_line: std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            started: utc_now(),
            ..Self::default()
        }
    }

    fn unknown_engine() -> String {
        "unknown".into()
    }
}

/// The time now, UTC, RFC 3339 to the second.
pub fn utc_now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// A run's stages, in seconds rounded to the millisecond: each stage's
/// *busy* seconds (the wall-clock seconds during which its work was under
/// way, whatever the threads it kept busy) and its [`Spans`] (from the
/// run's start to its first and to its last moment of work).
///
/// Stages may overlap: `mirq quant` aligns inserts while reads are still
/// being read (from 3 threads, with the CPU engine), and `--engine auto`
/// probes the GPU adapter beside reading, so `align` starts within
/// `read_trim_collapse`'s span and the stages may sum to more
/// than `elapsed_seconds`. Each stage's busy seconds are at most its span's
/// length and every span ends by `elapsed_seconds` (up to rounding);
/// `align` ends after `read_trim_collapse` (hits are placed in the table
/// once it is built), `assign_count` starts after `align` ends and `write`
/// after `assign_count`. Files written by versions before the spans (whose
/// stages did not overlap) have no `spans`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// `mirq quant`: from the start of the run through the table of unique
    /// inserts: creating the thread pool, loading the reference and building
    /// its targets, `--protocol auto` detection, reading, trimming and
    /// collapsing every sample. `mirq merge`: reading the directories'
    /// stats.json and inserts.tsv.gz and the reference, and merging their
    /// tables.
    pub read_trim_collapse: f64,
    /// Choosing and starting the engine (for `--engine gpu`, before any
    /// FASTQ is read), preparing the reference and aligning every unique
    /// insert (while reading, the time of each slice aligned, reading going
    /// on beside it; after reading, the rest and placing the hits in table
    /// order), then the later references (with `--ncrna`, the ncRNA one:
    /// `ncrna_align`); 0 for `mirq merge`, which takes the hits from its
    /// directories.
    pub align: f64,
    /// Classifying hits, assigning and counting reads (and molecules), QC
    /// verdicts and building the isomiR table.
    pub assign_count: f64,
    /// Writing the output files (each synced to disk), stats.json and
    /// report.html (made from stats.json, after it) excepted.
    pub write: f64,
    /// With `--ncrna`, the part of `align` spent aligning inserts to the
    /// ncRNA reference (preparing it included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ncrna_align: Option<f64>,
    /// With the artifact stage, the part of `align` spent on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_align: Option<f64>,
    /// With the exogenous stage, the part of `align` spent on it (loading
    /// and preparing the other species' miRNAs included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exogenous_align: Option<f64>,
    /// With `--screen`, the part of `align` spent screening (loading and
    /// preparing the references and their decoys included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_align: Option<f64>,
    /// When each stage ran; absent from older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spans: Option<Spans>,
}

/// Per stage, `[start, end]`: seconds from the run's start to the stage's
/// first and to its last moment of work (a stage that did nothing, such as
/// a merge's `align`, starts and ends where the stage before it ended).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Spans {
    /// Reading, trimming and collapsing (`mirq merge`: reading and merging).
    pub read_trim_collapse: [f64; 2],
    /// Aligning.
    pub align: [f64; 2],
    /// Assigning and counting.
    pub assign_count: [f64; 2],
    /// Writing.
    pub write: [f64; 2],
}

impl Timings {
    /// Seconds of a stage's duration, rounded to the millisecond.
    pub fn seconds(d: std::time::Duration) -> f64 {
        crate::numbers::seconds(d)
    }

    /// The span from `from` until now, in a run started at `run`.
    pub fn span(run: std::time::Instant, from: std::time::Instant) -> [f64; 2] {
        [
            Self::seconds(from.saturating_duration_since(run)),
            Self::seconds(run.elapsed()),
        ]
    }

    /// The spans, made on first use.
    pub fn spans_mut(&mut self) -> &mut Spans {
        self.spans.get_or_insert_with(Spans::default)
    }

    /// One line for stderr: `read/trim/collapse 1.23 s, align 0.45 s
    /// (551,000 inserts/s), assign/count 0.10 s, write 0.05 s` (the busy
    /// times; `begun while reading` beside the rate when `align`'s span
    /// starts before reading ended); a merge's
    /// (`merge`) names its first stage `read/merge` and has no align stage.
    ///
    /// ```
    /// use mirq::output::stats::{Spans, Timings};
    /// let t = Timings { read_trim_collapse: 1.234, align: 0.45, assign_count: 0.1, write: 0.05, ..Timings::default() };
    /// assert_eq!(
    ///     t.summary(Some(551_000.4), false),
    ///     "read/trim/collapse 1.23 s, align 0.45 s (551,000 inserts/s), assign/count 0.10 s, write 0.05 s"
    /// );
    /// assert_eq!(t.summary(None, true), "read/merge 1.23 s, assign/count 0.10 s, write 0.05 s");
    /// // aligning began while reading went on
    /// let spans = Spans { read_trim_collapse: [0.0, 1.234], align: [0.01, 1.3], ..Spans::default() };
    /// let t = Timings { spans: Some(spans), ..t };
    /// assert!(t.summary(Some(551_000.0), false).contains("align 0.45 s (551,000 inserts/s, begun while reading)"));
    /// ```
    pub fn summary(&self, align_inserts_per_second: Option<f64>, merge: bool) -> String {
        let mut parts = Vec::with_capacity(4);
        if merge {
            parts.push(format!("read/merge {:.2} s", self.read_trim_collapse));
        } else {
            parts.push(format!(
                "read/trim/collapse {:.2} s",
                self.read_trim_collapse
            ));
            let rate = align_inserts_per_second
                .map(|r| format!("{} inserts/s", crate::numbers::thousands(r.round() as u64)));
            let early = self
                .spans
                .filter(|s| s.align[0] < s.read_trim_collapse[1])
                .map(|_| "begun while reading".to_string());
            let notes: Vec<String> = rate.into_iter().chain(early).collect();
            let rate = if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join(", "))
            };
            let ncrna = self
                .ncrna_align
                .map(|n| format!(", of which ncRNA {n:.2} s"))
                .unwrap_or_default();
            parts.push(format!("align {:.2} s{rate}{ncrna}", self.align));
        }
        parts.push(format!("assign/count {:.2} s", self.assign_count));
        parts.push(format!("write {:.2} s", self.write));
        parts.join(", ")
    }

    /// Inserts per second of an `align` stage of `d` (unrounded): `None`
    /// when nothing was aligned or no time was measured.
    pub fn per_second(inserts: usize, d: std::time::Duration) -> Option<f64> {
        let s = d.as_secs_f64();
        (inserts > 0 && s > 0.0).then(|| (inserts as f64 / s).round())
    }
}

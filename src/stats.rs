//! Per-sample and run-level statistics, written as stats.json.

use serde::Serialize;

/// What happened to one sample's reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SampleStats {
    /// Sample name (column of the count tables).
    pub sample: String,
    /// FASTQ files pooled into the sample.
    pub files: Vec<String>,
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
    /// Reads whose insert passed the length filter.
    pub inserts: u64,
    /// Distinct inserts among them.
    pub unique_inserts: u64,
    /// Reads assigned to at least one mature miRNA.
    pub assigned_mature: u64,
    /// Of those, reads shared between several mature miRNAs.
    pub mature_multimapped: u64,
    /// Reads on a hairpin outside every mature window.
    pub hairpin_only: u64,
    /// Reads with no hit.
    pub unassigned: u64,
    /// Mature miRNAs with at least one read.
    pub mirnas_detected: u64,
}

/// The settings a run used, recorded so that runs can be compared and merged.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// Mismatches allowed in alignments.
    pub mismatches: u8,
    /// Non-templated 3' bases allowed.
    pub max_nontemplated: u8,
    /// 5' window around a mature start.
    pub window_5p: usize,
    /// 3' window around a mature end.
    pub window_3p: usize,
}

/// The reference a run used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferenceStats {
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

/// stats.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunStats {
    /// mirq version.
    pub mirq_version: String,
    /// Engine that aligned the inserts (`cpu` or `gpu`).
    pub engine: String,
    /// The GPU adapter (name, backend, device type, limits) when the GPU
    /// engine ran.
    pub gpu_adapter: Option<crate::align::gpu::AdapterSummary>,
    /// Why `--engine auto` fell back to the CPU, when it did.
    pub engine_note: Option<String>,
    /// Worker threads.
    pub threads: usize,
    /// Wall-clock seconds of the whole run.
    pub elapsed_seconds: f64,
    /// Unique inserts across all samples.
    pub unique_inserts: u64,
    /// Reference summary.
    pub reference: ReferenceStats,
    /// Settings.
    pub settings: RunSettings,
    /// One entry per sample, in input order.
    pub samples: Vec<SampleStats>,
    /// What `--protocol auto` found (absent for a preset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter_detection: Option<crate::detect::Detection>,
}

//! The second half of a run, shared by `mirq quant` and `mirq merge`: from
//! the unique-insert table and every insert's best hits to assignments,
//! counts and QC verdicts (`assign_and_count`), then the output files
//! ([`crate::output::run_files`]), mirq.log, report.html and stats.json.

use std::io::Write;
use std::time::Instant;

use rayon::prelude::*;

use crate::align::{FlatHits, TargetSet};
use crate::count::gff::{IsomirLines, Isomirs};
use crate::count::ncrna::{self, NcrnaCalls, NcrnaCounts, Precedence};
use crate::count::origin::{
    exogenous_calls, screen_calls, ArtifactCalls, OriginCalls, OriginCounts, ScreenPart,
};
use crate::count::Taker;
use crate::count::{classify, count, sample_molecules, Classes, Counts};
use crate::error::Result;
use crate::input::ncrna::NcrnaReference;
use crate::input::reference::Reference;
use crate::input::screen::ScreenReference;
use crate::output::concerns::{self, Concern, Outcome};
use crate::output::ncrna_tables;
use crate::output::origin_tables::{self, OriginRun};
use crate::output::qc;
use crate::output::report;
use crate::output::run_files::{self, Counted, RunFiles};
use crate::output::stats::{RunStats, Timings};
use crate::output::summary;
use crate::output::StagedOutputs;
use crate::prep::collapse::{InsertTable, SortedInserts};

/// Where molecule counts come from, when reads are deduplicated by UMI.
pub enum Molecules {
    /// Reads are counted.
    None,
    /// Each sample's (insert, UMI) keys with their reads (`mirq quant`).
    FromKeys(Vec<SortedInserts>),
    /// Each sample's molecules per insert id, counted before (`mirq merge`).
    Counted(Vec<Vec<(u32, u32)>>),
}

/// Everything the counting pass and the outputs are made from.
pub struct RunData<'a> {
    /// The reference.
    pub reference: &'a Reference,
    /// Its alignment targets.
    pub targets: &'a TargetSet,
    /// Unique inserts and each sample's reads of them.
    pub table: &'a InsertTable,
    /// Every unique insert's best hits.
    pub hits: &'a FlatHits,
    /// Molecules, when deduplicating.
    pub molecules: Molecules,
    /// A `mirq merge` (else a `mirq quant`) run.
    pub merge: bool,
    /// The ncRNA side, with `--ncrna`.
    pub ncrna: Option<NcrnaRun<'a>>,
    /// The artifact, exogenous and screen stages that ran.
    pub origin: OriginRun<'a>,
}

/// What a run with `--ncrna` adds to [`RunData`].
#[derive(Clone, Copy)]
pub struct NcrnaRun<'a> {
    /// The ncRNA reference.
    pub reference: &'a NcrnaReference,
    /// Its targets (both strands).
    pub targets: &'a TargetSet,
    /// Every insert's best ncRNA hits (none for inserts not looked up).
    pub hits: &'a FlatHits,
    /// `--ncrna-precedence`.
    pub precedence: Precedence,
}

/// Assigns, counts and writes every output through `out` (count tables
/// last), completing `stats` (whose samples carry their trimming figures,
/// and whose timings those of the stages before): times `assign_count`
/// (classifying, counting, QC verdicts, the isomiR table) and `write` (every
/// file but stats.json, which records both). `concerns` are those the run
/// said before; the species, clade and QC FAIL warnings are said here,
/// before `mirq.log` is written.
pub fn run(
    out: StagedOutputs,
    mut data: RunData,
    mut stats: RunStats,
    started: Instant,
    mut concerns: Vec<Concern>,
) -> Result<Outcome> {
    let assign_started = Instant::now();
    let counted = assign_and_count(&mut data, &mut stats, &mut concerns);
    // classifying's many short-lived allocations are freed: their pages go
    // back before the writers' buffers come (peak RSS of large runs)
    crate::runtime::release_free_memory();
    concerns.extend(concerns::qc_failures(&stats));
    stats.timings.assign_count = Timings::seconds(assign_started.elapsed());
    stats.timings.spans_mut().assign_count = Timings::span(started, assign_started);
    let write_started = Instant::now();
    let files = RunFiles {
        reference: data.reference,
        table: data.table,
        hits: data.hits,
        ncrna: data.ncrna.map(|n| (n.reference, n.hits)),
        origin: &data.origin,
        counted: &counted,
    };
    run_files::write(&out, &files, &stats)?;
    stats.timings.write = Timings::seconds(write_started.elapsed());
    stats.timings.spans_mut().write = Timings::span(started, write_started);
    stats.elapsed_seconds = Timings::seconds(started.elapsed());
    stats.finished = crate::output::stats::utc_now();
    let closing = summary::lines(&stats, out.outdir(), data.merge);
    let log = summary::log_text(&stats, &crate::runtime::take_log(), &closing);
    out.write("mirq.log", |w| w.write_all(log.as_bytes()))?;
    let json = serde_json::to_string_pretty(&stats).expect("stats serialize");
    run_files::write_report(&out, &files, &json)?;
    out.write("stats.json", |w| {
        w.write_all(json.as_bytes())?;
        w.write_all(b"\n")
    })?;
    out.commit()?;
    Ok(Outcome { stats, concerns })
}

/// Fills each sample's molecules by what they count for (those on ncRNAs
/// taken out of `unassigned`).
fn record_molecules(
    stats: &mut RunStats,
    by_molecules: &Counts,
    ncrna: Option<&NcrnaCounts>,
    origin: &OriginCounts,
) {
    for (s, (st, t)) in stats
        .samples
        .iter_mut()
        .zip(&by_molecules.totals)
        .enumerate()
    {
        let mut t = t.clone();
        if let Some(nc) = ncrna {
            let on_ncrna = nc.sense[s].iter().sum::<u64>() + nc.antisense[s].iter().sum::<u64>();
            t.unassigned = t.unassigned.saturating_sub(on_ncrna);
        }
        t.unassigned = t.unassigned.saturating_sub(origin.elsewhere(s));
        st.molecules = Some(t);
    }
}

/// Fills each sample's miRNAs detected, composition and QC verdict.
fn record_qc(stats: &mut RunStats, counts: &Counts) {
    let settings = stats.settings.clone();
    for (st, mature) in stats.samples.iter_mut().zip(&counts.mature) {
        let has_adapter = st.has_adapter(&settings);
        st.mirnas_detected = mature.iter().filter(|&&c| c > 0.0).count() as u64;
        st.qc.composition = qc::composition(st);
        let (verdict, reasons) = qc::verdict(st, has_adapter);
        (st.qc.verdict, st.qc.reasons) = (Some(verdict), reasons);
    }
}

/// Fills each sample's `ncrna` figures (reads) and takes the reads on
/// ncRNAs out of `unassigned`.
fn record_ncrna(
    data: &RunData,
    stats: &mut RunStats,
    by_reads: &Counts,
    ncrna_reads: Option<&NcrnaCounts>,
) {
    let (Some(run), Some(nc)) = (&data.ncrna, ncrna_reads) else {
        return;
    };
    for (s, st) in stats.samples.iter_mut().enumerate() {
        let lost = (&by_reads.lost_mature[s][..], by_reads.lost_hairpin[s]);
        let sample = ncrna_tables::sample_stats(run.reference, data.reference, nc, s, lost);
        st.unassigned = st
            .unassigned
            .saturating_sub(sample.sense() + sample.antisense());
        st.ncrna = Some(sample);
    }
}

/// Every insert's calls: on ncRNAs, on the origin stages' references, and
/// its miRNA class (with the isomiR lines when there are hairpins).
struct InsertCalls {
    ncrna: Option<NcrnaCalls>,
    origin: OriginCalls,
    classes: Classes,
    isomir_lines: Option<IsomirLines>,
}

/// Calls every insert once: ncRNAs and the origin stages first, as they
/// may take an insert from the miRNAs (artifacts before ncRNAs).
fn classify_inserts(data: &RunData) -> InsertCalls {
    let RunData {
        reference,
        targets,
        table,
        hits,
        ..
    } = *data;
    let calls = data.ncrna.map(|n| {
        NcrnaCalls::build(
            n.reference,
            n.targets,
            (targets, hits),
            n.hits,
            n.precedence,
        )
    });
    let origin_calls = origin_calls(data);
    let taken_by = |id: usize| {
        if origin_calls
            .artifact
            .as_ref()
            .is_some_and(|a| a.taken_from_mirna(id))
        {
            Some(Taker::Artifact)
        } else if calls.as_ref().is_some_and(|c| c.taken_from_mirna(id)) {
            Some(Taker::Ncrna)
        } else {
            None
        }
    };
    let (classes, isomir_lines) = classify(
        reference,
        targets,
        table,
        hits,
        !reference.hairpins.is_empty(),
        &taken_by,
    );
    InsertCalls {
        ncrna: calls,
        origin: origin_calls,
        classes,
        isomir_lines,
    }
}

/// Fills each sample's assignment figures (reads).
fn record_reads(stats: &mut RunStats, by_reads: &Counts) {
    for (st, t) in stats.samples.iter_mut().zip(&by_reads.totals) {
        st.assigned_mature = t.assigned_mature;
        st.mature_multimapped = t.mature_multimapped;
        st.hairpin_only = t.hairpin_only;
        st.unassigned = t.unassigned;
    }
}

/// Each sample's (id, molecules) pairs when counting molecules (taken out
/// of `molecules`): as counted, or from its (insert, UMI) keys.
fn take_molecules(
    molecules: &mut Molecules,
    table: &InsertTable,
    classes: &Classes,
) -> Option<Vec<Vec<(u32, u32)>>> {
    match std::mem::replace(molecules, Molecules::None) {
        Molecules::None => None,
        Molecules::Counted(m) => Some(m),
        Molecules::FromKeys(keys) => Some(
            keys.par_iter()
                .zip(&table.counts)
                .map(|(k, ids)| sample_molecules(k, ids, classes))
                .collect(),
        ),
    }
}

/// Classifies every insert once, counts reads (and molecules), and fills
/// the samples' assignment figures and QC verdicts into `stats`; the species
/// and clade warnings said go to `concerns`.
fn assign_and_count(
    data: &mut RunData,
    stats: &mut RunStats,
    concerns: &mut Vec<Concern>,
) -> Counted {
    let (reference, table) = (data.reference, data.table);
    let InsertCalls {
        ncrna: calls,
        origin: origin_calls,
        classes,
        isomir_lines,
    } = classify_inserts(data);
    let by_reads = count(reference, &classes, &table.counts);
    record_reads(stats, &by_reads);
    let count_ncrna = |units: &[Vec<(u32, u32)>]| {
        let (n, c) = (data.ncrna?, calls.as_ref()?);
        Some(ncrna::count(n.reference, c, units))
    };
    let ncrna_reads = count_ncrna(&table.counts);
    record_ncrna(data, stats, &by_reads, ncrna_reads.as_ref());
    let origin_reads = origin_calls.count(&table.counts);
    origin_tables::record(&data.origin, reference, stats, &by_reads, &origin_reads);
    concerns.extend(origin_tables::record_species(&data.origin, table, stats));
    let molecules = take_molecules(&mut data.molecules, table, &classes);
    let (counts, ncrna_counts, origin_counts) = match &molecules {
        Some(m) => {
            let by_molecules = count(reference, &classes, m);
            let ncrna_molecules = count_ncrna(m);
            let origin_molecules = origin_calls.count(m);
            record_molecules(
                stats,
                &by_molecules,
                ncrna_molecules.as_ref(),
                &origin_molecules,
            );
            (by_molecules, ncrna_molecules, origin_molecules)
        }
        None => (by_reads, ncrna_reads, origin_reads),
    };
    record_qc(stats, &counts);
    stats.unique_inserts = table.len() as u64;
    let isomirs = isomir_lines.map(|lines| {
        let units = molecules.as_deref().unwrap_or(&table.counts);
        Isomirs::build(lines, units)
    });
    let samples = counts.mature.len();
    let isomir_rows = isomirs.as_ref().map(|isomirs| isomirs.class_rows(samples));
    let isomir_classes = isomir_rows.as_ref().map(|rows| {
        report::sum_classes(
            rows.iter().map(|(_, class, reads)| (*class, reads.clone())),
            samples,
        )
    });
    Counted {
        counts,
        molecules,
        isomirs,
        isomir_rows,
        isomir_classes,
        ncrna: ncrna_counts,
        origin: origin_counts,
    }
}

/// The artifact, exogenous and screen calls of every insert.
fn origin_calls(data: &RunData) -> OriginCalls {
    let o = &data.origin;
    OriginCalls {
        artifact: o
            .artifacts
            .map(|(_, hits)| ArtifactCalls::build(data.targets, data.hits, hits)),
        exogenous: o.foreign.map(|(reference, targets, hits)| {
            (exogenous_calls(targets, hits), reference.matures.len())
        }),
        screen: o.screen.map(|run| {
            let parts = screen_parts(run.references);
            let records = parts.iter().map(|p| p.records).collect();
            (screen_calls(&parts, run.hits), records, run.decoy.to_vec())
        }),
    }
}

/// The screen references' places among the screen targets: reference r's
/// record i is targets `first + 2i` (sense) and `first + 2i + 1`.
pub fn screen_parts(references: &[&ScreenReference]) -> Vec<ScreenPart> {
    let mut first = 0;
    references
        .iter()
        .map(|r| {
            let part = ScreenPart {
                first,
                records: r.records.len() as u32,
            };
            first += 2 * part.records;
            part
        })
        .collect()
}

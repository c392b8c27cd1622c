//! The second half of a run, shared by `mirq quant` and `mirq merge`: from
//! the unique-insert table and every insert's best hits to assignments,
//! counts, QC verdicts and the output files.

use std::io::Write;
use std::time::Instant;

use rayon::prelude::*;

use crate::align::{FlatHits, TargetSet};
use crate::count::clades::CladePanel;
use crate::count::gff::{self, ClassRow, GffText, Isomirs};
use crate::count::ncrna::{self, NcrnaCalls, NcrnaCounts, Precedence};
use crate::count::origin::{
    exogenous_calls, screen_calls, ArtifactCalls, OriginCalls, OriginCounts, ScreenPart,
};
use crate::count::species::SpeciesPanel;
use crate::count::Taker;
use crate::count::{classify, count, sample_molecules, Counts};
use crate::error::{Error, Result};
use crate::input::ncrna::NcrnaReference;
use crate::input::reference::Reference;
use crate::input::samples::validate_sample_name;
use crate::input::screen::ScreenReference;
use crate::numbers::push_decimal;
use crate::output::concerns::{self, Concern, Outcome};
use crate::output::inserts_file;
use crate::output::multiqc;
use crate::output::ncrna_tables;
use crate::output::origin_tables;
use crate::output::qc;
use crate::output::report::{self, ReportInput};
use crate::output::stats::{RunStats, Timings};
use crate::output::summary;
use crate::output::{format_count, format_rpm, write_matrix, StagedOutputs};
use crate::prep::collapse::{InsertTable, SortedInserts};
use crate::runtime::ordered::write_chunks;

/// Where molecule counts come from, when reads are deduplicated by UMI.
pub enum Molecules {
    /// Reads are counted.
    None,
    /// Each sample's (insert, UMI) keys with their reads (`mirq quant`).
    FromKeys(Vec<SortedInserts>),
    /// Each sample's molecules per insert id, counted before (`mirq merge`).
    Counted(Vec<Vec<(u32, u32)>>),
}

/// Everything the outputs are made from.
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

/// What the artifact, exogenous and screen stages add to [`RunData`].
#[derive(Clone, Copy, Default)]
pub struct OriginRun<'a> {
    /// The artifact list and every insert's best hits on it.
    pub artifacts: Option<(&'a NcrnaReference, &'a FlatHits)>,
    /// The other species' miRNAs, their targets and every insert's best
    /// hits on them (none for inserts not looked up).
    pub foreign: Option<(&'a Reference, &'a TargetSet, &'a FlatHits)>,
    /// The screen references, every insert's best hits on them and its
    /// decoy hits (bit r: reference r).
    pub screen: Option<ScreenRun<'a>>,
    /// The species fit's panel of other species' mature starts.
    pub species: Option<&'a SpeciesPanel>,
    /// The clade lists (`--clades`).
    pub clades: Option<&'a CladePanel>,
}

/// The screen stage of a run.
#[derive(Clone, Copy)]
pub struct ScreenRun<'a> {
    /// The references, in the order given.
    pub references: &'a [&'a ScreenReference],
    /// Every insert's best hits (targets numbered over all references).
    pub hits: &'a FlatHits,
    /// Per insert, the references (bit r) its decoy hits are on.
    pub decoy: &'a [u32],
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
pub fn finish(
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
    write_outputs(&out, &data, &stats, &counted)?;
    stats.timings.write = Timings::seconds(write_started.elapsed());
    stats.timings.spans_mut().write = Timings::span(started, write_started);
    stats.elapsed_seconds = Timings::seconds(started.elapsed());
    stats.finished = crate::output::stats::utc_now();
    let closing = summary::lines(&stats, out.outdir(), data.merge);
    let log = summary::log_text(&stats, &crate::runtime::take_log(), &closing);
    out.write("mirq.log", |w| w.write_all(log.as_bytes()))?;
    let json = serde_json::to_string_pretty(&stats).expect("stats serialize");
    write_report(&out, &data, &counted, &json)?;
    out.write("stats.json", |w| {
        w.write_all(json.as_bytes())?;
        w.write_all(b"\n")
    })?;
    out.commit()?;
    Ok(Outcome { stats, concerns })
}

/// Stages report.html, made from the figures the files hold (stats.json's
/// text, the mature counts as printed, isomirs.tsv's classes,
/// ncrna_features.tsv's groups as printed), so that
/// `mirq report` on the directory makes the same page.
fn write_report(
    out: &StagedOutputs,
    data: &RunData,
    counted: &Counted,
    stats_json: &str,
) -> Result<()> {
    let ncrna_groups = data
        .ncrna
        .zip(counted.ncrna.as_ref())
        .map(|(run, nc)| ncrna_tables::groups(run.reference, nc));
    let input = ReportInput::from_run(
        stats_json,
        mature_names(data.reference),
        &counted.counts.mature,
        counted.isomir_classes.clone(),
        ncrna_groups,
    )?;
    report::write(out, &input)
}

/// The reference's mature miRNA names: the rows of the mature tables.
fn mature_names(reference: &Reference) -> Vec<String> {
    reference.matures.iter().map(|m| m.name.clone()).collect()
}

/// What the counting pass made: the count matrices, the molecules per
/// insert (when deduplicating), the isomiR table (with hairpins) and its
/// classes summed over miRNAs (isomirs.tsv's, for the report and MultiQC),
/// and the ncRNA counts (with `--ncrna`), in the tables' units.
struct Counted {
    counts: Counts,
    molecules: Option<Vec<Vec<(u32, u32)>>>,
    isomirs: Option<Isomirs>,
    /// isomirs.tsv's rows.
    isomir_rows: Option<Vec<ClassRow>>,
    isomir_classes: Option<Vec<(String, Vec<u64>)>>,
    ncrna: Option<NcrnaCounts>,
    origin: OriginCounts,
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

/// Classifies every insert once, counts reads (and molecules), and fills
/// the samples' assignment figures and QC verdicts into `stats`; the species
/// and clade warnings said go to `concerns`.
fn assign_and_count(
    data: &mut RunData,
    stats: &mut RunStats,
    concerns: &mut Vec<Concern>,
) -> Counted {
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
    let by_reads = count(reference, &classes, &table.counts);
    for (st, t) in stats.samples.iter_mut().zip(&by_reads.totals) {
        st.assigned_mature = t.assigned_mature;
        st.mature_multimapped = t.mature_multimapped;
        st.hairpin_only = t.hairpin_only;
        st.unassigned = t.unassigned;
    }
    let count_ncrna = |units: &[Vec<(u32, u32)>]| {
        let (n, c) = (data.ncrna?, calls.as_ref()?);
        Some(ncrna::count(n.reference, c, units))
    };
    let ncrna_reads = count_ncrna(&table.counts);
    record_ncrna(data, stats, &by_reads, ncrna_reads.as_ref());
    let origin_reads = origin_calls.count(&table.counts);
    origin_tables::record(&data.origin, reference, stats, &by_reads, &origin_reads);
    concerns.extend(origin_tables::record_species(&data.origin, table, stats));
    let molecules: Option<Vec<Vec<(u32, u32)>>> =
        match std::mem::replace(&mut data.molecules, Molecules::None) {
            Molecules::None => None,
            Molecules::Counted(m) => Some(m),
            Molecules::FromKeys(keys) => Some(
                keys.par_iter()
                    .zip(&table.counts)
                    .map(|(k, ids)| sample_molecules(k, ids, &classes))
                    .collect(),
            ),
        };
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

/// Writes every output but stats.json. The files are independent: written
/// in parallel into the staging folder, switched in together at commit.
fn write_outputs(
    out: &StagedOutputs,
    data: &RunData,
    stats: &RunStats,
    counted: &Counted,
) -> Result<()> {
    let (reference, table) = (data.reference, data.table);
    let samples: Vec<String> = stats.samples.iter().map(|s| s.sample.clone()).collect();
    let gff = || -> Result<()> {
        let (Some(isomirs), Some(rows)) = (&counted.isomirs, &counted.isomir_rows) else {
            return Ok(());
        };
        let (database, form) = (&stats.settings.database, stats.settings.gff_coordinates);
        let text = GffText::new(database, &samples, form);
        let (gff, tsv) = rayon::join(
            || {
                out.write("isomirs.gff3", |w| {
                    isomirs.write_gff(w, &text, reference, table)
                })
            },
            || {
                out.write("isomirs.tsv", |w| {
                    gff::write_class_rows(w, reference, &samples, rows)
                })
            },
        );
        gff.and(tsv)
    };
    let per_sample = || -> Result<()> {
        samples.par_iter().enumerate().try_for_each(|(s, name)| {
            // the last guard before a sample name becomes a file name
            // (quant and merge check names as they read them)
            validate_sample_name(name).map_err(|message| Error::InvalidValue {
                what: "sample name",
                value: name.clone(),
                message,
            })?;
            out.write(&format!("collapsed/{name}.fa"), |w| {
                write_collapsed(w, table, s)
            })?;
            out.write(&format!("qc/{name}.length.tsv"), |w| {
                qc::write_lengths(w, &stats.samples[s].qc.insert_lengths)
            })
        })
    };
    let inserts = || {
        out.write(inserts_file::FILE_NAME, |w| {
            let ncrna = data.ncrna.map(|n| n.hits);
            let molecules = counted.molecules.as_deref();
            let columns = inserts_file::HitColumns {
                ncrna,
                artifact: data.origin.artifacts.map(|(_, h)| h),
                exogenous: data.origin.foreign.map(|(_, _, h)| h),
                screen: data.origin.screen.map(|s| (s.hits, s.decoy)),
            };
            inserts_file::write(w, &samples, table, data.hits, &columns, molecules)
        })
    };
    let tables = || -> Result<()> {
        let mirnas = mature_names(reference);
        let mirna_tables = multiqc::MirnaTables {
            samples: &samples,
            mirnas: &mirnas,
            counts: &counted.counts.mature,
            isomir_classes: counted.isomir_classes.as_deref(),
        };
        multiqc::write(out, stats, &mirna_tables)?;
        if let (Some(run), Some(nc)) = (&data.ncrna, &counted.ncrna) {
            out.write(ncrna_tables::FEATURES, |w| {
                ncrna_tables::write_features(w, run.reference, &samples, nc)
            })?;
            out.write(ncrna_tables::COUNTS, |w| {
                ncrna_tables::write_counts(w, run.reference, &samples, nc)
            })?;
        }
        origin_tables::write(out, &data.origin, &samples, &counted.origin)?;
        origin_tables::write_clades(out, stats, &samples)?;
        write_tables(out, reference, &samples, &counted.counts)
    };
    let ((a, b), (c, d)) = rayon::join(
        || rayon::join(gff, per_sample),
        || rayon::join(inserts, tables),
    );
    a.and(b).and(c).and(d)
}

/// Records per chunk of a collapsed FASTA, formatted in parallel.
const COLLAPSED_CHUNK: usize = 16_384;

/// One sample's collapsed FASTA (`>seq_<i>_x<reads>`, most abundant first,
/// ties by sequence): the input miRDeep2, seqcluster and mirtop read.
fn write_collapsed(
    w: &mut impl std::io::Write,
    table: &InsertTable,
    sample: usize,
) -> std::io::Result<()> {
    let mut order: Vec<(u32, u32)> = table.counts[sample].clone();
    // ids are in sequence order, so a stable sort keeps ties by sequence
    order.sort_by_key(|&(_, reads)| std::cmp::Reverse(reads));
    write_chunks(w, order.len(), COLLAPSED_CHUNK, |ranks, buf| {
        for rank in ranks {
            let (id, reads) = order[rank];
            buf.extend_from_slice(b">seq_");
            push_decimal(buf, rank + 1);
            buf.extend_from_slice(b"_x");
            push_decimal(buf, reads);
            buf.push(b'\n');
            buf.extend_from_slice(table.seq(id as usize));
            buf.push(b'\n');
        }
        Ok(())
    })
}

/// The count and RPM matrices.
fn write_tables(
    out: &StagedOutputs,
    reference: &Reference,
    samples: &[String],
    counts: &Counts,
) -> Result<()> {
    let mature_names = mature_names(reference);
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
    out.write("hairpin_counts.tsv", |w| {
        write_matrix(
            w,
            "hairpin",
            samples,
            &hairpin_names,
            &counts.hairpin,
            format_count,
        )
    })?;
    out.write("mature_rpm.tsv", |w| {
        write_matrix(w, "mirna", samples, &mature_names, &rpm, format_rpm)
    })?;
    out.write("mature_counts_unique.tsv", |w| {
        write_matrix(
            w,
            "mirna",
            samples,
            &mature_names,
            &counts.mature_unique,
            format_count,
        )
    })?;
    let integers: Vec<Vec<f64>> = counts
        .mature
        .iter()
        .map(|col| {
            crate::output::integer_counts(col)
                .into_iter()
                .map(|n| n as f64)
                .collect()
        })
        .collect();
    out.write(crate::output::INTEGER_COUNTS, |w| {
        write_matrix(w, "mirna", samples, &mature_names, &integers, format_count)
    })?;
    out.write("mature_counts.tsv", |w| {
        write_matrix(
            w,
            "mirna",
            samples,
            &mature_names,
            &counts.mature,
            format_count,
        )
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prep::collapse::SampleInserts;

    #[test]
    fn collapsed_fasta_lists_most_abundant_first() {
        let mut a = SampleInserts::default();
        for r in [&b"TTT"[..], b"AAA", b"TTT", b"GGG"] {
            a.add(r);
        }
        let mut b = SampleInserts::default();
        b.add(b"CCC");
        let (a, b) = (a.into_sorted(), b.into_sorted());
        let table = InsertTable::build(&[&a, &b]);
        let mut out = Vec::new();
        write_collapsed(&mut out, &table, 0).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            ">seq_1_x2\nTTT\n>seq_2_x1\nAAA\n>seq_3_x1\nGGG\n"
        );
    }
}

//! The files of a run made from its counts, each independent of the
//! others and written in parallel into the staging folder: the count and
//! RPM tables, `isomirs.gff3` and `isomirs.tsv`, each sample's collapsed
//! FASTA and length table, `inserts.tsv.gz`, the MultiQC files and the
//! ncRNA and origin tables; and report.html, from the figures those hold.

use rayon::prelude::*;

use crate::align::FlatHits;
use crate::count::gff::{ClassRow, Isomirs};
use crate::count::ncrna::NcrnaCounts;
use crate::count::origin::OriginCounts;
use crate::count::Counts;
use crate::error::{Error, Result};
use crate::input::ncrna::NcrnaReference;
use crate::input::reference::Reference;
use crate::input::samples::validate_sample_name;
use crate::numbers::push_decimal;
use crate::output::inserts_file;
use crate::output::isomirs::{write_class_rows, write_gff, GffText};
use crate::output::multiqc;
use crate::output::ncrna_tables;
use crate::output::origin_tables::{self, OriginRun};
use crate::output::qc;
use crate::output::report::{self, ReportInput};
use crate::output::stats::RunStats;
use crate::output::{format_count, format_rpm, write_matrix, StagedOutputs};
use crate::prep::collapse::InsertTable;
use crate::runtime::ordered::write_chunks;

/// What the counting pass made: the count matrices, the molecules per
/// insert (when deduplicating), the isomiR table (with hairpins) and its
/// classes summed over miRNAs (isomirs.tsv's, for the report and MultiQC),
/// and the ncRNA counts (with `--ncrna`), in the tables' units.
pub struct Counted {
    /// The count matrices.
    pub counts: Counts,
    /// Each sample's molecules per insert id, when deduplicating.
    pub molecules: Option<Vec<Vec<(u32, u32)>>>,
    /// The isomiR table, with hairpins.
    pub isomirs: Option<Isomirs>,
    /// isomirs.tsv's rows.
    pub isomir_rows: Option<Vec<ClassRow>>,
    /// isomirs.tsv's classes summed over miRNAs.
    pub isomir_classes: Option<Vec<(String, Vec<u64>)>>,
    /// The ncRNA counts, with `--ncrna`.
    pub ncrna: Option<NcrnaCounts>,
    /// The artifact, exogenous and screen counts.
    pub origin: OriginCounts,
}

/// What a run's files are written from.
pub struct RunFiles<'a> {
    /// The reference.
    pub reference: &'a Reference,
    /// Unique inserts and each sample's reads of them.
    pub table: &'a InsertTable,
    /// Every unique insert's best hits.
    pub hits: &'a FlatHits,
    /// The ncRNA reference and every insert's best hits on it (none for
    /// inserts not looked up), with `--ncrna`.
    pub ncrna: Option<(&'a NcrnaReference, &'a FlatHits)>,
    /// The artifact, exogenous and screen stages that ran.
    pub origin: &'a OriginRun<'a>,
    /// What the counting pass made.
    pub counted: &'a Counted,
}

/// Stages report.html, made from the figures the files hold (stats.json's
/// text, the mature counts as printed, isomirs.tsv's classes,
/// ncrna_features.tsv's groups as printed), so that
/// `mirq report` on the directory makes the same page.
pub fn write_report(out: &StagedOutputs, files: &RunFiles, stats_json: &str) -> Result<()> {
    let counted = files.counted;
    let ncrna_groups = files
        .ncrna
        .zip(counted.ncrna.as_ref())
        .map(|((reference, _), nc)| ncrna_tables::groups(reference, nc));
    let input = ReportInput::from_run(
        stats_json,
        mature_names(files.reference),
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

/// Writes every output but stats.json, mirq.log and report.html (`stats`
/// complete but for the writing's time). The files are independent:
/// written in parallel into the staging folder, switched in together at
/// commit.
pub fn write(out: &StagedOutputs, files: &RunFiles, stats: &RunStats) -> Result<()> {
    let (reference, table, counted) = (files.reference, files.table, files.counted);
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
                    write_gff(w, isomirs, &text, reference, table)
                })
            },
            || {
                out.write("isomirs.tsv", |w| {
                    write_class_rows(w, reference, &samples, rows)
                })
            },
        );
        gff.and(tsv)
    };
    let per_sample = || -> Result<()> {
        samples.par_iter().enumerate().try_for_each(|(s, name)| {
            // the last guard before a sample name becomes a file name
            // (quant and merge check names as they read them)
            validate_sample_name(name).map_err(|bad| Error::InvalidValue {
                what: "sample name",
                value: name.clone(),
                message: bad.to_string(),
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
            let ncrna = files.ncrna.map(|(_, hits)| hits);
            let molecules = counted.molecules.as_deref();
            let columns = inserts_file::HitColumns {
                ncrna,
                artifact: files.origin.artifacts.map(|(_, h)| h),
                exogenous: files.origin.foreign.map(|(_, _, h)| h),
                screen: files.origin.screen.map(|s| (s.hits, s.decoy)),
            };
            inserts_file::write(w, &samples, table, files.hits, &columns, molecules)
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
        if let (Some((ncrna, _)), Some(nc)) = (files.ncrna, &counted.ncrna) {
            out.write(ncrna_tables::FEATURES, |w| {
                ncrna_tables::write_features(w, ncrna, &samples, nc)
            })?;
            out.write(ncrna_tables::COUNTS, |w| {
                ncrna_tables::write_counts(w, ncrna, &samples, nc)
            })?;
        }
        origin_tables::write(out, files.origin, &samples, &counted.origin)?;
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
    w: &mut (impl std::io::Write + Send),
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

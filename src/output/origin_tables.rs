//! The outputs of the artifact, exogenous and screen stages:
//! - `exogenous_mirna_counts.tsv`: `mirna<TAB>species<TAB>samples…`, the
//!   units (reads, or molecules with `--dedup`) on other species' mature
//!   miRNAs, every foreign mature with some; a read on matures of k species
//!   is 1/k on each.
//! - `screen_counts.tsv`: `reference<TAB>sequence<TAB>samples…`, the units
//!   on each record of each screen reference; each of an insert's k best
//!   hits counts 1/k for its record.
//! - `clade_counts.tsv` (with `--clades`): `clade<TAB>samples…`, the reads
//!   on each clade's specific miRNA families (miRTrace's method).
//! - per sample in stats.json: `artifact`, `exogenous` and `screen`, whose
//!   reads leave `unassigned`; `species_fit` and `clades`.

use std::collections::BTreeMap;

use crate::align::{FlatHits, TargetSet};
use crate::count::clades::CladePanel;
use crate::count::origin::{OriginCounts, EXOGENOUS_MIN_READS};
use crate::count::species::SpeciesPanel;
use crate::count::Counts;
use crate::error::Result;
use crate::input::ncrna::NcrnaReference;
use crate::input::reference::{species_code, Reference};
use crate::input::screen::ScreenReference;
use crate::numbers::round3;
use crate::output::concerns::{Concern, ConcernKind};
use crate::output::stats::{
    CladeReads, RunStats, SampleArtifacts, SampleExogenous, SampleScreen, SpeciesReads,
};
use crate::output::{format_count, write_matrix, StagedOutputs};
use crate::prep::collapse::InsertTable;

/// What the artifact, exogenous and screen stages that ran add to a run:
/// what the counting pass calls the inserts from and these tables name.
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

/// Exogenous miRNA table file name.
pub const EXOGENOUS: &str = "exogenous_mirna_counts.tsv";
/// Screen table file name.
pub const SCREEN: &str = "screen_counts.tsv";
/// Clade table file name.
pub const CLADES: &str = "clade_counts.tsv";

impl OriginCounts {
    /// Sample `s`'s units counted by the artifact, exogenous and screen
    /// stages (out of the miRNA tables' unassigned).
    pub fn elsewhere(&self, s: usize) -> u64 {
        let artifact = self.artifact.get(s).map_or(0, |a| a.0);
        let exogenous = self.exogenous_total.get(s).copied().unwrap_or(0);
        let screen: u64 = self
            .screen
            .get(s)
            .map_or(0, |refs| refs.iter().map(|u| u.units).sum());
        artifact + exogenous + screen
    }
}

/// Fills each sample's `artifact`, `exogenous` and `screen` figures (reads;
/// the miRNAs of `mirnas` name the reads an artifact took from them) and
/// takes those reads out of `unassigned`.
pub fn record(
    origin: &OriginRun,
    mirnas: &Reference,
    stats: &mut RunStats,
    by_reads: &Counts,
    reads: &OriginCounts,
) {
    for (s, st) in stats.samples.iter_mut().enumerate() {
        if origin.artifacts.is_some() {
            let mirna_lost = by_reads.artifact_lost_mature[s]
                .iter()
                .enumerate()
                .filter(|&(_, &n)| n > 0.0)
                .map(|(m, &n)| (mirnas.matures[m].name.clone(), round3(n)))
                .collect();
            st.artifact = Some(SampleArtifacts {
                reads: reads.artifact[s].0,
                taken_from_mirna: reads.artifact[s].1,
                mirna_lost,
            });
        }
        if let Some((foreign, _, _)) = origin.foreign {
            st.exogenous = Some(sample_exogenous(
                foreign,
                &reads.exogenous[s],
                reads.exogenous_total[s],
            ));
        }
        if let Some(run) = origin.screen {
            st.screen = run
                .references
                .iter()
                .zip(&reads.screen[s])
                .map(|(r, u)| SampleScreen {
                    reference: r.name.clone(),
                    reads: u.units,
                    repetitive: u.repetitive,
                    overlap: u.overlap,
                    decoy: u.decoy,
                })
                .collect();
        }
        st.unassigned = st.unassigned.saturating_sub(reads.elsewhere(s));
    }
}

/// Fills each sample's species fit and clade reads (from all its inserts
/// that passed QC, in reads) and says the warnings they call for.
pub fn record_species(
    origin: &OriginRun,
    table: &InsertTable,
    stats: &mut RunStats,
) -> Vec<Concern> {
    let mut concerns = Vec::new();
    if let Some(panel) = origin.species {
        for (st, fit) in stats.samples.iter_mut().zip(panel.fit_table(table)) {
            if let Some(w) = fit.warning(&st.sample) {
                concerns.push(Concern::said(&st.sample, ConcernKind::SpeciesFit, w));
            }
            st.species_fit = Some(fit);
        }
    }
    if let Some(panel) = origin.clades {
        let species = stats.reference.species.clone();
        for (st, counts) in stats.samples.iter_mut().zip(panel.count_table(table)) {
            for w in panel.warnings(&species, &counts, st.reads_in) {
                let line = format!("WARNING: {}: {w}", st.sample);
                concerns.push(Concern::said(&st.sample, ConcernKind::Clade, line));
            }
            st.clades = panel
                .clades()
                .iter()
                .zip(counts)
                .map(|(clade, reads)| CladeReads {
                    clade: clade.clone(),
                    reads,
                })
                .collect();
        }
    }
    concerns
}

/// Writes `clade_counts.tsv` (`clade<TAB>samples…`: reads per clade) when
/// the run counted clades.
pub fn write_clades(out: &StagedOutputs, stats: &RunStats, samples: &[String]) -> Result<()> {
    let Some(settings) = &stats.settings.clades else {
        return Ok(());
    };
    let columns: Vec<Vec<f64>> = stats
        .samples
        .iter()
        .map(|st| {
            settings
                .clades
                .iter()
                .map(|c| {
                    st.clades
                        .iter()
                        .find(|r| &r.clade == c)
                        .map_or(0.0, |r| r.reads as f64)
                })
                .collect()
        })
        .collect();
    out.write(CLADES, |w| {
        write_matrix(
            w,
            "clade",
            samples,
            &settings.clades,
            &columns,
            format_count,
        )
    })
}

/// One sample's exogenous figures from its units per foreign mature.
fn sample_exogenous(foreign: &Reference, units: &[f64], total: u64) -> SampleExogenous {
    let mut by_species: BTreeMap<String, f64> = BTreeMap::new();
    for (m, &x) in units.iter().enumerate() {
        if x > 0.0 {
            *by_species
                .entry(species_code(&foreign.matures[m].name))
                .or_default() += x;
        }
    }
    let mut species: Vec<SpeciesReads> = by_species
        .iter()
        .filter(|(_, &r)| r >= EXOGENOUS_MIN_READS)
        .map(|(code, &r)| SpeciesReads {
            species: code.clone(),
            reads: round3(r),
        })
        .collect();
    species.sort_by(|a, b| b.reads.total_cmp(&a.reads).then(a.species.cmp(&b.species)));
    // (a sum of no f64 is -0.0)
    let other = by_species
        .values()
        .filter(|&&r| r < EXOGENOUS_MIN_READS)
        .fold(0.0, |a, &r| a + r);
    SampleExogenous {
        reads: total,
        species,
        other_species_reads: round3(other),
    }
}

/// Writes the exogenous and screen tables of the stages that ran.
pub fn write(
    out: &StagedOutputs,
    origin: &OriginRun,
    samples: &[String],
    counts: &OriginCounts,
) -> Result<()> {
    if let Some((foreign, _, _)) = origin.foreign {
        let kept: Vec<usize> = (0..foreign.matures.len())
            .filter(|&m| counts.exogenous.iter().any(|col| col[m] > 0.0))
            .collect();
        let rows: Vec<String> = kept
            .iter()
            .map(|&m| {
                let name = &foreign.matures[m].name;
                format!("{name}\t{}", species_code(name))
            })
            .collect();
        let columns: Vec<Vec<f64>> = counts
            .exogenous
            .iter()
            .map(|col| kept.iter().map(|&m| col[m]).collect())
            .collect();
        out.write(EXOGENOUS, |w| {
            write_matrix(w, "mirna\tspecies", samples, &rows, &columns, format_count)
        })?;
    }
    if let Some(run) = origin.screen {
        let rows: Vec<String> = run
            .references
            .iter()
            .flat_map(|r| {
                r.records
                    .iter()
                    .map(move |rec| format!("{}\t{}", r.name, rec.name))
            })
            .collect();
        let columns: Vec<Vec<f64>> = counts
            .screen_records
            .iter()
            .map(|refs| refs.iter().flatten().copied().collect())
            .collect();
        out.write(SCREEN, |w| {
            write_matrix(
                w,
                "reference\tsequence",
                samples,
                &rows,
                &columns,
                format_count,
            )
        })?;
    }
    Ok(())
}

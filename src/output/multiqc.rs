//! MultiQC custom content: `*_mqc.json` files under `multiqc/` that
//! MultiQC picks up with no plugin (its built-in `custom_content` module).
//!
//! - `multiqc/mirq_general_stats_mqc.json` (`plot_type: generalstats`):
//!   columns in the General Statistics table, namespace `mirq`: reads, % of
//!   reads with the adapter (absent when reads come trimmed), % of reads
//!   assigned to mature miRNAs, miRNAs detected, molecules (with `--dedup`)
//!   and the QC verdict as the text `PASS`, `WARN` or `FAIL` (MultiQC's
//!   default table rules colour those words green, orange and red).
//! - `multiqc/mirq_ncrna_general_stats_mqc.json` (`generalstats`, only with
//!   `--ncrna`): more General Statistics columns, namespace `mirq`: % of
//!   reads counted for an ncRNA class, for tRNAs and for rRNAs. A file of
//!   its own, so that the first file stays the same for runs without it.
//! - `multiqc/mirq_origin_general_stats_mqc.json` (`generalstats`, when the
//!   origin cascade ran: artifacts, other species' miRNAs, `--screen`, the
//!   species fit): more General Statistics columns, namespace `mirq`
//!   ([`ORIGIN_GENERAL_STATS_COLUMNS`]): % of reads on adapter/primer
//!   artifacts, % on other species' miRNAs, % on the screen references (all
//!   together, with `--screen` only) and the species fit as text (`fits`,
//!   `mixed: mmu`, `other: mmu`, `too few reads`; green, orange, red). A
//!   file of its own, as the ncRNA one.
//! - `multiqc/mirq_insert_lengths_mqc.json` (`plot_type: linegraph`): reads
//!   by insert length, one series per sample (the data of
//!   `qc/<sample>.length.tsv`), each a list of `[length, reads]` pairs with
//!   numeric x in ascending order: MultiQC (1.35) plots the keys of a
//!   `{x: y}` object as text and sorts them so (`0, 1, 10, 11, …, 2, 20`),
//!   while pairs keep their numbers.
//! - `multiqc/mirq_composition_mqc.json` (`plot_type: bargraph`): what became
//!   of each sample's reads, in read counts, one bar per sample, one category
//!   per composition class of `stats.json` (MultiQC adds the percentage view).
//!   With `--ncrna` the reads on ncRNAs are out of *Unassigned insert*: one
//!   category per class of the run, in its order, and one for the reads on
//!   ncRNAs antisense only, between *Hairpin only* and *Unassigned insert*;
//!   the plot's ids are then `mirq_composition_ncrna` (see [`composition`]).
//! - `multiqc/mirq_exogenous_mqc.json` (`bargraph`, only when a sample has
//!   reads on other species' miRNAs): *Other species' miRNAs*, reads per
//!   species per sample (species named with at least the run's minimum of
//!   reads in a sample; the rest of a sample's such reads in one category,
//!   `other (< 3 reads each)`). Reads on a miRNA of several species count a
//!   share on each, so values can have decimals.
//! - `multiqc/mirq_clades_mqc.json` (`bargraph`, with `--clades` only):
//!   *Clade-specific miRNA families*, reads per clade per sample.
//!
//! - `multiqc/mirq_isomirs_mqc.json` (`bargraph`, runs with hairpins):
//!   *isomiR classes*, reads per class per sample, mirtop's classes and
//!   counting (isomirs.tsv summed over miRNAs); counts only (see
//!   `mirnas`).
//! - `multiqc/mirq_top_mirnas_mqc.json` (`bargraph`): *Top miRNAs*, the
//!   counts of the 9 miRNAs with the largest mean share and of the other
//!   miRNAs, per sample, shown as % of the sample's miRNA counts.
//!
//! The exogenous, clade and top miRNA plots carry no `categories`: MultiQC
//! then takes them from the data of every file (in the order first seen),
//! so that runs with other species, clade lists or top miRNAs pool into one
//! plot.
//!
//! Ids are fixed and prefixed `mirq`; the plots are sections of one
//! report module, `mirq`. Every file carries all its headers and categories
//! whatever the run (a value that does not apply is left out, and MultiQC
//! drops empty columns), so files of per-sample runs can be given to one
//! MultiQC call: sections with the same id pool their samples (MultiQC
//! takes a section's categories from the last of its files it reads, so
//! runs pooled into one composition plot must have the same ncRNA classes).

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde::Serialize as DeriveSerialize;
use serde_json::{json, Value};

mod mirnas;

pub use mirnas::{MirnaTables, ISOMIRS, OTHER_MIRNAS, TOP_MIRNAS, TOP_MIRNA_COUNT};

use crate::count::species::{SpeciesFit, SpeciesVerdict};
use crate::error::Result;
use crate::numbers::round_to;
use crate::output::stats::{RunStats, SampleStats};
use crate::output::StagedOutputs;

/// General Statistics columns, relative to the output directory.
pub const GENERAL_STATS: &str = "multiqc/mirq_general_stats_mqc.json";
/// Insert length line plot.
pub const INSERT_LENGTHS: &str = "multiqc/mirq_insert_lengths_mqc.json";
/// Read composition bar plot.
pub const COMPOSITION: &str = "multiqc/mirq_composition_mqc.json";
/// General Statistics columns of the ncRNA classes (with `--ncrna`).
pub const NCRNA_GENERAL_STATS: &str = "multiqc/mirq_ncrna_general_stats_mqc.json";

/// General Statistics columns of the origin cascade.
pub const ORIGIN_GENERAL_STATS: &str = "multiqc/mirq_origin_general_stats_mqc.json";
/// Other species' miRNAs bar plot (when a sample has reads on them).
pub const EXOGENOUS: &str = "multiqc/mirq_exogenous_mqc.json";
/// Clade-specific miRNA families bar plot (with `--clades`).
pub const CLADES: &str = "multiqc/mirq_clades_mqc.json";

/// Report module the plots belong to.
const PARENT_ID: &str = "mirq";
const PARENT_NAME: &str = "mirq";
const PARENT_DESCRIPTION: &str =
    "microRNA quantification: insert lengths, read composition, where the reads come from, isomiR classes and top miRNAs, per sample.";

/// Stages the files through `out` (the ncRNA columns with `--ncrna` only,
/// the origin ones, other species' miRNAs and clades when the run has
/// them, the isomiR classes with hairpins).
pub fn write(out: &StagedOutputs, stats: &RunStats, tables: &MirnaTables) -> Result<()> {
    let optional = [
        tables
            .isomir_classes
            .map(|classes| (ISOMIRS, mirnas::isomirs(tables.samples, classes))),
        ncrna_general_stats(stats).map(|text| (NCRNA_GENERAL_STATS, text)),
        origin_general_stats(stats).map(|text| (ORIGIN_GENERAL_STATS, text)),
        exogenous(stats).map(|text| (EXOGENOUS, text)),
        clades(stats).map(|text| (CLADES, text)),
    ]
    .into_iter()
    .flatten();
    for (rel, text) in [
        (GENERAL_STATS, general_stats(stats)),
        (INSERT_LENGTHS, insert_lengths(stats)),
        (COMPOSITION, composition(stats)),
        (TOP_MIRNAS, mirnas::top_mirnas(tables)),
    ]
    .into_iter()
    .chain(optional)
    {
        out.write(rel, |w| {
            use std::io::Write;
            w.write_all(text.as_bytes())?;
            w.write_all(b"\n")
        })?;
    }
    Ok(())
}

/// A JSON object whose keys keep the order given (serde_json's own map
/// sorts them).
struct Ordered<V>(Vec<(String, V)>);

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// One custom-content file.
#[derive(DeriveSerialize)]
struct Content<D> {
    id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_name: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_description: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    section_name: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    helptext: Option<&'static str>,
    plot_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    headers: Option<Ordered<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    categories: Option<Ordered<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pconfig: Option<Value>,
    data: Ordered<D>,
}

impl<D> Content<D> {
    fn new(id: &'static str, plot_type: &'static str, data: Ordered<D>) -> Self {
        Self {
            id,
            parent_id: None,
            parent_name: None,
            parent_description: None,
            section_name: None,
            description: None,
            helptext: None,
            plot_type,
            namespace: None,
            headers: None,
            categories: None,
            pconfig: None,
            data,
        }
    }

    fn section(mut self, name: &'static str, description: &'static str) -> Self {
        self.parent_id = Some(PARENT_ID);
        self.parent_name = Some(PARENT_NAME);
        self.parent_description = Some(PARENT_DESCRIPTION);
        self.section_name = Some(name);
        self.description = Some(description);
        self
    }
}

fn render<D: Serialize>(content: &Content<D>) -> String {
    serde_json::to_string_pretty(content).expect("custom content serializes")
}

/// `100 * part / whole`, rounded to 4 decimals; none when `whole` is 0.
fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| round_to(part as f64 * 100.0 / whole as f64, 4))
}

/// General Statistics column keys, in table order.
pub const GENERAL_STATS_COLUMNS: [&str; 6] = [
    "reads",
    "pct_adapter",
    "pct_mirna",
    "mirnas_detected",
    "molecules",
    "qc_verdict",
];

/// The General Statistics file.
pub fn general_stats(stats: &RunStats) -> String {
    let data = stats
        .samples
        .iter()
        .map(|st| {
            let has_adapter = st.has_adapter(&stats.settings);
            (st.sample.clone(), general_stats_row(st, has_adapter))
        })
        .collect();
    let mut c = Content::new("mirq_general_stats", "generalstats", Ordered(data));
    c.namespace = Some("mirq");
    c.headers = Some(general_stats_headers());
    render(&c)
}

/// One sample's General Statistics values.
fn general_stats_row(st: &SampleStats, has_adapter: bool) -> Ordered<Value> {
    let mut row: Vec<(String, Value)> = vec![("reads".into(), json!(st.reads_in))];
    if has_adapter {
        if let Some(p) = percent(st.adapter_found, st.reads_in) {
            row.push(("pct_adapter".into(), json!(p)));
        }
    }
    if let Some(p) = percent(st.assigned_mature, st.reads_in) {
        row.push(("pct_mirna".into(), json!(p)));
    }
    row.push(("mirnas_detected".into(), json!(st.mirnas_detected)));
    if let Some(m) = &st.molecules {
        row.push(("molecules".into(), json!(m.total)));
    }
    if let Some(verdict) = st.qc.verdict {
        row.push(("qc_verdict".into(), json!(verdict)));
    }
    Ordered(row)
}

/// The General Statistics columns: titles, formats and colour scales.
fn general_stats_headers() -> Ordered<Value> {
    Ordered(vec![
        (
            "reads".to_string(),
            json!({
                "title": "Reads",
                "description": "mirq: reads read",
                "format": "{:,.0f}",
                "min": 0,
                "scale": "Blues",
            }),
        ),
        (
            "pct_adapter".to_string(),
            json!({
                "title": "% Adapter",
                "description": "mirq: reads in which the 3' adapter was found, % of reads read (absent when reads come trimmed)",
                "suffix": "%",
                "min": 0,
                "max": 100,
                "format": "{:,.1f}",
                "scale": "RdYlGn",
            }),
        ),
        (
            "pct_mirna".to_string(),
            json!({
                "title": "% miRNA",
                "description": "mirq: reads assigned to mature miRNAs, % of reads read",
                "suffix": "%",
                "min": 0,
                "max": 100,
                "format": "{:,.1f}",
                "scale": "RdYlGn",
            }),
        ),
        (
            "mirnas_detected".to_string(),
            json!({
                "title": "miRNAs",
                "description": "mirq: mature miRNAs with at least one read",
                "format": "{:,.0f}",
                "min": 0,
                "scale": "Purples",
            }),
        ),
        (
            "molecules".to_string(),
            json!({
                "title": "Molecules",
                "description": "mirq: molecules counted after UMI deduplication (--dedup)",
                "format": "{:,.0f}",
                "min": 0,
                "scale": "Greens",
            }),
        ),
        (
            "qc_verdict".to_string(),
            json!({
                "title": "mirq QC",
                "description": "mirq's per-sample QC verdict: PASS, WARN or FAIL (the rules that fired are in stats.json, samples[].qc.reasons)",
                "scale": false,
                "cond_formatting_rules": {
                    "pass": [{"s_eq": "PASS"}],
                    "warn": [{"s_eq": "WARN"}],
                    "fail": [{"s_eq": "FAIL"}],
                },
            }),
        ),
    ])
}

/// ncRNA General Statistics column keys, in table order.
pub const NCRNA_GENERAL_STATS_COLUMNS: [&str; 3] = ["pct_ncrna", "pct_trna", "pct_rrna"];

/// The ncRNA General Statistics file of a run with `--ncrna` (none
/// without): % of the reads read counted for any class, for `tRNA` and for
/// `rRNA` (those two when the run has the class).
pub fn ncrna_general_stats(stats: &RunStats) -> Option<String> {
    ncrna_classes(stats)?;
    let data = stats
        .samples
        .iter()
        .map(|st| {
            let mut row: Vec<(String, Value)> = Vec::new();
            let ncrna = st.ncrna.as_ref();
            let sense = ncrna.map_or(0, |n| n.sense());
            if let Some(p) = percent(sense, st.reads_in) {
                row.push(("pct_ncrna".into(), json!(p)));
            }
            for (key, class) in [("pct_trna", "tRNA"), ("pct_rrna", "rRNA")] {
                let reads = ncrna
                    .and_then(|n| n.classes.iter().find(|c| c.class == class))
                    .map(|c| c.reads);
                if let Some(p) = reads.and_then(|r| percent(r, st.reads_in)) {
                    row.push((key.into(), json!(p)));
                }
            }
            (st.sample.clone(), Ordered(row))
        })
        .collect();
    let mut c = Content::new("mirq_ncrna_general_stats", "generalstats", Ordered(data));
    c.namespace = Some("mirq");
    c.headers = Some(ncrna_general_stats_headers());
    Some(render(&c))
}

/// A percentage column of reads read.
fn pct_header(title: &str, description: &str, scale: &str) -> Value {
    json!({
        "title": title,
        "description": description,
        "suffix": "%",
        "min": 0,
        "max": 100,
        "format": "{:,.1f}",
        "scale": scale,
    })
}

/// The ncRNA General Statistics columns.
fn ncrna_general_stats_headers() -> Ordered<Value> {
    let columns = [
        (
            "% ncRNA",
            "mirq: reads counted for an ncRNA class (--ncrna: tRNA, rRNA, snoRNA, ...), % of reads read",
            "Oranges",
        ),
        (
            "% tRNA",
            "mirq: reads counted for tRNAs (--ncrna), % of reads read",
            "Blues",
        ),
        (
            "% rRNA",
            "mirq: reads counted for rRNAs (--ncrna; many point to degraded RNA), % of reads read",
            "OrRd",
        ),
    ];
    Ordered(
        NCRNA_GENERAL_STATS_COLUMNS
            .iter()
            .zip(columns)
            .map(|(key, (title, description, scale))| {
                (key.to_string(), pct_header(title, description, scale))
            })
            .collect(),
    )
}

/// Origin General Statistics column keys, in table order.
pub const ORIGIN_GENERAL_STATS_COLUMNS: [&str; 4] =
    ["pct_artifact", "pct_exogenous", "pct_screen", "species_fit"];

/// Whether the run has anything for the origin columns.
/// The species fit as the General Statistics write it: `fits`,
/// `mixed: mmu`, `other: mmu` or `too few reads`.
pub fn species_fit_label(fit: &SpeciesFit) -> String {
    let other = fit.other_species.as_deref().unwrap_or("?");
    match fit.verdict {
        SpeciesVerdict::Fits => "fits".into(),
        SpeciesVerdict::Mixed => format!("mixed: {other}"),
        SpeciesVerdict::OtherSpecies => format!("other: {other}"),
        SpeciesVerdict::TooFewReads => "too few reads".into(),
    }
}

/// The origin General Statistics file of a run whose origin cascade ran
/// (none otherwise): % of reads on artifacts, on other species' miRNAs and
/// on the screen references, and the species fit, each when its stage ran.
pub fn origin_general_stats(stats: &RunStats) -> Option<String> {
    // written by every run (pipelines declare it), its cells only where a
    // stage ran: MultiQC drops empty columns
    let screen = !stats.settings.screen.is_empty();
    let data = stats
        .samples
        .iter()
        .map(|st| {
            let mut row: Vec<(String, Value)> = Vec::new();
            let mut add = |key: &str, reads: Option<u64>| {
                if let Some(p) = reads.and_then(|r| percent(r, st.reads_in)) {
                    row.push((key.into(), json!(p)));
                }
            };
            add("pct_artifact", st.artifact.as_ref().map(|a| a.reads));
            add("pct_exogenous", st.exogenous.as_ref().map(|e| e.reads));
            let on_screen = st.screen.iter().map(|s| s.reads).sum();
            add("pct_screen", screen.then_some(on_screen));
            if let Some(fit) = &st.species_fit {
                row.push(("species_fit".into(), json!(species_fit_label(fit))));
            }
            (st.sample.clone(), Ordered(row))
        })
        .collect();
    let mut c = Content::new("mirq_origin_general_stats", "generalstats", Ordered(data));
    c.namespace = Some("mirq");
    c.headers = Some(origin_general_stats_headers());
    Some(render(&c))
}

/// The origin General Statistics columns.
fn origin_general_stats_headers() -> Ordered<Value> {
    let pct = [
        (
            "% artifact",
            "mirq: reads on adapter/primer artifacts (the kits' oligos and their concatemers), % of reads read",
            "OrRd",
        ),
        (
            "% other sp. miRNA",
            "mirq: reads on other species' miRNAs (miRBase species other than --species: a virus, a contamination, a wrong --species), % of reads read",
            "YlOrBr",
        ),
        (
            "% screen",
            "mirq: reads on the screen references (--screen, all together), % of reads read",
            "Reds",
        ),
    ];
    let mut columns: Vec<(String, Value)> = ORIGIN_GENERAL_STATS_COLUMNS
        .iter()
        .zip(pct)
        .map(|(key, (title, description, scale))| {
            (key.to_string(), pct_header(title, description, scale))
        })
        .collect();
    columns.push((
        "species_fit".to_string(),
        json!({
            "title": "Species fit",
            "description": "mirq: do the reads fit --species? fits: yes; mixed: OTHER: another species' own miRNAs have at least a quarter of the reads of the given species' own ones (a mixed sample, or a virus with its host); other: OTHER: another species fits 4 times better (a wrong --species?); too few reads: too little evidence either way. Own miRNAs: reads whose first 20 nt are a mature start of one species and occur in no other's (stats.json, samples[].species_fit)",
            "scale": false,
            "cond_formatting_rules": {
                "pass": [{"s_eq": "fits"}],
                "warn": [{"s_contains": "mixed"}],
                "fail": [{"s_contains": "other"}],
            },
        }),
    ));
    Ordered(columns)
}

/// The other species' miRNAs bar plot, when a sample has reads on them:
/// reads per species (in the order of their reads in the run, most first),
/// and the rest of each sample's reads on other species' miRNAs in one
/// category.
pub fn exogenous(stats: &RunStats) -> Option<String> {
    let any = stats
        .samples
        .iter()
        .any(|st| st.exogenous.as_ref().is_some_and(|e| e.reads > 0));
    if !any {
        return None;
    }
    let min = stats
        .settings
        .exogenous
        .as_ref()
        .map_or(3.0, |e| e.min_reads);
    let rest = format!("other (< {min} reads each)");
    let mut totals: Vec<(String, f64)> = Vec::new();
    for e in stats.samples.iter().filter_map(|st| st.exogenous.as_ref()) {
        for sp in &e.species {
            match totals.iter_mut().find(|(s, _)| *s == sp.species) {
                Some((_, n)) => *n += sp.reads,
                None => totals.push((sp.species.clone(), sp.reads)),
            }
        }
    }
    totals.sort_by(|a, b| b.1.total_cmp(&a.1));
    let data = stats
        .samples
        .iter()
        .filter_map(|st| {
            let e = st.exogenous.as_ref()?;
            let mut row: Vec<(String, Value)> = totals
                .iter()
                .filter_map(|(species, _)| {
                    let sp = e.species.iter().find(|s| &s.species == species)?;
                    Some((species.clone(), json!(sp.reads)))
                })
                .collect();
            if e.other_species_reads > 0.0 {
                row.push((rest.clone(), json!(e.other_species_reads)));
            }
            Some((st.sample.clone(), Ordered(row)))
        })
        .collect();
    let mut c = Content::new("mirq_exogenous", "bargraph", Ordered(data)).section(
        "Other species' miRNAs",
        "Reads on miRNAs of miRBase species other than the one quantified (--species), by          species: a virus (ebv), a contamination, or a wrong --species. A species is named          in a sample with a few reads at least; the rest are together. A read on a miRNA          of several species counts a share on each.",
    );
    c.pconfig = Some(json!({
        "id": "mirq_exogenous_plot",
        "title": "mirq: other species' miRNAs",
        "ylab": "Reads",
        "cpswitch_counts_label": "Reads",
    }));
    Some(render(&c))
}

/// The clade-specific miRNA families bar plot, with `--clades`: reads per
/// clade, in the lists' order.
pub fn clades(stats: &RunStats) -> Option<String> {
    let clades = &stats.settings.clades.as_ref()?.clades;
    let data = stats
        .samples
        .iter()
        .map(|st| {
            let row = clades
                .iter()
                .map(|clade| {
                    let reads = st
                        .clades
                        .iter()
                        .find(|c| &c.clade == clade)
                        .map_or(0, |c| c.reads);
                    (clade.clone(), reads)
                })
                .collect();
            (st.sample.clone(), Ordered(row))
        })
        .collect();
    let mut c = Content::new("mirq_clades", "bargraph", Ordered(data)).section(
        "Clade-specific miRNA families",
        "Reads on miRNA families found in one clade only (--clades, miRTrace's lists):          which clades the sample's miRNAs come from. Reads of a clade the sample is not          from point to a contamination or a wrong --species.",
    );
    c.pconfig = Some(json!({
        "id": "mirq_clades_plot",
        "title": "mirq: clade-specific miRNA families",
        "ylab": "Reads",
        "cpswitch_counts_label": "Reads",
    }));
    Some(render(&c))
}

/// The insert length line plot: reads by insert length (0 = adapter
/// dimer), every length from 0 to the sample's longest.
pub fn insert_lengths(stats: &RunStats) -> String {
    let data = stats
        .samples
        .iter()
        .map(|st| {
            let series: Vec<[u64; 2]> = st
                .qc
                .insert_lengths
                .iter()
                .enumerate()
                .map(|(len, &n)| [len as u64, n])
                .collect();
            (st.sample.clone(), series)
        })
        .collect();
    let mut c = Content::new("mirq_insert_lengths", "linegraph", Ordered(data)).section(
        "Insert length",
        "Reads by insert length after adapter removal and fixed cuts, before the length \
         filter (0 nt: adapter dimers; reads without the adapter are not counted).",
    );
    c.pconfig = Some(json!({
        "id": "mirq_insert_lengths_plot",
        "title": "mirq: insert length distribution",
        "xlab": "Insert length (nt)",
        "ylab": "Reads",
        "x_decimals": 0,
        "ymin": 0,
        "logswitch": true,
        "tt_label": "{point.x} nt: {point.y:,.0f} reads",
    }));
    render(&c)
}

/// Composition categories: key, name, colour.
pub const COMPOSITION_CATEGORIES: [(&str, &str, &str); 10] = [
    ("mature_mirna", "Mature miRNA", "#2ca02c"),
    ("hairpin_only", "Hairpin only", "#98df8a"),
    ("exogenous_mirna", "Other species' miRNA", "#996600"),
    ("unassigned", "Unassigned insert", "#7f7f7f"),
    ("artifact", "Adapter/primer artifact", "#000000"),
    ("adapter_dimer", "Adapter dimer", "#d62728"),
    ("too_short", "Too short", "#ff9896"),
    ("too_long", "Too long", "#9467bd"),
    ("no_adapter", "No adapter", "#ff7f0e"),
    ("umi_missing", "No whole UMI", "#bcbd22"),
];

/// Colours of the ncRNA class categories, in the run's class order (then
/// again from the first): none of [`COMPOSITION_CATEGORIES`]'.
pub const NCRNA_COLOURS: [&str; 16] = [
    "#1f77b4", "#8c564b", "#17becf", "#e377c2", "#aec7e8", "#c49c94", "#9edae5", "#f7b6d2",
    "#c5b0d5", "#dbdb8d", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#e7ba52",
];

/// The category of reads on ncRNAs antisense only: key, name, colour.
pub const NCRNA_ANTISENSE: (&str, &str, &str) = ("ncrna_antisense", "ncRNA antisense", "#c7c7c7");

/// One composition category of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Key in the plot's data (`mature_mirna`, `ncrna_tRNA`).
    pub key: String,
    /// Legend name.
    pub name: String,
    /// Colour (`#rrggbb`).
    pub colour: String,
}

impl Category {
    fn new(key: &str, name: &str, colour: &str) -> Self {
        Self {
            key: key.to_string(),
            name: name.to_string(),
            colour: colour.to_string(),
        }
    }
}

/// Colours of the screen references' categories, in the order given.
pub const SCREEN_COLOURS: [&str; 6] = [
    "#ad494a", "#6b6ecf", "#b5cf6b", "#e7cb94", "#9c9ede", "#cedb9c",
];

/// A run's composition categories: [`COMPOSITION_CATEGORIES`]; with
/// `--screen` (`screens`: the references' names) one per reference
/// (`screen_<name>`, named `Screen: <name>`) after `exogenous_mirna`; with
/// `--ncrna` (`classes`: the run's classes, in order) one per class
/// (`ncrna_<class>`, named after the class) and [`NCRNA_ANTISENSE`] between
/// `hairpin_only` and `exogenous_mirna`.
pub fn composition_categories(classes: Option<&[String]>, screens: &[String]) -> Vec<Category> {
    let mut out: Vec<Category> = COMPOSITION_CATEGORIES
        .iter()
        .map(|(key, name, colour)| Category::new(key, name, colour))
        .collect();
    let screen = screens.iter().enumerate().map(|(i, name)| {
        let colour = SCREEN_COLOURS[i % SCREEN_COLOURS.len()];
        Category::new(
            &format!("screen_{name}"),
            &format!("Screen: {name}"),
            colour,
        )
    });
    out.splice(3..3, screen);
    if let Some(classes) = classes {
        let (key, name, colour) = NCRNA_ANTISENSE;
        let ncrna = classes
            .iter()
            .enumerate()
            .map(|(i, class)| {
                let colour = NCRNA_COLOURS[i % NCRNA_COLOURS.len()];
                Category::new(&format!("ncrna_{class}"), class, colour)
            })
            .chain([Category::new(key, name, colour)]);
        out.splice(2..2, ncrna);
    }
    out
}

/// Reads of one sample by composition category, in
/// [`composition_categories`] order for the same `classes` and `screens`;
/// they sum to the reads read.
pub fn composition_counts(
    st: &SampleStats,
    classes: Option<&[String]>,
    screens: &[String],
) -> Vec<u64> {
    let mut counts = vec![
        st.assigned_mature,
        st.hairpin_only,
        st.exogenous.as_ref().map_or(0, |e| e.reads),
        st.unassigned,
        st.artifact.as_ref().map_or(0, |a| a.reads),
        st.adapter_dimers,
        st.too_short.saturating_sub(st.adapter_dimers),
        st.too_long,
        st.no_adapter,
        st.umi_missing,
    ];
    if let Some(classes) = classes {
        let reads = |class: &String| {
            st.ncrna
                .iter()
                .flat_map(|n| &n.classes)
                .find(|c| &c.class == class)
                .map_or(0, |c| c.reads)
        };
        let antisense = st.ncrna.as_ref().map_or(0, |n| n.antisense());
        let ncrna = classes.iter().map(reads).chain([antisense]);
        counts.splice(2..2, ncrna);
    }
    let screen = screens.iter().map(|name| {
        st.screen
            .iter()
            .find(|s| &s.reference == name)
            .map_or(0, |s| s.reads)
    });
    let at = counts.len() - COMPOSITION_CATEGORIES.len() + 3;
    counts.splice(at..at, screen);
    counts
}

/// The run's screen references' names, in the order given.
fn screen_names(stats: &RunStats) -> Vec<String> {
    stats
        .settings
        .screen
        .iter()
        .map(|s| s.name.clone())
        .collect()
}

/// The run's ncRNA classes, with `--ncrna`.
fn ncrna_classes(stats: &RunStats) -> Option<&[String]> {
    stats.settings.ncrna.as_ref().map(|n| &n.classes[..])
}

/// The read composition bar plot. With `--ncrna` its ids are
/// `mirq_composition_ncrna` (plot `mirq_composition_ncrna_plot`): MultiQC
/// takes a section's categories from the last file of its id it reads, so
/// runs with and without ncRNA classes pooled into one report each keep
/// their own plot.
pub fn composition(stats: &RunStats) -> String {
    let classes = ncrna_classes(stats);
    let screens = screen_names(stats);
    let categories = composition_categories(classes, &screens);
    let data = stats
        .samples
        .iter()
        .map(|st| {
            let row = categories
                .iter()
                .zip(composition_counts(st, classes, &screens))
                .map(|(c, n)| (c.key.clone(), n))
                .collect();
            (st.sample.clone(), Ordered(row))
        })
        .collect();
    let (id, plot_id, name, description) = match classes {
        None => (
            "mirq_composition",
            "mirq_composition_plot",
            "Read composition",
            "What became of each sample's reads: assigned to mature miRNAs, on a hairpin \
             outside every mature window, an insert of a counted length with no hit, adapter \
             dimer, too short or too long an insert, no adapter found, no whole UMI (--dedup).",
        ),
        Some(_) => (
            "mirq_composition_ncrna",
            "mirq_composition_ncrna_plot",
            "Read composition by RNA class",
            "What became of each sample's reads: assigned to mature miRNAs, on a hairpin \
             outside every mature window, counted for an ncRNA class (--ncrna), on ncRNAs \
             antisense only (counted for none), an insert of a counted length with no hit, \
             adapter dimer, too short or too long an insert, no adapter found, no whole UMI \
             (--dedup).",
        ),
    };
    let mut c = Content::new(id, "bargraph", Ordered(data)).section(name, description);
    c.categories = Some(Ordered(
        categories
            .into_iter()
            .map(|c| (c.key, json!({"name": c.name, "color": c.colour})))
            .collect(),
    ));
    c.pconfig = Some(json!({
        "id": plot_id,
        "title": "mirq: read composition",
        "ylab": "Reads",
        "cpswitch_counts_label": "Reads",
    }));
    render(&c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::stats::{
        ClassReads, MoleculeStats, NcrnaSettings, ReferenceStats, RunSettings, SampleNcrna, Verdict,
    };

    fn sample(name: &str, verdict: Verdict) -> SampleStats {
        let mut st = SampleStats {
            sample: name.into(),
            reads_in: 1000,
            adapter_found: 900,
            no_adapter: 100,
            too_short: 150,
            adapter_dimers: 50,
            too_long: 20,
            inserts: 730,
            assigned_mature: 500,
            hairpin_only: 30,
            unassigned: 200,
            mirnas_detected: 42,
            ..Default::default()
        };
        st.qc.insert_lengths = vec![50, 0, 3, 0, 7];
        st.qc.verdict = Some(verdict);
        st
    }

    fn run(adapter: Option<&str>, samples: Vec<SampleStats>) -> RunStats {
        RunStats {
            mirq_version: "0.1.0".into(),
            engine: "cpu".into(),
            threads: 1,
            reference: ReferenceStats {
                fingerprint: "0".into(),
                species: "hsa".into(),
                mature: "m.fa".into(),
                ..Default::default()
            },
            settings: RunSettings {
                protocol: "illumina".into(),
                adapter: adapter.map(String::from),
                min_length: 16,
                max_length: 40,
                adapter_error_rate: 0.1,
                adapter_min_overlap: 3,
                database: "miRBase".into(),
                mismatches: 1,
                max_nontemplated: 3,
                window_5p: 3,
                window_3p: 5,
                ..Default::default()
            },
            samples,
            ..Default::default()
        }
    }

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("valid JSON")
    }

    #[test]
    fn general_stats_has_every_column_and_sample() {
        let mut b = sample("b", Verdict::Fail);
        b.molecules = Some(MoleculeStats {
            total: 77,
            ..Default::default()
        });
        let stats = run(Some("TGGAATTC"), vec![sample("a", Verdict::Pass), b]);
        let text = general_stats(&stats);
        let v = parse(&text);
        assert_eq!(v["id"], "mirq_general_stats");
        assert_eq!(v["plot_type"], "generalstats");
        assert_eq!(v["namespace"], "mirq");
        // headers in table order, whatever serde_json's map does
        let order: Vec<usize> = GENERAL_STATS_COLUMNS
            .iter()
            .map(|c| text.find(&format!("\"{c}\": {{")).expect(c))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        let a = &v["data"]["a"];
        assert_eq!(a["reads"], 1000);
        assert_eq!(a["pct_adapter"], 90.0);
        assert_eq!(a["pct_mirna"], 50.0);
        assert_eq!(a["mirnas_detected"], 42);
        assert_eq!(a["qc_verdict"], "PASS");
        assert!(a.get("molecules").is_none());
        assert_eq!(v["data"]["b"]["molecules"], 77);
        assert_eq!(v["data"]["b"]["qc_verdict"], "FAIL");
        // samples in run order
        assert!(text.find("\"a\": {").unwrap() < text.find("\"b\": {").unwrap());
    }

    #[test]
    fn trimmed_reads_have_no_adapter_percentage_but_keep_the_header() {
        let mut st = sample("t", Verdict::Warn);
        st.adapter_found = 0;
        let v = parse(&general_stats(&run(None, vec![st])));
        assert!(v["data"]["t"].get("pct_adapter").is_none());
        assert!(v["headers"].get("pct_adapter").is_some());
        let empty = SampleStats {
            sample: "e".into(),
            ..Default::default()
        };
        let v = parse(&general_stats(&run(Some("A"), vec![empty])));
        assert!(v["data"]["e"].get("pct_mirna").is_none());
        assert_eq!(v["data"]["e"]["reads"], 0);
    }

    #[test]
    fn insert_lengths_is_one_series_per_sample_in_length_order() {
        let stats = run(
            Some("A"),
            vec![sample("a", Verdict::Pass), sample("b", Verdict::Pass)],
        );
        let text = insert_lengths(&stats);
        let v = parse(&text);
        assert_eq!(v["plot_type"], "linegraph");
        assert_eq!(v["id"], "mirq_insert_lengths");
        assert_eq!(v["parent_id"], "mirq");
        assert_eq!(v["pconfig"]["id"], "mirq_insert_lengths_plot");
        for s in ["a", "b"] {
            // [x, y] pairs, x numbers in ascending order (not object keys,
            // which MultiQC sorts as text)
            let series = v["data"][s].as_array().unwrap();
            assert_eq!(series.len(), 5);
            let xs: Vec<u64> = series.iter().map(|p| p[0].as_u64().unwrap()).collect();
            assert_eq!(xs, [0, 1, 2, 3, 4]);
            assert_eq!(series[0][1], 50);
            assert_eq!(series[4][1], 7);
        }
    }

    #[test]
    fn composition_counts_sum_to_reads_and_match_categories() {
        let st = sample("a", Verdict::Pass);
        let counts = composition_counts(&st, None, &[]);
        assert_eq!(counts.iter().sum::<u64>(), st.reads_in);
        // the same classes, in the same order, as stats.json's fractions
        let fractions = crate::output::qc::composition(&st);
        let f = serde_json::to_value(&fractions).unwrap();
        assert_eq!(composition_categories(None, &[]).len(), counts.len());
        // the artifact and exogenous fractions are there when those stages ran
        let optional = ["artifact", "exogenous_mirna"];
        for ((key, _, _), n) in COMPOSITION_CATEGORIES.iter().zip(counts) {
            let frac = match f[key].as_f64() {
                Some(frac) => frac,
                None if optional.contains(key) => 0.0,
                None => panic!("{key} in stats"),
            };
            assert!(
                (frac - n as f64 / st.reads_in as f64).abs() < 1e-12,
                "{key}"
            );
        }
        assert_eq!(
            f.as_object().unwrap().len(),
            COMPOSITION_CATEGORIES.len() - optional.len()
        );
        let v = parse(&composition(&run(Some("A"), vec![st])));
        assert_eq!(v["plot_type"], "bargraph");
        assert_eq!(v["id"], "mirq_composition");
        assert_eq!(v["categories"]["mature_mirna"]["name"], "Mature miRNA");
        assert_eq!(v["data"]["a"]["mature_mirna"], 500);
        assert_eq!(v["data"]["a"]["too_short"], 100);
        assert_eq!(v["data"]["a"]["adapter_dimer"], 50);
        assert_eq!(v["pconfig"]["id"], "mirq_composition_plot");
        assert!(ncrna_general_stats(&run(Some("A"), vec![])).is_none());
    }

    /// Sample `a` of [`sample`] with 120 of its 200 unassigned reads on
    /// ncRNAs: 70 tRNA, 0 YRNA, 40 rRNA (in that class order), 10 antisense.
    fn ncrna_run() -> RunStats {
        let mut st = sample("a", Verdict::Pass);
        st.unassigned = 80;
        let class = |class: &str, reads, antisense| ClassReads {
            class: class.into(),
            reads,
            antisense,
        };
        st.ncrna = Some(SampleNcrna {
            classes: vec![
                class("tRNA", 70, 4),
                class("YRNA", 0, 6),
                class("rRNA", 40, 0),
            ],
            ..Default::default()
        });
        let mut stats = run(Some("A"), vec![st]);
        stats.settings.ncrna = Some(NcrnaSettings {
            classes: ["tRNA", "YRNA", "rRNA"].map(String::from).to_vec(),
            ..Default::default()
        });
        stats
    }

    #[test]
    fn with_ncrna_the_composition_has_a_category_per_class_and_still_sums() {
        let stats = ncrna_run();
        let st = &stats.samples[0];
        let classes = ncrna_classes(&stats);
        let screens = vec!["ecoli".to_string()];
        let categories = composition_categories(classes, &screens);
        let keys: Vec<&str> = categories.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "mature_mirna",
                "hairpin_only",
                "ncrna_tRNA",
                "ncrna_YRNA",
                "ncrna_rRNA",
                "ncrna_antisense",
                "exogenous_mirna",
                "screen_ecoli",
                "unassigned",
                "artifact",
                "adapter_dimer",
                "too_short",
                "too_long",
                "no_adapter",
                "umi_missing"
            ]
        );
        let colours: std::collections::HashSet<&str> =
            categories.iter().map(|c| c.colour.as_str()).collect();
        assert_eq!(colours.len(), categories.len(), "colours repeat");
        // sixteen classes still take colours of their own
        let many: Vec<String> = (0..NCRNA_COLOURS.len()).map(|i| format!("c{i}")).collect();
        let all = composition_categories(Some(&many), &[]);
        let colours: std::collections::HashSet<&str> =
            all.iter().map(|c| c.colour.as_str()).collect();
        assert_eq!(colours.len(), all.len(), "colours repeat");
        let counts = composition_counts(st, classes, &screens);
        assert_eq!(
            counts,
            [500, 30, 70, 0, 40, 10, 0, 0, 80, 0, 50, 100, 20, 100, 0]
        );
        assert_eq!(counts.iter().sum::<u64>(), st.reads_in);
        // the same figures as stats.json's fractions
        let f = crate::output::qc::composition(st);
        let shares: Vec<f64> = f.ncrna.iter().map(|c| c.fraction).collect();
        assert_eq!(shares, [0.07, 0.0, 0.04]);
        assert_eq!(f.ncrna_antisense, Some(0.01));
        let v = parse(&composition(&stats));
        assert_eq!(v["id"], "mirq_composition_ncrna");
        assert_eq!(v["pconfig"]["id"], "mirq_composition_ncrna_plot");
        assert_eq!(v["categories"]["ncrna_tRNA"]["name"], "tRNA");
        assert_eq!(
            v["categories"]["ncrna_antisense"]["name"],
            "ncRNA antisense"
        );
        assert_eq!(v["data"]["a"]["ncrna_rRNA"], 40);
        assert_eq!(v["data"]["a"]["unassigned"], 80);
        // categories in plot order, whatever serde_json's map does
        let text = composition(&stats);
        let at: Vec<usize> = keys
            .iter()
            .filter(|k| !k.starts_with("screen_"))
            .map(|k| text.find(&format!("\"{k}\": {{")).expect(k))
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    }

    /// Sample `a` of [`sample`] with the origin cascade's figures: 20
    /// artifact reads, 60 on other species' miRNAs (mmu 45.5, rno 12, 2.5
    /// of others), 5 on a screen reference; the reads fit mmu.
    fn origin_run() -> RunStats {
        use crate::count::species::SpeciesFit;
        use crate::output::stats::{
            ArtifactSettings, CladeReads, CladeSettings, ExogenousSettings, SampleArtifacts,
            SampleExogenous, SampleScreen, ScreenSettings, SpeciesReads,
        };
        let mut st = sample("a", Verdict::Pass);
        st.unassigned = 115;
        st.artifact = Some(SampleArtifacts {
            reads: 20,
            ..Default::default()
        });
        let species = |species: &str, reads| SpeciesReads {
            species: species.into(),
            reads,
        };
        st.exogenous = Some(SampleExogenous {
            reads: 60,
            species: vec![species("mmu", 45.5), species("rno", 12.0)],
            other_species_reads: 2.5,
        });
        st.screen = vec![SampleScreen {
            reference: "ecoli".into(),
            reads: 5,
            ..Default::default()
        }];
        st.species_fit = Some(SpeciesFit {
            species: "hsa".into(),
            reads_checked: 700,
            species_reads: 2,
            species_keys: 1,
            other_species: Some("mmu".into()),
            other_reads: 40,
            other_keys: 9,
            verdict: SpeciesVerdict::OtherSpecies,
        });
        st.clades = vec![CladeReads {
            clade: "rodents".into(),
            reads: 30,
        }];
        let mut stats = run(Some("A"), vec![st]);
        let s = &mut stats.settings;
        s.artifacts = Some(ArtifactSettings::default());
        s.exogenous = Some(ExogenousSettings {
            min_reads: 3.0,
            ..Default::default()
        });
        s.screen = vec![ScreenSettings {
            name: "ecoli".into(),
            ..Default::default()
        }];
        s.species_fit = true;
        s.clades = Some(CladeSettings {
            clades: vec!["primates".into(), "rodents".into()],
            ..Default::default()
        });
        stats
    }

    #[test]
    fn origin_general_stats_give_the_shares_and_the_species_fit() {
        let stats = origin_run();
        let text = origin_general_stats(&stats).expect("the origin cascade ran");
        let v = parse(&text);
        assert_eq!(v["id"], "mirq_origin_general_stats");
        assert_eq!(v["plot_type"], "generalstats");
        assert_eq!(v["namespace"], "mirq");
        let a = &v["data"]["a"];
        assert_eq!(a["pct_artifact"], 2.0);
        assert_eq!(a["pct_exogenous"], 6.0);
        assert_eq!(a["pct_screen"], 0.5);
        assert_eq!(a["species_fit"], "other: mmu");
        let order: Vec<usize> = ORIGIN_GENERAL_STATS_COLUMNS
            .iter()
            .map(|c| text.find(&format!("\"{c}\": {{")).expect(c))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
        let rules = &v["headers"]["species_fit"]["cond_formatting_rules"];
        assert_eq!(rules["pass"][0]["s_eq"], "fits");
        // every label, and the rules colour each as it should
        let mut fit = stats.samples[0].species_fit.clone().unwrap();
        for (verdict, label) in [
            (SpeciesVerdict::Fits, "fits"),
            (SpeciesVerdict::Mixed, "mixed: mmu"),
            (SpeciesVerdict::OtherSpecies, "other: mmu"),
            (SpeciesVerdict::TooFewReads, "too few reads"),
        ] {
            fit.verdict = verdict;
            assert_eq!(species_fit_label(&fit), label);
        }
        // without --screen no screen share; without the cascade a file with
        // no value
        let mut stats = origin_run();
        stats.settings.screen.clear();
        let v = parse(&origin_general_stats(&stats).unwrap());
        assert!(v["data"]["a"].get("pct_screen").is_none());
        let plain = run(Some("A"), vec![sample("a", Verdict::Pass)]);
        let v = parse(&origin_general_stats(&plain).expect("always written"));
        assert_eq!(v["data"]["a"].as_object().map(|o| o.len()), Some(0));
        assert!(exogenous(&plain).is_none());
        assert!(clades(&plain).is_none());
    }

    #[test]
    fn exogenous_and_clade_plots_have_every_read_and_no_categories() {
        let stats = origin_run();
        let text = exogenous(&stats).expect("reads on other species' miRNAs");
        let v = parse(&text);
        assert_eq!(v["id"], "mirq_exogenous");
        assert_eq!(v["plot_type"], "bargraph");
        assert_eq!(v["parent_id"], "mirq");
        assert_eq!(v["pconfig"]["id"], "mirq_exogenous_plot");
        // categories from the data, so that runs with other species pool
        assert!(v.get("categories").is_none());
        let a = v["data"]["a"].as_object().unwrap();
        assert_eq!(a["mmu"], 45.5);
        assert_eq!(a["other (< 3 reads each)"], 2.5);
        let total: f64 = a.values().map(|x| x.as_f64().unwrap()).sum();
        assert_eq!(total, 60.0);
        assert!(text.find("\"mmu\"").unwrap() < text.find("\"rno\"").unwrap());
        let v = parse(&clades(&stats).expect("--clades"));
        assert_eq!(v["id"], "mirq_clades");
        assert_eq!(v["pconfig"]["id"], "mirq_clades_plot");
        assert!(v.get("categories").is_none());
        assert_eq!(v["data"]["a"]["rodents"], 30);
        assert_eq!(v["data"]["a"]["primates"], 0);
        // no plot of other species' miRNAs when no sample has any
        let mut none = origin_run();
        if let Some(e) = &mut none.samples[0].exogenous {
            *e = Default::default();
        }
        assert!(exogenous(&none).is_none());
    }

    #[test]
    fn ncrna_general_stats_give_the_class_shares() {
        let v = parse(&ncrna_general_stats(&ncrna_run()).expect("with --ncrna"));
        assert_eq!(v["plot_type"], "generalstats");
        assert_eq!(v["namespace"], "mirq");
        let a = &v["data"]["a"];
        assert_eq!(a["pct_ncrna"], 11.0);
        assert_eq!(a["pct_trna"], 7.0);
        assert_eq!(a["pct_rrna"], 4.0);
        for key in NCRNA_GENERAL_STATS_COLUMNS {
            assert!(v["headers"].get(key).is_some(), "{key}");
        }
        // a run without an rRNA class has no rRNA share
        let mut stats = ncrna_run();
        if let Some(n) = &mut stats.samples[0].ncrna {
            n.classes.pop();
        }
        let v = parse(&ncrna_general_stats(&stats).unwrap());
        assert!(v["data"]["a"].get("pct_rrna").is_none());
        assert_eq!(v["data"]["a"]["pct_ncrna"], 7.0);
    }
}

//! MultiQC custom content: three `*_mqc.json` files under `multiqc/` that
//! MultiQC picks up with no plugin (its built-in `custom_content` module).
//!
//! - `multiqc/mirq_general_stats_mqc.json` (`plot_type: generalstats`):
//!   columns in the General Statistics table, namespace `mirq`: reads, % of
//!   reads with the adapter (absent when reads come trimmed), % of reads
//!   assigned to mature miRNAs, miRNAs detected, molecules (with `--dedup`)
//!   and the QC verdict as the text `PASS`, `WARN` or `FAIL` (MultiQC's
//!   default table rules colour those words green, orange and red).
//! - `multiqc/mirq_insert_lengths_mqc.json` (`plot_type: linegraph`): reads
//!   by insert length, one series per sample (the data of
//!   `qc/<sample>.length.tsv`), each a list of `[length, reads]` pairs with
//!   numeric x in ascending order: MultiQC (1.35) plots the keys of a
//!   `{x: y}` object as text and sorts them so (`0, 1, 10, 11, …, 2, 20`),
//!   while pairs keep their numbers.
//! - `multiqc/mirq_composition_mqc.json` (`plot_type: bargraph`): what became
//!   of each sample's reads, in read counts, one bar per sample, one category
//!   per composition class of `stats.json` (MultiQC adds the percentage view).
//!
//! Ids are fixed and prefixed `mirq`; the two plots are sections of one
//! report module, `mirq`. Every file carries all its headers and categories
//! whatever the run (a value that does not apply is left out, and MultiQC
//! drops empty columns), so files of per-sample runs can be given to one
//! MultiQC call: sections with the same id pool their samples.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde::Serialize as DeriveSerialize;
use serde_json::{json, Value};

use crate::error::Result;
use crate::output::stats::{RunStats, SampleStats};
use crate::output::StagedOutputs;

/// General Statistics columns, relative to the output directory.
pub const GENERAL_STATS: &str = "multiqc/mirq_general_stats_mqc.json";
/// Insert length line plot.
pub const INSERT_LENGTHS: &str = "multiqc/mirq_insert_lengths_mqc.json";
/// Read composition bar plot.
pub const COMPOSITION: &str = "multiqc/mirq_composition_mqc.json";

/// Report module the plots belong to.
const PARENT_ID: &str = "mirq";
const PARENT_NAME: &str = "mirq";
const PARENT_DESCRIPTION: &str =
    "microRNA quantification: insert lengths and read composition per sample.";

/// Stages the three files through `out`.
pub fn write(out: &StagedOutputs, stats: &RunStats) -> Result<()> {
    for (rel, text) in [
        (GENERAL_STATS, general_stats(stats)),
        (INSERT_LENGTHS, insert_lengths(stats)),
        (COMPOSITION, composition(stats)),
    ] {
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
    (whole > 0).then(|| (part as f64 * 100.0 / whole as f64 * 1e4).round() / 1e4)
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
pub const COMPOSITION_CATEGORIES: [(&str, &str, &str); 8] = [
    ("mature_mirna", "Mature miRNA", "#2ca02c"),
    ("hairpin_only", "Hairpin only", "#98df8a"),
    ("unassigned", "Unassigned insert", "#7f7f7f"),
    ("adapter_dimer", "Adapter dimer", "#d62728"),
    ("too_short", "Too short", "#ff9896"),
    ("too_long", "Too long", "#9467bd"),
    ("no_adapter", "No adapter", "#ff7f0e"),
    ("umi_missing", "No whole UMI", "#bcbd22"),
];

/// Reads of one sample by composition class, in [`COMPOSITION_CATEGORIES`]
/// order; they sum to the reads read.
pub fn composition_counts(st: &SampleStats) -> [u64; 8] {
    [
        st.assigned_mature,
        st.hairpin_only,
        st.unassigned,
        st.adapter_dimers,
        st.too_short.saturating_sub(st.adapter_dimers),
        st.too_long,
        st.no_adapter,
        st.umi_missing,
    ]
}

/// The read composition bar plot.
pub fn composition(stats: &RunStats) -> String {
    let categories = COMPOSITION_CATEGORIES
        .iter()
        .map(|(key, name, color)| (key.to_string(), json!({"name": name, "color": color})))
        .collect();
    let data = stats
        .samples
        .iter()
        .map(|st| {
            let row = COMPOSITION_CATEGORIES
                .iter()
                .zip(composition_counts(st))
                .map(|((key, _, _), n)| (key.to_string(), n))
                .collect();
            (st.sample.clone(), Ordered(row))
        })
        .collect();
    let mut c = Content::new("mirq_composition", "bargraph", Ordered(data)).section(
        "Read composition",
        "What became of each sample's reads: assigned to mature miRNAs, on a hairpin \
         outside every mature window, an insert of a counted length with no hit, adapter \
         dimer, too short or too long an insert, no adapter found, no whole UMI (--dedup).",
    );
    c.categories = Some(Ordered(categories));
    c.pconfig = Some(json!({
        "id": "mirq_composition_plot",
        "title": "mirq: read composition",
        "ylab": "Reads",
        "cpswitch_counts_label": "Reads",
    }));
    render(&c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::stats::{MoleculeStats, ReferenceStats, RunSettings, Verdict};

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
        let counts = composition_counts(&st);
        assert_eq!(counts.iter().sum::<u64>(), st.reads_in);
        // the same classes, in the same order, as stats.json's fractions
        let fractions = crate::output::qc::composition(&st);
        let f = serde_json::to_value(&fractions).unwrap();
        for ((key, _, _), n) in COMPOSITION_CATEGORIES.iter().zip(counts) {
            let frac = f[key].as_f64().unwrap_or_else(|| panic!("{key} in stats"));
            assert!(
                (frac - n as f64 / st.reads_in as f64).abs() < 1e-12,
                "{key}"
            );
        }
        assert_eq!(f.as_object().unwrap().len(), COMPOSITION_CATEGORIES.len());
        let v = parse(&composition(&run(Some("A"), vec![st])));
        assert_eq!(v["plot_type"], "bargraph");
        assert_eq!(v["id"], "mirq_composition");
        assert_eq!(v["categories"]["mature_mirna"]["name"], "Mature miRNA");
        assert_eq!(v["data"]["a"]["mature_mirna"], 500);
        assert_eq!(v["data"]["a"]["too_short"], 100);
        assert_eq!(v["data"]["a"]["adapter_dimer"], 50);
    }
}

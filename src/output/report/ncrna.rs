//! The report's ncRNA figures, on the page of a run with `--ncrna` only:
//! each class's reads per sample (stats.json), and the tRNA isoacceptors
//! with the most reads (ncrna_features.tsv).

use std::fmt::Write as _;

use super::{esc, shares_heatmap, top_shares, Figure, ReportInput};
use crate::error::Result;
use crate::numbers::thousands;
use crate::output::report::figures::{share_text, Heatmap};
use crate::output::stats::SampleStats;

/// Element ids of the ncRNA figures, in page order (after the composition).
pub const NCRNA_FIGURE_IDS: [&str; 2] = ["fig-ncrna-classes", "fig-trnas"];

/// A sample's reads counted for `class` (0 when it has none).
fn class_reads(s: &SampleStats, class: &str) -> u64 {
    s.ncrna
        .iter()
        .flat_map(|n| &n.classes)
        .find(|c| c.class == class)
        .map_or(0, |c| c.reads)
}

/// ncRNA classes per sample: a heatmap of % of the reads read (the
/// denominator of the composition bars and of MultiQC), and a table of
/// every sample's reads under it.
pub(super) fn classes(input: &ReportInput, classes: &[String]) -> Result<Figure> {
    let title = "ncRNA classes";
    let mut note = "Reads counted for each ncRNA class (--ncrna), as % of the sample's reads \
                    read (as in the composition bars and in MultiQC): the reads that are not \
                    miRNAs, by what they are."
        .to_string();
    let (seen, unseen): (Vec<&String>, Vec<&String>) = classes
        .iter()
        .partition(|c| input.stats.samples.iter().any(|s| class_reads(s, c) > 0));
    if !unseen.is_empty() {
        let names: Vec<&str> = unseen.iter().map(|c| c.as_str()).collect();
        let _ = write!(note, " No read on {}.", names.join(", "));
    }
    if seen.is_empty() || input.stats.samples.is_empty() {
        return Ok((title, note, None));
    }
    let values: Vec<Vec<f64>> = input
        .stats
        .samples
        .iter()
        .map(|s| {
            seen.iter()
                .map(|c| match s.reads_in {
                    0 => f64::NAN,
                    n => 100.0 * class_reads(s, c) as f64 / n as f64,
                })
                .collect()
        })
        .collect();
    let max = super::figures::finite(&values).fold(0.0, f64::max);
    let cols: Vec<String> = seen.iter().map(|c| c.to_string()).collect();
    let mut body = Heatmap {
        rows: &input.sample_names(),
        cols: &cols,
        values: &values,
        scale: (0.0, max),
        scale_desc: "% of reads",
        numeric_cols: false,
        x_desc: "",
        cell_text: Some(share_text),
    }
    .draw("ncrna-classes")?;
    body.push_str(&reads_table(&input.stats.samples, &seen));
    Ok((title, note, Some(body)))
}

/// `100 * part / whole` as the heatmap's cells print it.
fn small_share(part: u64, whole: u64) -> String {
    share_text(100.0 * part as f64 / whole.max(1) as f64)
}

/// Every sample's reads per class (`classes`: those with reads) and the
/// reads on ncRNAs antisense only, each over its % of the reads read, in a
/// table that opens on a click.
fn reads_table(samples: &[SampleStats], classes: &[&String]) -> String {
    let mut html = String::from(
        "<details><summary>Reads of each class, per sample</summary>\n\
         <table class=\"samples\">\n<thead><tr><th>Sample</th><th>Reads</th>",
    );
    for class in classes {
        // long names (compare_mirtrace_tRNAdb_tRNA) may break after a `_`
        let _ = write!(html, "<th>{}</th>", esc(class).replace('_', "_<wbr>"));
    }
    html.push_str("<th>All classes</th><th>Antisense only</th></tr></thead>\n<tbody>\n");
    let cell = |reads: u64, of: u64| {
        format!(
            "<td class=\"n\">{}<br><small>{}%</small></td>",
            thousands(reads),
            small_share(reads, of)
        )
    };
    for s in samples {
        let _ = write!(
            html,
            "<tr><td>{}</td><td class=\"n\">{}</td>",
            esc(&s.sample),
            thousands(s.reads_in)
        );
        for class in classes {
            html.push_str(&cell(class_reads(s, class), s.reads_in));
        }
        let (sense, antisense) = s
            .ncrna
            .as_ref()
            .map_or((0, 0), |n| (n.sense(), n.antisense()));
        html.push_str(&cell(sense, s.reads_in));
        html.push_str(&cell(antisense, s.reads_in));
        html.push_str("</tr>\n");
    }
    html.push_str(
        "</tbody>\n</table>\n<p class=\"note\">Reads, and under them % of the sample's \
         reads read.</p>\n</details>\n",
    );
    html
}

/// The top 20 tRNA isoacceptors' shares of each sample's tRNA counts: a
/// heatmap.
pub(super) fn trnas(input: &ReportInput) -> Result<Figure> {
    let title = "Top 20 tRNA isoacceptors";
    let note = "The 20 tRNA isoacceptors with the largest mean share, as % of each sample's \
                tRNA counts (ncrna_features.tsv, part all: any fragment; a read on k \
                isoacceptors counts 1/k on each)."
        .to_string();
    let Some(groups) = &input.ncrna_groups else {
        return Ok((title, note + " This run wrote no ncrna_features.tsv.", None));
    };
    let (names, counts) = groups.of_class("tRNA");
    if names.is_empty() {
        return Ok((title, note + " This run has no tRNA class.", None));
    }
    let (top, shares) = top_shares(&names, &counts, 20);
    if top.is_empty() {
        return Ok((title, note + " No sample has a tRNA read.", None));
    }
    let body = shares_heatmap(input, (&top, &shares), "% of tRNA counts", "trnas")?;
    Ok((title, note, Some(body)))
}

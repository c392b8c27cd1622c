//! The report's sample–sample figures, correlation and PCA of log2(CPM + 1),
//! both on the miRNAs expressed in the samples compared ([`Expressed`]):
//! which miRNAs, by what rule, and the figures.

use std::fmt::Write as _;

use super::{esc, figures, log_cpm, pearson, Figure, Pca, ReportInput};
use crate::error::Result;
use crate::numbers::thousands;
use figures::Heatmap;

/// Counts (reads, or molecules with `--dedup`) a miRNA needs in a sample
/// to count as expressed there.
pub const MIN_COUNT: f64 = 5.0;
/// The count of the looser rule, taken when fewer than [`MIN_KEPT`] miRNAs
/// pass [`MIN_COUNT`].
pub const FALLBACK_COUNT: f64 = 1.0;
/// The fewest miRNAs the first rule must keep.
pub const MIN_KEPT: usize = 10;
/// The fewest miRNAs a correlation is drawn on (r of fewer points says
/// nothing).
pub const MIN_DRAWN: usize = 3;
/// Up to this many samples a miRNA must pass in every one (edgeR's
/// `large.n`); beyond, in this many and [`MIN_PROP`] of the rest.
const LARGE_N: usize = 10;
/// edgeR's `min.prop`.
const MIN_PROP: f64 = 0.7;

/// The miRNAs the correlation and PCA are computed on.
///
/// The rule: a miRNA is kept when it has at least [`MIN_COUNT`] (5) counts
/// in every sample compared; with more than 10 samples, in at least
/// 10 + ⌈0.7 (n − 10)⌉ of them. When fewer than [`MIN_KEPT`] (10) miRNAs
/// pass, the same with at least [`FALLBACK_COUNT`] (1) count. Samples with
/// no miRNA count are not compared (they have no log CPM).
///
/// Why: a small-RNA library has few miRNA reads (1–3 thousand in the COMPSRA
/// runs), and most miRNAs seen in any sample have 0–2 of them. Their log CPM
/// is sampling noise and zeros, and a correlation over them measures that
/// noise (r 0.37–0.57 between all six COMPSRA runs). The noise of a log CPM
/// is set by its count, not by its CPM, so the rule is in counts, in every
/// sample: at 5 counts the Poisson error is under half the value. It is
/// edgeR's `filterByExpr` idea (expressed in the smallest group: with no
/// design, every sample; relaxed beyond `large.n` = 10 samples by
/// `min.prop` = 0.7, so that one failed sample of forty does not empty the
/// set) with a count in place of its CPM cut. On the COMPSRA runs it keeps
/// 10 miRNAs, r 0.52–0.98, and PC1 parts samples 01–03 from 07–09.
#[derive(Debug, Clone, PartialEq)]
pub struct Expressed {
    /// The miRNAs kept (rows of the count table), ascending.
    pub rows: Vec<usize>,
    /// The samples compared: those with a miRNA count.
    pub samples: Vec<usize>,
    /// The count a kept miRNA has in [`Self::in_samples`] samples at least.
    pub min_count: f64,
    /// In how many of the samples compared.
    pub in_samples: usize,
    /// How many miRNAs passed [`MIN_COUNT`] (fewer than [`MIN_KEPT`]: the
    /// looser rule was taken).
    pub strict_kept: usize,
    /// miRNAs with a count in some sample.
    pub seen: usize,
}

/// In how many of `n` samples a miRNA must pass: all up to [`LARGE_N`],
/// then [`LARGE_N`] and [`MIN_PROP`] of the rest, rounded up.
pub fn samples_needed(n: usize) -> usize {
    if n <= LARGE_N {
        n
    } else {
        LARGE_N + ((n - LARGE_N) as f64 * MIN_PROP - 1e-9).ceil() as usize
    }
}

impl Expressed {
    /// The miRNAs of `counts` (one column per sample) that pass the rule.
    pub fn of(counts: &[Vec<f64>]) -> Self {
        let mirnas = counts.first().map_or(0, Vec::len);
        let samples: Vec<usize> = (0..counts.len())
            .filter(|&s| counts[s].iter().any(|&c| c > 0.0))
            .collect();
        let in_samples = samples_needed(samples.len());
        let pass = |min: f64| -> Vec<usize> {
            if samples.is_empty() {
                return Vec::new();
            }
            (0..mirnas)
                .filter(|&r| samples.iter().filter(|&&s| counts[s][r] >= min).count() >= in_samples)
                .collect()
        };
        let strict = pass(MIN_COUNT);
        let strict_kept = strict.len();
        let (rows, min_count) = if strict_kept >= MIN_KEPT {
            (strict, MIN_COUNT)
        } else {
            (pass(FALLBACK_COUNT), FALLBACK_COUNT)
        };
        let seen = (0..mirnas)
            .filter(|&r| counts.iter().any(|col| col[r] > 0.0))
            .count();
        Self {
            rows,
            samples,
            min_count,
            in_samples,
            strict_kept,
            seen,
        }
    }

    /// Whether the looser rule was taken.
    pub fn fell_back(&self) -> bool {
        self.min_count < MIN_COUNT
    }

    /// The rule and what it kept, for the line under a figure.
    pub fn note(&self) -> String {
        let n = self.samples.len();
        let rule = |min: f64| {
            let min = if min == 1.0 {
                "1 count".to_string()
            } else {
                format!("{min} counts")
            };
            if self.in_samples == n {
                format!("≥ {min} in every sample compared")
            } else {
                format!(
                    "≥ {min} in at least {} of the {n} samples compared",
                    self.in_samples
                )
            }
        };
        let mut note = "miRNAs expressed in the samples compared: ".to_string();
        if self.fell_back() {
            let _ = write!(
                note,
                "{} kept only {} miRNAs, fewer than {MIN_KEPT}, so the looser rule {} is \
                 taken.",
                rule(MIN_COUNT),
                self.strict_kept,
                rule(FALLBACK_COUNT)
            );
        } else {
            let _ = write!(
                note,
                "{} (≥ 1 count when fewer than {MIN_KEPT} miRNAs pass).",
                rule(MIN_COUNT),
            );
        }
        let _ = write!(
            note,
            " {} miRNAs kept, of {} with a count in some sample (mature_counts.tsv).",
            thousands(self.rows.len() as u64),
            thousands(self.seen as u64),
        );
        note
    }

    /// [`Self::note`] as a paragraph under a figure.
    fn html(&self) -> String {
        format!("<p class=\"note\">{}</p>\n", esc(&self.note()))
    }
}

/// Sample–sample Pearson correlation of log CPM: a heatmap, its colours on
/// a fixed r from 0 to 1, the miRNA rule under it, and every r in a table.
pub(super) fn correlation(input: &ReportInput) -> Result<Figure> {
    let title = "Sample correlation";
    let mut note = "Pearson correlation between samples of log2(CPM + 1), on the miRNAs \
                    expressed in the samples compared (the rule is under the figure). Colours \
                    on a fixed scale from r = 0 to 1 (an r below 0 takes the colour of 0)."
        .to_string();
    let names = input.sample_names();
    if names.len() < 2 {
        return Ok((title, note + " It needs two samples.", None));
    }
    let expressed = Expressed::of(&input.counts);
    if expressed.samples.len() < 2 || expressed.rows.len() < MIN_DRAWN {
        let _ = write!(
            note,
            " It needs two samples with miRNA counts and {MIN_DRAWN} miRNAs kept. {}",
            expressed.note()
        );
        return Ok((title, note, None));
    }
    let left_out = left_out(&names, &expressed);
    if !left_out.is_empty() {
        let _ = write!(
            note,
            " No miRNA count, not compared (grey): {}.",
            left_out.join(", ")
        );
    }
    let logs = log_cpm(&input.counts, &expressed.rows);
    let compared = |s: usize| expressed.samples.contains(&s);
    let values: Vec<Vec<f64>> = (0..names.len())
        .map(|a| {
            (0..names.len())
                .map(|b| {
                    if compared(a) && compared(b) {
                        pearson(&logs[a], &logs[b])
                    } else {
                        f64::NAN
                    }
                })
                .collect()
        })
        .collect();
    let mut body = Heatmap {
        rows: &names,
        cols: &names,
        values: &values,
        scale: (0.0, 1.0),
        scale_desc: "Pearson r",
        numeric_cols: false,
        x_desc: "",
        cell_text: (names.len() <= 16).then_some(two_decimals as fn(f64) -> String),
    }
    .draw("correlation")?;
    body.push_str(&expressed.html());
    body.push_str(&r_table(&names, &values));
    Ok((title, note, Some(body)))
}

/// The samples that are not compared (no miRNA count), escaped.
fn left_out(names: &[String], expressed: &Expressed) -> Vec<String> {
    (0..names.len())
        .filter(|s| !expressed.samples.contains(s))
        .map(|s| esc(&names[s]))
        .collect()
}

/// Every r, three decimals, in a table that opens on a click.
fn r_table(names: &[String], values: &[Vec<f64>]) -> String {
    let mut html = String::from(
        "<details><summary>r of every pair of samples</summary>\n<table class=\"kv\">\n\
         <tr><th></th>",
    );
    for name in names {
        let _ = write!(html, "<th>{}</th>", esc(name));
    }
    html.push_str("</tr>\n");
    for (name, row) in names.iter().zip(values) {
        let _ = write!(html, "<tr><th>{}</th>", esc(name));
        for v in row {
            if v.is_finite() {
                let _ = write!(html, "<td>{v:.3}</td>");
            } else {
                html.push_str("<td>–</td>");
            }
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</table>\n</details>\n");
    html
}

fn two_decimals(v: f64) -> String {
    format!("{v:.2}")
}

/// PCA of log CPM: a labelled scatter plot, the miRNA rule under it, and
/// every sample's PC1 and PC2 in a table.
pub(super) fn pca(input: &ReportInput) -> Result<Figure> {
    let mut note = "Principal components of log2(CPM + 1), miRNAs centred across samples, on \
                    the miRNAs expressed in the samples compared (the rule is under the \
                    figure)."
        .to_string();
    let expressed = Expressed::of(&input.counts);
    let logs = log_cpm(&input.counts, &expressed.rows);
    let compared: Vec<Vec<f64>> = expressed.samples.iter().map(|&s| logs[s].clone()).collect();
    let pca = Pca::of(&compared).filter(|_| expressed.rows.len() >= 2);
    let Some(pca) = pca else {
        note.push_str(" It needs three samples with counts that differ, and two miRNAs kept.");
        if input.stats.samples.len() >= 3 {
            let _ = write!(note, " {}", expressed.note());
        }
        return Ok(("PCA", note, None));
    };
    let all = input.sample_names();
    let left_out = left_out(&all, &expressed);
    if !left_out.is_empty() {
        let _ = write!(note, " No miRNA count, left out: {}.", left_out.join(", "));
    }
    note.push_str(
        " A label that would cover another is left out: the table under the plot has every \
         sample.",
    );
    let axes = (
        format!("PC1 ({:.1}% of variance)", 100.0 * pca.explained.0),
        format!("PC2 ({:.1}% of variance)", 100.0 * pca.explained.1),
    );
    let names: Vec<String> = expressed.samples.iter().map(|&s| all[s].clone()).collect();
    let mut body = figures::scatter("pca", &names, &pca.scores, (&axes.0, &axes.1))?;
    body.push_str(&expressed.html());
    body.push_str(
        "<details><summary>PC1 and PC2 of every sample</summary>\n<table class=\"kv\">\n\
         <tr><th>Sample</th><th>PC1</th><th>PC2</th></tr>\n",
    );
    for (name, (x, y)) in names.iter().zip(&pca.scores) {
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{x:.3}</td><td>{y:.3}</td></tr>",
            esc(name)
        );
    }
    body.push_str("</table>\n</details>\n");
    Ok(("PCA", note, Some(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns of `rows` (one row per miRNA, one value per sample).
    fn columns(rows: &[&[f64]]) -> Vec<Vec<f64>> {
        (0..rows[0].len())
            .map(|s| rows.iter().map(|r| r[s]).collect())
            .collect()
    }

    #[test]
    fn samples_needed_follow_filter_by_expr() {
        assert_eq!(samples_needed(0), 0);
        assert_eq!(samples_needed(6), 6);
        assert_eq!(samples_needed(10), 10);
        assert_eq!(samples_needed(11), 11);
        assert_eq!(samples_needed(20), 17);
        assert_eq!(samples_needed(40), 31);
    }

    #[test]
    fn the_rule_keeps_mirnas_with_five_counts_in_every_sample() {
        // 10 miRNAs at 5+ everywhere, one at 5 but 4 in a sample, one at 0
        // in a sample, and an empty sample that is not compared
        let mut rows: Vec<Vec<f64>> = (0..10).map(|i| vec![5.0 + i as f64, 9.0, 0.0]).collect();
        rows.push(vec![5.0, 4.0, 0.0]);
        rows.push(vec![100.0, 0.0, 0.0]);
        let refs: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
        let e = Expressed::of(&columns(&refs));
        assert_eq!(e.rows, (0..10).collect::<Vec<_>>());
        assert_eq!(e.samples, [0, 1]);
        assert_eq!((e.min_count, e.in_samples, e.seen), (5.0, 2, 12));
        assert!(!e.fell_back());
        assert!(
            e.note().contains(
                "≥ 5 counts in every sample compared (≥ 1 count when fewer than 10 miRNAs \
             pass). 10 miRNAs kept, of 12"
            ),
            "{}",
            e.note()
        );
        // nine pass: the looser rule, which also takes the one at 4
        let e = Expressed::of(&columns(&refs[1..]));
        assert_eq!(e.rows, (0..10).collect::<Vec<_>>());
        assert_eq!((e.min_count, e.strict_kept), (1.0, 9));
        assert!(
            e.note().contains("kept only 9 miRNAs, fewer than 10"),
            "{}",
            e.note()
        );
        // no count at all: nothing kept, nothing compared
        let e = Expressed::of(&[vec![0.0; 3], vec![0.0; 3]]);
        assert!(e.rows.is_empty() && e.samples.is_empty());
    }
}

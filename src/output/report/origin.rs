//! The report's parts on where the reads come from (the origin cascade):
//! the run summary's lines on the artifact list, the other species
//! searched, the screen references and the clade lists; the sample table's
//! species fit and shares; a warning line per sample whose reads fit
//! another species; and two figures, on a run that has them: the reads on
//! other species' miRNAs by species ([`ORIGIN_FIGURE_IDS`]`[0]`, when a
//! sample has any) and the reads on clade-specific miRNA families
//! (`[1]`, with `--clades`).

use std::fmt::Write as _;

use super::{esc, figures, Figure, ReportInput};
use crate::count::species::SpeciesVerdict;
use crate::error::Result;
use crate::numbers::thousands;
use crate::output::stats::{RunSettings, SampleStats};
use figures::{Heatmap, Stack, GREY};

/// Element ids of the origin figures, in page order (after the
/// composition and the ncRNA figures), each on the page of a run that has
/// it.
pub const ORIGIN_FIGURE_IDS: [&str; 2] = ["fig-exogenous", "fig-clades"];

/// Species named in the other species' figure; the rest are `other`.
pub const TOP_SPECIES: usize = 8;

/// Keys of `settings` that have run summary lines of their own (left out
/// of the *Settings* line).
pub(super) const OWN_LINES: [&str; 5] =
    ["artifacts", "exogenous", "screen", "species_fit", "clades"];

/// The run summary's lines (name, text) on the origin cascade's settings:
/// those of the stages that ran.
pub(super) fn summary_rows(settings: &RunSettings) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    let n = |x: usize| thousands(x as u64);
    if let Some(a) = &settings.artifacts {
        rows.push((
            "Artifacts".into(),
            format!(
                "{} adapter/primer sequences ({}); fingerprint {}",
                n(a.sequences),
                a.source.join(", "),
                a.fingerprint,
            ),
        ));
    }
    if let Some(e) = &settings.exogenous {
        rows.push((
            "Other species searched".into(),
            format!(
                "{} species of the reference files, {} mature miRNAs; inserts of {} nt or \
                 more; a species named in a sample with {} reads or more; fingerprint {}",
                n(e.species),
                n(e.matures),
                e.min_length,
                e.min_reads,
                e.fingerprint,
            ),
        ));
    }
    let fit = if settings.species_fit {
        "on: each sample's reads on mature starts of one species only, the given one's \
         against the best other's"
    } else {
        "off"
    };
    rows.push(("Species fit".into(), fit.into()));
    for r in &settings.screen {
        let min = |l: Option<usize>| l.map_or_else(|| "none".into(), |l| format!("{l} nt"));
        rows.push((
            format!("Screen: {}", r.name),
            format!(
                "{} record{}, {} bases ({}); shortest insert screened {} with no mismatch, \
                 {} with mismatches; fingerprint {}",
                n(r.records),
                if r.records == 1 { "" } else { "s" },
                n(r.bases),
                r.files.join(", "),
                min(r.min_length_exact),
                min(r.min_length_mismatch),
                r.fingerprint,
            ),
        ));
    }
    if let Some(c) = &settings.clades {
        rows.push((
            "Clades".into(),
            format!(
                "{} clades: {}; fingerprint {}",
                c.clades.len(),
                c.clades.join(", "),
                c.fingerprint,
            ),
        ));
        rows.push(("Clade lists".into(), c.files.join(", ")));
    }
    rows
}

/// The species fit warnings of the samples whose reads fit another species
/// better or as well (mixed), one line each.
pub(super) fn warnings(samples: &[SampleStats]) -> Vec<String> {
    samples
        .iter()
        .filter_map(|s| s.species_fit.as_ref()?.warning(&s.sample))
        .collect()
}

/// Which origin columns the sample table has: those of the stages that ran.
pub(super) struct Columns {
    species_fit: bool,
    artifact: bool,
    exogenous: bool,
    screen: bool,
}

impl Columns {
    pub(super) fn of(settings: &RunSettings) -> Self {
        Self {
            species_fit: settings.species_fit,
            artifact: settings.artifacts.is_some(),
            exogenous: settings.exogenous.is_some(),
            screen: !settings.screen.is_empty(),
        }
    }

    /// The header cells.
    pub(super) fn head(&self) -> String {
        let mut html = String::new();
        for (on, name) in [
            (self.species_fit, "Species fit"),
            (self.artifact, "% artifact"),
            (self.exogenous, "% other species' miRNA"),
            (self.screen, "% screen"),
        ] {
            if on {
                let _ = write!(html, "<th>{name}</th>");
            }
        }
        html
    }

    /// The table note's sentences on the columns (with a space before).
    pub(super) fn note(&self) -> String {
        let mut note = String::new();
        if self.species_fit {
            note.push_str(
                " Species fit: do the reads on mature starts of one species only fit the \
                 species given? Other species: another fits 4 times better; mixed: both fit.",
            );
        }
        if self.exogenous {
            note.push_str(" Other species' miRNA: the species with the most reads in brackets.");
        }
        if self.screen {
            note.push_str(" Screen: all screen references together.");
        }
        note
    }

    /// A sample's cells.
    pub(super) fn cells(&self, s: &SampleStats) -> String {
        let mut html = String::new();
        let pct = |reads: Option<u64>| reads.map_or("–".into(), |r| super::pct(r, s.reads_in));
        if self.species_fit {
            html.push_str(&fit_cell(s));
        }
        if self.artifact {
            let _ = write!(
                html,
                "<td class=\"n\">{}</td>",
                pct(s.artifact.as_ref().map(|a| a.reads))
            );
        }
        if self.exogenous {
            let e = s.exogenous.as_ref();
            let top = e
                .and_then(|e| e.species.first())
                .filter(|_| e.is_some_and(|e| e.reads > 0))
                .map_or(String::new(), |sp| format!(" ({})", esc(&sp.species)));
            let _ = write!(
                html,
                "<td class=\"n\">{}{top}</td>",
                pct(e.map(|e| e.reads))
            );
        }
        if self.screen {
            let reads = s.screen.iter().map(|r| r.reads).sum();
            let _ = write!(html, "<td class=\"n\">{}</td>", pct(Some(reads)));
        }
        html
    }
}

/// The species fit cell: the verdict, the other species when it fits
/// better or as well.
fn fit_cell(s: &SampleStats) -> String {
    let Some(fit) = &s.species_fit else {
        return "<td>–</td>".into();
    };
    let other = esc(fit.other_species.as_deref().unwrap_or("?"));
    let (class, text) = match fit.verdict {
        SpeciesVerdict::Fits => ("PASS", "fits".to_string()),
        SpeciesVerdict::Mixed => ("WARN", format!("mixed: {other}")),
        SpeciesVerdict::OtherSpecies => ("FAIL", format!("other species: {other}")),
        SpeciesVerdict::TooFewReads => ("", "too few reads".to_string()),
    };
    if class.is_empty() {
        format!("<td>{text}</td>")
    } else {
        format!("<td><span class=\"verdict {class}\">{text}</span></td>")
    }
}

/// Whether any sample has reads on other species' miRNAs.
pub(super) fn has_exogenous(input: &ReportInput) -> bool {
    input
        .stats
        .samples
        .iter()
        .any(|s| s.exogenous.as_ref().is_some_and(|e| e.reads > 0))
}

/// The run's clades, with `--clades`.
pub(super) fn clade_names(input: &ReportInput) -> Option<Vec<String>> {
    Some(input.stats.settings.clades.as_ref()?.clades.clone())
}

/// A sample's reads on `species`' miRNAs (0 when not named in it).
fn species_reads(s: &SampleStats, species: &str) -> f64 {
    s.exogenous
        .iter()
        .flat_map(|e| &e.species)
        .find(|sp| sp.species == species)
        .map_or(0.0, |sp| sp.reads)
}

/// Other species' miRNAs: stacked bars of each sample's reads on them, as %
/// of its reads, by species (the [`TOP_SPECIES`] with the largest mean
/// share, the rest as `other`), and a table of every species named.
pub(super) fn exogenous(input: &ReportInput) -> Result<Figure> {
    let title = "Other species' miRNAs";
    let exogenous = input.stats.settings.exogenous.as_ref();
    let min = exogenous.map_or(3.0, |e| e.min_reads);
    let note = format!(
        "Reads on miRNAs of miRBase species other than the one quantified, as % of the \
         reads read, by species: a virus (ebv), a contamination, or a wrong --species. \
         A species is named in a sample with {min} reads or more; a read on a miRNA of \
         several species counts a share on each. The {TOP_SPECIES} species with the \
         largest mean share have a colour, the others are together."
    );
    let share = |s: &SampleStats, reads: f64| match s.reads_in {
        0 => 0.0,
        n => 100.0 * reads / n as f64,
    };
    let mut species: Vec<(String, f64)> = Vec::new();
    for s in &input.stats.samples {
        for sp in s.exogenous.iter().flat_map(|e| &e.species) {
            let v = share(s, sp.reads);
            match species.iter_mut().find(|(name, _)| *name == sp.species) {
                Some((_, total)) => *total += v,
                None => species.push((sp.species.clone(), v)),
            }
        }
    }
    // most first; ties by name, so that the page does not depend on order
    species.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let top: Vec<&str> = species
        .iter()
        .take(TOP_SPECIES)
        .map(|(n, _)| n.as_str())
        .collect();
    let mut stacks: Vec<Stack> = top
        .iter()
        .enumerate()
        .map(|(i, name)| Stack {
            name: name.to_string(),
            colour: figures::class_colour(i),
            values: input
                .stats
                .samples
                .iter()
                .map(|s| share(s, species_reads(s, name)))
                .collect(),
        })
        .collect();
    stacks.push(Stack {
        name: "other".into(),
        colour: GREY,
        values: input
            .stats
            .samples
            .iter()
            .map(|s| {
                let Some(e) = &s.exogenous else {
                    return 0.0;
                };
                let named: f64 = top.iter().map(|sp| species_reads(s, sp)).sum();
                share(s, (e.reads as f64 - named).max(0.0))
            })
            .collect(),
    });
    let longest = input
        .stats
        .samples
        .iter()
        .map(|s| share(s, s.exogenous.as_ref().map_or(0, |e| e.reads) as f64))
        .fold(0.0, f64::max);
    let mut body = figures::stacked_bars_to(
        "exogenous",
        &input.sample_names(),
        &stacks,
        "% of reads",
        nice_ceiling(longest),
    )?;
    body.push_str(&species_table(&input.stats.samples));
    Ok((title, note, Some(body)))
}

/// The smallest of 1, 2, 5 times a power of ten that is at least `x`
/// (1 for nothing).
fn nice_ceiling(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|&c| c >= x * (1.0 - 1e-12))
        .unwrap_or(10.0 * power)
        .min(100.0)
}

/// Every sample's reads on other species' miRNAs and each species named,
/// in a table that opens on a click.
fn species_table(samples: &[SampleStats]) -> String {
    let mut html = String::from(
        "<details><summary>Reads on other species' miRNAs, per sample</summary>\n\
         <table class=\"samples\">\n<thead><tr><th>Sample</th><th>Reads</th><th>%</th>\
         <th>By species</th></tr></thead>\n<tbody>\n",
    );
    for s in samples {
        let Some(e) = &s.exogenous else {
            continue;
        };
        let mut by: Vec<String> = e
            .species
            .iter()
            .map(|sp| format!("{} {}", esc(&sp.species), reads(sp.reads)))
            .collect();
        if e.other_species_reads > 0.0 {
            by.push(format!("others {}", reads(e.other_species_reads)));
        }
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&s.sample),
            thousands(e.reads),
            super::pct(e.reads, s.reads_in),
            by.join(" · "),
        );
    }
    html.push_str("</tbody>\n</table>\n</details>\n");
    html
}

/// Reads that may be shares: whole with thousands separators, one decimal
/// under 100.
fn reads(r: f64) -> String {
    if r >= 99.95 {
        thousands(r.round() as u64)
    } else {
        format!("{r:.1}")
    }
}

/// Clade-specific miRNA families: a heatmap of each sample's reads per
/// clade.
pub(super) fn clades(input: &ReportInput, clades: &[String]) -> Result<Figure> {
    let title = "Clade-specific miRNA families";
    let note = "Reads (20 nt or longer) whose first 20 nt are those of a mature miRNA of a \
                family found in one clade only (--clades, miRTrace's lists and rule), per \
                sample: where its miRNAs come from. Reads of a clade the sample is not from \
                point to a contamination or a wrong --species."
        .to_string();
    let values: Vec<Vec<f64>> = input
        .stats
        .samples
        .iter()
        .map(|s| {
            clades
                .iter()
                .map(|c| {
                    s.clades
                        .iter()
                        .find(|r| &r.clade == c)
                        .map_or(0.0, |r| r.reads as f64)
                })
                .collect()
        })
        .collect();
    let max = figures::finite(&values).fold(0.0, f64::max);
    if input.stats.samples.is_empty() || clades.is_empty() {
        return Ok((title, note, None));
    }
    if max == 0.0 {
        return Ok((title, note + " No read is on a clade's family.", None));
    }
    let body = Heatmap {
        rows: &input.sample_names(),
        cols: clades,
        values: &values,
        scale: (0.0, max),
        scale_desc: "Reads",
        numeric_cols: false,
        x_desc: "",
        cell_text: Some(whole),
    }
    .draw("clades")?;
    Ok((title, note, Some(body)))
}

/// A read count in a cell.
fn whole(v: f64) -> String {
    thousands(v.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ceilings() {
        assert_eq!(nice_ceiling(13.7), 20.0);
        assert_eq!(nice_ceiling(3.48), 5.0);
        assert_eq!(nice_ceiling(2.2), 5.0);
        assert_eq!(nice_ceiling(0.13), 0.2);
        assert_eq!(nice_ceiling(2.0), 2.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(99.0), 100.0);
    }
}

//! `report.html`: one self-contained page per output directory, for a
//! person to read first. It loads nothing (no script, no font, no link
//! out; its Content-Security-Policy forbids any fetch), so it opens offline
//! and can be mailed. It holds the run summary (version, command line when
//! stats.json records it, reference, settings, engine, timings), a table of
//! samples with their QC verdicts and the rules behind them, and six
//! figures as inline SVG drawn with plotters ([`figures`]): read
//! composition, insert lengths, the top 20 miRNAs, isomiR classes,
//! sample–sample correlation and PCA of log CPM (on the miRNAs expressed
//! in the samples compared, `similarity`). A run with `--ncrna` has
//! its reads on ncRNAs by class in the composition, and two figures more
//! after it ([`NCRNA_FIGURE_IDS`]): the ncRNA classes per sample and the
//! top 20 tRNA isoacceptors. The origin cascade ([`origin`]) adds run
//! summary lines (artifact list, other species searched, screen references,
//! clade lists), a warning line per sample whose reads fit another species,
//! sample table columns (species fit, % on artifacts, on other species'
//! miRNAs, on the screen references) and up to two figures
//! ([`ORIGIN_FIGURE_IDS`]): reads on other species' miRNAs by species (when
//! a sample has any) and on clade-specific miRNA families (`--clades`).
//!
//! It is made from the files of the directory only (stats.json,
//! mature_counts.tsv, isomirs.tsv, ncrna_features.tsv; the insert lengths
//! of `qc/<sample>.length.tsv` are those of stats.json), so `mirq report
//! DIR` rebuilds the page a run wrote, byte for byte.

mod data;
pub mod figures;
mod ncrna;
mod origin;
mod similarity;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use data::{cpm, log_cpm, pearson, sum_classes, top_shares, Pca, ReportInput};

use crate::error::{Error, Result};
use crate::numbers::thousands;
use crate::output::stats::{
    Composition, NcrnaSettings, RunSettings, RunStats, SampleStats, Timings,
};
use crate::output::StagedOutputs;
use figures::{Heatmap, Stack, DARK_GREY, GREY, OKABE_ITO};
pub use ncrna::NCRNA_FIGURE_IDS;
pub use origin::ORIGIN_FIGURE_IDS;
use plotters::style::RGBColor;

/// The report's file name in an output directory.
pub const FILE_NAME: &str = "report.html";

/// Element ids of the six figures every page has, in page order (with
/// `--ncrna`, [`NCRNA_FIGURE_IDS`] follow the first).
pub const FIGURE_IDS: [&str; 6] = [
    "fig-composition",
    "fig-lengths",
    "fig-top-mirnas",
    "fig-isomirs",
    "fig-correlation",
    "fig-pca",
];

/// Stages report.html through `out`.
pub fn write(out: &StagedOutputs, input: &ReportInput) -> Result<()> {
    let html = render(input)?;
    out.write(FILE_NAME, |w| std::io::Write::write_all(w, html.as_bytes()))
}

/// Rebuilds `dir/report.html` from the files in `dir` (written to a
/// temporary file there and renamed over the old page), holding the
/// directory's lock so that no run switches it meanwhile; its path.
pub fn rebuild(dir: &Path) -> Result<PathBuf> {
    let input = ReportInput::from_dir(dir)?;
    let _lock = crate::output::outdir::lock(dir)?;
    let html = render(&input)?;
    let (path, tmp) = (dir.join(FILE_NAME), dir.join(format!(".{FILE_NAME}.tmp")));
    let err = |err| Error::Write {
        path: path.clone(),
        err,
    };
    let mut file = create_private(&tmp).map_err(err)?;
    let written =
        std::io::Write::write_all(&mut file, html.as_bytes()).and_then(|()| file.sync_all());
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, &path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(path)
}

/// Creates `path` anew, never through a symlink (`O_EXCL`, `O_NOFOLLOW`):
/// what is already there (a dead rebuild's file, or a planted link) is
/// unlinked first, itself and not its target; the lock is held.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let open = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
    };
    match open() {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(path)?;
            open()
        }
        other => other,
    }
}

/// The whole page.
pub fn render(input: &ReportInput) -> Result<String> {
    let mut html = String::with_capacity(1 << 16);
    let n = input.stats.samples.len();
    let species = &input.stats.reference.species;
    let version = Some(input.stats.mirq_version.as_str()).filter(|v| !v.is_empty());
    let ncrna = input.ncrna_classes();
    let exogenous = origin::has_exogenous(input);
    let clades = origin::clade_names(input);
    html.push_str(HEAD);
    let _ = write!(
        html,
        "<header><h1>mirq report</h1><p>{n} sample{} · species {} · mirq {}</p></header>\n\
         <nav><a href=\"#run\">Run</a> <a href=\"#samples\">Samples</a> \
         <a href=\"#fig-composition\">Composition</a> {}{}{}<a href=\"#fig-lengths\">Lengths</a> \
         <a href=\"#fig-top-mirnas\">Top miRNAs</a> <a href=\"#fig-isomirs\">isomiRs</a> \
         <a href=\"#fig-correlation\">Correlation</a> <a href=\"#fig-pca\">PCA</a></nav>\n",
        if n == 1 { "" } else { "s" },
        esc(species),
        esc(version.unwrap_or("?")),
        if ncrna.is_some() {
            "<a href=\"#fig-ncrna-classes\">ncRNA classes</a> <a href=\"#fig-trnas\">tRNAs</a> "
        } else {
            ""
        },
        if exogenous {
            "<a href=\"#fig-exogenous\">Other species</a> "
        } else {
            ""
        },
        if clades.is_some() {
            "<a href=\"#fig-clades\">Clades</a> "
        } else {
            ""
        },
    );
    run_summary(
        &mut html,
        &input.stats,
        &origin::warnings(&input.stats.samples),
    );
    sample_table(&mut html, &input.stats.samples, &input.stats.settings);
    html.push_str("<section id=\"figures\"><h2>Figures</h2>\n");
    let mut figures = vec![(FIGURE_IDS[0], composition(input)?)];
    if let Some(classes) = &ncrna {
        figures.push((NCRNA_FIGURE_IDS[0], ncrna::classes(input, classes)?));
        figures.push((NCRNA_FIGURE_IDS[1], ncrna::trnas(input)?));
    }
    if exogenous {
        figures.push((ORIGIN_FIGURE_IDS[0], origin::exogenous(input)?));
    }
    if let Some(clades) = &clades {
        figures.push((ORIGIN_FIGURE_IDS[1], origin::clades(input, clades)?));
    }
    let rest = [
        lengths(input)?,
        top_mirnas(input)?,
        isomirs(input)?,
        similarity::correlation(input)?,
        similarity::pca(input)?,
    ];
    figures.extend(FIGURE_IDS[1..].iter().copied().zip(rest));
    for (id, (title, note, body)) in figures {
        let _ = write!(
            html,
            "<figure id=\"{id}\"><h3>{title}</h3><p class=\"note\">{note}</p>\n{}</figure>\n",
            body.unwrap_or_else(|| "<p class=\"empty\">Nothing to show for this run.</p>".into())
        );
    }
    html.push_str("</section>\n</body>\n</html>\n");
    Ok(html)
}

/// A figure: title, a line on what it shows, and its SVG (None: nothing to
/// draw, the note says why).
type Figure = (&'static str, String, Option<String>);

const HEAD: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mirq report</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; margin: 0 auto; max-width: 1400px; padding: 0 24px 48px; color: #1a1a1a; }
header h1 { margin: 24px 0 4px; font-size: 28px; }
header p { margin: 0 0 12px; color: #555; }
nav { position: sticky; top: 0; background: #fff; padding: 8px 0; border-bottom: 1px solid #ddd; z-index: 1; }
nav a { margin-right: 14px; color: #0072B2; text-decoration: none; }
h2 { margin-top: 32px; border-bottom: 2px solid #0072B2; padding-bottom: 4px; }
table { border-collapse: collapse; font-size: 14px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
table.kv th { color: #555; font-weight: 600; white-space: nowrap; }
table.samples td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.samples th { position: sticky; top: 38px; background: #f4f4f4; }
table.samples tr:nth-child(even) td { background: #fafafa; }
code { font-size: 13px; word-break: break-all; }
.verdict { font-weight: 700; padding: 1px 6px; border-radius: 3px; }
.PASS { background: #d4efe6; color: #00573f; }
.WARN { background: #fbe8c4; color: #6b4700; }
.FAIL { background: #f6d2bf; color: #7a2e00; }
.reasons { color: #444; font-size: 13px; }
td.reasons { min-width: 12em; }
table.samples th, table.samples td { padding: 4px 6px; }
td .verdict { white-space: nowrap; }
p.warning { margin: 8px 0; padding: 6px 10px; background: #fbe8c4; border-left: 4px solid #E69F00; color: #6b4700; font-size: 14px; }
figure { margin: 28px 0; }
figure h3 { margin: 0 0 4px; }
figure svg { display: block; max-width: 100%; height: auto; }
p.note { margin: 0 0 8px; color: #555; font-size: 14px; }
p.empty { color: #777; font-style: italic; }
details { margin: 8px 0; font-size: 14px; }
summary { cursor: pointer; color: #0072B2; }
</style>
</head>
<body>
"#;

/// HTML-escapes text (for element content and double-quoted attributes).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// A JSON value as plain text (strings unquoted, null as `none`, arrays
/// joined with spaces).
fn text(v: &Value) -> String {
    match v {
        Value::Null => "none".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(text).collect::<Vec<_>>().join(" "),
        v => v.to_string(),
    }
}

/// A stats.json value as the page shows it: [`text`] of its JSON, so that
/// numbers read as stats.json writes them (`1.0`, not `1`).
fn shown<T: serde::Serialize + ?Sized>(v: &T) -> String {
    text(&serde_json::to_value(v).unwrap_or_default())
}

/// The run summary: a warning line each in `warnings`, then the table.
fn run_summary(html: &mut String, stats: &RunStats, warnings: &[String]) {
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut add = |k: &str, v: String| rows.push((k.to_string(), esc(&v)));
    let mut version = stats.mirq_version.clone();
    if !stats.commit.is_empty() {
        version = format!("{version} (commit {})", stats.commit);
    }
    add("mirq", version);
    // older files have no command line, start or end (empty when read)
    for (v, name) in [
        (stats.command_line.join(" "), "Command line"),
        (stats.started.clone(), "Started"),
        (stats.finished.clone(), "Finished"),
    ] {
        if !v.is_empty() {
            add(name, v);
        }
    }
    let r = &stats.reference;
    add("Species", r.species.clone());
    add(
        "Reference",
        format!(
            "{} mature miRNAs, {} hairpins ({} matures in no hairpin)",
            r.mature_mirnas, r.hairpins, r.unplaced_matures
        ),
    );
    add("Mature FASTA", r.mature.clone());
    add("Hairpin FASTA", shown(&r.hairpin));
    add("Reference fingerprint", r.fingerprint.clone());
    if let Some(ncrna) = &stats.settings.ncrna {
        add("ncRNA reference", ncrna_reference(ncrna));
        add("ncRNA FASTA", ncrna.files.join(" "));
    }
    let mut engine = stats.engine.clone();
    if let Some(gpu) = &stats.gpu_adapter {
        engine = format!("{engine} ({})", gpu.name);
    }
    add("Engine", engine);
    if let Some(note) = &stats.engine_note {
        add("Engine note", note.clone());
    }
    add("Threads", stats.threads.to_string());
    add("Elapsed", format!("{} s", shown(&stats.elapsed_seconds)));
    add("Timings (s)", timings(&stats.timings));
    let detection = stats.adapter_detection.as_ref();
    if let Some(summary) = detection.and_then(|d| d.summary.as_ref()) {
        add("Adapter detection", summary.clone());
    }
    add("Settings", settings_line(&stats.settings));
    for (k, v) in origin::summary_rows(&stats.settings) {
        add(&k, v);
    }
    html.push_str("<section id=\"run\"><h2>Run</h2>\n");
    for w in warnings {
        let _ = writeln!(html, "<p class=\"warning\">{}</p>", esc(w));
    }
    html.push_str("<table class=\"kv\">\n");
    for (k, v) in rows {
        let v = if k == "Command line" {
            format!("<code>{v}</code>")
        } else {
            v
        };
        let _ = writeln!(html, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    html.push_str("</table>\n</section>\n");
}

/// `adapter TGGAATTCTCGG · counting reads · …`: every setting as stats.json
/// names it (in its JSON order), those with lines of their own left out.
fn settings_line(settings: &RunSettings) -> String {
    let Value::Object(settings) = serde_json::to_value(settings).unwrap_or_default() else {
        return String::new();
    };
    let list: Vec<String> = settings
        .iter()
        .filter(|(k, _)| *k != "ncrna" && !origin::OWN_LINES.contains(&k.as_str()))
        .map(|(k, v)| format!("{k} {}", text(v)))
        .collect();
    list.join(" · ")
}

/// The run summary's line on the ncRNA reference (`--ncrna`): classes,
/// features and rule.
fn ncrna_reference(ncrna: &NcrnaSettings) -> String {
    format!(
        "{} classes ({}), {} features in {} groups; a read on a miRNA and an ncRNA goes by \
         precedence {}; fingerprint {}",
        ncrna.classes.len(),
        ncrna.classes.join(", "),
        ncrna.features,
        ncrna.groups,
        ncrna.precedence,
        ncrna.fingerprint,
    )
}

/// `read_trim_collapse 1.2 (0.0–1.2) · align 0.3 (0.05–1.5) · …`: each
/// stage's busy seconds, with its span (start–end, seconds from the run's
/// start) when stats.json has `spans` (older files have none); in the
/// order of the stages' JSON names.
fn timings(t: &Timings) -> String {
    let Value::Object(m) = serde_json::to_value(t).unwrap_or_default() else {
        return String::new();
    };
    m.iter()
        .filter(|(k, _)| *k != "spans")
        .map(|(k, v)| {
            match m
                .get("spans")
                .and_then(|s| s[k].as_array())
                .map(Vec::as_slice)
            {
                Some([start, end]) => format!("{k} {} ({}–{})", text(v), text(start), text(end)),
                _ => format!("{k} {}", text(v)),
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// `100 * part / whole` with one decimal (`–` for an empty sample).
fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        "–".into()
    } else {
        format!("{:.1}", 100.0 * part as f64 / whole as f64)
    }
}

/// A sample's protocol: its own (with the adapter `--protocol auto` found),
/// else the run's.
fn protocol_cell(s: &SampleStats, settings: &RunSettings) -> String {
    match &s.trimming {
        Some(t) => match &t.detection {
            Some(d) => format!("{} ({})", t.protocol, d.adapter_name),
            None => t.protocol.clone(),
        },
        None => settings.protocol.clone(),
    }
}

/// The per-sample table.
fn sample_table(html: &mut String, samples: &[SampleStats], settings: &RunSettings) {
    let origin = origin::Columns::of(settings);
    let _ = write!(
        html,
        "<section id=\"samples\"><h2>Samples</h2>\n<table class=\"samples\">\n<thead><tr>\
         <th>Sample</th><th>Protocol</th><th>Reads</th><th>% adapter</th><th>% dimers</th><th>% too short</th>\
         <th>% on miRNAs</th><th>miRNAs detected</th>{}<th>QC</th><th>Rules that fired</th>\
         </tr></thead>\n<tbody>\n",
        origin.head()
    );
    for s in samples {
        let verdict = s.qc.verdict.map_or("?", |v| v.as_str());
        let adapter = if s.has_adapter(settings) {
            pct(s.adapter_found, s.reads_in)
        } else {
            "–".into()
        };
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{adapter}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>{}\
             <td><span class=\"verdict {verdict}\">{verdict}</span></td><td class=\"reasons\">{}</td></tr>",
            esc(&s.sample),
            esc(&protocol_cell(s, settings)),
            thousands(s.reads_in),
            pct(s.adapter_dimers, s.reads_in),
            pct(s.too_short.saturating_sub(s.adapter_dimers), s.reads_in),
            pct(s.assigned_mature, s.reads_in),
            thousands(s.mirnas_detected),
            origin.cells(s),
            esc(&s.qc.reasons.join("; ")),
        );
    }
    let _ = write!(
        html,
        "</tbody>\n</table>\n<p class=\"note\">% of the reads read. Too short: inserts under the \
         minimum length, adapter dimers (empty inserts) not included.{} QC rules: the README, \
         section QC.</p>\n</section>\n",
        origin.note()
    );
}

/// Read composition: stacked bars; with `--ncrna`, the reads on ncRNAs by
/// class, out of the unassigned ones.
fn composition(input: &ReportInput) -> Result<Figure> {
    let stacks: Vec<Stack> = composition_stacks(input)
        .into_iter()
        .filter(|s| s.values.iter().any(|&v| v > 0.0))
        .collect();
    let mut note = "What became of each sample's reads, as % of the reads read.".to_string();
    if input.ncrna_classes().is_some() {
        note.push_str(
            " Reads on ncRNAs (--ncrna) by class, those on ncRNAs antisense only apart; \
             classes with no read are left out.",
        );
    }
    let body = if input.stats.samples.is_empty() {
        None
    } else {
        Some(figures::stacked_bars(
            "composition",
            &input.sample_names(),
            &stacks,
            "% of reads",
        )?)
    };
    Ok(("Read composition", note, body))
}

/// Every part of the composition bars, in stacking order (the ncRNA
/// classes, with `--ncrna`, after *Hairpin only*).
fn composition_stacks(input: &ReportInput) -> Vec<Stack> {
    type Part = fn(&Composition) -> f64;
    let parts: [(&str, RgbIndex, Part); 10] = [
        ("Mature miRNA", RgbIndex::Okabe(2), |c| c.mature_mirna),
        ("Hairpin only", RgbIndex::Okabe(1), |c| c.hairpin_only),
        ("Other species' miRNA", RgbIndex::Foreign, |c| {
            c.exogenous_mirna.unwrap_or(0.0)
        }),
        ("Unassigned insert", RgbIndex::Grey, |c| c.unassigned),
        ("Adapter/primer artifact", RgbIndex::Okabe(7), |c| {
            c.artifact.unwrap_or(0.0)
        }),
        ("Too short", RgbIndex::Okabe(0), |c| c.too_short),
        ("Adapter dimer", RgbIndex::Okabe(5), |c| c.adapter_dimer),
        ("Too long", RgbIndex::Okabe(6), |c| c.too_long),
        ("No adapter", RgbIndex::Okabe(4), |c| c.no_adapter),
        ("No whole UMI", RgbIndex::Okabe(3), |c| c.umi_missing),
    ];
    let stack = |name: &str, colour: RGBColor, part: &dyn Fn(&Composition) -> f64| Stack {
        name: name.to_string(),
        colour,
        values: input
            .stats
            .samples
            .iter()
            .map(|s| 100.0 * part(&s.qc.composition))
            .collect(),
    };
    let mut stacks: Vec<Stack> = parts
        .iter()
        .map(|(name, colour, part)| stack(name, colour.rgb(), part))
        .collect();
    let screens: Vec<String> = input.screen_names();
    let screen_share = |c: &Composition, name: &str| {
        c.screen
            .iter()
            .find(|s| s.class == name)
            .map_or(0.0, |s| s.fraction)
    };
    let screen: Vec<Stack> = screens
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let colour = figures::class_colour(i + SCREEN_COLOUR_OFFSET);
            stack(&format!("Screen: {name}"), colour, &|c| {
                screen_share(c, name)
            })
        })
        .collect();
    stacks.splice(3..3, screen);
    if let Some(classes) = input.ncrna_classes() {
        let share = |c: &Composition, class: &str| {
            c.ncrna
                .iter()
                .find(|s| s.class == class)
                .map_or(0.0, |s| s.fraction)
        };
        let mut ncrna: Vec<Stack> = classes
            .iter()
            .enumerate()
            .map(|(i, class)| stack(class, figures::class_colour(i), &|c| share(c, class)))
            .collect();
        ncrna.push(stack("ncRNA antisense", DARK_GREY, &|c| {
            c.ncrna_antisense.unwrap_or(0.0)
        }));
        stacks.splice(2..2, ncrna);
    }
    stacks
}

/// Screen references take the class colours from this one on (after the
/// usual ncRNA classes').
const SCREEN_COLOUR_OFFSET: usize = 10;

/// A colour of the palette, by name.
#[derive(Clone, Copy)]
enum RgbIndex {
    Okabe(usize),
    Grey,
    Foreign,
}

impl RgbIndex {
    fn rgb(self) -> plotters::style::RGBColor {
        match self {
            Self::Okabe(i) => OKABE_ITO[i],
            Self::Grey => GREY,
            // brown: near the miRNA greens, apart from every class colour
            Self::Foreign => plotters::style::RGBColor(0x99, 0x66, 0x00),
        }
    }
}

/// Insert lengths: lines for up to 8 samples, a heatmap for more.
fn lengths(input: &ReportInput) -> Result<Figure> {
    let longest = input
        .stats
        .samples
        .iter()
        .filter_map(|s| s.qc.insert_lengths.iter().rposition(|&n| n > 0))
        .max();
    let note = "Reads by insert length after adapter removal and fixed cuts, before the length \
                filter, as % of the sample's reads with the adapter (0 nt: adapter dimers)."
        .to_string();
    let Some(longest) = longest else {
        return Ok(("Insert lengths", note, None));
    };
    let shares: Vec<Vec<f64>> = input
        .stats
        .samples
        .iter()
        .map(|s| {
            let total = s.qc.insert_lengths.iter().sum::<u64>().max(1) as f64;
            (0..=longest)
                .map(|l| 100.0 * *s.qc.insert_lengths.get(l).unwrap_or(&0) as f64 / total)
                .collect()
        })
        .collect();
    let names = input.sample_names();
    let body = if names.len() <= 8 {
        let points: Vec<Vec<(f64, f64)>> = shares
            .iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .map(|(l, &v)| (l as f64, v))
                    .collect()
            })
            .collect();
        figures::lines(
            "lengths",
            &names,
            &points,
            ("Insert length (nt)", "% of reads with adapter"),
        )?
    } else {
        let cols: Vec<String> = (0..=longest).map(|l| l.to_string()).collect();
        let max = shares.iter().flatten().copied().fold(0.0, f64::max);
        Heatmap {
            rows: &names,
            cols: &cols,
            values: &shares,
            scale: (0.0, max),
            scale_desc: "% of reads with adapter",
            numeric_cols: true,
            x_desc: "Insert length (nt)",
            cell_text: None,
        }
        .draw("lengths")?
    };
    Ok(("Insert lengths", note, Some(body)))
}

/// The top 20 miRNAs' shares: a heatmap.
fn top_mirnas(input: &ReportInput) -> Result<Figure> {
    let (names, shares) = top_shares(&input.mirnas, &input.counts, 20);
    let note = "The 20 miRNAs with the largest mean share, as % of each sample's miRNA counts \
                (mature_counts.tsv)."
        .to_string();
    if names.is_empty() {
        return Ok(("Top 20 miRNAs", note, None));
    }
    let body = shares_heatmap(input, (&names, &shares), "% of miRNA counts", "top-mirnas")?;
    Ok(("Top 20 miRNAs", note, Some(body)))
}

/// A heatmap of the shares `top_shares` picked (`names` its columns), with
/// each cell's share printed, scaled from 0 to the largest share.
fn shares_heatmap(
    input: &ReportInput,
    (names, shares): (&[String], &[Vec<f64>]),
    scale_desc: &str,
    id: &'static str,
) -> Result<String> {
    let max = shares.iter().flatten().copied().fold(0.0, f64::max);
    Heatmap {
        rows: &input.sample_names(),
        cols: names,
        values: shares,
        scale: (0.0, max),
        scale_desc,
        numeric_cols: false,
        x_desc: "",
        cell_text: Some(figures::share_text),
    }
    .draw(id)
}

/// isomiR classes per sample: a heatmap of % of miRNA reads.
fn isomirs(input: &ReportInput) -> Result<Figure> {
    let mut note = "Reads of each isomiR class (isomirs.tsv, mirtop's names) as % of the sample's \
                    miRNA counts; a read can be in several classes (iso_5p and iso_3p), so rows \
                    do not sum to 100."
        .to_string();
    let Some(classes) = &input.isomir_classes else {
        note.push_str(" This run wrote no isomirs.tsv (it needs --hairpin).");
        return Ok(("isomiR classes", note, None));
    };
    let classes: Vec<&(String, Vec<u64>)> = classes
        .iter()
        .filter(|(_, v)| v.iter().any(|&n| n > 0))
        .collect();
    if classes.is_empty() {
        return Ok(("isomiR classes", note, None));
    }
    let cols: Vec<String> = classes.iter().map(|(c, _)| c.clone()).collect();
    let values: Vec<Vec<f64>> = input
        .counts
        .iter()
        .enumerate()
        .map(|(s, col)| {
            let total: f64 = col.iter().sum();
            classes
                .iter()
                .map(|(_, v)| {
                    if total > 0.0 {
                        100.0 * v[s] as f64 / total
                    } else {
                        f64::NAN
                    }
                })
                .collect()
        })
        .collect();
    let max = figures::finite(&values).fold(0.0, f64::max);
    let body = Heatmap {
        rows: &input.sample_names(),
        cols: &cols,
        values: &values,
        scale: (0.0, max),
        scale_desc: "% of miRNA counts",
        numeric_cols: false,
        x_desc: "",
        cell_text: Some(figures::share_text),
    }
    .draw("isomirs")?;
    Ok(("isomiR classes", note, Some(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timings_show_spans_when_recorded() {
        let spans = crate::output::stats::Spans {
            read_trim_collapse: [0.0, 1.2],
            align: [0.05, 1.4],
            assign_count: [1.4, 1.5],
            write: [1.5, 2.0],
        };
        let new = Timings {
            read_trim_collapse: 1.2,
            align: 0.5,
            assign_count: 0.1,
            write: 0.5,
            artifact_align: Some(0.1),
            spans: Some(spans),
            ..Timings::default()
        };
        assert_eq!(
            timings(&new),
            "align 0.5 (0.05–1.4) · artifact_align 0.1 · assign_count 0.1 (1.4–1.5) · \
             read_trim_collapse 1.2 (0.0–1.2) · write 0.5 (1.5–2.0)"
        );
        // an older stats.json: no spans
        let old: Timings = serde_json::from_str(
            r#"{ "read_trim_collapse": 1.2, "align": 0.3, "assign_count": 0.0, "write": 1.0 }"#,
        )
        .unwrap();
        assert_eq!(
            timings(&old),
            "align 0.3 · assign_count 0.0 · read_trim_collapse 1.2 · write 1.0"
        );
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}

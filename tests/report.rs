//! report.html: written by every run (quant and merge), self-contained (no
//! script, no link, nothing fetched), rebuilt byte for byte by `mirq report`,
//! and, opened in headless Chromium with the network cut off, showing every
//! sample and every figure on a page that is not blank; with `--ncrna`, the
//! reads on ncRNAs by class. On the six COMPSRA runs its sample figures
//! (correlation, PCA, the miRNAs they keep, the ncRNA classes, zero cells)
//! give the numbers pandas and numpy compute from the run's files.
//!
//! The Chromium part needs `chromium` (Debian package; `.ci/run` installs
//! it), the pandas part `pandas` (`.ci/run` installs it): outside CI they
//! skip with a message when missing, in CI they fail.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The figures' element ids, in page order.
const FIGURES: [&str; 6] = [
    "fig-composition",
    "fig-lengths",
    "fig-top-mirnas",
    "fig-isomirs",
    "fig-correlation",
    "fig-pca",
];

const COMPSRA: [&str; 3] = ["compsra_sample01", "compsra_sample02", "compsra_sample03"];

fn quant_compsra(shared: &Path, out: &Path, samples: &[&str]) {
    common::Quant::mirbase(
        shared,
        "hsa",
        "mature_nfcore_test.fa",
        Some("hairpin_hsa.fa"),
        out,
    )
    .args(["--protocol", "nextflex", "--engine", "cpu"])
    .args(
        samples
            .iter()
            .map(|s| shared.join(format!("data/fastq/{s}.fastq.gz"))),
    )
    .run_ok();
}

/// Nothing in the page reaches outside it.
fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for needle in [
        "<script",
        "<link",
        "<img",
        "<iframe",
        "@import",
        "url(",
        "src=",
        "href=\"http",
    ] {
        assert!(!lower.contains(needle), "report.html contains {needle}");
    }
    assert!(lower.contains("content-security-policy"));
}

#[test]
fn every_run_writes_a_self_contained_report_that_mirq_report_rebuilds() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    quant_compsra(&shared, &out, &COMPSRA);
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    for id in FIGURES {
        let at = html
            .find(&format!("<figure id=\"{id}\">"))
            .unwrap_or_else(|| panic!("no figure {id}"));
        let figure = &html[at..at + html[at..].find("</figure>").unwrap()];
        assert!(figure.contains("<svg"), "{id} has no plot");
    }
    for s in COMPSRA {
        assert!(html.contains(s), "{s} missing");
    }
    // the QC verdicts and the rules that fired, from stats.json
    let stats = common::stats(&out);
    for s in stats["samples"].as_array().unwrap() {
        let verdict = s["qc"]["verdict"].as_str().unwrap();
        assert!(html.contains(&format!("verdict {verdict}\">{verdict}")));
        for reason in s["qc"]["reasons"].as_array().unwrap() {
            assert!(html.contains(reason.as_str().unwrap()), "{reason}");
        }
    }

    // mirq report rebuilds the same page from the directory's files
    std::fs::remove_file(&page).unwrap();
    common::run_ok(common::mirq().arg("report").arg(&out));
    assert!(
        std::fs::read_to_string(&page).unwrap() == html,
        "mirq report made another page"
    );

    // a merge writes one too, with every sample
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    quant_compsra(&shared, &a, &COMPSRA[..1]);
    quant_compsra(&shared, &b, &COMPSRA[1..]);
    let merged = dir.path().join("merged");
    common::run_ok(
        common::mirq()
            .args(["merge", "-q", "-o"])
            .arg(&merged)
            .arg(&a)
            .arg(&b),
    );
    let html = std::fs::read_to_string(merged.join("report.html")).unwrap();
    assert_self_contained(&html);
    assert!(COMPSRA.iter().all(|s| html.contains(s)));
}

/// A one-sample run without hairpins: every figure is still on the page,
/// those that cannot be drawn say why.
#[test]
fn a_small_run_has_every_section_and_says_what_it_cannot_draw() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    common::Quant::new("tst", common::test_data("tiny/mature.fa"), &out)
        .arg(common::test_data("tiny/tiny.fastq"))
        .run_ok();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_self_contained(&html);
    for id in FIGURES {
        assert!(html.contains(&format!("<figure id=\"{id}\">")), "{id}");
    }
    assert!(html.contains("It needs two samples"));
    assert!(html.contains("It needs three samples"));
    assert!(html.contains("needs --hairpin"));
    assert!(html.contains("<td>tiny</td>"));
}

#[test]
fn mirq_report_refuses_a_directory_without_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::mirq()
        .arg("report")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stats.json"), "{err}");
    assert!(!dir.path().join("report.html").exists());
}

/// Whether headless Chromium runs; panics in CI when it does not.
fn chromium() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        common::tool_available("chromium", &["--version"], "apt-get install chromium");
    }
    found
}

/// Headless Chromium with every host unresolvable and a dead proxy: a page
/// that tried to fetch anything would get nothing.
fn headless(program: &str, profile: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

/// The colours of a PNG's pixels, up to `limit` distinct ones.
fn png_colours(path: &Path, limit: usize) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    // bytes per pixel (screenshots are 8-bit RGB or RGBA)
    let px = info.line_size / info.width as usize;
    let mut seen = std::collections::HashSet::new();
    for pixel in buf[..info.buffer_size()].chunks(px.max(1)) {
        seen.insert(pixel.to_vec());
        if seen.len() >= limit {
            break;
        }
    }
    seen.len()
}

#[test]
fn report_renders_in_headless_chromium_offline() {
    let Some(shared) = common::shared() else {
        return;
    };
    let Some(program) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    quant_compsra(&shared, &out, &COMPSRA);
    let url = format!("file://{}", out.join("report.html").display());
    let profile: PathBuf = dir.path().join("profile");

    let dom = headless(program, &profile)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("<h1>mirq report</h1>"), "{dom}");
    for id in FIGURES {
        let at = dom
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("figure {id} not in the rendered page"));
        assert!(dom[at..].contains("<svg"), "{id}");
    }
    for s in COMPSRA {
        assert!(dom.contains(s), "{s} not in the rendered page");
    }

    let shot = dir.path().join("report.png");
    let run = headless(program, &profile)
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1400,3000")
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // white page, text, the palette's colours, viridis: far more than a few
    let colours = png_colours(&shot, 64);
    assert!(colours >= 32, "screenshot has {colours} colours: blank?");
}

/// The figures a run with `--ncrna` adds after the composition.
const NCRNA_FIGURES: [&str; 2] = ["fig-ncrna-classes", "fig-trnas"];

/// The ncRNA classes of the `--ncrna` run (files of `data/ncrna/hsa`).
const NCRNA_CLASSES: [&str; 5] = ["tRNA", "rRNA", "snRNA", "snoRNA", "YRNA"];

/// The HTML of the figure `id` of a page.
fn figure<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("<figure id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no figure {id}"));
    &html[at..at + html[at..].find("</figure>").unwrap()]
}

/// A legend entry or axis label of an SVG figure (plotters writes each
/// text on a line of its own).
fn svg_text(name: &str) -> String {
    format!("\n{name}\n</text>")
}

/// `mirq quant` of the COMPSRA samples with the [`NCRNA_CLASSES`] into
/// `out`.
fn quant_compsra_ncrna(shared: &Path, out: &Path) {
    quant_ncrna(shared, out, &COMPSRA);
}

/// `mirq quant` of `samples` (COMPSRA runs) with the [`NCRNA_CLASSES`] into
/// `out`.
fn quant_ncrna(shared: &Path, out: &Path, samples: &[&str]) {
    let mut quant = common::Quant::mirbase(
        shared,
        "hsa",
        "mature_nfcore_test.fa",
        Some("hairpin_hsa.fa"),
        out,
    )
    .args(["--protocol", "nextflex", "--engine", "cpu"]);
    for class in NCRNA_CLASSES {
        let fasta = shared.join(format!("data/ncrna/hsa/{class}.fa"));
        quant = quant.arg("--ncrna").arg(fasta);
    }
    quant
        .args(
            samples
                .iter()
                .map(|s| shared.join(format!("data/fastq/{s}.fastq.gz"))),
        )
        .run_ok();
}

/// The sum of a stats.json composition's fractions, ncRNA classes, screen
/// references, artifacts and other species' miRNAs included.
fn composition_sum(c: &serde_json::Value) -> f64 {
    let classes: f64 = ["ncrna", "screen"]
        .iter()
        .flat_map(|key| c[key].as_array().into_iter().flatten())
        .map(|p| p["fraction"].as_f64().unwrap())
        .sum();
    let origin: f64 = ["artifact", "exogenous_mirna"]
        .iter()
        .filter_map(|key| c[key].as_f64())
        .sum();
    let rest: f64 = [
        "mature_mirna",
        "hairpin_only",
        "ncrna_antisense",
        "unassigned",
        "adapter_dimer",
        "too_short",
        "too_long",
        "no_adapter",
        "umi_missing",
    ]
    .iter()
    .map(|key| c[key].as_f64().unwrap())
    .sum();
    classes + origin + rest
}

/// With `--ncrna`, the composition bars show each class with reads (a
/// legend entry each, the reads on ncRNAs antisense only apart), the ncRNA
/// class and tRNA isoacceptor figures are drawn, and `mirq report`
/// rebuilds the page byte for byte (ncrna_features.tsv read back as
/// printed). A run without `--ncrna` has none of it.
#[test]
fn with_ncrna_the_report_shows_the_reads_on_ncrnas_by_class() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    quant_compsra_ncrna(&shared, &out);
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    for id in FIGURES.iter().chain(&NCRNA_FIGURES) {
        assert!(figure(&html, id).contains("<svg"), "{id} has no plot");
    }
    let composition = figure(&html, "fig-composition");
    let classes_figure = figure(&html, "fig-ncrna-classes");
    let mut antisense = 0;
    for s in common::stats(&out)["samples"].as_array().unwrap() {
        // the bars' parts still make the whole of the reads
        let sum = composition_sum(&s["qc"]["composition"]);
        assert!((sum - 1.0).abs() < 1e-9, "{}: {sum}", s["sample"]);
        for class in s["ncrna"]["classes"].as_array().unwrap() {
            let name = class["class"].as_str().unwrap();
            if class["reads"].as_u64().unwrap() > 0 {
                assert!(
                    composition.contains(&svg_text(name)),
                    "{name} not in the bars"
                );
                assert!(classes_figure.contains(&svg_text(name)), "{name}");
            }
            antisense += class["antisense"].as_u64().unwrap();
        }
        let sample = s["sample"].as_str().unwrap();
        assert!(classes_figure.contains(&format!("<tr><td>{sample}</td>")));
    }
    assert_eq!(
        composition.contains(&svg_text("ncRNA antisense")),
        antisense > 0
    );
    assert!(composition.contains(&svg_text("Unassigned insert")));
    assert!(figure(&html, "fig-trnas").contains(&svg_text("tRNA-Gly-GCC")));

    std::fs::remove_file(&page).unwrap();
    common::run_ok(common::mirq().arg("report").arg(&out));
    assert!(
        std::fs::read_to_string(&page).unwrap() == html,
        "mirq report made another page"
    );

    let plain = dir.path().join("plain");
    common::Quant::new("tst", common::test_data("tiny/mature.fa"), &plain)
        .arg(common::test_data("tiny/tiny.fastq"))
        .run_ok();
    let html = std::fs::read_to_string(plain.join("report.html")).unwrap();
    for id in NCRNA_FIGURES {
        assert!(!html.contains(id), "{id} without --ncrna");
    }
}

/// The figures of the origin cascade, each on the page of a run that has
/// it: other species' miRNAs (a sample has some), clades (`--clades`).
const ORIGIN_FIGURES: [&str; 2] = ["fig-exogenous", "fig-clades"];

/// `mirq quant` against all of miRBase 21 as hsa into `out`.
fn quant_mirbase21(shared: &Path, out: &Path) -> common::Quant {
    common::Quant::mirbase(
        shared,
        "hsa",
        "mature_v21.fa.gz",
        Some("hairpin_v21.fa"),
        out,
    )
    .args(["--engine", "cpu"])
}

/// A mouse run quantified as hsa (and a human one beside it), with
/// `--clades` and a lambda `--screen`: the run summary has the artifact
/// list, the other species searched, the screen reference and the clade
/// lists; a warning line names the mouse sample; the sample table has the
/// species fit and the shares; the other species and clade figures are
/// drawn; `mirq report` rebuilds the page byte for byte. A human LCL run
/// has EBV among other species' miRNAs, no warning and no clade figure.
#[test]
fn the_report_shows_where_the_reads_come_from() {
    let Some(shared) = common::shared() else {
        return;
    };
    let data = shared.join("data");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mouse");
    let clades = data.join("mirbase/mirtrace_clades");
    quant_mirbase21(&shared, &out)
        .arg("--clades")
        .arg(clades.join("animal_clades.txt"))
        .arg("--clades")
        .arg(clades.join("plant_clades.txt"))
        .arg("--screen")
        .arg(format!(
            "lambda={}",
            data.join("screen/lambda_NC_001416.fa.gz").display()
        ))
        .arg(data.join("fastq/trimgalore_smallRNA_100K.fastq.gz"))
        .arg(data.join("fastq/mirtrace_sample1.fastq.gz"))
        .run_ok();
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    // two samples: no PCA
    for id in FIGURES[..5].iter().chain(&ORIGIN_FIGURES) {
        assert!(figure(&html, id).contains("<svg"), "{id} has no plot");
    }
    // the run summary
    for row in [
        "<tr><th>Artifacts</th><td>13 adapter/primer sequences (built-in)",
        "<tr><th>Other species searched</th>",
        "<tr><th>Species fit</th><td>on",
        "<tr><th>Screen: lambda</th><td>1 record, 48,502 bases",
        "shortest insert screened 14 nt with no mismatch, 17 nt with mismatches",
        "<tr><th>Clades</th><td>14 clades: sponges, nematode",
        "<tr><th>Clade lists</th>",
    ] {
        assert!(html.contains(row), "{row} not in the run summary");
    }
    assert!(html.contains(
        "<p class=\"warning\">WARNING: trimgalore_smallRNA_100K: the reads fit mmu better than hsa"
    ));
    assert_eq!(html.matches("<p class=\"warning\">").count(), 1);
    // the sample table
    for head in [
        "<th>Species fit</th>",
        "<th>% artifact</th>",
        "<th>% other species' miRNA</th>",
        "<th>% screen</th>",
    ] {
        assert!(html.contains(head), "{head}");
    }
    let stats = common::stats(&out);
    let mouse = &stats["samples"][0];
    assert_eq!(mouse["species_fit"]["verdict"], "other_species");
    assert!(html.contains("<span class=\"verdict FAIL\">other species: mmu</span>"));
    assert!(html.contains("<span class=\"verdict PASS\">fits</span>"));
    let pct =
        100.0 * mouse["exogenous"]["reads"].as_f64().unwrap() / mouse["reads_in"].as_f64().unwrap();
    assert!(
        html.contains(&format!("{pct:.1} (mmu)</td>")),
        "{pct:.1} (mmu)"
    );
    // the figures: mmu and rno among the species, rodents among the clades
    let exogenous = figure(&html, "fig-exogenous");
    for species in ["mmu", "rno", "other"] {
        assert!(exogenous.contains(&svg_text(species)), "{species}");
    }
    assert!(exogenous.contains("<tr><td>trimgalore_smallRNA_100K</td>"));
    let clade_figure = figure(&html, "fig-clades");
    for clade in ["rodents", "primates", "Dicots"] {
        assert!(clade_figure.contains(&svg_text(clade)), "{clade}");
    }
    assert!(clade_figure.contains(&svg_text("427")), "427 rodent reads");

    std::fs::remove_file(&page).unwrap();
    common::run_ok(common::mirq().arg("report").arg(&out));
    assert!(
        std::fs::read_to_string(&page).unwrap() == html,
        "mirq report made another page"
    );

    let lcl = dir.path().join("lcl");
    quant_mirbase21(&shared, &lcl)
        .args(["--protocol", "illumina", "--adapter", "none"])
        .arg(data.join("fastq/isomirmap_LCL_NA19257_random10k_trimmed.fastq.gz"))
        .run_ok();
    let html = std::fs::read_to_string(lcl.join("report.html")).unwrap();
    assert!(figure(&html, "fig-exogenous").contains(&svg_text("ebv")));
    assert!(!html.contains("fig-clades"));
    assert!(!html.contains("<tr><th>Clades</th>"));
    assert!(!html.contains("<th>% screen</th>"));
    assert!(!html.contains("<p class=\"warning\">"));
    assert!(html.contains("(ebv)</td>"));
}

/// The six COMPSRA runs of `../shared`: the source's cases (01–03) and
/// controls (07–09).
const COMPSRA_SIX: [&str; 6] = [
    "compsra_sample01",
    "compsra_sample02",
    "compsra_sample03",
    "compsra_sample07",
    "compsra_sample08",
    "compsra_sample09",
];

/// What the report's sample figures should show, by pandas and numpy from
/// the run's files (argv[1]: the output directory), as JSON: the miRNAs
/// kept by the stated rule (>= 5 counts in every sample, >= 1 when fewer
/// than 10 pass), the Pearson r of log2(CPM + 1) on them, PCA by SVD of
/// the centred matrix (explained variance, scores), the zero cells of the
/// top 20 miRNAs, and each sample's ncRNA classes as % of reads read
/// (stats.json's composition, the denominator of the composition bars).
const PANDAS: &str = r#"
import json, sys
import numpy as np, pandas as pd
out = sys.argv[1]
m = pd.read_csv(f"{out}/mature_counts.tsv", sep="\t", index_col=0)
keep = (m >= 5).all(axis=1)
min_count = 5
if keep.sum() < 10:
    keep, min_count = (m >= 1).all(axis=1), 1
logs = np.log2(m / m.sum() * 1e6 + 1)[keep]
r = logs.corr(method="pearson")
x = (logs.T - logs.T.mean()).to_numpy()
u, s, _ = np.linalg.svd(x, full_matrices=False)
shares = m / m.sum() * 100
top = shares.mean(axis=1).sort_values(ascending=False, kind="stable").index[:20]
stats = json.load(open(f"{out}/stats.json"))
ncrna = {
    st["sample"]: {c["class"]: 100 * c["fraction"] for c in st["qc"]["composition"]["ncrna"]}
    for st in stats["samples"]
}
json.dump({
    "samples": list(m.columns),
    "kept": int(keep.sum()),
    "seen": int((m > 0).any(axis=1).sum()),
    "min_count": min_count,
    "r": r.to_numpy().tolist(),
    "explained": (s[:2] ** 2 / (s ** 2).sum()).tolist(),
    "scores": (u[:, :2] * s[:2]).tolist(),
    "top_zero_cells": int((shares.loc[top] == 0).to_numpy().sum()),
    "ncrna": ncrna,
}, sys.stdout)
"#;

/// The rows of the HTML table after `summary` in `html`: each row's cells
/// (`<th>` and `<td>` alike), each as its last piece of text (`1.9%` of
/// `192<br><small>1.9%</small>`).
fn table_after(html: &str, summary: &str) -> Vec<Vec<String>> {
    let at = html
        .find(summary)
        .unwrap_or_else(|| panic!("no table {summary}"));
    let table = &html[at..at + html[at..].find("</table>").unwrap()];
    table
        .split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<t")
                .filter(|cell| ["d>", "d ", "h>", "h "].iter().any(|p| cell.starts_with(p)))
                .map(|cell| {
                    // after the opening tag, the text is outside tags in
                    // the even pieces
                    let inner = &cell[cell.find('>').unwrap() + 1..];
                    inner
                        .split(['<', '>'])
                        .step_by(2)
                        .filter(|t| !t.trim().is_empty())
                        .last()
                        .unwrap_or_default()
                        .to_string()
                })
                .collect()
        })
        .collect()
}

/// On the six COMPSRA runs, the report's sample figures give pandas'
/// numbers: the miRNAs kept by the rule (and the rule) under the
/// correlation and PCA figures, every r, the explained variance and every
/// sample's PC1 and PC2 (up to sign); r is coloured on a fixed scale from
/// 0 to 1; with the rule, r spans about 0.52–0.98 and PC1 parts the
/// source's cases (01–03) from its controls (07–09). The ncRNA class
/// heatmap gives % of reads read, the composition's figures (tRNA of
/// sample 01: 1.9%, not the 5.9% of its counted inserts), and a zero cell
/// reads `0` in the top miRNAs.
#[test]
fn sample_figures_match_pandas_on_the_six_compsra_runs() {
    let Some(shared) = common::shared() else {
        return;
    };
    if !common::tool_available(
        "python3",
        &["-c", "import numpy, pandas"],
        "pip install pandas",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    quant_ncrna(&shared, &out, &COMPSRA_SIX);
    let want: serde_json::Value = serde_json::from_str(&common::run_ok(
        Command::new("python3").args(["-c", PANDAS]).arg(&out),
    ))
    .unwrap();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let n = COMPSRA_SIX.len();
    assert_eq!(want["samples"].as_array().unwrap().len(), n);

    // the rule and the miRNAs kept, under both figures
    assert_eq!(want["min_count"], 5, "the strict rule holds on COMPSRA");
    let kept = format!(
        "≥ 5 counts in every sample compared (≥ 1 count when fewer than 10 miRNAs pass). \
         {} miRNAs kept, of {} with a count in some sample",
        want["kept"], want["seen"]
    );
    for id in ["fig-correlation", "fig-pca"] {
        assert!(figure(&html, id).contains(&kept), "{id}: no {kept}");
    }

    // every r, to the table's three decimals
    let correlation = figure(&html, "fig-correlation");
    let rows = table_after(correlation, "r of every pair of samples");
    assert_eq!(rows.len(), n + 1);
    let mut off_diagonal = Vec::new();
    for (a, row) in rows[1..].iter().enumerate() {
        assert_eq!(row[0], COMPSRA_SIX[a]);
        for b in 0..n {
            let r: f64 = row[b + 1].parse().unwrap();
            let pandas = want["r"][a][b].as_f64().unwrap();
            assert!((r - pandas).abs() < 6e-4, "r {a},{b}: {r} vs {pandas}");
            if a != b {
                off_diagonal.push(r);
            }
        }
    }
    let lo = off_diagonal.iter().copied().fold(1.0, f64::min);
    let hi = off_diagonal.iter().copied().fold(0.0, f64::max);
    assert!(
        (0.50..0.55).contains(&lo) && (0.97..0.99).contains(&hi),
        "r {lo}–{hi}"
    );
    // the colour bar runs from 0 to 1 whatever the smallest r
    for label in ["0.0", "1.0"] {
        assert!(correlation.contains(&svg_text(label)), "colour bar {label}");
    }

    // PCA: explained variance on the axes, scores up to each axis' sign
    let pca = figure(&html, "fig-pca");
    for (k, axis) in ["PC1", "PC2"].iter().enumerate() {
        let share = 100.0 * want["explained"][k].as_f64().unwrap();
        let label = format!("{axis} ({share:.1}% of variance)");
        assert!(pca.contains(&label), "no {label}");
    }
    let rows = table_after(pca, "PC1 and PC2 of every sample");
    assert_eq!(rows.len(), n + 1);
    let mut pc1 = Vec::new();
    for k in 0..2 {
        let sign = {
            let ours: f64 = rows[1][k + 1].parse().unwrap();
            ours.signum() * want["scores"][0][k].as_f64().unwrap().signum()
        };
        for (s, row) in rows[1..].iter().enumerate() {
            assert_eq!(row[0], COMPSRA_SIX[s]);
            let ours: f64 = row[k + 1].parse().unwrap();
            let pandas = sign * want["scores"][s][k].as_f64().unwrap();
            assert!(
                (ours - pandas).abs() < 2e-3,
                "PC{} {s}: {ours} vs {pandas}",
                k + 1
            );
            if k == 0 {
                pc1.push(ours);
            }
        }
    }
    let (cases, controls) = pc1.split_at(3);
    let apart = cases
        .iter()
        .all(|&c| controls.iter().all(|&d| c.signum() != d.signum()));
    assert!(apart, "PC1 does not part 01–03 from 07–09: {pc1:?}");

    // ncRNA classes as % of reads read, as the composition bars
    let ncrna = figure(&html, "fig-ncrna-classes");
    assert!(ncrna.contains(&svg_text("% of reads")));
    let rows = table_after(ncrna, "Reads of each class, per sample");
    let head = &rows[0];
    assert_eq!(head[1], "Reads");
    for row in &rows[1..] {
        let sample = &row[0];
        for (class, cell) in head.iter().zip(row).skip(2) {
            let Some(pct) = want["ncrna"][sample][class].as_f64() else {
                continue;
            };
            let shown: f64 = cell.trim_end_matches('%').parse().unwrap();
            let step = if pct < 9.95 { 0.05 } else { 0.5 };
            assert!(
                (shown - pct).abs() <= step + 1e-9,
                "{sample} {class}: {shown} vs {pct}"
            );
        }
    }
    let trna = want["ncrna"]["compsra_sample01"]["tRNA"].as_f64().unwrap();
    assert!((trna - 1.92).abs() < 0.01, "sample01 tRNA {trna}%");

    // a zero share reads 0 (and the colour bar's 0 label once)
    let zeros = want["top_zero_cells"].as_u64().unwrap() as usize;
    assert!(zeros > 0);
    let top = figure(&html, "fig-top-mirnas");
    assert_eq!(top.matches(&svg_text("0")).count(), zeros + 1);
}

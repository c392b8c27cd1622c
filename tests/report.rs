//! report.html: written by every run (quant and merge), self-contained (no
//! script, no link, nothing fetched), rebuilt byte for byte by `mirq report`,
//! and, opened in headless Chromium with the network cut off, showing every
//! sample and every figure on a page that is not blank; with `--ncrna`, the
//! reads on ncRNAs by class.
//!
//! The Chromium part needs `chromium` (Debian package; `.ci/run` installs
//! it): outside CI it skips with a message when it is missing, in CI it
//! fails.

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
            COMPSRA
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

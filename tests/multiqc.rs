//! MultiQC custom content: mirq's `multiqc/*_mqc.json` files, read by the
//! real `multiqc` with no plugin, give General Statistics columns, an insert
//! length line plot and a read composition bar plot for every sample, also
//! when the samples come from separate mirq runs (scatter/gather); in
//! MultiQC's own plot data (what its page draws) the insert length x values
//! are numbers in ascending order. The isomiR class and top miRNA sections
//! give each sample's figures of isomirs.tsv and mature_counts.tsv. With
//! `--ncrna` the composition plot has the ncRNA classes, and its counts
//! still sum to the reads read.
//!
//! Needs `multiqc` on PATH (`pip install multiqc`; `.ci/run` installs it):
//! outside CI the test skips with a message when it is missing, in CI
//! (`CI` set) it fails.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Whether `multiqc` runs; panics in CI when it does not.
fn multiqc_available() -> bool {
    common::tool_available("multiqc", &["--version"], "pip install multiqc")
}

const GENERAL_STATS_COLUMNS: [&str; 5] = [
    "reads",
    "pct_adapter",
    "pct_mirna",
    "mirnas_detected",
    "qc_verdict",
];

/// `multiqc_general_stats.txt`: sample → column (the part after `mirq-`) →
/// value, for mirq's columns.
fn general_stats(path: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let mut rows = BTreeMap::new();
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        let cols = header
            .iter()
            .zip(&f)
            .skip(1)
            .filter_map(|(h, v)| {
                let key = h.rsplit_once("mirq-")?.1;
                Some((key.to_string(), v.to_string()))
            })
            .collect();
        rows.insert(f[0].to_string(), cols);
    }
    rows
}

#[test]
fn multiqc_reports_mirq_columns_and_plots_for_every_sample() {
    let Some(shared) = common::shared() else {
        return;
    };
    if !multiqc_available() {
        return;
    }
    let data = shared.join("data");
    let mature = data.join("mirbase/mature_nfcore_test.fa");
    let hairpin = data.join("mirbase/hairpin_hsa.fa");
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    // two runs, as a scatter/gather pipeline would leave them: two NEXTflex
    // samples together, and an already-trimmed run on its own
    let quant = |out: &str, args: &[&str], fastqs: &[&str]| {
        let mut cmd = common::mirq();
        cmd.args([
            "quant",
            "-q",
            "-t",
            "2",
            "--engine",
            "cpu",
            "--species",
            "hsa",
        ])
        .arg("--mature")
        .arg(&mature)
        .arg("--hairpin")
        .arg(&hairpin)
        .args(args)
        .arg("-o")
        .arg(runs.join(out));
        for f in fastqs {
            cmd.arg(data.join("fastq").join(f));
        }
        common::run_ok(&mut cmd);
        common::stats(&runs.join(out))
    };
    // named through a samplesheet: MultiQC's default sample-name cleaning
    // (as for every module) would drop the file name's `_trimmed`
    let sheet = dir.path().join("samplesheet.csv");
    std::fs::write(
        &sheet,
        format!(
            "sample,fastq_1\nisomirmap_LCL_NA19257,{}\n",
            data.join("fastq/isomirmap_LCL_NA19257_random10k_trimmed.fastq.gz")
                .display()
        ),
    )
    .unwrap();
    let mut samples: BTreeMap<String, Value> = BTreeMap::new();
    for (stats, has_adapter) in [
        (
            quant(
                "nextflex",
                &["--protocol", "nextflex"],
                &["compsra_sample01.fastq.gz", "compsra_sample02.fastq.gz"],
            ),
            true,
        ),
        (
            quant(
                "trimmed",
                &[
                    "--protocol",
                    "illumina",
                    "--adapter",
                    "none",
                    "--samplesheet",
                    sheet.to_str().unwrap(),
                ],
                &[],
            ),
            false,
        ),
    ] {
        for s in stats["samples"].as_array().unwrap() {
            let mut s = s.clone();
            s["has_adapter"] = Value::Bool(has_adapter);
            samples.insert(s["sample"].as_str().unwrap().to_string(), s);
        }
    }
    assert_eq!(samples.len(), 3);
    for out in ["nextflex", "trimmed"] {
        for f in [
            "mirq_general_stats_mqc.json",
            "mirq_insert_lengths_mqc.json",
            "mirq_composition_mqc.json",
            "mirq_isomirs_mqc.json",
            "mirq_top_mirnas_mqc.json",
        ] {
            assert!(
                runs.join(out).join("multiqc").join(f).is_file(),
                "{out}/{f}"
            );
        }
    }

    let report = dir.path().join("report");
    common::run_ok(
        Command::new("multiqc")
            .args(["-q", "-f", "--no-version-check", "--no-ansi", "-o"])
            .arg(&report)
            .arg(&runs),
    );
    let mq = report.join("multiqc_data");
    assert!(report.join("multiqc_report.html").is_file());

    // General Statistics: every column for every sample, values from stats.json
    let gs = general_stats(&mq.join("multiqc_general_stats.txt"));
    for (name, st) in &samples {
        let row = gs
            .get(name)
            .unwrap_or_else(|| panic!("{name} not in multiqc_general_stats.txt: {gs:?}"));
        for col in GENERAL_STATS_COLUMNS {
            let present = row.get(col).is_some_and(|v| !v.is_empty());
            let expected = col != "pct_adapter" || st["has_adapter"].as_bool().unwrap();
            assert_eq!(present, expected, "{name}: column {col} in {row:?}");
        }
        let reads = st["reads_in"].as_u64().unwrap();
        assert_eq!(row["reads"].parse::<f64>().unwrap(), reads as f64, "{name}");
        assert_eq!(row["qc_verdict"], st["qc"]["verdict"].as_str().unwrap());
        assert_eq!(
            row["mirnas_detected"].parse::<u64>().unwrap(),
            st["mirnas_detected"].as_u64().unwrap()
        );
        let pct: f64 = row["pct_mirna"].parse().unwrap();
        let want = 100.0 * st["assigned_mature"].as_f64().unwrap() / reads as f64;
        assert!((pct - want).abs() < 0.01, "{name}: {pct} vs {want}");
        if st["has_adapter"].as_bool().unwrap() {
            let pct: f64 = row["pct_adapter"].parse().unwrap();
            let want = 100.0 * st["adapter_found"].as_f64().unwrap() / reads as f64;
            assert!((pct - want).abs() < 0.01, "{name}: {pct} vs {want}");
        }
    }

    // the two plots, with every sample
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(mq.join("multiqc_data.json")).unwrap())
            .unwrap();
    let plots = &json["report_plot_data"];
    assert_eq!(plots["mirq_insert_lengths_plot"]["plot_type"], "x/y line");
    assert_eq!(plots["mirq_composition_plot"]["plot_type"], "bar plot");
    lengths_plotted_in_order(&plots["mirq_insert_lengths_plot"], &samples);
    let raw = &json["report_saved_raw_data"];
    let lengths = raw["multiqc_mirq_insert_lengths_plot"]
        .as_object()
        .expect("insert length data");
    let composition = raw["multiqc_mirq_composition_plot"]
        .as_object()
        .expect("composition data");
    for (name, st) in &samples {
        let series = lengths[name]
            .as_array()
            .unwrap_or_else(|| panic!("{name} not in the insert length plot"));
        let want: Vec<u64> = st["qc"]["insert_lengths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(series.len(), want.len(), "{name}");
        for (len, n) in want.iter().enumerate() {
            // [length, reads] pairs, as mirq wrote them
            assert_eq!(series[len][0].as_f64(), Some(len as f64), "{name}");
            assert_eq!(
                series[len][1].as_f64(),
                Some(*n as f64),
                "{name} length {len}"
            );
        }
        let bars = composition[name]
            .as_object()
            .unwrap_or_else(|| panic!("{name} not in the composition plot"));
        assert_eq!(
            bars["mature_mirna"].as_u64(),
            st["assigned_mature"].as_u64(),
            "{name}"
        );
        let total: u64 = bars.values().map(|v| v.as_u64().unwrap()).sum();
        assert_eq!(total, st["reads_in"].as_u64().unwrap(), "{name}: {bars:?}");
    }
    mirna_sections_match_the_tables(&json, &report, &runs, &["nextflex", "trimmed"]);
}

/// A table's rows (first `keys` columns joined by a tab) → sample → value.
fn table_by_sample(path: &Path, keys: usize) -> Vec<(String, BTreeMap<String, f64>)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let values = header[keys..]
                .iter()
                .zip(&f[keys..])
                .map(|(s, v)| (s.to_string(), v.parse().unwrap()))
                .collect();
            (f[..keys].join("\t"), values)
        })
        .collect()
}

/// The *isomiR classes* and *Top miRNAs* sections, pooled from `outs`
/// (run directories under `runs`): in MultiQC's data, each sample's reads
/// per class are its run's isomirs.tsv summed by class (mirtop's class
/// names); each sample's top miRNAs have their mature_counts.tsv counts and
/// with *other miRNAs* sum to the sample's miRNA counts, the largest
/// miRNA of the run named; both sections are on the page.
fn mirna_sections_match_the_tables(json: &Value, report: &Path, runs: &Path, outs: &[&str]) {
    let plots = &json["report_plot_data"];
    assert_eq!(plots["mirq_isomirs_plot"]["plot_type"], "bar plot");
    assert_eq!(plots["mirq_top_mirnas_plot"]["plot_type"], "bar plot");
    let raw = &json["report_saved_raw_data"];
    let isomirs = &raw["multiqc_mirq_isomirs_plot"];
    let top = &raw["multiqc_mirq_top_mirnas_plot"];
    let mut samples = 0;
    for out in outs {
        let dir = runs.join(out);
        let mut classes: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        for (key, values) in table_by_sample(&dir.join("isomirs.tsv"), 2) {
            let class = key.rsplit('\t').next().unwrap().to_string();
            for (sample, v) in values {
                *classes
                    .entry(sample)
                    .or_default()
                    .entry(class.clone())
                    .or_default() += v;
            }
        }
        let counts = table_by_sample(&dir.join("mature_counts.tsv"), 1);
        for (sample, by_class) in &classes {
            samples += 1;
            let bar = isomirs[sample]
                .as_object()
                .unwrap_or_else(|| panic!("{sample} not in the isomiR plot"));
            for (class, reads) in by_class {
                assert_eq!(bar[class].as_f64(), Some(*reads), "{sample} {class}");
            }
            for class in ["ref_miRNA", "iso_5p", "iso_3p", "iso_add3p", "iso_snv"] {
                assert!(bar.contains_key(class), "{sample}: no {class}");
            }
            assert!(bar["ref_miRNA"].as_f64() > Some(0.0), "{sample}");

            let bar = top[sample]
                .as_object()
                .unwrap_or_else(|| panic!("{sample} not in the top miRNA plot"));
            assert_eq!(bar.len(), 10, "{sample}: 9 miRNAs and the others: {bar:?}");
            let count = |mirna: &str| {
                counts
                    .iter()
                    .find(|(m, _)| m == mirna)
                    .map(|(_, v)| v[sample])
                    .unwrap_or_else(|| panic!("{mirna} not in mature_counts.tsv"))
            };
            let total: f64 = counts.iter().map(|(_, v)| v[sample]).sum();
            let plotted: f64 = bar.values().map(|v| v.as_f64().unwrap()).sum();
            assert!(
                (plotted - total).abs() < 0.01,
                "{sample}: {plotted} vs {total}"
            );
            for (mirna, v) in bar.iter().filter(|(m, _)| *m != "other miRNAs") {
                assert_eq!(v.as_f64(), Some(count(mirna)), "{sample} {mirna}");
            }
            // the miRNA with the largest mean share of the run is named
            let share = |v: &BTreeMap<String, f64>| {
                v.iter()
                    .map(|(s, c)| {
                        let total: f64 = counts.iter().map(|(_, col)| col[s]).sum();
                        c / total
                    })
                    .sum::<f64>()
            };
            let (largest, _) = counts
                .iter()
                .max_by(|a, b| share(&a.1).total_cmp(&share(&b.1)))
                .unwrap();
            assert!(bar.contains_key(largest), "{sample}: {largest} not named");
        }
    }
    assert!(samples >= 3, "{samples} samples");
    let html = std::fs::read_to_string(report.join("multiqc_report.html")).unwrap();
    for text in [
        "isomiR classes",
        "Top miRNAs",
        "mirq_isomirs_plot",
        "mirq_top_mirnas_plot",
    ] {
        assert!(html.contains(text), "{text} not in multiqc_report.html");
    }
}

/// MultiQC's own plot data of the insert length plot (what its page draws):
/// one line per sample, whose x values are numbers in ascending order (x
/// values that were text were sorted `0, 1, 10, 11, …, 2, 20` and the lines
/// zigzagged).
fn lengths_plotted_in_order(plot: &Value, samples: &BTreeMap<String, Value>) {
    let lines = plot["datasets"][0]["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("no lines in the insert length plot: {plot}"));
    assert_eq!(lines.len(), samples.len());
    for line in lines {
        let name = line["name"].as_str().unwrap();
        assert!(samples.contains_key(name), "{name}");
        let xs: Vec<f64> = line["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                p[0].as_f64()
                    .unwrap_or_else(|| panic!("{name}: x {} is not a number", p[0]))
            })
            .collect();
        assert!(xs.len() > 10, "{name}: {xs:?}");
        assert!(
            xs.windows(2).all(|w| w[0] < w[1]),
            "{name}: x not ascending: {xs:?}"
        );
        assert_eq!(xs[0], 0.0, "{name}");
    }
}

/// The ncRNA classes every `--ncrna` test run uses (files of
/// `data/ncrna/hsa`), in precedence order.
const NCRNA_CLASSES: [&str; 5] = ["tRNA", "rRNA", "snRNA", "snoRNA", "YRNA"];

/// `mirq quant` of COMPSRA `samples` (NEXTflex) into `runs/out`, with the
/// [`NCRNA_CLASSES`] when `ncrna`; its stats.json.
fn quant_compsra(shared: &Path, runs: &Path, out: &str, samples: &[&str], ncrna: bool) -> Value {
    let data = shared.join("data");
    let mut q = common::Quant::mirbase(
        shared,
        "hsa",
        "mature_nfcore_test.fa",
        Some("hairpin_hsa.fa"),
        &runs.join(out),
    )
    .args(["-t", "2", "--engine", "cpu", "--protocol", "nextflex"]);
    if ncrna {
        for class in NCRNA_CLASSES {
            let fasta = data.join(format!("ncrna/hsa/{class}.fa"));
            q = q.arg("--ncrna").arg(fasta);
        }
    }
    q.args(
        samples
            .iter()
            .map(|s| data.join(format!("fastq/{s}.fastq.gz"))),
    )
    .run_ok();
    common::stats(&runs.join(out))
}

/// With `--ncrna`, the composition plot has a category per class (and one
/// for antisense reads) whose counts still sum to the reads read, and the
/// General Statistics an `% ncRNA` column; a run without `--ncrna` pooled
/// into the same report keeps its own composition plot.
#[test]
fn multiqc_shows_the_ncrna_classes_in_the_composition() {
    let Some(shared) = common::shared() else {
        return;
    };
    if !multiqc_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let pair = ["compsra_sample01", "compsra_sample02"];
    let with = quant_compsra(&shared, &runs, "ncrna", &pair, true);
    let without = quant_compsra(&shared, &runs, "plain", &["compsra_sample03"], false);
    let ncrna_columns = "multiqc/mirq_ncrna_general_stats_mqc.json";
    assert!(runs.join("ncrna").join(ncrna_columns).is_file());
    assert!(!runs.join("plain").join(ncrna_columns).exists());

    let report = dir.path().join("report");
    common::run_ok(
        Command::new("multiqc")
            .args(["-q", "-f", "--no-version-check", "--no-ansi", "-o"])
            .arg(&report)
            .arg(&runs),
    );
    let mq = report.join("multiqc_data");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(mq.join("multiqc_data.json")).unwrap())
            .unwrap();
    ncrna_categories_plotted(
        &json["report_plot_data"]["mirq_composition_ncrna_plot"],
        &with,
    );
    let raw = &json["report_saved_raw_data"];
    let bars = raw["multiqc_mirq_composition_ncrna_plot"]
        .as_object()
        .expect("ncRNA composition data");
    let plain = raw["multiqc_mirq_composition_plot"]
        .as_object()
        .expect("composition data of the run without --ncrna");
    assert_eq!(plain.keys().collect::<Vec<_>>(), ["compsra_sample03"]);
    assert_eq!(bars.len(), 2, "{bars:?}");
    let gs = general_stats(&mq.join("multiqc_general_stats.txt"));
    for st in with["samples"].as_array().unwrap() {
        let name = st["sample"].as_str().unwrap();
        let sense = ncrna_bars_match(&bars[name], st);
        let pct: f64 = gs[name]["pct_ncrna"].parse().unwrap();
        let want = 100.0 * sense as f64 / st["reads_in"].as_f64().unwrap();
        assert!((pct - want).abs() < 0.01, "{name}: {pct} vs {want}");
    }
    let plain_name = without["samples"][0]["sample"].as_str().unwrap();
    assert!(!gs[plain_name]
        .get("pct_ncrna")
        .is_some_and(|v| !v.is_empty()));
}

/// One sample's bar of the ncRNA composition plot (MultiQC's saved data):
/// each class's reads and the antisense ones as in stats.json `st`, all
/// categories summing to the reads read; the reads on ncRNAs (sense).
fn ncrna_bars_match(bar: &Value, st: &Value) -> u64 {
    let name = st["sample"].as_str().unwrap();
    let row = bar
        .as_object()
        .unwrap_or_else(|| panic!("{name} not plotted"));
    let classes = st["ncrna"]["classes"].as_array().unwrap();
    let mut sense = 0;
    for c in classes {
        let key = format!("ncrna_{}", c["class"].as_str().unwrap());
        assert_eq!(row[&key].as_u64(), c["reads"].as_u64(), "{name} {key}");
        sense += c["reads"].as_u64().unwrap();
    }
    let antisense: u64 = classes
        .iter()
        .map(|c| c["antisense"].as_u64().unwrap())
        .sum();
    assert_eq!(row["ncrna_antisense"].as_u64(), Some(antisense));
    assert_eq!(row["unassigned"].as_u64(), st["unassigned"].as_u64());
    let total: u64 = row.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(total, st["reads_in"].as_u64().unwrap(), "{name}: {row:?}");
    assert!(sense > 0, "{name}: no read on an ncRNA");
    sense
}

/// MultiQC's own plot data of the ncRNA composition plot: a category, in
/// the run's class order between *Hairpin only* and *Unassigned insert*,
/// for every class with reads.
fn ncrna_categories_plotted(plot: &Value, stats: &Value) {
    assert_eq!(plot["plot_type"], "bar plot", "{plot}");
    let cats: Vec<&str> = plot["datasets"][0]["cats"]
        .as_array()
        .unwrap_or_else(|| panic!("no categories: {plot}"))
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let at = |name: &str| cats.iter().position(|c| *c == name);
    let (hairpin, unassigned) = (at("Hairpin only"), at("Unassigned insert"));
    let mut last = hairpin.expect("Hairpin only");
    // the run's class order (precedence), as stats.json records it
    let order: Vec<&str> = stats["settings"]["ncrna"]["classes"]
        .as_array()
        .expect("settings.ncrna.classes")
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for class in order {
        let reads: u64 = stats["samples"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["ncrna"]["classes"].as_array().unwrap())
            .filter(|c| c["class"] == class)
            .map(|c| c["reads"].as_u64().unwrap())
            .sum();
        if reads == 0 {
            continue;
        }
        let here = at(class).unwrap_or_else(|| panic!("{class} not plotted: {cats:?}"));
        assert!(here > last, "{class} out of order: {cats:?}");
        last = here;
    }
    assert!(unassigned.expect("Unassigned insert") > last, "{cats:?}");
}

/// `mirq quant` of the runs of the origin tests into `runs`: `mouse` (a
/// mouse run quantified as hsa, and a human one) with `--clades` (both
/// miRTrace lists) and a lambda `--screen`; `lcl` (a human LCL run, EBV
/// miRNAs among its reads) without them, named through a samplesheet (the
/// file name's `_trimmed` would be cleaned off by MultiQC). Their stats.json.
fn quant_origin_runs(shared: &Path, runs: &Path) -> (Value, Value) {
    let data = shared.join("data");
    let quant = |out: &str| {
        common::Quant::mirbase(
            shared,
            "hsa",
            "mature_v21.fa.gz",
            Some("hairpin_v21.fa"),
            &runs.join(out),
        )
        .args(["-t", "2", "--engine", "cpu"])
    };
    let clades = data.join("mirbase/mirtrace_clades");
    quant("mouse")
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
    let sheet = runs.join("lcl_samplesheet.csv");
    std::fs::create_dir_all(runs).unwrap();
    std::fs::write(
        &sheet,
        format!(
            "sample,fastq_1\nLCL_NA19257,{}\n",
            data.join("fastq/isomirmap_LCL_NA19257_random10k_trimmed.fastq.gz")
                .display()
        ),
    )
    .unwrap();
    quant("lcl")
        .args([
            "--protocol",
            "illumina",
            "--adapter",
            "none",
            "--samplesheet",
        ])
        .arg(&sheet)
        .run_ok();
    (
        common::stats(&runs.join("mouse")),
        common::stats(&runs.join("lcl")),
    )
}

/// The origin cascade in MultiQC: General Statistics columns for % on
/// artifacts, on other species' miRNAs and on the screen references (the
/// run with `--screen` only), and the species fit as text (`other: mmu` for
/// the mouse run quantified as hsa); an *Other species' miRNAs* section
/// pooling the species of both runs (EBV in the LCL run), and a
/// *Clade-specific miRNA families* section for the run with `--clades`.
#[test]
fn multiqc_shows_the_origin_columns_and_sections() {
    let Some(shared) = common::shared() else {
        return;
    };
    if !multiqc_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let (mouse, lcl) = quant_origin_runs(&shared, &runs);
    for f in [
        "mirq_origin_general_stats_mqc.json",
        "mirq_exogenous_mqc.json",
    ] {
        for out in ["mouse", "lcl"] {
            assert!(
                runs.join(out).join("multiqc").join(f).is_file(),
                "{out}/{f}"
            );
        }
    }
    assert!(runs.join("mouse/multiqc/mirq_clades_mqc.json").is_file());
    assert!(!runs.join("lcl/multiqc/mirq_clades_mqc.json").exists());

    let report = dir.path().join("report");
    common::run_ok(
        Command::new("multiqc")
            .args(["-q", "-f", "--no-version-check", "--no-ansi", "-o"])
            .arg(&report)
            .arg(&runs),
    );
    let mq = report.join("multiqc_data");
    let gs = general_stats(&mq.join("multiqc_general_stats.txt"));
    let fits = [
        ("trimgalore_smallRNA_100K", "other: mmu"),
        ("mirtrace_sample1", "fits"),
        ("LCL_NA19257", "fits"),
    ];
    let samples: Vec<&Value> = mouse["samples"]
        .as_array()
        .unwrap()
        .iter()
        .chain(lcl["samples"].as_array().unwrap())
        .collect();
    assert_eq!(samples.len(), fits.len());
    for (st, (name, fit)) in samples.iter().zip(fits) {
        assert_eq!(st["sample"], name);
        let row = gs
            .get(name)
            .unwrap_or_else(|| panic!("{name} not in multiqc_general_stats.txt: {gs:?}"));
        assert_eq!(row["species_fit"], fit, "{name}");
        let reads = st["reads_in"].as_f64().unwrap();
        for (col, part) in [
            ("pct_artifact", &st["artifact"]["reads"]),
            ("pct_exogenous", &st["exogenous"]["reads"]),
        ] {
            let pct: f64 = row[col].parse().unwrap();
            let want = 100.0 * part.as_f64().unwrap() / reads;
            assert!((pct - want).abs() < 0.01, "{name} {col}: {pct} vs {want}");
        }
        // a screen share for the run with --screen only (lambda: none)
        let screen = row.get("pct_screen").filter(|v| !v.is_empty());
        assert_eq!(screen.is_some(), name != "LCL_NA19257", "{name}: {row:?}");
    }

    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(mq.join("multiqc_data.json")).unwrap())
            .unwrap();
    let plots = &json["report_plot_data"];
    assert_eq!(plots["mirq_exogenous_plot"]["plot_type"], "bar plot");
    assert_eq!(plots["mirq_clades_plot"]["plot_type"], "bar plot");
    let raw = &json["report_saved_raw_data"];
    let exogenous = &raw["multiqc_mirq_exogenous_plot"];
    // the species of both runs, pooled into one plot
    assert!(exogenous["LCL_NA19257"]["ebv"].as_f64().unwrap() > 100.0);
    assert!(
        exogenous["trimgalore_smallRNA_100K"]["mmu"]
            .as_f64()
            .unwrap()
            > 1000.0
    );
    for st in &samples {
        let name = st["sample"].as_str().unwrap();
        let total: f64 = exogenous[name]
            .as_object()
            .unwrap_or_else(|| panic!("{name} not in the other species plot"))
            .values()
            .map(|v| v.as_f64().unwrap())
            .sum();
        let want = st["exogenous"]["reads"].as_f64().unwrap();
        assert!((total - want).abs() < 0.01, "{name}: {total} vs {want}");
    }
    let clades = &raw["multiqc_mirq_clades_plot"];
    assert!(
        clades["trimgalore_smallRNA_100K"]["rodents"]
            .as_u64()
            .unwrap()
            > 100
    );
    assert!(clades.get("LCL_NA19257").is_none());

    // the page: the columns and the sections
    let html = std::fs::read_to_string(report.join("multiqc_report.html")).unwrap();
    for text in [
        "Species fit",
        "% artifact",
        "Other species' miRNAs",
        "Clade-specific miRNA families",
        "other: mmu",
    ] {
        assert!(html.contains(text), "{text} not in multiqc_report.html");
    }
}

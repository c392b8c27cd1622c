//! Counts for differential expression: `mature_counts_int.tsv` is
//! `mature_counts.tsv` in integers that keep every sample's total, and the
//! README's pydeseq2 lines run on it (COMPSRA samples 01–03 against 07–09)
//! and give a results table.
//!
//! The pydeseq2 part needs `pydeseq2` for python3 (`.ci/run` installs it):
//! outside CI it skips with a message when it is missing, in CI it fails.

mod common;

use std::path::Path;

const CONTROL: [&str; 3] = ["compsra_sample01", "compsra_sample02", "compsra_sample03"];
const TREATED: [&str; 3] = ["compsra_sample07", "compsra_sample08", "compsra_sample09"];

/// The README's pydeseq2 lines: the first Python block of its
/// *Differential expression* section.
fn readme_pydeseq2() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme
        .find("### Differential expression")
        .expect("README has a Differential expression section")..];
    let start = section.find("```python\n").expect("a Python block") + "```python\n".len();
    let len = section[start..].find("```").unwrap();
    section[start..start + len].to_string()
}

/// `mature_counts_int.tsv` against `mature_counts.tsv`: same rows and
/// columns, each count within one read, whole counts unchanged, every
/// sample's total kept.
fn check_integer_table(out: &Path) {
    let (header, frac) = common::read_table(&out.join("mature_counts.tsv"));
    let (int_header, ints) = common::read_table(&out.join("mature_counts_int.tsv"));
    assert_eq!(header, int_header);
    assert_eq!(frac.len(), ints.len());
    let samples = header.len() - 1;
    let (mut frac_totals, mut int_totals) = (vec![0.0; samples], vec![0.0; samples]);
    let mut shares = 0;
    for (mirna, f) in &frac {
        let i = &ints[mirna];
        for s in 0..samples {
            assert_eq!(i[s], i[s].round(), "{mirna}: {}", i[s]);
            assert!((i[s] - f[s]).abs() < 1.0, "{mirna}: {} vs {}", i[s], f[s]);
            if f[s] == f[s].round() {
                assert_eq!(i[s], f[s], "{mirna}: a whole count moved");
            } else {
                shares += 1;
            }
            frac_totals[s] += f[s];
            int_totals[s] += i[s];
        }
    }
    assert!(shares > 0, "no multi-mapper share to round: a weak test");
    for s in 0..samples {
        // the fractional table prints shares to 3 decimals: its column sums
        // are near whole numbers, not at them
        assert!(
            (frac_totals[s] - int_totals[s]).abs() < 0.5,
            "{}: {} vs {}",
            header[s + 1],
            frac_totals[s],
            int_totals[s]
        );
    }
}

#[test]
fn integer_counts_feed_pydeseq2() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    common::Quant::mirbase(&shared, "hsa", "mature_nfcore_test.fa", None, &out)
        .args(["--protocol", "nextflex"])
        .args(
            CONTROL
                .iter()
                .chain(&TREATED)
                .map(|s| shared.join(format!("data/fastq/{s}.fastq.gz"))),
        )
        .run_ok();
    check_integer_table(&out);

    if !common::tool_available(
        "python3",
        &["-c", "import pydeseq2"],
        "pip install pydeseq2==0.5.4",
    ) {
        return;
    }
    let mut sheet = String::from("sample,condition\n");
    for (group, names) in [("control", CONTROL), ("treated", TREATED)] {
        for n in names {
            sheet.push_str(&format!("{n},{group}\n"));
        }
    }
    std::fs::write(dir.path().join("samples.csv"), sheet).unwrap();
    std::fs::write(dir.path().join("de.py"), readme_pydeseq2()).unwrap();
    common::run_ok(
        std::process::Command::new("python3")
            .arg("de.py")
            .current_dir(dir.path()),
    );
    let table = std::fs::read_to_string(dir.path().join("deseq2_results.tsv")).unwrap();
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let p = header
        .iter()
        .position(|h| *h == "pvalue")
        .unwrap_or_else(|| panic!("no pvalue column: {header:?}"));
    let pvalues: Vec<f64> = lines
        .map(|l| l.split('\t').nth(p).unwrap().parse().unwrap_or(f64::NAN))
        .collect();
    let finite: Vec<f64> = pvalues.iter().copied().filter(|v| v.is_finite()).collect();
    assert!(pvalues.len() >= 20, "{} miRNAs tested", pvalues.len());
    assert!(finite.len() >= 20, "{} finite p-values", finite.len());
    assert!(finite.iter().all(|v| (0.0..=1.0).contains(v)), "{finite:?}");
}

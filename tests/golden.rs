//! Golden test: a tiny hand-made run whose every count can be checked by eye
//! (tests/data/tiny; the read names say what each read is).

mod common;

use std::path::Path;

fn assert_same_file(got: &Path, want: &Path) {
    let g = std::fs::read_to_string(got).unwrap_or_else(|e| panic!("{}: {e}", got.display()));
    let w = std::fs::read_to_string(want).unwrap_or_else(|e| panic!("{}: {e}", want.display()));
    assert_eq!(g, w, "{} differs from {}", got.display(), want.display());
}

#[test]
fn tiny_run_matches_golden_tables() {
    let out = tempfile::tempdir().unwrap();
    let d = |f: &str| common::test_data(&format!("tiny/{f}"));
    common::run_ok(
        common::mirq()
            .args(["quant", "--species", "tst", "-t", "2", "-q"])
            .args(["--protocol", "illumina", "--mature"])
            .arg(d("mature.fa"))
            .arg("--hairpin")
            .arg(d("hairpin.fa"))
            .arg(d("tiny.fastq"))
            .arg(d("second.fastq"))
            .arg(d("empty.fastq"))
            .arg("-o")
            .arg(out.path()),
    );
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/tiny");
    for f in [
        "mature_counts.tsv",
        "mature_counts_unique.tsv",
        "mature_rpm.tsv",
        "hairpin_counts.tsv",
        "collapsed/tiny.fa",
        "collapsed/second.fa",
        "collapsed/empty.fa",
    ] {
        assert_same_file(&out.path().join(f), &golden.join(f));
    }
    let stats = common::stats(out.path());
    let tiny = &stats["samples"][0];
    let expect = [
        ("reads_in", 15),
        ("adapter_found", 14),
        ("no_adapter", 1),
        ("too_short", 2),
        ("adapter_dimers", 1),
        ("too_long", 1),
        ("inserts", 11),
        ("unique_inserts", 8),
        ("assigned_mature", 9),
        ("mature_multimapped", 1),
        ("hairpin_only", 1),
        ("unassigned", 1),
        ("mirnas_detected", 6),
    ];
    for (key, value) in expect {
        assert_eq!(tiny[key], value, "stats.json samples[0].{key}");
    }
    assert_eq!(stats["engine"], "cpu");
    assert_eq!(stats["samples"][2]["reads_in"], 0);
}

#[test]
fn mature_only_mode_counts_the_same_tiny_mirnas() {
    let out = tempfile::tempdir().unwrap();
    let d = |f: &str| common::test_data(&format!("tiny/{f}"));
    common::run_ok(
        common::mirq()
            .args(["quant", "--species", "tst", "-q"])
            .args(["--protocol", "illumina", "--mature"])
            .arg(d("mature.fa"))
            .arg(d("tiny.fastq"))
            .arg("-o")
            .arg(out.path()),
    );
    let (header, rows) = common::read_table(&out.path().join("mature_counts.tsv"));
    assert_eq!(header, vec!["mirna", "tiny"]);
    assert_eq!(rows["tst-miR-1-5p"], vec![4.0]);
    assert_eq!(rows["tst-miR-2a"], vec![2.0]);
    assert_eq!(rows["tst-miR-2b"], vec![1.0]);
    assert_eq!(rows["tst-miR-4a"], vec![0.5]);
    assert_eq!(rows.len(), 6, "only tst matures are rows");
    // no hairpins: the loop read has nowhere to go
    assert_eq!(common::stats(out.path())["samples"][0]["hairpin_only"], 0);
}

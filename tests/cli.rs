//! Command-line behaviour: samplesheets, thread-count independence, help.

mod common;

#[test]
fn samplesheet_pools_lanes_into_one_column() {
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("samples.csv");
    std::fs::write(
        &sheet,
        format!(
            "sample,fastq_1\nboth,{}\nboth,{}\nsecond_only,{}\n",
            common::test_data("tiny/tiny.fastq").display(),
            common::test_data("tiny/second.fastq").display(),
            common::test_data("tiny/second.fastq").display()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    common::run_ok(
        common::mirq()
            .args(["quant", "-q", "--species", "tst", "--mature"])
            .arg(common::test_data("tiny/mature.fa"))
            .arg("--samplesheet")
            .arg(&sheet)
            .arg("-o")
            .arg(&out),
    );
    let (header, rows) = common::read_table(&out.join("mature_counts.tsv"));
    assert_eq!(header, vec!["mirna", "both", "second_only"]);
    assert_eq!(rows["tst-miR-1-5p"], vec![5.0, 1.0]);
    assert_eq!(rows["tst-miR-2b"], vec![3.0, 2.0]);
    assert_eq!(common::stats(&out)["samples"][0]["reads_in"], 18);
}

#[test]
fn outputs_do_not_depend_on_thread_count() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |threads: &str| {
        let out = dir.path().join(format!("t{threads}"));
        common::run_ok(
            common::mirq()
                .args([
                    "quant",
                    "-q",
                    "--species",
                    "mmu",
                    "--protocol",
                    "illumina",
                    "-t",
                    threads,
                ])
                .arg("--mature")
                .arg(shared.join("data/mirbase/mature_v21.fa.gz"))
                .arg("--hairpin")
                .arg(shared.join("data/mirbase/hairpin_v21.fa"))
                .arg(shared.join("data/fastq/trimgalore_smallRNA_100K.fastq.gz"))
                .arg(shared.join("data/fastq/mirtrace_qiaseq.fastq.gz"))
                .arg("-o")
                .arg(&out),
        );
        out
    };
    let (a, b, c) = (run("1"), run("2"), run("8"));
    for f in [
        "mature_counts.tsv",
        "mature_counts_unique.tsv",
        "mature_rpm.tsv",
        "hairpin_counts.tsv",
        "collapsed/trimgalore_smallRNA_100K.fa",
    ] {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs between -t 1 and -t 2");
        assert!(
            x == std::fs::read(c.join(f)).unwrap(),
            "{f} differs between -t 1 and -t 8"
        );
    }
}

#[test]
fn help_lists_the_option_groups() {
    let out = common::run_ok(common::mirq().args(["quant", "--help"]));
    for heading in [
        "Input",
        "Reference",
        "Trimming",
        "Alignment",
        "Performance",
        "Output",
    ] {
        assert!(out.contains(heading), "--help lacks {heading}:\n{out}");
    }
}

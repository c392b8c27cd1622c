//! Inputs that once gave a silent wrong answer (issue: no silent wrong
//! answer): each case must count like its clean twin, or fail with a message
//! that names what is wrong.

mod common;

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use common::Quant;

/// A copy of a gzipped FASTQ with its sequence lines rewritten by `edit`.
fn rewrite_fastq(from: &Path, to: &Path, edit: impl Fn(&str) -> String) {
    let reader = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(
        std::fs::File::open(from).unwrap(),
    ));
    let mut out = std::io::BufWriter::new(std::fs::File::create(to).unwrap());
    for (i, line) in reader.lines().enumerate() {
        let line = line.unwrap();
        let line = if i % 4 == 1 { edit(&line) } else { line };
        writeln!(out, "{line}").unwrap();
    }
}

fn quant_sample1(shared: &Path, fastq: &Path, out: &Path) -> (Vec<u8>, serde_json::Value) {
    Quant::mirbase(
        shared,
        "hsa",
        "mature_nfcore_test.fa",
        Some("hairpin_hsa.fa"),
        out,
    )
    .args(["--engine", "cpu"])
    .arg(fastq)
    .run_ok();
    // the table without its header (which names the sample)
    let counts = std::fs::read_to_string(out.join("mature_counts.tsv")).unwrap();
    let rows = counts.split_once('\n').unwrap().1.as_bytes().to_vec();
    (rows, common::stats(out))
}

/// Lower-case reads, and RNA letters (U), count exactly like the upper-case
/// DNA reads they spell: adapter, UMI and insert logic see normalised bases.
#[test]
fn lowercase_and_rna_reads_count_like_uppercase() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let original = shared.join("data/fastq/mirtrace_sample1.fastq.gz");
    let plain: PathBuf = dir.path().join("sample1.fastq");
    rewrite_fastq(&original, &plain, |s| s.to_string());
    let lower = dir.path().join("sample1_lower.fastq");
    rewrite_fastq(&original, &lower, |s| s.to_ascii_lowercase());
    let rna = dir.path().join("sample1_rna.fastq");
    rewrite_fastq(&original, &rna, |s| s.replace('T', "U"));
    let (want, stats) = quant_sample1(&shared, &plain, &dir.path().join("plain"));
    let assigned = stats["samples"][0]["assigned_mature"].as_u64().unwrap();
    assert!(
        assigned > 4000,
        "{assigned} reads assigned on the clean run"
    );
    for (name, fastq) in [("lower", &lower), ("rna", &rna)] {
        let (got, got_stats) = quant_sample1(&shared, fastq, &dir.path().join(name));
        let (a, b) = (&got_stats["samples"][0], &stats["samples"][0]);
        for key in [
            "adapter_found",
            "assigned_mature",
            "inserts",
            "unique_inserts",
        ] {
            assert_eq!(a[key], b[key], "{name}: {key}");
        }
        assert!(
            got == want,
            "{name}: mature_counts.tsv differs from the upper-case run"
        );
    }
}

/// A sample name that climbs out of the outdir is refused, naming the
/// samplesheet line, and nothing is written anywhere.
#[test]
fn sample_name_with_a_path_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("a/b");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::copy(common::test_data("tiny/tiny.fastq"), deep.join("r.fastq")).unwrap();
    let sheet = deep.join("s.csv");
    std::fs::write(&sheet, "sample,fastq_1\nok,r.fastq\n../../pwned,r.fastq\n").unwrap();
    let out = deep.join("out");
    let run = Quant::new("tst", common::test_data("tiny/mature.fa"), &out)
        .arg("--samplesheet")
        .arg(&sheet)
        .output();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_ne!(run.status.code(), Some(0));
    assert!(
        stderr.contains("line 3") && stderr.contains("path separator"),
        "{stderr}"
    );
    let written: Vec<String> = common::files_under(dir.path())
        .into_iter()
        .filter(|f| !f.ends_with("r.fastq") && !f.ends_with("s.csv"))
        .collect();
    assert!(written.is_empty(), "written: {written:?}");
}

/// Wrong references fail with a message saying what is wrong: a name with
/// two sequences, hairpins given as matures (and the two swapped); an
/// IUPAC letter in a mature is a warning naming it, and it is still counted.
#[test]
fn references_that_would_count_nothing_are_refused_or_named() {
    let dir = tempfile::tempdir().unwrap();
    let mature = std::fs::read_to_string(common::test_data("tiny/mature.fa")).unwrap();
    let reads = common::test_data("tiny/tiny.fastq");
    let run = |name: &str, mature_text: &str, hairpin: Option<&Path>| {
        let m = dir.path().join(format!("{name}.fa"));
        std::fs::write(&m, mature_text).unwrap();
        let q = Quant::new("tst", &m, &dir.path().join(name)).arg(&reads);
        let q = match hairpin {
            Some(h) => q.arg("--hairpin").arg(h),
            None => q,
        };
        let out = q.output();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let twice = format!("{mature}>tst-miR-2a again\nUGAGGUAGUAGGUUGUAUAGUA\n");
    let (code, err) = run("twice", &twice, None);
    assert_ne!(code, Some(0));
    assert!(
        err.contains("'tst-miR-2a' names two different sequences"),
        "{err}"
    );
    let hairpins = std::fs::read_to_string(common::test_data("tiny/hairpin.fa")).unwrap();
    let (code, err) = run("hairpins", &hairpins, None);
    assert_ne!(code, Some(0));
    assert!(err.contains("look like hairpins"), "{err}");
    let (code, err) = run(
        "swapped",
        &mature,
        Some(&common::test_data("tiny/mature.fa")),
    );
    assert_ne!(code, Some(0));
    assert!(err.contains("look like matures"), "{err}");
    // miR-1-5p with R (A or G) where its reads have A
    let iupac = mature.replace("UAGCAGCACGUAAAUAUUGGCG", "UAGCAGCACGURAAUAUUGGCG");
    let (code, err) = run("iupac", &iupac, None);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("WARNING") && err.contains("tst-miR-1-5p"),
        "{err}"
    );
    let (_, rows) = common::read_table(&dir.path().join("iupac/mature_counts.tsv"));
    assert!(rows["tst-miR-1-5p"][0] > 0.0, "{rows:?}");
}

/// A tiny-reference quant of `reads` into `out` (with the tiny hairpins
/// when `hairpin`), with the environment `env`.
fn tiny_quant(
    out: &Path,
    reads: &[&str],
    hairpin: bool,
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut q = Quant::new("tst", common::test_data("tiny/mature.fa"), out)
        .args(reads.iter().map(|r| common::test_data(r)));
    if hairpin {
        q = q.arg("--hairpin").arg(common::test_data("tiny/hairpin.fa"));
    }
    q.envs(env).output()
}

/// A rerun with fewer samples and no hairpins leaves exactly the files a
/// fresh run writes: nothing of the earlier run stays.
#[test]
fn a_rerun_leaves_no_stale_file() {
    let dir = tempfile::tempdir().unwrap();
    let (out, fresh) = (dir.path().join("out"), dir.path().join("fresh"));
    let two = ["tiny/tiny.fastq", "tiny/second.fastq"];
    assert!(tiny_quant(&out, &two, true, &[]).status.success());
    assert!(common::files_under(&out)
        .iter()
        .any(|f| f.contains("isomirs.gff3")));
    assert!(tiny_quant(&out, &two[..1], false, &[]).status.success());
    assert!(tiny_quant(&fresh, &two[..1], false, &[]).status.success());
    assert_eq!(common::files_under(&out), common::files_under(&fresh));
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 2, "leftovers beside the outdirs: {left:?}");
}

/// A run killed at each step of switching its outputs in leaves the
/// earlier complete set or its own, never a mix; the next run clears what
/// the killed one left.
#[test]
fn a_run_killed_while_switching_leaves_one_complete_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let two = ["tiny/tiny.fastq", "tiny/second.fastq"];
    assert!(tiny_quant(&out, &two, true, &[]).status.success());
    let before = common::files_under(&out);
    let fresh = dir.path().join("fresh");
    assert!(tiny_quant(&fresh, &two[..1], false, &[]).status.success());
    let after = common::files_under(&fresh);
    for step in ["staged", "switched"] {
        assert!(tiny_quant(&out, &two, true, &[]).status.success());
        let killed = tiny_quant(&out, &two[..1], false, &[("MIRQ_TEST_KILL_AT", step)]);
        assert_eq!(killed.status.code(), Some(137), "{step}");
        let now = common::files_under(&out);
        assert!(now == before || now == after, "{step}: a mix: {now:?}");
        let names = common::stats(&out)["samples"].as_array().unwrap().len();
        assert_eq!(names, if now == before { 2 } else { 1 }, "{step}");
        assert!(tiny_quant(&out, &two[..1], false, &[]).status.success());
        assert_eq!(common::files_under(&out), after, "{step}: the next run");
        let beside = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(beside, 2, "{step}: leftovers beside the outdir");
    }
}

/// A second run into an outdir another run holds fails at once, naming it;
/// a file, or a directory of someone else's files, is refused as outdir.
#[test]
fn busy_foreign_and_file_outdirs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let held = mirq::output::outdir::OutdirLock::acquire(dir.path(), "out", &out).unwrap();
    let run = tiny_quant(&out, &["tiny/tiny.fastq"], false, &[]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_ne!(run.status.code(), Some(0));
    let pid = std::process::id().to_string();
    assert!(
        err.contains("another mirq run") && err.contains(&pid),
        "{err}"
    );
    assert!(!out.exists());
    drop(held);
    let mine = dir.path().join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("thesis.docx"), "mine").unwrap();
    let run = tiny_quant(&mine, &["tiny/tiny.fastq"], false, &[]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("did not write"), "{err}");
    assert!(mine.join("thesis.docx").exists());
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let err = String::from_utf8_lossy(&tiny_quant(&file, &["tiny/tiny.fastq"], false, &[]).stderr)
        .into_owned();
    assert!(err.contains("is a file, not a directory"), "{err}");
}

/// Messages that once misled now say what is wrong.
#[test]
fn bad_inputs_get_messages_that_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let quant = |input: &Path| {
        let out = dir.path().join(format!(
            "out_{}",
            input.file_name().unwrap().to_string_lossy()
        ));
        let run = Quant::new("tst", common::test_data("tiny/mature.fa"), &out)
            .arg(input)
            .output();
        (
            run.status.code(),
            String::from_utf8_lossy(&run.stderr).into_owned(),
        )
    };
    // a directory given as FASTQ
    let folder = dir.path().join("reads_dir");
    std::fs::create_dir(&folder).unwrap();
    let (code, err) = quant(&folder);
    assert_ne!(code, Some(0));
    assert!(err.contains("is a directory, not a FASTQ file"), "{err}");
    // gzip with trailing garbage: every record was read, and it says so
    let mut body = Vec::new();
    for i in 0..10_000 {
        body.extend_from_slice(
            format!("@r{i}\nTAGCAGCACGTAAATATTGGCG\n+\nIIIIIIIIIIIIIIIIIIIIII\n").as_bytes(),
        );
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&body).unwrap();
    let mut bytes = gz.finish().unwrap();
    bytes.extend_from_slice(b"this is not gzip");
    let garbage = dir.path().join("garbage.fastq.gz");
    std::fs::write(&garbage, &bytes).unwrap();
    let (code, err) = quant(&garbage);
    assert_ne!(code, Some(0));
    assert!(
        err.contains("after record 10000") && err.contains("trailing"),
        "{err}"
    );
    // quality bytes below '!'
    let low = dir.path().join("lowqual.fastq");
    std::fs::write(&low, "@a\nACGT\n+\nIIII\n@b\nACGT\n+\nII\x1fI\n").unwrap();
    let (code, err) = quant(&low);
    assert_ne!(code, Some(0));
    assert!(
        err.contains("record 2 (line 8, 'b')") && err.contains("not printable ASCII ('!' to '~')"),
        "{err}"
    );
    // an empty file is a sample with no reads, said on stderr
    let empty = common::test_data("tiny/empty.fastq");
    let (code, err) = quant(&empty);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("empty: no reads in"), "{err}");
}

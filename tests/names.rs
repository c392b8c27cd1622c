//! Names that would break mirq's tables are refused before work, and
//! reference records too short to be miRNAs are skipped, never a hang
//! (issue 23: the 1-nt mature record, `antisense.fa`, `"A,1"`, tab names).

mod common;

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;

/// A scratch folder with the tiny reads and reference; failures are
/// checked to leave it as it was.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            common::test_data("tiny/tiny.fastq"),
            dir.path().join("r.fastq"),
        )
        .unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `mirq quant -q --species tst` on the tiny reference into `out`.
    fn quant(&self) -> std::process::Command {
        let mut cmd = common::mirq();
        cmd.args(["quant", "-q", "--species", "tst", "--mature"])
            .arg(common::test_data("tiny/mature.fa"))
            .arg("--hairpin")
            .arg(common::test_data("tiny/hairpin.fa"))
            .arg("-o")
            .arg(self.path("out"));
        cmd
    }

    /// Runs `cmd`, expects a failure; returns stderr after checking that
    /// the scratch folder holds what it held before (no output directory).
    fn fails(&self, cmd: &mut std::process::Command) -> String {
        let before = common::files_under(self.dir.path());
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "expected a failure:\n{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(common::files_under(self.dir.path()), before, "{stderr}");
        stderr
    }
}

/// An ncRNA class file's records.
const NCRNA: &str = ">tst|misc|RNA-x|X1|test\nGGCTGGTCCGATGGTAGTGGGTTATCAGAACTTATTA\n";

/// A samplesheet sample named `"A,1"` would make the GFF3 `## COLDATA`
/// line list three names for two Expression values: refused, naming the
/// sheet line and the characters allowed.
#[test]
fn a_sample_name_with_a_comma_is_refused_by_line() {
    let s = Scratch::new();
    let sheet = s.write("s.csv", "sample,fastq_1\nB,r.fastq\n\"A,1\",r.fastq\n");
    let e = s.fails(s.quant().arg("--samplesheet").arg(&sheet));
    assert!(
        e.contains("s.csv")
            && e.contains("line 3")
            && e.contains("'A,1'")
            && e.contains("letters, digits, '_', '-' and '.'"),
        "{e}"
    );
}

/// An ncRNA class named `antisense` (any case) would share
/// `ncrna_counts.tsv`'s own `antisense` row: refused, naming the file.
#[test]
fn reserved_class_names_are_refused() {
    for name in ["antisense.fa", "Antisense.fa.gz"] {
        let s = Scratch::new();
        let file = s.write(name, NCRNA);
        let e = s.fails(s.quant().arg("--ncrna").arg(&file).arg(s.path("r.fastq")));
        assert!(
            e.contains(name) && e.contains("class") && e.contains("'antisense' row"),
            "{e}"
        );
    }
}

/// A tab or a newline in an ncRNA file name (its class) would break the
/// tables' columns and rows: refused, naming the file.
#[test]
fn ncrna_file_names_that_break_tables_are_refused() {
    for (name, why) in [
        ("a\tb.fa", "white space"),
        ("a\nb.fa", "white space"),
        ("a,b.fa", "','"),
        ("a;b=c.fa", "';'"),
    ] {
        let s = Scratch::new();
        let file = s.write(name, NCRNA);
        let e = s.fails(s.quant().arg("--ncrna").arg(&file).arg(s.path("r.fastq")));
        assert!(e.contains("--ncrna") && e.contains(why), "{name:?}: {e}");
        let class = name.trim_end_matches(".fa").escape_debug().to_string();
        assert!(e.contains(&format!("class '{class}'")), "{e}");
    }
}

/// `--database` goes into the GFF3 source column and header: a tab (or a
/// space, `;`, `=`) is refused before any work.
#[test]
fn database_names_that_break_the_gff3_are_refused() {
    for bad in ["a\tb", "a b", "a;b", "a=b", ""] {
        let s = Scratch::new();
        let e = s.fails(s.quant().args(["--database", bad]).arg(s.path("r.fastq")));
        assert!(
            e.contains("--database") && e.contains("names may hold"),
            "{bad:?}: {e}"
        );
    }
}

/// A control character in a miRNA record name (the rows of the tables,
/// escaped ESC sequences on a terminal) is refused, naming file and record.
#[test]
fn control_characters_in_record_names_are_refused() {
    let s = Scratch::new();
    let mature = s.write(
        "mature.fa",
        ">tst-miR-1\nUAGCAGCACGUAAAUAUUGGCG\n>tst-miR-\u{1b}[2J x\nUGAGGUAGUAGGUUGUAUAGUU\n",
    );
    let mut cmd = common::mirq();
    cmd.args(["quant", "-q", "--species", "tst", "--mature"])
        .arg(&mature)
        .arg("-o")
        .arg(s.path("out"))
        .arg(s.path("r.fastq"));
    let e = s.fails(&mut cmd);
    assert!(
        e.contains("mature.fa") && e.contains("record 2") && e.contains("control character"),
        "{e}"
    );
    assert!(!e.contains('\u{1b}'), "the ESC byte was echoed: {e:?}");
    let ncrna = s.write("misc.fa", ">RNA-\u{7}x\nGGCTGGTCCGATGGTAGTGGGTTATCAG\n");
    let e = s.fails(s.quant().arg("--ncrna").arg(&ncrna).arg(s.path("r.fastq")));
    assert!(e.contains("misc.fa") && e.contains("record 1"), "{e}");
}

/// Names of the allowed characters pass through to every table: the GFF3
/// lists the two samples for two Expression values, the ncRNA class and
/// the database as given.
#[test]
fn allowed_names_reach_the_tables() {
    let s = Scratch::new();
    let sheet = s.write("s.csv", "sample,fastq_1\nA-1,r.fastq\nB_2.x,second.fastq\n");
    std::fs::copy(
        common::test_data("tiny/second.fastq"),
        s.path("second.fastq"),
    )
    .unwrap();
    let file = s.write("my_class-1.fa", NCRNA);
    let out = s
        .quant()
        .arg("--samplesheet")
        .arg(&sheet)
        .arg("--ncrna")
        .arg(&file)
        .args(["--database", "miRBase_v22.1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let gff = std::fs::read_to_string(s.path("out/isomirs.gff3")).unwrap();
    assert!(gff.contains("## COLDATA: A-1,B_2.x\n"), "{gff}");
    assert!(gff.contains("## source-ontology: miRBase_v22.1 "), "{gff}");
    let line = gff.lines().find(|l| l.contains("; Expression ")).unwrap();
    let expression = line.split("; Expression ").nth(1).unwrap();
    let values = expression.split(';').next().unwrap().split(',').count();
    assert_eq!(values, 2, "{line}");
    let counts = std::fs::read_to_string(s.path("out/ncrna_counts.tsv")).unwrap();
    let rows: Vec<&str> = counts
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(rows, ["class", "my_class-1", "antisense"], "{counts}");
}

/// miRBase v22's mature file, unpacked, with `extra` records appended.
fn mature_v22_with(shared: &Path, dir: &Path, extra: &str) -> PathBuf {
    let gz = std::fs::File::open(shared.join("data/mirbase/mature_v22.fa.gz")).unwrap();
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(gz)
        .read_to_string(&mut text)
        .unwrap();
    text.push_str(extra);
    let path = dir.join(if extra.is_empty() {
        "mature.fa"
    } else {
        "mature_short.fa"
    });
    std::fs::write(&path, text).unwrap();
    path
}

/// `mirq quant` on one shared run, killed after a minute (the 1-nt record
/// once took hours; the run takes seconds).
fn quant_within_a_minute(species: &str, mature: &Path, hairpin: &Path, out: &Path) -> String {
    let shared = common::shared().unwrap();
    let args: Vec<OsString> = vec![
        "quant".into(),
        "--species".into(),
        species.into(),
        "--mature".into(),
        mature.into(),
        "--hairpin".into(),
        hairpin.into(),
        "-o".into(),
        out.into(),
        shared
            .join("data/fastq/mirtrace_sample1.fastq.gz")
            .into_os_string(),
    ];
    let output = Command::cargo_bin("mirq")
        .unwrap()
        .args(&args)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{species}: {stderr}");
    stderr
}

/// A 1-nt mature record (`>hsa-short-1` / `A`) in all of miRBase with
/// `--species all` hung the run while locating matures in hairpins: now it
/// is skipped with a warning naming file and record, and the counts are
/// those of the file without it.
#[test]
fn a_one_nt_mature_with_species_all_is_skipped_not_a_hang() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let hairpin = shared.join("data/mirbase/hairpin_v22.fa.gz");
    let plain = mature_v22_with(&shared, dir.path(), "");
    let short = mature_v22_with(&shared, dir.path(), ">hsa-short-1\nA\n");
    let stderr = quant_within_a_minute("all", &short, &hairpin, &dir.path().join("short"));
    assert!(
        stderr.contains("skipped 1 reference record shorter than 12 nt")
            && stderr.contains("mature_short.fa")
            && stderr.contains("'hsa-short-1', 1 nt"),
        "{stderr}"
    );
    quant_within_a_minute("all", &plain, &hairpin, &dir.path().join("plain"));
    for table in ["mature_counts.tsv", "hairpin_counts.tsv"] {
        let a = std::fs::read(dir.path().join("short").join(table)).unwrap();
        let b = std::fs::read(dir.path().join("plain").join(table)).unwrap();
        assert!(a == b, "{table} differs with the short record skipped");
    }
}

/// Another species' 1-nt record hung a plain `--species hsa` run too, in
/// the reference of other species' miRNAs: skipped with a warning.
#[test]
fn another_species_short_record_is_skipped_not_a_hang() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let hairpin = shared.join("data/mirbase/hairpin_v22.fa.gz");
    let short = mature_v22_with(&shared, dir.path(), ">mmu-short-1\nA\n>mmu-short-2\nACGU\n");
    let stderr = quant_within_a_minute("hsa", &short, &hairpin, &dir.path().join("out"));
    assert!(
        stderr.contains("skipped 2 reference records shorter than 12 nt")
            && stderr.contains("'mmu-short-1', 1 nt")
            && stderr.contains("'mmu-short-2', 4 nt"),
        "{stderr}"
    );
}

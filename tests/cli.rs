//! Command-line behaviour: samplesheets, thread-count independence, help.

mod common;

#[test]
fn samplesheet_pools_lanes_into_one_column() {
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("samples.csv");
    // a file is listed once: the second sample reads a copy
    let copy = dir.path().join("second_copy.fastq");
    std::fs::copy(common::test_data("tiny/second.fastq"), &copy).unwrap();
    std::fs::write(
        &sheet,
        format!(
            "sample,fastq_1\nboth,{}\nboth,{}\nsecond_only,second_copy.fastq\n",
            common::test_data("tiny/tiny.fastq").display(),
            common::test_data("tiny/second.fastq").display(),
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
        "mature_counts_int.tsv",
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
    // every sample's counts and QC figures too (the reads are split over
    // trimming threads, each with its own table, before the tables are
    // summed and the low-complexity reads counted)
    let samples = |out: &std::path::Path| common::stats(out)["samples"].clone();
    let one = samples(&a);
    assert!(one[0]["qc"]["low_complexity"].as_u64().unwrap() > 0);
    assert_eq!(
        one,
        samples(&b),
        "per-sample stats differ between -t 1 and -t 2"
    );
    assert_eq!(
        one,
        samples(&c),
        "per-sample stats differ between -t 1 and -t 8"
    );
}

/// `mirq completions bash|zsh|fish` prints a completion script that knows
/// the subcommands; `mirq man` prints a roff man page.
#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        let out = common::run_ok(common::mirq().args(["completions", shell]));
        for word in ["quant", "merge", "report", "samplesheet"] {
            assert!(out.contains(word), "{shell} completion lacks {word}");
        }
    }
    let bash = common::run_ok(common::mirq().args(["completions", "bash"]));
    assert!(bash.contains("complete -F"), "{bash}");
    let man = common::run_ok(common::mirq().arg("man"));
    assert!(man.contains(".TH mirq 1"), "{man}");
    assert!(man.contains("mirq\\-quant(1)"), "{man}");
    assert!(!common::mirq()
        .args(["completions", "cmd"])
        .output()
        .unwrap()
        .status
        .success());
}

/// The options that take one of a few words, and those words.
const ENUM_OPTIONS: [(&str, &[&str]); 3] = [
    (
        "protocol",
        &["auto", "illumina", "qiaseq", "nextflex", "cats"],
    ),
    ("engine", &["auto", "cpu", "gpu"]),
    ("ncrna-precedence", &["better", "mirna"]),
];

/// Each shell's completion offers an enum option's words as its values
/// (not file names): bash's `compgen -W`, zsh's `:NAME:(words)`, fish's
/// `-a "word\t..."` (the help texts name the words too, so the value
/// constructs are what is looked for).
#[test]
fn completions_offer_enum_values() {
    let bash = common::run_ok(common::mirq().args(["completions", "bash"]));
    let zsh = common::run_ok(common::mirq().args(["completions", "zsh"]));
    let fish = common::run_ok(common::mirq().args(["completions", "fish"]));
    for (flag, words) in ENUM_OPTIONS {
        let bash_case = bash
            .split_once(&format!("--{flag})"))
            .and_then(|(_, rest)| rest.lines().nth(1))
            .unwrap_or_else(|| panic!("bash: no --{flag} case"));
        let listed = format!("compgen -W \"{}\"", words.join(" "));
        assert!(bash_case.contains(&listed), "bash --{flag}: {bash_case}");

        let zsh_values = format!(
            ":{}:({})'",
            flag.to_uppercase().replace('-', "_"),
            words.join(" ")
        );
        assert!(
            zsh.lines()
                .any(|l| l.starts_with(&format!("'--{flag}=")) && l.contains(&zsh_values)),
            "zsh --{flag} lacks {zsh_values}"
        );

        let fish_entry = fish
            .split_once(&format!(" -l {flag} "))
            .map(|(_, rest)| rest.split("\ncomplete ").next().unwrap())
            .unwrap_or_else(|| panic!("fish: no -l {flag}"));
        let (_, values) = fish_entry
            .split_once(" -a \"")
            .unwrap_or_else(|| panic!("fish --{flag}: no -a: {fish_entry}"));
        let offered: Vec<&str> = values
            .lines()
            .map(|l| l.split("\\t").next().unwrap())
            .collect();
        assert_eq!(offered, words, "fish --{flag}: {fish_entry}");
    }
}

/// The `--long` options `mirq SUB --help` lists.
fn long_options(help: &str) -> Vec<String> {
    help.lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| l.split_once("--"))
        .map(|(_, rest)| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// `mirq man SUB` is SUB's page and documents every option `mirq SUB
/// --help` lists; `mirq man --dir` writes the same pages as files
/// (mirq.1, mirq-quant.1, ...).
#[test]
fn man_pages_document_every_subcommand_option() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    common::run_ok(common::mirq().arg("man").arg("--dir").arg(&pages));
    let mut written: Vec<String> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    written.sort();
    let subcommands = [
        "bench",
        "completions",
        "devices",
        "man",
        "merge",
        "quant",
        "report",
    ];
    let mut expected: Vec<String> = subcommands.iter().map(|s| format!("mirq-{s}.1")).collect();
    expected.push("mirq.1".into());
    assert_eq!(written, expected);

    for sub in subcommands {
        let page = common::run_ok(common::mirq().args(["man", sub]));
        assert!(page.contains(&format!(".TH mirq-{sub} 1")), "{page}");
        assert_eq!(
            std::fs::read_to_string(pages.join(format!("mirq-{sub}.1"))).unwrap(),
            page,
            "mirq man {sub} and mirq-{sub}.1 differ"
        );
        let help = common::run_ok(common::mirq().args([sub, "--help"]));
        let options = long_options(&help);
        assert!(options.contains(&"help".to_string()), "{help}");
        for option in options {
            let roff = format!("\\fB\\-\\-{}\\fR", option.replace('-', "\\-"));
            assert!(page.contains(&roff), "mirq man {sub} lacks --{option}");
        }
    }
    let quant = common::run_ok(common::mirq().args(["man", "quant"]));
    for text in [
        "\\fB\\-\\-mature\\fR",
        "Mature miRNA FASTA",
        "\\-\\-protocol",
    ] {
        assert!(quant.contains(text), "mirq man quant lacks {text}");
    }
    let bad = common::mirq().args(["man", "quantify"]).output().unwrap();
    assert!(!bad.status.success());
}

/// A bad value is named once in clap's error: enum options list their
/// words, the other parsers say what was expected without repeating the
/// value or the flag.
#[test]
fn bad_values_are_named_once() {
    let cases: [(&[&str], &str, &str); 6] = [
        (
            &["--protocol", "truseq"],
            "truseq",
            "[possible values: auto, illumina, qiaseq, nextflex, cats]",
        ),
        (
            &["--engine", "fpga"],
            "fpga",
            "[possible values: auto, cpu, gpu]",
        ),
        (
            &["--dedup", "--umi", "adapter+x"],
            "adapter+x",
            "the length must be 1 to 32",
        ),
        (
            &["--dedup", "--umi", "5p:4,x"],
            "5p:4,x",
            "part 'x': expected adapter+N",
        ),
        (&["--screen", "ecoli"], "ecoli", "expected NAME=PATH"),
        (
            &["--screen", "e/coli=x.fa"],
            "e/coli=x.fa",
            "the NAME: it holds a path separator (output files are named after it): names may hold letters",
        ),
    ];
    for (args, value, expected) in cases {
        let out = common::mirq()
            .args([
                "quant",
                "r.fq",
                "--mature",
                "m.fa",
                "--species",
                "hsa",
                "-o",
                "o",
            ])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.matches(&format!("'{value}'")).count(), 1, "{err}");
        assert_eq!(
            err.matches(&format!("--{}", &args[args.len() - 2][2..]))
                .count(),
            1,
            "{err}"
        );
        assert!(err.contains(expected), "{err}");
    }
    let out = common::mirq()
        .args(["bench", "--seed", "0xzz"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("0xzz").count(), 1, "{err}");
    assert!(
        err.contains("expected a decimal number or hexadecimal with 0x"),
        "{err}"
    );
    // the words are taken in any case, as before
    let help = common::mirq()
        .args(["quant", "--protocol", "QIAseq", "--engine", "CPU", "--help"])
        .output()
        .unwrap();
    assert!(help.status.success());
}

/// `quant --help` shows each option group as a heading line of its own
/// (`Input:`), in this order, and nothing else as a heading.
#[test]
fn help_lists_the_option_groups() {
    let out = common::run_ok(common::mirq().args(["quant", "--help"]));
    let headings: Vec<&str> = out
        .lines()
        .filter(|l| !l.starts_with(' ') && l.ends_with(':'))
        .collect();
    assert_eq!(
        headings,
        [
            "Options:",
            "Input:",
            "Reference:",
            "Origin:",
            "Trimming:",
            "UMIs:",
            "Alignment:",
            "Performance:",
            "Output:"
        ],
        "{out}"
    );
}

/// stats.json times the four stages and the alignment rate; without `-q` one
/// stderr line says the same, with `-q` it does not.
#[test]
fn stats_time_every_stage_and_stderr_says_so() {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    let dir = tempfile::tempdir().unwrap();
    let run = |quiet: bool| {
        let out = dir.path().join(if quiet { "quiet" } else { "loud" });
        let mut cmd = common::mirq();
        cmd.args(["quant", "--species", "hsa", "--engine", "cpu", "-t", "2"])
            .arg("--mature")
            .arg(demo.join("reference/mature.fa"))
            .arg("--hairpin")
            .arg(demo.join("reference/hairpin.fa"))
            .arg(demo.join("reads/plasma_A.fastq.gz"))
            .arg(demo.join("reads/plasma_B.fastq.gz"))
            .arg("-o")
            .arg(&out);
        if quiet {
            cmd.arg("-q");
        }
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        (
            common::stats(&out),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (stats, stderr) = run(false);
    let timings = &stats["timings"];
    let mut sum = 0.0;
    for stage in ["read_trim_collapse", "align", "assign_count", "write"] {
        let s = timings[stage]
            .as_f64()
            .unwrap_or_else(|| panic!("timings.{stage} is not a number: {timings}"));
        assert!(s >= 0.0, "timings.{stage} = {s}");
        sum += s;
    }
    // the parts of `align` spent on the later stages' references (the demo's
    // reference holds one species: artifacts only)
    let parts: Vec<&String> = timings
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.ends_with("_align"))
        .collect();
    assert_eq!(parts, ["artifact_align"], "{timings}");
    let align = timings["align"].as_f64().unwrap();
    assert!(timings["artifact_align"].as_f64().unwrap() <= align + 0.001);
    assert_eq!(timings.as_object().unwrap().len(), 6, "{timings}");
    let elapsed = stats["elapsed_seconds"].as_f64().unwrap();
    // stages overlap (aligning while reading): each one's busy seconds lie
    // within its span, each span within the run (figures rounded to the
    // millisecond), and the stages together were busy at least as long as
    // the wall time they spanned, less what lies between them
    let spans = &timings["spans"];
    let mut last_end = 0.0f64;
    for stage in ["read_trim_collapse", "align", "assign_count", "write"] {
        let (start, end) = (
            spans[stage][0].as_f64().unwrap(),
            spans[stage][1].as_f64().unwrap(),
        );
        let busy = timings[stage].as_f64().unwrap();
        assert!(start <= end && end <= elapsed + 0.003, "{stage}: {spans}");
        assert!(busy <= end - start + 0.003, "{stage}: busy {busy}: {spans}");
        last_end = last_end.max(end);
    }
    assert!(sum > 0.0 && last_end <= elapsed + 0.003, "{timings}");
    let rate = stats["align_inserts_per_second"].as_f64().unwrap();
    assert!(rate > 0.0, "align_inserts_per_second = {rate}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("mirq: timings: "))
        .unwrap_or_else(|| panic!("no timings line:\n{stderr}"));
    for part in [
        "read/trim/collapse ",
        ", align ",
        " inserts/s), assign/count ",
        ", write ",
    ] {
        assert!(line.contains(part), "{line}");
    }
    let (stats, stderr) = run(true);
    assert!(stats["timings"]["align"].is_number());
    assert!(!stderr.contains("timings"), "{stderr}");
}

/// Provenance: `--version` names the commit and GPU backends; stats.json
/// records the command line, start and end (UTC) and commit; `mirq.log`
/// holds every stderr line of the run, also with `-q` (which keeps stderr
/// quiet but not the log).
#[test]
fn runs_record_their_provenance_and_log_also_with_quiet() {
    let version = common::run_ok(common::mirq().arg("--version"));
    assert!(
        version.starts_with(&format!("mirq {} (commit ", env!("CARGO_PKG_VERSION")))
            && version.contains("GPU backends: "),
        "{version}"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = common::Quant::new("tst", common::test_data("tiny/mature.fa"), &out)
        .args(["--engine", "cpu"])
        .arg(common::test_data("tiny/tiny.fastq"))
        .arg(common::test_data("tiny/empty.fastq"))
        .output();
    assert!(run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    let stats = common::stats(&out);
    let command: Vec<&str> = stats["command_line"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(command[1..4], ["quant", "-q", "--species"]);
    for key in ["started", "finished"] {
        let t = stats[key].as_str().unwrap();
        assert!(
            t.len() == 20 && t.ends_with('Z') && t.as_bytes()[10] == b'T',
            "{key}: {t}"
        );
    }
    assert!(!stats["commit"].as_str().unwrap().is_empty());
    let log = std::fs::read_to_string(out.join("mirq.log")).unwrap();
    assert!(
        log.starts_with("# mirq ") && log.contains("# command: "),
        "{log}"
    );
    // what -q let through to stderr is in the log, and so is the summary
    for line in stderr.lines() {
        assert!(log.contains(line), "'{line}' missing from mirq.log:\n{log}");
    }
    assert!(stderr.contains("empty: no reads"), "{stderr}");
    assert!(
        log.contains("mirq: tiny: ") && log.contains("mirq: timings: "),
        "{log}"
    );
}

/// `--species hsa,ebv` counts both in one table (names say the species, as
/// miRBase's do): on the IsoMiRmap LCL run, EBV miRNAs hold about 3.7% of the
/// reads; a code with no record is an error naming it.
#[test]
fn several_species_count_in_one_table() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lcl");
    let fastq = shared.join("data/fastq/isomirmap_LCL_NA19257_random10k_trimmed.fastq.gz");
    let hairpin = Some("hairpin_v21.fa");
    common::Quant::mirbase(&shared, "hsa,ebv", "mature_v21.fa.gz", hairpin, &out)
        .args([
            "--engine",
            "cpu",
            "--protocol",
            "illumina",
            "--adapter",
            "none",
        ])
        .arg(&fastq)
        .run_ok();
    let (_, rows) = common::read_table(&out.join("mature_counts.tsv"));
    let ebv: f64 = rows
        .iter()
        .filter(|(n, _)| n.starts_with("ebv-"))
        .map(|(_, v)| v[0])
        .sum();
    assert!((300.0..450.0).contains(&ebv), "{ebv} EBV reads");
    assert!(rows["ebv-miR-BHRF1-1"][0] > 200.0);
    assert!(rows.keys().any(|n| n.starts_with("hsa-")));
    assert!(rows
        .keys()
        .all(|n| n.starts_with("hsa-") || n.starts_with("ebv-")));
    let run = common::Quant::mirbase(
        &shared,
        "hsa,zzz",
        "mature_v21.fa.gz",
        None,
        &dir.path().join("z"),
    )
    .arg(&fastq)
    .output();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        !run.status.success() && err.contains("no record for species 'zzz'"),
        "{err}"
    );
}

/// Samplesheet `protocol` and `adapter` columns trim each sample its own
/// way: the same tables as `--protocol auto` finds for these two kits; a bad
/// protocol names its sample.
#[test]
fn samplesheet_protocol_and_adapter_columns_apply_per_sample() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let fq = shared.join("data/fastq");
    let sheet = dir.path().join("kits.csv");
    std::fs::write(
        &sheet,
        format!(
            "sample,fastq_1,protocol,adapter\nmirtrace_sample1,{},illumina,\nmirtrace_sample3,{},,ATCTCGTATGCCGTCTTCTGCTTG\n",
            fq.join("mirtrace_sample1.fastq.gz").display(),
            fq.join("mirtrace_sample3.fastq.gz").display()
        ),
    )
    .unwrap();
    let (by_sheet, by_auto) = (dir.path().join("sheet"), dir.path().join("auto"));
    let quant = |out: &std::path::Path| {
        common::Quant::mirbase(&shared, "hsa", "mature_nfcore_test.fa", None, out)
            .args(["--engine", "cpu"])
    };
    quant(&by_sheet).arg("--samplesheet").arg(&sheet).run_ok();
    quant(&by_auto)
        .args(["--protocol", "auto"])
        .arg(fq.join("mirtrace_sample1.fastq.gz"))
        .arg(fq.join("mirtrace_sample3.fastq.gz"))
        .run_ok();
    assert_eq!(
        std::fs::read(by_sheet.join("mature_counts.tsv")).unwrap(),
        std::fs::read(by_auto.join("mature_counts.tsv")).unwrap()
    );
    let stats = common::stats(&by_sheet);
    assert_eq!(stats["settings"]["protocol"], "per-sample");
    assert_eq!(
        stats["samples"][1]["trimming"]["adapter"],
        "ATCTCGTATGCCGTCTTCTGCTTG"
    );
    // a readable FASTQ: the unknown protocol is what is wrong
    std::fs::write(
        dir.path().join("a.fq"),
        "@r\nACGTACGTACGTACGTACGTAC\n+\nIIIIIIIIIIIIIIIIIIIIII\n",
    )
    .unwrap();
    std::fs::write(&sheet, "sample,fastq_1,protocol\nx,a.fq,smartseq\n").unwrap();
    let run = quant(&dir.path().join("bad"))
        .arg("--samplesheet")
        .arg(&sheet)
        .output();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        !run.status.success() && err.contains("sample x") && err.contains("smartseq"),
        "{err}"
    );
}

//! Command-line definitions (clap). `main.rs` only dispatches.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};

use mirq::align::select::EngineChoice;
use mirq::count::ncrna::Precedence;
use mirq::input::library::{AdapterChoice, Protocol, ProtocolChoice};
use mirq::output::isomirs::GffCoordinates;
use mirq::prep::umi::UmiSpec;

/// `mirq --version`: version, git commit and the GPU backends built in.
fn version_line() -> &'static str {
    let line = format!(
        "{} (commit {}; GPU backends: {})",
        env!("CARGO_PKG_VERSION"),
        mirq::runtime::COMMIT,
        mirq::align::gpu::backends_built_in()
    );
    Box::leak(line.into_boxed_str())
}

/// mirq: microRNA count matrices from small-RNA sequencing runs.
#[derive(Debug, Parser)]
#[command(name = "mirq", version = version_line(), about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Trim, collapse, align and count: FASTQ files to miRNA count matrices.
    Quant(Box<QuantArgs>),
    /// Merge mirq quant output directories (e.g. one per sample) into the
    /// outputs one joint run would write, without reading FASTQ again.
    Merge(MergeArgs),
    /// Rebuild report.html in a mirq quant or mirq merge output directory
    /// from the files there.
    Report(ReportArgs),
    /// List the GPU adapters wgpu sees (name, backend, type, limits).
    Devices,
    /// Time the alignment engines (CPU with 1 and all threads, GPU) on
    /// simulated inserts, check that they agree, and say which engine
    /// `--engine auto` should pick.
    Bench(BenchArgs),
    /// Print a shell completion script (bash: `source <(mirq completions
    /// bash)`; zsh: save it as `_mirq` on $fpath; fish: save it as
    /// ~/.config/fish/completions/mirq.fish).
    Completions(CompletionsArgs),
    /// Print a man page (roff): mirq's own (`mirq man > mirq.1; man
    /// ./mirq.1`) or a subcommand's (`mirq man quant`); with --dir, write
    /// every page into a directory (mirq.1, mirq-quant.1, ...).
    Man(ManArgs),
}

/// The subcommands' names, in [`Command`]'s order (`mirq man`'s values).
pub const SUBCOMMANDS: [&str; 7] = [
    "quant",
    "merge",
    "report",
    "devices",
    "bench",
    "completions",
    "man",
];

/// `mirq man` arguments.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Subcommand whose page to print [default: mirq's own page].
    #[arg(conflicts_with = "dir", value_parser = PossibleValuesParser::new(SUBCOMMANDS))]
    pub subcommand: Option<String>,

    /// Write mirq.1 and one page per subcommand (mirq-quant.1, ...) into
    /// DIR (created if missing), e.g. share/man/man1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `mirq report` arguments.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output directory of mirq quant or mirq merge.
    pub dir: PathBuf,

    /// Nothing on stderr but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `mirq completions` arguments.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `mirq bench` arguments.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Mature miRNA FASTA of a real run (e.g. miRBase's mature.fa.gz with
    /// --species hsa); needed unless --screen is given.
    #[arg(long, requires = "species", help_heading = "Reference")]
    pub mature: Option<PathBuf>,

    /// Hairpin FASTA (with --mature).
    #[arg(long, requires = "mature", help_heading = "Reference")]
    pub hairpin: Option<PathBuf>,

    /// Species code (with --mature); `all`: every record of the files, all
    /// species together (an all-species stress reference).
    #[arg(long, requires = "mature", help_heading = "Reference")]
    pub species: Option<String>,

    /// Screen reference (FASTA, FASTA.gz or a directory of them): measure
    /// the genome screen of `mirq quant --screen` on each engine instead
    /// (inserts: fragments of it and random ones, 17-40 nt).
    #[arg(
        long,
        value_name = "PATH",
        conflicts_with = "mature",
        help_heading = "Reference"
    )]
    pub screen: Option<PathBuf>,

    /// Distinct simulated inserts to align.
    #[arg(long, default_value_t = mirq::cmd::bench::DEFAULT_INSERTS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub inserts: usize,

    /// Mismatches allowed in an alignment.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub mismatches: u8,

    /// Seed of the simulated inserts (decimal, or hexadecimal with 0x)
    /// [default: 0x5eed000000000042].
    #[arg(long, value_parser = parse_seed, default_value_t = mirq::cmd::bench::DEFAULT_SEED, hide_default_value = true)]
    pub seed: u64,

    /// Threads of the all-threads CPU run.
    #[arg(short = 't', long, default_value_t = default_threads())]
    pub threads: usize,

    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,

    /// No progress lines on stderr (the table or JSON still goes to
    /// stdout).
    #[arg(short, long)]
    pub quiet: bool,
}

/// `mirq quant` arguments.
#[derive(Debug, Args)]
pub struct QuantArgs {
    /// FASTQ files (plain, gzip or zstd), one sample each.
    #[arg(help_heading = "Input", required_unless_present = "samplesheet")]
    pub fastq: Vec<PathBuf>,

    /// nf-core style samplesheet (CSV with columns sample,fastq_1); rows with
    /// the same sample are pooled as lanes; relative paths are taken from the
    /// samplesheet's directory; sample names may hold letters, digits, '_',
    /// '-' and '.' (not first); a file may be listed once.
    #[arg(long, help_heading = "Input", conflicts_with = "fastq")]
    pub samplesheet: Option<PathBuf>,

    /// Mature miRNA FASTA (miRBase mature.fa, plain or gzip).
    #[arg(long, help_heading = "Reference")]
    pub mature: PathBuf,

    /// Hairpin (precursor) FASTA (miRBase hairpin.fa); enables hairpin counts
    /// and templated isomiR extensions.
    #[arg(long, help_heading = "Reference")]
    pub hairpin: Option<PathBuf>,

    /// Database named in isomirs.gff3 (source column and source-ontology),
    /// e.g. miRBasev22 or MirGeneDB2.1 [default: miRBase, or MirGeneDB for
    /// MirGeneDB-style names]; letters, digits, '_', '-' and '.'.
    #[arg(long, value_parser = parse_database, help_heading = "Reference")]
    pub database: Option<String>,

    /// Species code as in miRBase names (hsa, mmu, bta, ...); several
    /// comma-separated (hsa,ebv: human and Epstein-Barr virus miRNAs in one
    /// table, named by species as miRBase names them); all: every record.
    #[arg(long, help_heading = "Reference")]
    pub species: String,

    /// ncRNA reference for the reads that are not miRNAs: a FASTA file whose
    /// name gives the class (tRNA.fa, rRNA.fa, snoRNA.fa, ...), or a
    /// directory of them; repeatable. Writes ncrna_counts.tsv and
    /// ncrna_features.tsv, and the composition by class.
    #[arg(long, value_name = "PATH", help_heading = "Reference")]
    pub ncrna: Vec<PathBuf>,

    /// Who gets a read on both a miRNA and an ncRNA: better (the ncRNA, when
    /// it explains the read with fewer mismatches plus non-templated bases)
    /// or mirna (the miRNA, always).
    #[arg(long, default_value = "better", value_parser = precedence_values(), ignore_case = true, requires = "ncrna", help_heading = "Reference")]
    pub ncrna_precedence: Precedence,

    /// Adapter, primer and vector sequences (FASTA) for the artifact stage,
    /// instead of the list built into mirq; repeatable. Reads they explain
    /// as well as a miRNA does are artifacts, not miRNAs.
    #[arg(long, value_name = "FASTA", help_heading = "Origin")]
    pub artifacts: Vec<PathBuf>,

    /// No artifact stage: adapter and primer pieces may count as miRNAs.
    #[arg(long, conflicts_with = "artifacts", help_heading = "Origin")]
    pub no_artifacts: bool,

    /// Do not look for other species' miRNAs (the records of the --mature
    /// and --hairpin files of species other than --species).
    #[arg(long, help_heading = "Origin")]
    pub no_exogenous: bool,

    /// Do not check whether the reads fit --species better than another
    /// species of the reference files.
    #[arg(long, help_heading = "Origin")]
    pub no_species_fit: bool,

    /// Clade-specific miRNA families (miRTrace's curated lists: one clade a
    /// line, `CLADE<TAB>family numbers`), repeatable: counts reads per clade
    /// into clade_counts.tsv and warns of clades outside the species'
    /// lineage.
    #[arg(long, value_name = "FILE", help_heading = "Origin")]
    pub clades: Vec<PathBuf>,

    /// Screening reference NAME=PATH (a genome, phage, vector, spike-in set
    /// or transcriptome: FASTA or FASTA.gz, or a directory of them),
    /// repeatable, screened in the order given for the reads left
    /// unassigned. Writes screen_counts.tsv.
    #[arg(long, value_name = "NAME=PATH", value_parser = parse_screen, help_heading = "Origin")]
    pub screen: Vec<(String, PathBuf)>,

    /// Library protocol: auto (the default) detects each sample's protocol
    /// and adapter from its first reads, and says what it found and how
    /// sure it is (stderr, mirq.log, stats.json); no adapter found means
    /// already-trimmed reads. A preset (illumina, qiaseq, nextflex, cats)
    /// wins over detection; a warning says when the reads disagree with it.
    #[arg(long, default_value = "auto", value_parser = protocol_values(), ignore_case = true, help_heading = "Trimming")]
    pub protocol: ProtocolChoice,

    /// 3' adapter overriding the protocol's (also a detected one); 'none' when
    /// reads are already trimmed.
    #[arg(long, value_parser = parse_adapter, help_heading = "Trimming")]
    pub adapter: Option<AdapterChoice>,

    /// Count molecules: reads with the same locus and UMI (within one
    /// mismatch of a much more abundant UMI, UMI-tools' directional rule)
    /// are one molecule. Needs a protocol with UMIs or --umi.
    #[arg(long, help_heading = "UMIs")]
    pub dedup: bool,

    /// Where the UMI is: adapter+N (after the 3' adapter), 5p:N (read start),
    /// 3p:N (before the adapter), comma-separated; default: the protocol's
    /// (qiaseq: adapter+12, nextflex: 5p:4,3p:4).
    #[arg(long, value_parser = parse_umi, requires = "dedup", help_heading = "UMIs")]
    pub umi: Option<UmiSpec>,

    /// Trim low-quality 3' ends before the adapter search (cutadapt's -q,
    /// Phred+33).
    #[arg(long, value_name = "PHRED", help_heading = "Trimming")]
    pub quality_cutoff: Option<u8>,

    /// Bases cut from each insert's 5' end after adapter removal
    /// (overrides the protocol's; NEXTflex: 4).
    #[arg(long, value_name = "N", help_heading = "Trimming")]
    pub trim_5p: Option<u16>,

    /// Bases cut from each insert's 3' end after adapter removal
    /// (overrides the protocol's; NEXTflex: 4).
    #[arg(long, value_name = "N", help_heading = "Trimming")]
    pub trim_3p: Option<u16>,

    /// Shortest insert counted (shorter ones are discarded, not padded).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..), help_heading = "Trimming")]
    pub min_length: u16,

    /// Longest insert counted (longer ones are discarded, not truncated).
    #[arg(long, default_value_t = 40, help_heading = "Trimming")]
    pub max_length: u16,

    /// Mismatches allowed in an alignment.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=2), help_heading = "Alignment")]
    pub mismatches: u8,

    /// A hit's 5' end may lie this many bases from a mature start.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(0..=10), help_heading = "Alignment")]
    pub window_5p: u8,

    /// A hit's templated 3' end may lie this many bases from a mature end.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(0..=10), help_heading = "Alignment")]
    pub window_3p: u8,

    /// Non-templated 3' bases allowed (A/U tailing).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(0..=5), help_heading = "Alignment")]
    pub max_nontemplated: u8,

    /// Alignment engine: cpu, gpu (fails without a GPU adapter) or auto (with
    /// a hardware GPU, both engines align the first inserts and the faster
    /// one aligns the rest; else the CPU).
    #[arg(long, default_value = "auto", value_parser = engine_values(), ignore_case = true, help_heading = "Performance")]
    pub engine: EngineChoice,

    /// Worker threads.
    #[arg(short = 't', long, default_value_t = default_threads(), help_heading = "Performance")]
    pub threads: usize,

    /// Output directory.
    #[arg(short = 'o', long, help_heading = "Output")]
    pub outdir: PathBuf,

    /// Coordinates of isomirs.gff3: mirtop (0-based starts, as mirtop
    /// writes them and its tools expect) or gff3 (1-based, GFF3 attributes,
    /// precursor lines: for GFF3 readers such as pybedtools).
    #[arg(long, default_value = "mirtop", value_parser = gff_coordinates(), help_heading = "Output")]
    pub gff_coordinates: GffCoordinates,

    /// Nothing on stderr but warnings and errors (no progress, detection,
    /// engine or summary lines; mirq.log keeps them).
    #[arg(short, long, help_heading = "Output")]
    pub quiet: bool,

    /// Replace the output directory even when it holds files mirq did not
    /// write (they are deleted with the earlier run's set). The run's own
    /// inputs in it are refused all the same.
    #[arg(long, help_heading = "Output")]
    pub force: bool,

    /// Exit with status 3, after writing every output, when a sample gets a
    /// warning: QC verdict FAIL, reads fitting another species (or two),
    /// clade contamination, or reads disagreeing with an explicit protocol
    /// or adapter. Errors exit with 1.
    #[arg(long, help_heading = "Output")]
    pub strict: bool,
}

/// `mirq merge` arguments.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// `mirq quant` output directories, in output column order.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,

    /// Mature FASTA (default: the path the first directory recorded); must
    /// be the reference the runs used.
    #[arg(long, help_heading = "Reference")]
    pub mature: Option<PathBuf>,

    /// Hairpin FASTA (default: the path the first directory recorded).
    #[arg(long, help_heading = "Reference")]
    pub hairpin: Option<PathBuf>,

    /// ncRNA reference files or directories, repeatable (default: the files
    /// the first directory recorded, when the runs had --ncrna); must be the
    /// reference the runs used.
    #[arg(long, value_name = "PATH", help_heading = "Reference")]
    pub ncrna: Vec<PathBuf>,

    /// Screen reference NAME=PATH, repeatable (default: the files the first
    /// directory recorded); must be the reference the runs used.
    #[arg(long, value_name = "NAME=PATH", value_parser = parse_screen, help_heading = "Reference")]
    pub screen: Vec<(String, PathBuf)>,

    /// Coordinates of isomirs.gff3, as in quant [default: the first
    /// directory's].
    #[arg(long, value_parser = gff_coordinates())]
    pub gff_coordinates: Option<GffCoordinates>,

    /// Worker threads.
    #[arg(short = 't', long, default_value_t = default_threads())]
    pub threads: usize,

    /// Output directory.
    #[arg(short = 'o', long)]
    pub outdir: PathBuf,

    /// Nothing on stderr but warnings and errors (no progress or summary).
    #[arg(short, long)]
    pub quiet: bool,

    /// Replace the output directory even when it holds files mirq did not
    /// write (they are deleted with the earlier run's set). The run's own
    /// inputs in it are refused all the same.
    #[arg(long)]
    pub force: bool,

    /// Exit with status 3, after writing every output, when a merged sample
    /// gets a warning: QC verdict FAIL, reads fitting another species (or
    /// two), clade contamination. Errors exit with 1.
    #[arg(long)]
    pub strict: bool,
}

// Value parsers. clap prefixes a parser's error with "invalid value 'V' for
// '--flag <FLAG>': ", so their messages say only what was expected.

/// `NAME=PATH`: a name of letters, digits, `_`, `-` and `.`, and a path.
fn parse_screen(s: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = s
        .split_once('=')
        .ok_or("expected NAME=PATH (e.g. ecoli=ecoli.fa.gz)")?;
    // the NAME names rows and columns: the tables' rule
    mirq::input::names::check_table_name(name).map_err(|why| format!("the NAME: {why}"))?;
    if path.is_empty() {
        return Err("no PATH after '='".into());
    }
    Ok((name.to_string(), PathBuf::from(path)))
}

/// `--database`: a name of the tables' rule
/// (`mirq::input::names::check_table_name`).
fn parse_database(s: &str) -> Result<String, String> {
    mirq::input::names::check_table_name(s)
        .map(|()| s.to_string())
        .map_err(|e| e.to_string())
}

/// What a library parse error says beyond the value and the flag (which
/// clap already names).
fn reason(e: mirq::Error) -> String {
    match e {
        mirq::Error::InvalidValue { message, .. } => message,
        other => other.to_string(),
    }
}

fn parse_umi(s: &str) -> Result<UmiSpec, String> {
    s.parse().map_err(reason)
}

/// `--adapter`: a sequence (checked and made upper-case DNA) or `none`.
fn parse_adapter(s: &str) -> Result<AdapterChoice, String> {
    s.parse().map_err(reason)
}

fn parse_seed(s: &str) -> Result<u64, String> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    }
    .map_err(|e| format!("expected a decimal number or hexadecimal with 0x ({e})"))
}

/// `--protocol`: its values listed for clap (help, errors, completions),
/// parsed into [`ProtocolChoice`].
fn protocol_values() -> impl TypedValueParser<Value = ProtocolChoice> {
    let names = std::iter::once("auto").chain(Protocol::ALL.map(Protocol::name));
    PossibleValuesParser::new(names).try_map(|s| s.parse::<ProtocolChoice>())
}

/// `--engine`'s values, parsed into [`EngineChoice`].
fn engine_values() -> impl TypedValueParser<Value = EngineChoice> {
    PossibleValuesParser::new(["auto", "cpu", "gpu"]).try_map(|s| s.parse::<EngineChoice>())
}

/// `--ncrna-precedence`'s values, parsed into [`Precedence`].
fn precedence_values() -> impl TypedValueParser<Value = Precedence> {
    let names = [Precedence::Better, Precedence::Mirna].map(Precedence::name);
    PossibleValuesParser::new(names).try_map(|s| Precedence::parse(&s).ok_or("not a precedence"))
}

/// `--gff-coordinates`: its values, listed in help and completions.
fn gff_coordinates() -> impl TypedValueParser<Value = GffCoordinates> {
    PossibleValuesParser::new(["mirtop", "gff3"])
        .map(|s: String| GffCoordinates::from_name(&s).unwrap_or_default())
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn man_knows_every_subcommand() {
        let cmd = Cli::command();
        let names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
        assert_eq!(names, SUBCOMMANDS);
    }
}

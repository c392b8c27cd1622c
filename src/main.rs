//! mirq command-line entry point: parses arguments and dispatches.

mod cli;

use anyhow::Context;
use clap::{CommandFactory, Parser};

use cli::{BenchArgs, Cli, Command, ManArgs, MergeArgs, QuantArgs, ReportArgs};
use mirq::align::AlignParams;
use mirq::cmd::origin::{ArtifactSource, MAX_SCREENS};
use mirq::cmd::quant::{self, QuantOptions};
use mirq::input::samples;
use mirq::output::concerns::{Outcome, STRICT_EXIT_CODE};
use mirq::prep::protocol::{TrimPlan, TrimRequest};
use mirq::runtime::streams;
use std::path::PathBuf;

fn main() {
    quiet_vulkan_layers();
    // the run-time MIRQ_* switches, read once (README: Environment)
    mirq::tuning::Tuning::from_env().install();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Quant(args) => run_quant(*args),
        Command::Merge(args) => run_merge(args),
        Command::Bench(args) => run_bench(args).map(|()| Finished::Clean),
        Command::Report(args) => run_report(args).map(|()| Finished::Clean),
        Command::Completions(args) => write_completions(args.shell).map(|()| Finished::Clean),
        Command::Man(args) => write_man(args).map(|()| Finished::Clean),
        Command::Devices => print_devices().map(|()| Finished::Clean),
    };
    let code = match result {
        Ok(Finished::Clean) => 0,
        Ok(Finished::StrictWarnings) => STRICT_EXIT_CODE,
        Err(e) => {
            streams::to_stderr(&format!("mirq: error: {e:#}"));
            1
        }
    };
    mirq::align::gpu::exit_after_gpu(code)
}

/// How a command that wrote its outputs ended.
enum Finished {
    /// Exit 0.
    Clean,
    /// `--strict` with warnings about samples: [`STRICT_EXIT_CODE`].
    StrictWarnings,
}

/// The end of a `mirq quant` or `mirq merge` run: with `--strict` and
/// concerns, says so (also with `-q`) and asks for the strict exit status.
fn finished(outcome: &Outcome, strict: bool) -> Finished {
    match outcome.strict_line().filter(|_| strict) {
        Some(line) => {
            streams::to_stderr(&line);
            Finished::StrictWarnings
        }
        None => Finished::Clean,
    }
}

/// Mesa's implicit Vulkan layer `VK_LAYER_MESA_device_select` connects to
/// the display server to order devices, and prints
/// `error: XDG_RUNTIME_DIR is invalid or not set` on headless machines (twice
/// per probe). mirq orders adapters itself and needs no display, so the layer
/// is turned off (its documented switch), unless the user set it. Done
/// first, while the process has one thread.
fn quiet_vulkan_layers() {
    if std::env::var_os("NODEVICE_SELECT").is_none() {
        std::env::set_var("NODEVICE_SELECT", "1");
    }
}

/// `mirq completions SHELL`: the script on stdout. clap_complete panics
/// when its writer fails, so the script is made in memory first.
fn write_completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "mirq", &mut script);
    Ok(streams::write_stdout(&script)?)
}

/// `mirq man`: mirq's page or a subcommand's on stdout, or every page into
/// `--dir` (mirq.1, mirq-quant.1, ...).
fn write_man(args: ManArgs) -> anyhow::Result<()> {
    // built as clap_mangen::generate_to builds it: pages named mirq-quant,
    // ..., and no `help` subcommand
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let source = format!("mirq {}", env!("CARGO_PKG_VERSION"));
    let page = |c: clap::Command| clap_mangen::Man::new(c).source(source.clone());
    if let Some(dir) = args.dir {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        for c in std::iter::once(cmd.clone()).chain(cmd.get_subcommands().cloned()) {
            page(c)
                .generate_to(&dir)
                .with_context(|| format!("writing man pages into {}", dir.display()))?;
        }
        return Ok(());
    }
    let chosen = match args.subcommand {
        None => cmd,
        Some(name) => cmd
            .find_subcommand(&name)
            .cloned()
            .with_context(|| format!("no subcommand '{name}'"))?,
    };
    let mut text = Vec::new();
    page(chosen)
        .render(&mut text)
        .context("writing the man page")?;
    Ok(streams::write_stdout(&text)?)
}

/// `mirq devices`: a table of the adapters wgpu sees on stdout.
fn print_devices() -> anyhow::Result<()> {
    let adapters = mirq::align::gpu::list_adapters()?;
    if adapters.is_empty() {
        streams::write_stdout(b"no GPU adapter found: mirq quant runs on the CPU engine\n")?;
        return Ok(());
    }
    let mut table = String::from("name\tbackend\ttype\tmax_storage_buffer_binding_size\tmax_buffer_size\tmax_workgroups_per_dimension\n");
    for a in adapters {
        table.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            a.name,
            a.backend,
            a.device_type,
            a.max_storage_buffer_binding_size,
            a.max_buffer_size,
            a.max_compute_workgroups_per_dimension
        ));
    }
    Ok(streams::write_stdout(table.as_bytes())?)
}

fn run_bench(args: BenchArgs) -> anyhow::Result<()> {
    mirq::align::gpu::backends()?;
    if let Some(reference) = args.screen.clone() {
        return run_bench_screen(reference, &args);
    }
    let Some(mature) = args.mature else {
        anyhow::bail!(
            "mirq bench needs the reference a real run aligns to: --mature mature.fa.gz \
             --hairpin hairpin.fa.gz --species hsa (miRBase's files: \
             https://www.mirbase.org/download/), or --screen GENOME.fa for the genome \
             screen; the demo's 61 miRNAs (--mature demo/reference/mature.fa) say \
             little about a real run"
        );
    };
    let species = args.species.expect("clap requires --species with --mature");
    let opts = mirq::cmd::bench::BenchOptions {
        reference: (mature, args.hairpin, species),
        inserts: args.inserts,
        mismatches: args.mismatches,
        threads: args.threads,
        seed: args.seed,
    };
    let report =
        mirq::cmd::bench::run(&opts, &bench_progress(args.quiet)).context("bench failed")?;
    print_report(&report, report.table(), args.json)?;
    if !report.all_agree() {
        let wrong: Vec<String> = report
            .engines
            .iter()
            .filter(|m| !m.agree)
            .map(|m| match &m.adapter {
                Some(a) => format!("{} on {a}", m.engine),
                None => format!("{} with {} threads", m.engine, m.threads),
            })
            .collect();
        anyhow::bail!("hits differ from the first CPU run's: {}", wrong.join(", "));
    }
    Ok(())
}

/// `mirq bench --screen PATH`.
fn run_bench_screen(reference: PathBuf, args: &BenchArgs) -> anyhow::Result<()> {
    let opts = mirq::cmd::bench_screen::ScreenBenchOptions {
        reference,
        inserts: args.inserts,
        mismatches: args.mismatches,
        seed: args.seed,
        threads: args.threads,
    };
    let report =
        mirq::cmd::bench_screen::run(&opts, &bench_progress(args.quiet)).context("bench failed")?;
    print_report(&report, report.table(), args.json)?;
    if !report.all_agree() {
        anyhow::bail!("a GPU engine's screen hits differ from the CPU engine's");
    }
    Ok(())
}

/// `mirq bench`'s progress lines on stderr (none with `-q`).
fn bench_progress(quiet: bool) -> impl Fn(&str) {
    move |line| {
        if !quiet {
            streams::to_stderr(&format!("mirq bench: {line}"))
        }
    }
}

/// A bench report on stdout: its table, or one JSON object with `--json`.
fn print_report(report: &impl serde::Serialize, table: String, json: bool) -> anyhow::Result<()> {
    let text = if json {
        let mut text = serde_json::to_string_pretty(report).context("bench report as JSON")?;
        text.push('\n');
        text
    } else {
        table
    };
    Ok(streams::write_stdout(text.as_bytes())?)
}

fn run_report(args: ReportArgs) -> anyhow::Result<()> {
    let path = mirq::cmd::report::run(&args.dir).context("report failed")?;
    if !args.quiet {
        streams::to_stderr(&format!("mirq: wrote {}", path.display()));
    }
    Ok(())
}

fn run_merge(args: MergeArgs) -> anyhow::Result<Finished> {
    let opts = mirq::cmd::merge::MergeOptions {
        dirs: args.dirs,
        mature: args.mature,
        hairpin: args.hairpin,
        ncrna: args.ncrna,
        screens: args.screen,
        outdir: args.outdir.clone(),
        threads: args.threads,
        progress: !args.quiet,
        gff_coordinates: args.gff_coordinates,
        force: args.force,
    };
    let outcome = mirq::cmd::merge::run(&opts).context("merge failed")?;
    if !args.quiet {
        for line in mirq::output::summary::lines(&outcome.stats, &args.outdir, true) {
            streams::to_stderr(&line);
        }
    }
    Ok(finished(&outcome, args.strict))
}

/// The one place `mirq quant`'s arguments become [`QuantOptions`]; each
/// sample's trimming is planned here, from the flags and the samplesheet
/// ([`TrimPlan`]; with `--protocol auto` resolved on its first reads).
fn quant_options(args: QuantArgs) -> anyhow::Result<QuantOptions> {
    let samples = match &args.samplesheet {
        Some(sheet) => samples::read_samplesheet(sheet)?,
        None => samples::samples_from_paths(&args.fastq)?,
    };
    let request = TrimRequest {
        protocol: args.protocol,
        adapter: args.adapter,
        cut_5p: args.trim_5p.map(usize::from),
        cut_3p: args.trim_3p.map(usize::from),
        min_length: args.min_length as usize,
        max_length: args.max_length as usize,
        quality_cutoff: args.quality_cutoff,
        dedup: args.dedup,
        umi: args.umi,
    };
    let trim = TrimPlan::new(request, &samples)?;
    Ok(QuantOptions {
        samples,
        mature: args.mature,
        hairpin: args.hairpin,
        species: args.species,
        trim,
        params: AlignParams {
            max_mismatches: args.mismatches,
            max_nontemplated: args.max_nontemplated,
        },
        window_5p: args.window_5p as usize,
        window_3p: args.window_3p as usize,
        engine: args.engine,
        threads: args.threads,
        database: args.database,
        gff_coordinates: args.gff_coordinates,
        outdir: args.outdir,
        progress: !args.quiet,
        ncrna: args.ncrna,
        ncrna_precedence: args.ncrna_precedence,
        artifacts: if args.no_artifacts {
            ArtifactSource::Off
        } else if args.artifacts.is_empty() {
            ArtifactSource::BuiltIn
        } else {
            ArtifactSource::Files(args.artifacts)
        },
        exogenous: !args.no_exogenous,
        species_fit: !args.no_species_fit,
        clades: args.clades,
        screens: checked_screens(args.screen)?,
        samplesheet: args.samplesheet,
        force: args.force,
    })
}

/// The screen references, refused when two share a name or there are more
/// than [`MAX_SCREENS`].
fn checked_screens(screens: Vec<(String, PathBuf)>) -> anyhow::Result<Vec<(String, PathBuf)>> {
    if screens.len() > MAX_SCREENS {
        anyhow::bail!("--screen: at most {MAX_SCREENS} references");
    }
    for (i, (name, _)) in screens.iter().enumerate() {
        if screens[..i].iter().any(|(n, _)| n == name) {
            anyhow::bail!("--screen {name} is given twice: names must be unique");
        }
    }
    Ok(screens)
}

fn run_quant(args: QuantArgs) -> anyhow::Result<Finished> {
    // wgpu's own variable, checked before any work (also with --engine cpu)
    mirq::align::gpu::backends()?;
    let (quiet, strict) = (args.quiet, args.strict);
    let opts = quant_options(args)?;
    let outcome = quant::run(&opts).context("quantification failed")?;
    if !quiet {
        for line in mirq::output::summary::lines(&outcome.stats, &opts.outdir, false) {
            streams::to_stderr(&line);
        }
    }
    Ok(finished(&outcome, strict))
}

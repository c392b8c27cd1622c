//! `mirq bench`: times the alignment engines on a synthetic workload, checks
//! that they agree, and says which engine `--engine auto` should pick.
//!
//! The workload ([`crate::input::sim::workload`]) is a set of distinct
//! inserts drawn from the reference with the isomiR and error mix of real
//! runs; [`harness`] times every engine on it, [`table`] prints the figures,
//! and the rule of [`crate::align::auto`] picks the engine.

mod harness;
mod table;

use std::path::PathBuf;

use serde::Serialize;

use crate::align::auto::{auto_rule, AutoVerdict, GpuFigures};
use crate::align::{AlignParams, EncodedSlice, EngineKind, TargetSet};
use crate::error::Result;
use crate::input::reference::Reference;
use crate::numbers::thousands;

pub use harness::Measurement;

/// Seed of the default workload (also `cargo bench --bench engines`').
pub const DEFAULT_SEED: u64 = 0x5EED_0000_0000_0042;

/// Distinct inserts of the default workload.
pub const DEFAULT_INSERTS: usize = 200_000;

/// What `mirq bench` runs.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Mature FASTA, hairpin FASTA (optional) and species
    /// ([`crate::input::reference::ALL_SPECIES`]: every record of the files).
    pub reference: (PathBuf, Option<PathBuf>, String),
    /// Distinct inserts in the workload.
    pub inserts: usize,
    /// Mismatches allowed.
    pub mismatches: u8,
    /// Threads of the "all threads" CPU run (and of the GPU engine's host
    /// side).
    pub threads: usize,
    /// Workload seed.
    pub seed: u64,
}

/// The reference a bench ran on.
#[derive(Debug, Clone, Serialize)]
pub struct ReferenceSummary {
    /// The mature FASTA's path.
    pub source: String,
    /// Species code (`all`: every record of the files).
    pub species: String,
    /// Mature miRNAs.
    pub matures: usize,
    /// Hairpins.
    pub hairpins: usize,
    /// Alignment targets (hairpins and matures found in none).
    pub targets: usize,
}

/// The engine `--engine auto` would pick, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AutoChoice {
    /// The engine.
    pub choice: EngineKind,
    /// The GPU adapter, when the choice is `gpu`.
    pub adapter: Option<String>,
    /// Why, in words.
    pub reason: String,
}

impl AutoChoice {
    fn cpu(reason: String) -> Self {
        Self {
            choice: EngineKind::Cpu,
            adapter: None,
            reason,
        }
    }

    /// `--engine auto would pick cpu: no GPU adapter`.
    pub fn line(&self) -> String {
        match &self.adapter {
            Some(a) => format!(
                "--engine auto would pick {} ({a}): {}",
                self.choice, self.reason
            ),
            None => format!("--engine auto would pick {}: {}", self.choice, self.reason),
        }
    }
}

/// What `--engine auto` would pick on measured engines, by the rule
/// ([`auto_rule`]), the CPU engine with the most threads against the GPUs,
/// and why in words.
pub fn auto_choice(measurements: &[Measurement]) -> AutoChoice {
    let cpu = measurements
        .iter()
        .filter(|m| m.engine == EngineKind::Cpu)
        .max_by_key(|m| m.threads);
    let gpus: Vec<GpuFigures> = measurements
        .iter()
        .filter(|m| m.engine == EngineKind::Gpu)
        .map(|m| GpuFigures {
            adapter: m.adapter.as_deref().unwrap_or("unnamed"),
            software: m.software,
            agree: m.agree,
            inserts_per_second: m.inserts_per_second,
        })
        .collect();
    let verdict = auto_rule(cpu.map(|c| c.inserts_per_second), &gpus);
    // each name once: one device is listed once per backend
    let distinct = |names: &[&str]| {
        let mut seen: Vec<&str> = Vec::new();
        for n in names {
            if !seen.contains(n) {
                seen.push(n);
            }
        }
        seen.join(", ")
    };
    let best = match &verdict {
        AutoVerdict::NoGpu => return AutoChoice::cpu("no GPU adapter".into()),
        AutoVerdict::Software(names) => {
            return AutoChoice::cpu(match names[..] {
                [one] => format!("the GPU adapter is software ({one})"),
                _ => format!("every GPU adapter is software ({})", distinct(names)),
            })
        }
        AutoVerdict::Disagree(names) => {
            return AutoChoice::cpu(format!(
                "the GPU engine's hits on {} differ from the CPU engine's",
                distinct(names)
            ))
        }
        AutoVerdict::Fastest { gpu, .. } => gpu,
    };
    let gpu = |reason: String| AutoChoice {
        choice: EngineKind::Gpu,
        adapter: Some(best.adapter.to_string()),
        reason,
    };
    let Some(cpu) = cpu else {
        return gpu("the CPU engine was not measured".into());
    };
    let ratio = best.inserts_per_second / cpu.inserts_per_second.max(1e-9);
    let threads = match cpu.threads {
        1 => "1 thread".to_string(),
        t => format!("{t} threads"),
    };
    let figures = format!(
        "({threads}): {} vs {}",
        thousands(best.inserts_per_second as u64),
        thousands(cpu.inserts_per_second as u64)
    );
    match verdict.engine() {
        EngineKind::Gpu => gpu(format!("{ratio:.1}x the CPU engine's inserts/s {figures}")),
        EngineKind::Cpu => AutoChoice::cpu(format!(
            "the GPU engine on {} reaches {ratio:.2}x the CPU engine's inserts/s {figures}",
            best.adapter
        )),
    }
}

/// What `mirq bench` found (`--json` prints it).
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// The reference.
    pub reference: ReferenceSummary,
    /// Distinct inserts in the workload.
    pub inserts: usize,
    /// Mismatches allowed.
    pub mismatches: u8,
    /// Workload seed, in hexadecimal (`0x5eed000000000042`: a JSON number
    /// would lose digits in most readers).
    pub seed: String,
    /// Every engine run, the first CPU run first.
    pub engines: Vec<Measurement>,
    /// What `--engine auto` would pick.
    pub auto: AutoChoice,
    /// What was not measured, or measured on fewer inserts, and why.
    pub notes: Vec<String>,
}

impl BenchReport {
    /// Whether every engine's hits equal the first CPU run's.
    pub fn all_agree(&self) -> bool {
        self.engines.iter().all(|m| m.agree)
    }

    /// The plain-text table (one row per engine run) and the auto line.
    pub fn table(&self) -> String {
        table::render(&self.engines, &self.auto.line())
    }
}

/// Runs the bench; `info` gets progress lines (for stderr).
pub fn run(opts: &BenchOptions, info: &(dyn Fn(&str) + Sync)) -> Result<BenchReport> {
    crate::align::gpu::backends()?;
    let (reference, targets, summary) = bench_reference(opts)?;
    let n = opts.inserts.max(1);
    let params = AlignParams {
        max_mismatches: opts.mismatches,
        ..AlignParams::default()
    };
    info(&format!(
        "reference {} ({}): {} matures, {} hairpins, {} targets; simulating {} distinct inserts (seed {:#x})",
        summary.species,
        summary.source,
        thousands(summary.matures as u64),
        thousands(summary.hairpins as u64),
        thousands(summary.targets as u64),
        thousands(n as u64),
        opts.seed
    ));
    let inserts = crate::input::sim::workload(&reference, n, opts.seed);
    let encoded = EncodedSlice::encode(inserts.len(), |i| &inserts[i]);
    let (engines, notes) =
        harness::measure_engines(&targets, &encoded.views(), &params, opts.threads, info)?;
    let auto = auto_choice(&engines);
    Ok(BenchReport {
        reference: summary,
        inserts: n,
        mismatches: opts.mismatches,
        seed: format!("{:#x}", opts.seed),
        engines,
        auto,
        notes,
    })
}

/// The bench's reference (the files given), its targets and their summary.
fn bench_reference(opts: &BenchOptions) -> Result<(Reference, TargetSet, ReferenceSummary)> {
    let (mature, hairpin, species) = &opts.reference;
    // `all` is every record (Reference::load)
    let reference = Reference::load(mature, hairpin.as_deref(), species)?;
    let source = mature.display().to_string();
    let targets = TargetSet::build(&reference, 3, 5);
    let summary = ReferenceSummary {
        source,
        species: reference.species.clone(),
        matures: reference.matures.len(),
        hairpins: reference.hairpins.len(),
        targets: targets.targets.len(),
    };
    Ok((reference, targets, summary))
}

#[cfg(test)]
mod tests {
    //! The words of the auto line (the rule itself is tested in
    //! `align::auto`).
    use super::*;

    fn gpu(name: &str, software: bool, ips: f64) -> Measurement {
        Measurement::made_up(8, ips, Some((name, software)))
    }

    fn cpus() -> Vec<Measurement> {
        vec![
            Measurement::made_up(1, 50_000.0, None),
            Measurement::made_up(8, 300_000.0, None),
        ]
    }

    #[test]
    fn words_when_no_gpu_was_measured() {
        let a = auto_choice(&cpus());
        assert_eq!((a.choice, a.adapter.as_deref()), (EngineKind::Cpu, None));
        assert_eq!(a.reason, "no GPU adapter");
        assert_eq!(a.line(), "--engine auto would pick cpu: no GPU adapter");
    }

    #[test]
    fn words_for_software_adapters() {
        let mut ms = cpus();
        ms.push(gpu("llvmpipe", true, 1e9));
        let a = auto_choice(&ms);
        assert_eq!(a.choice, EngineKind::Cpu);
        assert_eq!(a.reason, "the GPU adapter is software (llvmpipe)");
        ms.push(gpu("WARP", true, 1e9));
        ms.push(gpu("llvmpipe", true, 1e9));
        assert_eq!(
            auto_choice(&ms).reason,
            "every GPU adapter is software (llvmpipe, WARP)"
        );
    }

    #[test]
    fn words_compare_with_the_cpu_engine_on_all_threads() {
        let mut ms = cpus();
        // faster than one CPU thread, slower than eight
        ms.push(gpu("Slow iGPU", false, 100_000.0));
        let a = auto_choice(&ms);
        assert_eq!(a.choice, EngineKind::Cpu);
        assert_eq!(
            a.reason,
            "the GPU engine on Slow iGPU reaches 0.33x the CPU engine's inserts/s (8 threads): 100,000 vs 300,000"
        );
        ms.push(gpu("NVIDIA H200", false, 3_690_000.0));
        ms.push(gpu("llvmpipe", true, 1e12));
        let a = auto_choice(&ms);
        assert_eq!(
            (a.choice, a.adapter.as_deref()),
            (EngineKind::Gpu, Some("NVIDIA H200"))
        );
        assert_eq!(
            a.reason,
            "12.3x the CPU engine's inserts/s (8 threads): 3,690,000 vs 300,000"
        );
        assert_eq!(
            a.line(),
            "--engine auto would pick gpu (NVIDIA H200): 12.3x the CPU engine's inserts/s (8 threads): 3,690,000 vs 300,000"
        );
    }

    #[test]
    fn words_for_a_gpu_that_disagrees() {
        let mut ms = cpus();
        let mut wrong = gpu("NVIDIA H200", false, 1e9);
        wrong.agree = false;
        ms.push(wrong);
        let a = auto_choice(&ms);
        assert_eq!(a.choice, EngineKind::Cpu);
        assert_eq!(
            a.reason,
            "the GPU engine's hits on NVIDIA H200 differ from the CPU engine's"
        );
    }

    #[test]
    fn table_ends_with_the_auto_line() {
        let mut ms = cpus();
        ms.push(gpu("NVIDIA H200", false, 3_000_000.0));
        let report = BenchReport {
            reference: ReferenceSummary {
                source: "mature.fa.gz".into(),
                species: "hsa".into(),
                matures: 2588,
                hairpins: 1881,
                targets: 1881,
            },
            inserts: 1000,
            mismatches: 1,
            seed: "0x1".into(),
            auto: auto_choice(&ms),
            engines: ms,
            notes: vec![],
        };
        let table = report.table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 5);
        assert!(lines[0].starts_with("engine  threads"));
        assert!(lines[3].starts_with("gpu "));
        assert_eq!(
            lines[4],
            "--engine auto would pick gpu (NVIDIA H200): 10.0x the CPU engine's inserts/s (8 threads): 3,000,000 vs 300,000"
        );
    }
}

//! `mirq bench --screen PATH`: how fast each engine screens inserts against
//! a large reference (a genome), the workload of `mirq quant --screen`.
//!
//! The workload ([`screen_workload`]): distinct inserts of 17–40 nt, half fragments of the
//! reference (either strand, 0–2 substitutions), half random, each with the
//! mismatches the reference's length rule allows
//! ([`crate::count::origin::ScreenRule`], `--mismatches` at most); inserts
//! the rule does not admit are left out, as `mirq quant` leaves them. Each
//! engine screens the same inserts against the reference on both strands
//! (reference preparation included); every GPU adapter is measured and
//! checked against the CPU engine's hits.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::align::gpu::{list_adapters, GpuEngine};
use crate::align::screen::screen_cpu;
use crate::align::{EncodedSlice, EngineKind, FlatHits, TargetSet};
use crate::count::origin::ScreenRule;
use crate::error::Result;
use crate::input::screen::ScreenReference;
use crate::input::sim::screen_workload;
use crate::numbers::thousands;
use crate::runtime::in_thread_pool;

/// What `mirq bench --screen` measures.
#[derive(Debug, Clone)]
pub struct ScreenBenchOptions {
    /// The reference (FASTA, FASTA.gz or a directory of them).
    pub reference: PathBuf,
    /// Distinct inserts to make.
    pub inserts: usize,
    /// Mismatches allowed at most (the length rule may allow fewer).
    pub mismatches: u8,
    /// Seed of the inserts.
    pub seed: u64,
    /// Threads of the CPU engine.
    pub threads: usize,
}

/// One engine's figures.
#[derive(Debug, Clone, Serialize)]
pub struct ScreenMeasurement {
    /// The engine.
    pub engine: EngineKind,
    /// The GPU adapter, for `gpu`.
    pub adapter: Option<String>,
    /// Seconds for the whole screen (reference preparation included).
    pub seconds: f64,
    /// Inserts screened per second.
    pub inserts_per_second: f64,
    /// Whether its hits equal the CPU engine's.
    pub agree: bool,
}

/// The report of `mirq bench --screen`.
#[derive(Debug, Clone, Serialize)]
pub struct ScreenBenchReport {
    /// The reference file.
    pub reference: String,
    /// Bases on one strand.
    pub bases: usize,
    /// Inserts screened (admitted by the length rule).
    pub inserts: usize,
    /// Inserts with a hit (CPU engine).
    pub inserts_with_hits: usize,
    /// The engines measured.
    pub engines: Vec<ScreenMeasurement>,
    /// Adapters that could not run.
    pub notes: Vec<String>,
}

impl ScreenBenchReport {
    /// Whether every engine agreed with the CPU's hits.
    pub fn all_agree(&self) -> bool {
        self.engines.iter().all(|m| m.agree)
    }

    /// The report as a table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "screen: {} ({} bases, both strands), {} inserts of 17-40 nt, {} with hits\n",
            self.reference,
            thousands(self.bases as u64),
            thousands(self.inserts as u64),
            thousands(self.inserts_with_hits as u64)
        );
        out.push_str("engine  adapter                               seconds  inserts/s  agrees\n");
        for m in &self.engines {
            out.push_str(&format!(
                "{:<7} {:<37} {:>7.3} {:>10} {}\n",
                m.engine,
                m.adapter.as_deref().unwrap_or("-"),
                m.seconds,
                thousands(m.inserts_per_second.round() as u64),
                if m.agree { "yes" } else { "NO" }
            ));
        }
        for n in &self.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        out
    }
}

/// Measures every engine on the workload.
pub fn run(opts: &ScreenBenchOptions, info: &(dyn Fn(&str) + Sync)) -> Result<ScreenBenchReport> {
    crate::align::gpu::backends()?;
    let reference = ScreenReference::load("bench", &opts.reference)?;
    let rule = ScreenRule::new(reference.bases(), opts.mismatches);
    let (inserts, mismatches): (Vec<Vec<u8>>, Vec<u8>) =
        screen_workload(&reference, opts.inserts, opts.seed)
            .into_iter()
            .filter_map(|q| rule.mismatches(q.len()).map(|k| (q, k)))
            .unzip();
    let encoded = EncodedSlice::encode(inserts.len(), |i| &inserts[i]);
    let views = encoded.views();
    info(&format!(
        "{} inserts against {} ({} bases)...",
        thousands(views.len() as u64),
        opts.reference.display(),
        thousands(reference.bases() as u64)
    ));
    let (cpu_hits, cpu) = in_thread_pool(opts.threads, || {
        let started = Instant::now();
        let targets = TargetSet::from_screen(&reference);
        let hits = screen_cpu(&targets, &views, &mismatches);
        Ok((hits, started.elapsed().as_secs_f64()))
    })?;
    let measure = |engine: EngineKind, adapter: Option<String>, seconds: f64, hits: &FlatHits| {
        ScreenMeasurement {
            engine,
            adapter,
            seconds: crate::numbers::round3(seconds),
            inserts_per_second: (views.len() as f64 / seconds.max(1e-9)).round(),
            agree: hits == &cpu_hits,
        }
    };
    let mut engines = vec![measure(EngineKind::Cpu, None, cpu, &cpu_hits)];
    let mut notes = Vec::new();
    for (index, a) in list_adapters()?.iter().enumerate() {
        info(&format!("gpu engine on adapter {index}, {}...", a.name));
        let timed = in_thread_pool(opts.threads, || {
            let gpu = GpuEngine::on_adapter(index)?;
            let started = Instant::now();
            let targets = TargetSet::from_screen(&reference);
            let hits = gpu.screen(&targets, &views, &mismatches)?;
            Ok((hits, started.elapsed().as_secs_f64()))
        });
        match timed {
            Ok((hits, seconds)) => engines.push(measure(
                EngineKind::Gpu,
                Some(a.name.clone()),
                seconds,
                &hits,
            )),
            Err(e) => notes.push(format!("adapter {index}, {}: not measured ({e})", a.name)),
        }
    }
    Ok(ScreenBenchReport {
        reference: opts.reference.display().to_string(),
        bases: reference.bases(),
        inserts: views.len(),
        inserts_with_hits: (0..cpu_hits.len())
            .filter(|&i| !cpu_hits.get(i).is_empty())
            .count(),
        engines,
        notes,
    })
}

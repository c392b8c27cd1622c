//! `mirq bench`: times the alignment engines on a synthetic workload, checks
//! that they agree, and says which engine `--engine auto` should pick.
//!
//! The workload ([`workload`]) is a set of distinct inserts drawn from the
//! reference with the isomiR and error mix of real runs; every engine
//! prepares the reference once ([`Engine::prepare`], timed on its own) and
//! aligns the same inserts (as base codes, so encoding is not timed) in one
//! [`Prepared::align_into`] call, and every engine's hits are compared with
//! those of the first CPU run. The CPU engine runs with one thread and with
//! all threads (a rayon pool per run), the GPU engine on every adapter
//! [`list_adapters`] lists. A software adapter (lavapipe, llvmpipe) is timed
//! on at most [`SOFTWARE_MAX_INSERTS`] inserts.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::align::cpu::CpuEngine;
use crate::align::gpu::{list_adapters, GpuEngine};
use crate::align::select::{gpu_is_faster, inserts_per_second, AdapterSummary};
use crate::align::{AlignParams, EncodedSlice, Engine, FlatHits, Prepared, TargetSet};
use crate::error::Result;
use crate::input::reference::Reference;
use crate::numbers::thousands;
use crate::rng::Rng;
use crate::runtime::in_thread_pool;

/// Seed of the default workload (also `cargo bench --bench engines`').
pub const DEFAULT_SEED: u64 = 0x5EED_0000_0000_0042;

/// Distinct inserts of the default workload.
pub const DEFAULT_INSERTS: usize = 200_000;

/// At most this many inserts are timed on a software GPU adapter (lavapipe
/// runs the seed-and-extend kernels at some 300,000 inserts/s on two cores,
/// so this is about a second there).
pub const SOFTWARE_MAX_INSERTS: usize = 200_000;

pub use crate::input::reference::ALL_SPECIES;

/// `n` distinct inserts (ASCII, at least 16 nt) like a deep run's, the same
/// for the same reference and `seed`: 80% isomiRs of located matures (5'
/// shifts of ±1, 3' ends from 2 short to 2 long), 10% hairpin fragments
/// (18–23 nt anywhere on the hairpin), 10% unrelated random sequence; then
/// 0–2 non-templated A/A/T bases appended and each base replaced by a random
/// one with probability 2% (sequencing errors). A reference whose matures
/// lie in no hairpin draws its isomiRs and fragments from the matures.
pub fn workload(reference: &Reference, n: usize, seed: u64) -> Vec<Vec<u8>> {
    // (sequence to cut from, mature start in it, mature length)
    let sources: Vec<(&[u8], usize, usize)> = if reference.locations.is_empty() {
        reference
            .matures
            .iter()
            .map(|m| (&m.seq[..], 0, m.seq.len()))
            .collect()
    } else {
        reference
            .locations
            .iter()
            .map(|l| {
                let h = &reference.hairpins[l.hairpin].seq;
                (&h[..], l.start, reference.matures[l.mature].seq.len())
            })
            .collect()
    };
    let mut rng = Rng::new(seed);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let kind = rng.below(10);
        let mut s: Vec<u8> = if kind == 0 || sources.is_empty() {
            let len = 16 + rng.below(20);
            rng.bases(len)
        } else {
            let (h, mature_start, m) = sources[rng.below(sources.len())];
            let (start, len) = if kind == 1 {
                (
                    rng.below(h.len().saturating_sub(20).max(1)),
                    18 + rng.below(6),
                )
            } else {
                let shift = rng.below(3) as isize - 1;
                (
                    (mature_start as isize + shift).max(0) as usize,
                    (m + rng.below(5)).saturating_sub(2),
                )
            };
            let start = start.min(h.len());
            let end = (start + len).min(h.len());
            h[start..end].to_vec()
        };
        for _ in 0..rng.below(3) {
            s.push(b"AAT"[rng.below(3)]);
        }
        for b in s.iter_mut() {
            if rng.below(100) < 2 {
                *b = b"ACGT"[rng.below(4)];
            }
        }
        if s.len() >= 16 && seen.insert(s.clone()) {
            out.push(s);
        }
    }
    out
}

/// Inserts timed on a software adapter, of `inserts`.
pub fn software_cap(inserts: usize) -> usize {
    inserts.min(SOFTWARE_MAX_INSERTS)
}

/// What `mirq bench` runs.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Mature FASTA, hairpin FASTA (optional) and species ([`ALL_SPECIES`]:
    /// every record of the files).
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

/// One engine's timed run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    /// `cpu` or `gpu`.
    pub engine: String,
    /// Threads of the rayon pool the run had (for the GPU engine, its host
    /// side's).
    pub threads: usize,
    /// GPU adapter name (`None` for the CPU engine).
    pub adapter: Option<String>,
    /// Index of the adapter in `list_adapters()` (`mirq devices`' order).
    pub adapter_index: Option<usize>,
    /// GPU backend (vulkan, metal, dx12, gl).
    pub backend: Option<String>,
    /// GPU device type (DiscreteGpu, IntegratedGpu, Cpu, ...).
    pub device_type: Option<String>,
    /// Whether the adapter is a software one ([`AdapterSummary::is_software`]).
    pub software: bool,
    /// Inserts aligned (the first ones of the workload).
    pub inserts: usize,
    /// Wall-clock seconds of [`Engine::prepare`] (CPU: the seed indexes;
    /// GPU: those, and the reference uploaded into device buffers).
    pub prepare_seconds: f64,
    /// Wall-clock seconds of one [`Prepared::align_into`] call on the
    /// inserts, the reference already prepared.
    pub seconds: f64,
    /// `inserts / seconds`: alignment alone, preparation left out.
    pub inserts_per_second: f64,
    /// GPU engine: seconds to start it (adapter, device, kernels) and warm
    /// it up (prepare the reference and align a few inserts once, before the
    /// timed preparation and run); `None` for the CPU engine.
    pub setup_seconds: Option<f64>,
    /// GPU engine: batches rerun with larger buffers during the timed run
    /// (a work queue or the hit buffer overflowed); `None` for the CPU.
    pub reruns: Option<u64>,
    /// Whether its hits equal those of the first CPU run, insert by insert.
    pub agree: bool,
}

impl Measurement {
    fn cpu(threads: usize, inserts: usize, prepare: Duration, took: Duration, agree: bool) -> Self {
        Self {
            engine: "cpu".into(),
            threads,
            adapter: None,
            adapter_index: None,
            backend: None,
            device_type: None,
            software: false,
            inserts,
            prepare_seconds: crate::numbers::seconds(prepare),
            seconds: crate::numbers::seconds(took),
            inserts_per_second: inserts_per_second(inserts, took),
            setup_seconds: None,
            reruns: None,
            agree,
        }
    }

    fn gpu(
        a: &AdapterSummary,
        index: usize,
        threads: usize,
        inserts: usize,
        prepare: Duration,
        took: Duration,
    ) -> Self {
        Self {
            engine: "gpu".into(),
            threads,
            adapter: Some(a.name.clone()),
            adapter_index: Some(index),
            backend: Some(a.backend.clone()),
            device_type: Some(a.device_type.clone()),
            software: a.is_software(),
            inserts,
            prepare_seconds: crate::numbers::seconds(prepare),
            seconds: crate::numbers::seconds(took),
            inserts_per_second: inserts_per_second(inserts, took),
            setup_seconds: None,
            reruns: None,
            agree: false,
        }
    }
}

/// The engine `--engine auto` would pick, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AutoChoice {
    /// `cpu` or `gpu`.
    pub choice: String,
    /// The GPU adapter, when the choice is `gpu`.
    pub adapter: Option<String>,
    /// Why, in words.
    pub reason: String,
}

impl AutoChoice {
    fn cpu(reason: String) -> Self {
        Self {
            choice: "cpu".into(),
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

/// The rule for `--engine auto`, on measured engines: a software adapter is
/// never chosen, nor a GPU whose hits disagree with the CPU engine's; the
/// fastest hardware GPU is chosen when its inserts/s exceed those of the CPU
/// engine with the most threads; otherwise the CPU.
pub fn auto_choice(measurements: &[Measurement]) -> AutoChoice {
    let cpu = measurements
        .iter()
        .filter(|m| m.engine == "cpu")
        .max_by_key(|m| m.threads);
    let gpus: Vec<&Measurement> = measurements.iter().filter(|m| m.engine == "gpu").collect();
    let name = |m: &Measurement| m.adapter.clone().unwrap_or_else(|| "unnamed".into());
    // each name once: one device is listed once per backend
    let names = |ms: &[&Measurement]| {
        let mut seen: Vec<String> = Vec::new();
        for m in ms {
            if !seen.contains(&name(m)) {
                seen.push(name(m));
            }
        }
        seen.join(", ")
    };
    if gpus.is_empty() {
        return AutoChoice::cpu("no GPU adapter".into());
    }
    let hardware: Vec<&Measurement> = gpus.iter().copied().filter(|m| !m.software).collect();
    if hardware.is_empty() {
        return AutoChoice::cpu(if gpus.len() == 1 {
            format!("the GPU adapter is software ({})", name(gpus[0]))
        } else {
            format!("every GPU adapter is software ({})", names(&gpus))
        });
    }
    let agreeing: Vec<&Measurement> = hardware.iter().copied().filter(|m| m.agree).collect();
    let Some(best) = agreeing
        .iter()
        .copied()
        .max_by(|a, b| a.inserts_per_second.total_cmp(&b.inserts_per_second))
    else {
        return AutoChoice::cpu(format!(
            "the GPU engine's hits on {} differ from the CPU engine's",
            names(&hardware)
        ));
    };
    let Some(cpu) = cpu else {
        return AutoChoice {
            choice: "gpu".into(),
            adapter: Some(name(best)),
            reason: "the CPU engine was not measured".into(),
        };
    };
    let ratio = best.inserts_per_second / cpu.inserts_per_second.max(1e-9);
    let threads = match cpu.threads {
        1 => "1 thread".to_string(),
        t => format!("{t} threads"),
    };
    if gpu_is_faster(cpu.inserts_per_second, best.inserts_per_second) {
        AutoChoice {
            choice: "gpu".into(),
            adapter: Some(name(best)),
            reason: format!(
                "{ratio:.1}x the CPU engine's inserts/s ({threads}): {} vs {}",
                thousands(best.inserts_per_second as u64),
                thousands(cpu.inserts_per_second as u64)
            ),
        }
    } else {
        AutoChoice::cpu(format!(
            "the GPU engine on {} reaches {ratio:.2}x the CPU engine's inserts/s ({threads}): {} vs {}",
            name(best),
            thousands(best.inserts_per_second as u64),
            thousands(cpu.inserts_per_second as u64)
        ))
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

    /// The plain-text table (one row per engine run: `prepare_s` is
    /// [`Measurement::prepare_seconds`], `align_s` [`Measurement::seconds`])
    /// and the auto line.
    pub fn table(&self) -> String {
        let header = [
            "engine",
            "threads",
            "adapter",
            "backend",
            "type",
            "inserts",
            "prepare_s",
            "align_s",
            "inserts/s",
            "agree",
        ];
        let dash = |x: &Option<String>| x.clone().unwrap_or_else(|| "-".into());
        let rows: Vec<[String; 10]> = self
            .engines
            .iter()
            .map(|m| {
                [
                    m.engine.clone(),
                    m.threads.to_string(),
                    dash(&m.adapter),
                    dash(&m.backend),
                    dash(&m.device_type),
                    thousands(m.inserts as u64),
                    format!("{:.3}", m.prepare_seconds),
                    format!("{:.3}", m.seconds),
                    thousands(m.inserts_per_second as u64),
                    if m.agree { "yes" } else { "NO" }.into(),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        // text columns left-aligned, figures right-aligned
        let numeric = [
            false, true, false, false, false, true, true, true, true, false,
        ];
        let line = |cells: &[String]| {
            let parts: Vec<String> = cells
                .iter()
                .zip(widths)
                .zip(numeric)
                .map(|((c, w), num)| {
                    let pad = " ".repeat(w - c.chars().count());
                    if num {
                        format!("{pad}{c}")
                    } else {
                        format!("{c}{pad}")
                    }
                })
                .collect();
            parts.join("  ").trim_end().to_string()
        };
        let mut out = line(&header.map(String::from));
        out.push('\n');
        for r in &rows {
            out.push_str(&line(r));
            out.push('\n');
        }
        out.push_str(&self.auto.line());
        out.push('\n');
        out
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
    let inserts = workload(&reference, n, opts.seed);
    let encoded = EncodedSlice::encode(inserts.len(), |i| &inserts[i]);
    let views = encoded.views();
    let mut notes = Vec::new();
    let mut engines = Vec::new();

    let time_cpu = |threads: usize| -> Result<(FlatHits, Duration, Duration)> {
        info(&format!(
            "cpu engine, {threads} thread{}...",
            if threads == 1 { "" } else { "s" }
        ));
        in_thread_pool(threads, || {
            let t = Instant::now();
            let prepared = CpuEngine.prepare(&targets, &params)?;
            let prepare = t.elapsed();
            let (hits, took) = time_align(&*prepared, &views)?;
            Ok((hits, prepare, took))
        })
    };
    let (first, prepare, took) = time_cpu(1)?;
    engines.push(Measurement::cpu(1, n, prepare, took, true));
    let threads = opts.threads.max(1);
    if threads > 1 {
        let (hits, prepare, took) = time_cpu(threads)?;
        engines.push(Measurement::cpu(threads, n, prepare, took, hits == first));
    }
    let workload = Workload {
        targets: &targets,
        views: &views,
        params: &params,
        threads,
        first: &first,
    };
    measure_gpus(&workload, info, &mut engines, &mut notes)?;
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

/// What every engine aligns: the targets, the encoded inserts, the limits,
/// and the first CPU run's hits to agree with.
struct Workload<'a> {
    targets: &'a TargetSet,
    views: &'a [&'a [u8]],
    params: &'a AlignParams,
    threads: usize,
    first: &'a FlatHits,
}

/// Times the GPU engine on every adapter; an adapter it cannot run on is a
/// note, not an error (an unknown `WGPU_BACKEND` is).
fn measure_gpus(
    w: &Workload,
    info: &(dyn Fn(&str) + Sync),
    engines: &mut Vec<Measurement>,
    notes: &mut Vec<String>,
) -> Result<()> {
    let adapters = list_adapters()?;
    let mut note = |n: String| {
        info(&n);
        notes.push(n);
    };
    if adapters.is_empty() {
        note("no GPU adapter found: the GPU engine was not measured".into());
    }
    for (index, a) in adapters.iter().enumerate() {
        match time_gpu(
            index, w.targets, w.views, w.params, w.threads, w.first, info,
        ) {
            Ok((m, capped)) => {
                if let Some(c) = capped {
                    note(c);
                }
                engines.push(m);
            }
            Err(e) => note(format!(
                "adapter {index}, {} ({}, {}): the GPU engine could not run ({e}); not measured",
                a.name, a.backend, a.device_type
            )),
        }
    }
    Ok(())
}

/// Aligns `views` with a prepared reference in one call: the hits and the
/// wall-clock time.
fn time_align(prepared: &dyn Prepared, views: &[&[u8]]) -> Result<(FlatHits, Duration)> {
    let mut hits = FlatHits::default();
    let t = Instant::now();
    prepared.align_into(views, &mut hits)?;
    Ok((hits, t.elapsed()))
}

/// Inserts aligned once before the GPU engine is timed (part of its setup).
const GPU_WARM_UP: usize = 32;

/// Starts the GPU engine on adapter `index` of [`list_adapters`], prepares
/// the reference, warms up and times it on the workload (capped on a
/// software adapter, which the returned note says).
fn time_gpu(
    index: usize,
    targets: &TargetSet,
    views: &[&[u8]],
    params: &AlignParams,
    threads: usize,
    first: &FlatHits,
    info: &(dyn Fn(&str) + Sync),
) -> Result<(Measurement, Option<String>)> {
    in_thread_pool(threads, || {
        let started = Instant::now();
        let gpu = GpuEngine::on_adapter(index)?;
        let a = gpu.adapter().clone();
        let m = if a.is_software() {
            software_cap(views.len())
        } else {
            views.len()
        };
        info(&format!(
            "gpu engine on adapter {index}, {} ({}, {}), {} inserts...",
            a.name,
            a.backend,
            a.device_type,
            thousands(m as u64)
        ));
        // The warm-up runs on a reference prepared for it alone: the timed
        // one starts without learned buffer sizes, as in `mirq quant`.
        gpu.prepare(targets, params)?
            .align_into(&views[..GPU_WARM_UP.min(m)], &mut FlatHits::default())?;
        let setup = started.elapsed();
        let t = Instant::now();
        let prepared = gpu.prepare(targets, params)?;
        let prepare = t.elapsed();
        let reruns = gpu.reruns();
        let (hits, took) = time_align(&*prepared, &views[..m])?;
        let mut measured = Measurement::gpu(&a, index, threads, m, prepare, took);
        measured.setup_seconds = Some(crate::numbers::seconds(setup));
        measured.reruns = Some(gpu.reruns() - reruns);
        measured.agree = hits.len() == m && (0..m).all(|i| hits.get(i) == first.get(i));
        let note = (m < views.len()).then(|| {
            format!(
                "{} ({}) is a software adapter: the GPU engine was timed on the first {} of {} inserts",
                a.name,
                a.backend,
                thousands(m as u64),
                thousands(views.len() as u64)
            )
        });
        Ok((measured, note))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(engine: &str, threads: usize, ips: f64) -> Measurement {
        Measurement {
            engine: engine.into(),
            threads,
            adapter: None,
            adapter_index: None,
            backend: None,
            device_type: None,
            software: false,
            inserts: 1000,
            prepare_seconds: 0.01,
            seconds: 1000.0 / ips,
            inserts_per_second: ips,
            setup_seconds: None,
            reruns: None,
            agree: true,
        }
    }

    fn gpu(name: &str, software: bool, ips: f64) -> Measurement {
        Measurement {
            adapter: Some(name.into()),
            backend: Some("vulkan".into()),
            device_type: Some(if software { "Cpu" } else { "DiscreteGpu" }.into()),
            software,
            ..measured("gpu", 8, ips)
        }
    }

    fn cpus() -> Vec<Measurement> {
        vec![measured("cpu", 1, 50_000.0), measured("cpu", 8, 300_000.0)]
    }

    #[test]
    fn no_gpu_means_cpu() {
        let a = auto_choice(&cpus());
        assert_eq!((a.choice.as_str(), a.adapter.as_deref()), ("cpu", None));
        assert_eq!(a.reason, "no GPU adapter");
        assert_eq!(a.line(), "--engine auto would pick cpu: no GPU adapter");
    }

    #[test]
    fn software_adapters_are_never_chosen() {
        let mut ms = cpus();
        ms.push(gpu("llvmpipe", true, 1e9));
        let a = auto_choice(&ms);
        assert_eq!(a.choice, "cpu");
        assert_eq!(a.reason, "the GPU adapter is software (llvmpipe)");
        ms.push(gpu("WARP", true, 1e9));
        ms.push(gpu("llvmpipe", true, 1e9));
        assert_eq!(
            auto_choice(&ms).reason,
            "every GPU adapter is software (llvmpipe, WARP)"
        );
    }

    #[test]
    fn a_faster_hardware_gpu_is_chosen_against_all_cpu_threads() {
        let mut ms = cpus();
        // faster than one CPU thread, slower than eight
        ms.push(gpu("Slow iGPU", false, 100_000.0));
        let a = auto_choice(&ms);
        assert_eq!(a.choice, "cpu");
        assert_eq!(
            a.reason,
            "the GPU engine on Slow iGPU reaches 0.33x the CPU engine's inserts/s (8 threads): 100,000 vs 300,000"
        );
        ms.push(gpu("NVIDIA H200", false, 3_690_000.0));
        ms.push(gpu("llvmpipe", true, 1e12));
        let a = auto_choice(&ms);
        assert_eq!(
            (a.choice.as_str(), a.adapter.as_deref()),
            ("gpu", Some("NVIDIA H200"))
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
    fn a_gpu_that_disagrees_is_not_chosen() {
        let mut ms = cpus();
        let mut wrong = gpu("NVIDIA H200", false, 1e9);
        wrong.agree = false;
        ms.push(wrong);
        let a = auto_choice(&ms);
        assert_eq!(a.choice, "cpu");
        assert_eq!(
            a.reason,
            "the GPU engine's hits on NVIDIA H200 differ from the CPU engine's"
        );
    }

    /// The demo's 61 human miRNAs and their hairpins.
    fn demo_reference() -> Reference {
        let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/reference");
        Reference::load(
            &demo.join("mature.fa"),
            Some(&demo.join("hairpin.fa")),
            "hsa",
        )
        .unwrap()
    }

    #[test]
    fn workload_is_deterministic_distinct_and_from_the_reference() {
        let r = demo_reference();
        // nearly every mature lies in its hairpin
        assert!(
            r.locations.len() + 2 >= r.matures.len(),
            "{} of {} located",
            r.locations.len(),
            r.matures.len()
        );
        let a = workload(&r, 2000, DEFAULT_SEED);
        assert_eq!(a, workload(&r, 2000, DEFAULT_SEED));
        assert_ne!(a, workload(&r, 2000, 7));
        assert_eq!(workload(&r, 500, DEFAULT_SEED)[..], a[..500]);
        let distinct: std::collections::HashSet<&Vec<u8>> = a.iter().collect();
        assert_eq!(distinct.len(), 2000);
        assert!(a.iter().all(|s| s.len() >= 16));
        // most inserts hold a 12-nt piece of a hairpin
        let pieces: std::collections::HashSet<&[u8]> =
            r.hairpins.iter().flat_map(|h| h.seq.windows(12)).collect();
        let from_reference = a.iter().filter(|s| pieces.contains(&s[2..14])).count();
        assert!(from_reference > 1400, "{from_reference} of 2000");
        // seed 0 works (xorshift would stay at 0)
        assert_eq!(workload(&r, 100, 0).len(), 100);
    }

    #[test]
    fn mature_only_references_make_a_workload_too() {
        let r = Reference::from_sequences("hsa", demo_reference().matures, vec![]);
        assert_eq!(workload(&r, 300, DEFAULT_SEED).len(), 300);
    }

    #[test]
    fn software_cap_is_generous() {
        assert_eq!(software_cap(1_000_000), SOFTWARE_MAX_INSERTS);
        assert_eq!(software_cap(300), 300);
    }

    #[test]
    fn table_has_prepare_and_align_columns() {
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
        let header: Vec<&str> = lines[0].split_whitespace().collect();
        assert_eq!(
            header,
            [
                "engine",
                "threads",
                "adapter",
                "backend",
                "type",
                "inserts",
                "prepare_s",
                "align_s",
                "inserts/s",
                "agree"
            ]
        );
        let gpu_row: Vec<&str> = lines[3].split_whitespace().collect();
        assert_eq!(gpu_row[..2], ["gpu", "8"]);
        assert_eq!(
            gpu_row[gpu_row.len() - 4..],
            ["0.010", "0.000", "3,000,000", "yes"]
        );
        assert!(lines[4].starts_with("--engine auto would pick gpu (NVIDIA H200)"));
    }
}

//! Which engine aligns a run, and the alignment of the whole insert table
//! with it.
//!
//! `--engine auto` decides by measurement: with a hardware GPU adapter, both
//! engines prepare the reference and align the same calibration slice (the
//! table's first [`CALIBRATION_INSERTS`] inserts, whose hits are kept); the
//! faster one aligns the rest. Software adapters (lavapipe, llvmpipe, WARP)
//! are never chosen and cost no calibration (unless the environment sets
//! `MIRQ_AUTO_CALIBRATE_SOFTWARE`, which tests use to exercise the
//! calibration on lavapipe). A GPU error under `auto` is a
//! warning: the CPU engine finishes the run.

use std::str::FromStr;
use std::time::{Duration, Instant};

use super::cpu::CpuEngine;
use super::gpu::{preferred_adapter, GpuEngine};
use super::{AlignParams, EncodedSlice, Engine, FlatHits, Prepared, TargetSet};
use crate::error::{Error, Result};

/// Which alignment engine to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineChoice {
    /// The faster engine, measured on a calibration slice (software GPU
    /// adapters are never chosen).
    Auto,
    /// The CPU engine.
    Cpu,
    /// The GPU engine, or an error.
    Gpu,
}

impl FromStr for EngineChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "gpu" => Ok(Self::Gpu),
            _ => Err(Error::InvalidValue {
                what: "--engine",
                value: s.into(),
                message: "expected auto, cpu or gpu".into(),
            }),
        }
    }
}

/// A GPU adapter the GPU engine can run on, as plain data (stats.json,
/// `mirq devices`, `mirq bench`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AdapterSummary {
    /// Adapter (device) name.
    pub name: String,
    /// Graphics backend (vulkan, metal, dx12, gl).
    pub backend: String,
    /// Device type (DiscreteGpu, IntegratedGpu, Cpu, ...).
    pub device_type: String,
    /// Largest storage buffer binding, bytes.
    pub max_storage_buffer_binding_size: u64,
    /// Largest buffer, bytes.
    pub max_buffer_size: u64,
    /// Largest dispatch per dimension, workgroups.
    pub max_compute_workgroups_per_dimension: u32,
}

impl AdapterSummary {
    /// Whether this is a software rasterizer (lavapipe, llvmpipe, WARP).
    pub fn is_software(&self) -> bool {
        self.device_type == "Cpu"
    }
}

/// Inserts both engines align under `--engine auto` before one is chosen.
pub const CALIBRATION_INSERTS: usize = 1 << 16;

/// How the engine of a run was chosen (stats.json `engine_decision`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EngineDecision {
    /// `--engine` as given (`auto`, `cpu`, `gpu`).
    pub requested: String,
    /// The engine that aligned the run (`cpu`, `gpu`).
    pub chosen: String,
    /// Why, in words.
    pub reason: String,
    /// The GPU adapter considered, if any.
    pub adapter: Option<String>,
    /// Inserts both engines aligned to decide (0: no calibration).
    pub calibration_inserts: u64,
    /// Calibration speed of the CPU engine (prepare excluded).
    pub cpu_inserts_per_second: Option<f64>,
    /// Calibration speed of the GPU engine (prepare excluded).
    pub gpu_inserts_per_second: Option<f64>,
}

impl EngineDecision {
    /// A decision with no calibration figures.
    fn new(requested: EngineChoice, chosen: &str, reason: String, adapter: Option<String>) -> Self {
        Self {
            requested: match requested {
                EngineChoice::Auto => "auto",
                EngineChoice::Cpu => "cpu",
                EngineChoice::Gpu => "gpu",
            }
            .into(),
            chosen: chosen.into(),
            reason,
            adapter,
            calibration_inserts: 0,
            cpu_inserts_per_second: None,
            gpu_inserts_per_second: None,
        }
    }
}

/// A run's alignment: every insert's best hits and how the engine was chosen.
pub struct Alignment {
    /// Best hits per insert, in table order.
    pub hits: FlatHits,
    /// The engine that aligned (most of) the run.
    pub engine: &'static str,
    /// The GPU adapter, when the GPU engine aligned.
    pub adapter: Option<AdapterSummary>,
    /// How the engine was chosen.
    pub decision: EngineDecision,
    /// A warning to show (a GPU that failed under `auto`).
    pub warning: Option<String>,
    /// The GPU engine, when it aligned the run (a second reference, such
    /// as the ncRNA one, is aligned with it too).
    pub gpu: Option<GpuEngine>,
}

impl Alignment {
    /// Prepares another reference with the engine that aligned the run.
    pub fn prepare_same<'a>(
        &'a self,
        targets: &'a TargetSet,
        params: &AlignParams,
    ) -> Result<Box<dyn Prepared + 'a>> {
        match &self.gpu {
            Some(gpu) => gpu.prepare(targets, params),
            None => CpuEngine.prepare(targets, params),
        }
    }

    /// Best hits of `n` inserts (`insert(i)`, ASCII bases) on another
    /// reference, with the engine that aligned the run; but few inserts
    /// against a large reference without pads are scanned for on the CPU
    /// ([`super::scan`]): cheaper than either engine's seed index, which
    /// sorts every reference position (and the GPU's upload). Either way,
    /// the same hits. The environment variable `MIRQ_NO_SCAN` (tests) turns
    /// the scan off.
    pub fn align_another<'a>(
        &self,
        targets: &TargetSet,
        params: &AlignParams,
        n: usize,
        insert: impl Fn(usize) -> &'a [u8] + Sync,
        slice: usize,
    ) -> Result<FlatHits> {
        let scan = std::env::var_os("MIRQ_NO_SCAN").is_none()
            && super::scan::worthwhile(targets.text.len(), n);
        if scan {
            let encoded = EncodedSlice::encode(n, &insert);
            if let Some(found) = super::scan::align_few(targets, &encoded.views(), params) {
                let mut hits = FlatHits::default();
                for h in &found {
                    hits.push(h);
                }
                return Ok(hits);
            }
        }
        let prepared = self.prepare_same(targets, params)?;
        super::align_all(prepared.as_ref(), n, insert, slice)
    }
}

/// Takes the GPU engine for `--engine gpu`, with advice when it cannot run.
pub fn gpu_engine() -> Result<GpuEngine> {
    GpuEngine::new().map_err(|e| match e {
        Error::EngineUnavailable { message, .. } => Error::EngineUnavailable {
            engine: "gpu",
            message: format!("{message}; use --engine cpu or auto"),
        },
        other => other,
    })
}

/// Aligns the `n` inserts of a table (`insert(i)`, ASCII bases), `slice` at a
/// time, with the engine `choice` gives (`gpu`: the engine given, made
/// before the FASTQ was read).
pub fn align_table<'a>(
    choice: EngineChoice,
    gpu: Option<GpuEngine>,
    targets: &TargetSet,
    params: &AlignParams,
    n: usize,
    insert: impl Fn(usize) -> &'a [u8] + Sync,
    slice: usize,
) -> Result<Alignment> {
    let decision = |chosen: &str, reason: String, adapter: Option<String>| {
        EngineDecision::new(choice, chosen, reason, adapter)
    };
    let on_cpu = |reason: String, adapter: Option<String>, warning: Option<String>| {
        let prepared = CpuEngine.prepare(targets, params)?;
        Ok(Alignment {
            hits: super::align_all(prepared.as_ref(), n, &insert, slice)?,
            engine: "cpu",
            adapter: None,
            decision: decision("cpu", reason, adapter),
            warning,
            gpu: None,
        })
    };
    match choice {
        EngineChoice::Cpu => on_cpu("--engine cpu".into(), None, None),
        EngineChoice::Gpu => {
            let gpu = match gpu {
                Some(g) => g,
                None => gpu_engine()?,
            };
            let hits = {
                let prepared = gpu.prepare(targets, params)?;
                super::align_all(prepared.as_ref(), n, &insert, slice)?
            };
            let name = gpu.adapter().name.clone();
            Ok(Alignment {
                hits,
                engine: "gpu",
                adapter: Some(gpu.adapter().clone()),
                decision: decision("gpu", "--engine gpu".into(), Some(name)),
                warning: None,
                gpu: Some(gpu),
            })
        }
        EngineChoice::Auto => {
            let preferred = match preferred_adapter() {
                Err(e) => return on_cpu(format!("{e}: using the CPU engine"), None, None),
                Ok(a) => a,
            };
            let adapter = preferred.summary().clone();
            // MIRQ_AUTO_CALIBRATE_SOFTWARE=1 calibrates on a software
            // adapter too (tests use it to run the calibration on lavapipe)
            let calibrate_software = std::env::var_os("MIRQ_AUTO_CALIBRATE_SOFTWARE").is_some();
            if adapter.is_software() && !calibrate_software {
                let reason = format!(
                    "the only GPU adapter, {}, is software: software adapters are never chosen",
                    adapter.name
                );
                return on_cpu(reason, Some(adapter.name), None);
            }
            let gpu = match GpuEngine::on_preferred(preferred) {
                Ok(g) => g,
                Err(e) => {
                    let w = format!(
                        "GPU {} could not start ({e}); the CPU engine aligns",
                        adapter.name
                    );
                    return on_cpu(w.clone(), Some(adapter.name), Some(w));
                }
            };
            let mut alignment =
                calibrate_and_align(&gpu, targets, params, n, &insert, slice, decision)?;
            if alignment.engine == "gpu" {
                alignment.gpu = Some(gpu);
            }
            Ok(alignment)
        }
    }
}

/// `--engine auto` with a hardware GPU: both engines align the calibration
/// slice, the faster aligns the rest; a GPU error means the CPU finishes.
fn calibrate_and_align<'a>(
    gpu: &GpuEngine,
    targets: &TargetSet,
    params: &AlignParams,
    n: usize,
    insert: &(impl Fn(usize) -> &'a [u8] + Sync),
    slice: usize,
    decision: impl Fn(&str, String, Option<String>) -> EngineDecision,
) -> Result<Alignment> {
    let name = gpu.adapter().name.clone();
    let cpu = CpuEngine.prepare(targets, params)?;
    let c = n.min(CALIBRATION_INSERTS);
    let encoded = EncodedSlice::encode(c, insert);
    let views = encoded.views();
    let mut hits = FlatHits::default();
    let started = Instant::now();
    cpu.align_into(&views, &mut hits)?;
    let cpu_rate = inserts_per_second(c, started.elapsed());
    let fallback = |hits: FlatHits, why: String| -> Result<Alignment> {
        let warning = format!("GPU {name}: {why}; the CPU engine aligns the rest");
        let mut hits = hits;
        let rest = super::align_all(cpu.as_ref(), n - c, |i| insert(c + i), slice)?;
        hits.append(&rest);
        let mut d = decision("cpu", warning.clone(), Some(name.clone()));
        d.calibration_inserts = c as u64;
        d.cpu_inserts_per_second = Some(cpu_rate);
        Ok(Alignment {
            hits,
            engine: "cpu",
            adapter: None,
            decision: d,
            warning: Some(warning),
            gpu: None,
        })
    };
    let prepared = match gpu.prepare(targets, params) {
        Ok(p) => p,
        Err(e) => return fallback(hits, e.to_string()),
    };
    let mut gpu_hits = FlatHits::default();
    let started = Instant::now();
    if let Err(e) = prepared.align_into(&views, &mut gpu_hits) {
        return fallback(hits, e.to_string());
    }
    let gpu_rate = inserts_per_second(c, started.elapsed());
    if gpu_hits != hits {
        return fallback(hits, "its hits differ from the CPU engine's".into());
    }
    let use_gpu = gpu_is_faster(cpu_rate, gpu_rate);
    let reason = calibration_reason(&name, use_gpu, (cpu_rate, gpu_rate), c);
    let chosen: &dyn Prepared = if use_gpu {
        prepared.as_ref()
    } else {
        cpu.as_ref()
    };
    let rest = match super::align_all(chosen, n - c, |i| insert(c + i), slice) {
        Ok(rest) => rest,
        Err(e) if use_gpu => return fallback(hits, e.to_string()),
        Err(e) => return Err(e),
    };
    hits.append(&rest);
    let mut d = decision(if use_gpu { "gpu" } else { "cpu" }, reason, Some(name));
    d.calibration_inserts = c as u64;
    d.cpu_inserts_per_second = Some(cpu_rate);
    d.gpu_inserts_per_second = Some(gpu_rate);
    Ok(Alignment {
        hits,
        engine: if use_gpu { "gpu" } else { "cpu" },
        adapter: use_gpu.then(|| gpu.adapter().clone()),
        decision: d,
        warning: None,
        gpu: None,
    })
}

/// Why `--engine auto` chose as it did, from the calibration speeds of the
/// CPU and the GPU (`name`) on `c` inserts.
fn calibration_reason(
    name: &str,
    use_gpu: bool,
    (cpu_rate, gpu_rate): (f64, f64),
    c: usize,
) -> String {
    let speed = format!("CPU {cpu_rate:.0} vs GPU {gpu_rate:.0} inserts/s on {c} inserts");
    if use_gpu {
        format!(
            "GPU {name} aligned {:.1}x faster than the CPU engine ({speed})",
            gpu_rate / cpu_rate
        )
    } else {
        format!("the CPU engine aligned faster than GPU {name} ({speed})")
    }
}

/// Inserts aligned per second (rounded) of `n` inserts in `took`: the
/// figure `--engine auto` and `mirq bench` compare engines by.
pub fn inserts_per_second(n: usize, took: Duration) -> f64 {
    (n as f64 / took.as_secs_f64().max(1e-9)).round()
}

/// The rule both `--engine auto` and `mirq bench` apply to measured
/// engines: a (hardware, agreeing) GPU is chosen only when it aligns more
/// inserts per second than the CPU engine.
pub fn gpu_is_faster(cpu_inserts_per_second: f64, gpu_inserts_per_second: f64) -> bool {
    gpu_inserts_per_second > cpu_inserts_per_second
}

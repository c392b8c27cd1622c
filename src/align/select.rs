//! Which engine aligns a run, and the alignment of the whole insert table
//! with it.
//!
//! `--engine auto` decides by measurement: with a hardware GPU adapter, both
//! engines prepare the reference and align the same calibration slice (the
//! table's first [`CALIBRATION_INSERTS`] inserts, whose hits are kept); the
//! faster one aligns the rest. Software adapters (lavapipe, llvmpipe, WARP)
//! are never chosen and cost no calibration (unless the environment sets
//! `MIRQ_AUTO_CALIBRATE_SOFTWARE`, which tests use to exercise the
//! calibration on lavapipe). On a machine with no GPU device node (Linux's
//! `/dev/dri`, `/dev/nvidia*`, `/dev/kfd`, `/dev/dxg`) only a software
//! adapter could be found, so `auto` does not load a GPU driver to look
//! (`MIRQ_AUTO_PROBE_GPU` makes it look anyway). A GPU error under `auto` is
//! a warning: the CPU engine finishes the run.

use std::str::FromStr;
use std::time::Instant;

use super::auto::{auto_rule, inserts_per_second, AutoVerdict, GpuFigures};
use super::cpu::CpuEngine;
use super::gpu::{
    gpu_nodes, preferred_adapter, AdapterSummary, GpuEngine, GpuNodes, GPU_NODES_LOOKED_FOR,
};
use super::{AlignParams, EncodedSlice, Engine, EngineKind, FlatHits, Prepared, TargetSet};
use crate::error::{Error, Result};

/// Which alignment engine to use (`--engine`; written `auto`, `cpu` or
/// `gpu`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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

/// Inserts both engines align under `--engine auto` before one is chosen.
pub const CALIBRATION_INSERTS: usize = 1 << 16;

/// How the engine of a run was chosen (stats.json `engine_decision`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EngineDecision {
    /// `--engine` as given.
    pub requested: EngineChoice,
    /// The engine that aligned the run.
    pub chosen: EngineKind,
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
    fn new(
        requested: EngineChoice,
        chosen: EngineKind,
        reason: String,
        adapter: Option<String>,
    ) -> Self {
        Self {
            requested,
            chosen,
            reason,
            adapter,
            calibration_inserts: 0,
            cpu_inserts_per_second: None,
            gpu_inserts_per_second: None,
        }
    }
}

/// The engine that aligned a reference after the miRNAs' (artifacts,
/// ncRNAs, other species' miRNAs, a screen reference), and why
/// (stats.json `reference_engines`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReferenceEngine {
    /// The reference (`artifacts`, `ncrna`, `exogenous`, `screen:NAME`,
    /// `screen:NAME:decoy`).
    pub reference: String,
    /// What aligned it.
    pub engine: ReferenceAligner,
    /// Why, in words.
    pub reason: String,
    /// Inserts aligned to it.
    pub inserts: u64,
    /// Seconds it took, preparing the reference included.
    pub seconds: f64,
}

/// What aligned a reference after the miRNAs': written `cpu`, `gpu`,
/// `cpu-scan` (few inserts scanned for on the CPU, [`super::scan`]) or
/// `cpu-exact` (exact matches in mature windows, [`super::exact`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferenceAligner {
    /// The CPU engine.
    Cpu,
    /// The GPU engine.
    Gpu,
    /// The scan for few inserts, on the CPU.
    CpuScan,
    /// Exact matches in mature windows, on the CPU.
    CpuExact,
}

impl From<EngineKind> for ReferenceAligner {
    fn from(kind: EngineKind) -> Self {
        match kind {
            EngineKind::Cpu => Self::Cpu,
            EngineKind::Gpu => Self::Gpu,
        }
    }
}

/// A run's alignment: every insert's best hits and how the engine was chosen.
pub struct Alignment {
    /// Best hits per insert, in table order.
    pub hits: FlatHits,
    /// The engine that aligned (most of) the run.
    pub engine: EngineKind,
    /// The GPU adapter, when the GPU engine aligned.
    pub adapter: Option<AdapterSummary>,
    /// How the engine was chosen.
    pub decision: EngineDecision,
    /// A warning to show (a GPU that failed under `auto`).
    pub warning: Option<String>,
    /// The GPU engine, when it aligned the run (a second reference, such
    /// as the ncRNA one, is aligned with it too).
    pub gpu: Option<GpuEngine>,
    /// Under `--engine auto` with a GPU that was calibrated but lost the
    /// miRNA pass: kept so that large references can be measured on it.
    pub spare_gpu: Option<GpuEngine>,
    /// `--engine` as given.
    pub choice: EngineChoice,
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
        if scans(targets, n) {
            let encoded = EncodedSlice::encode_parallel(n, &insert);
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

/// Whether [`Alignment::align_another`] tries the scan for `n` inserts on
/// `targets`.
fn scans(targets: &TargetSet, n: usize) -> bool {
    !crate::tuning::Tuning::current().no_scan
        && targets.window_5p == 0
        && targets.window_3p == 0
        && super::scan::worthwhile(targets.text.len(), n)
}

impl Alignment {
    /// [`Alignment::align_another`], timed and recorded as the engine of
    /// reference `name`.
    pub fn align_reference<'a>(
        &self,
        name: &str,
        targets: &TargetSet,
        params: &AlignParams,
        n: usize,
        insert: impl Fn(usize) -> &'a [u8] + Sync,
        slice: usize,
    ) -> Result<(FlatHits, ReferenceEngine)> {
        let started = Instant::now();
        let hits = self.align_another(targets, params, n, insert, slice)?;
        let (engine, reason) = if scans(targets, n) {
            (
                ReferenceAligner::CpuScan,
                "few inserts against a large reference: scanned for on the CPU".to_string(),
            )
        } else {
            (
                self.engine.into(),
                "the engine of the miRNA pass".to_string(),
            )
        };
        Ok((
            hits,
            ReferenceEngine {
                reference: name.into(),
                engine,
                reason,
                inserts: n as u64,
                seconds: crate::numbers::seconds(started.elapsed()),
            },
        ))
    }

    /// Best end-to-end hits (screen rule: `mismatches[i]` for insert i, no
    /// non-templated base) of `inserts` (base codes) on a screen
    /// reference's targets, with the engine the run's `--engine` gives for
    /// it: `cpu`, `gpu`, or under `auto` the faster one measured on the
    /// reference's first part (a GPU failing under `auto` is a warning in
    /// the reason, and the CPU screens).
    pub fn screen_reference(
        &self,
        name: &str,
        targets: &TargetSet,
        inserts: &[&[u8]],
        mismatches: &[u8],
    ) -> Result<(FlatHits, ReferenceEngine)> {
        let started = Instant::now();
        let record = |engine: EngineKind, reason: String| ReferenceEngine {
            reference: name.into(),
            engine: engine.into(),
            reason,
            inserts: inserts.len() as u64,
            seconds: crate::numbers::seconds(started.elapsed()),
        };
        let cpu = || super::screen::screen_cpu(targets, inserts, mismatches);
        match (self.choice, self.gpu.as_ref().or(self.spare_gpu.as_ref())) {
            (EngineChoice::Gpu, Some(gpu)) => {
                let hits = gpu.screen(targets, inserts, mismatches)?;
                Ok((hits, record(EngineKind::Gpu, "--engine gpu".into())))
            }
            (EngineChoice::Auto, Some(gpu)) => {
                let (use_gpu, why) = screen_calibration(gpu, targets, inserts, mismatches);
                if use_gpu {
                    match gpu.screen(targets, inserts, mismatches) {
                        Ok(hits) => return Ok((hits, record(EngineKind::Gpu, why))),
                        Err(e) => {
                            let hits = cpu();
                            let why = format!("GPU failed ({e}); the CPU engine screened");
                            return Ok((hits, record(EngineKind::Cpu, why)));
                        }
                    }
                }
                let hits = cpu();
                Ok((hits, record(EngineKind::Cpu, why)))
            }
            (choice, _) => {
                let hits = cpu();
                let why = match choice {
                    EngineChoice::Cpu => "--engine cpu".to_string(),
                    _ => self.decision.reason.clone(),
                };
                Ok((hits, record(EngineKind::Cpu, why)))
            }
        }
    }
}

/// Bases of a screen reference both engines screen under `--engine auto`
/// before one is chosen.
const SCREEN_CALIBRATION_BASES: usize = 1 << 20;

/// Under `--engine auto`: both engines screen the inserts against the
/// reference's first [`SCREEN_CALIBRATION_BASES`] bases (of its first
/// record); whether the GPU was faster, and why in words.
fn screen_calibration(
    gpu: &GpuEngine,
    targets: &TargetSet,
    inserts: &[&[u8]],
    mismatches: &[u8],
) -> (bool, String) {
    let Some(first) = targets.targets.first() else {
        return (false, "empty reference".into());
    };
    let len = first.len.min(SCREEN_CALIBRATION_BASES);
    let seq = crate::seq::decode(&targets.text[first.text_start..first.text_start + len]);
    let part = crate::input::screen::ScreenReference {
        name: "calibration".into(),
        files: Vec::new(),
        records: vec![crate::input::screen::ScreenRecord {
            name: first.name.clone(),
            seq: seq.into_bytes(),
        }],
    };
    let part = TargetSet::from_screen(&part);
    let started = Instant::now();
    let cpu_hits = super::screen::screen_cpu(&part, inserts, mismatches);
    let cpu_time = started.elapsed();
    let started = Instant::now();
    let gpu_hits = match gpu.screen(&part, inserts, mismatches) {
        Ok(h) => h,
        Err(e) => return (false, format!("GPU {} failed ({e})", gpu.adapter().name)),
    };
    let gpu_time = started.elapsed();
    let name = &gpu.adapter().name;
    if gpu_hits != cpu_hits {
        return (
            false,
            format!("GPU {name}: its hits differ from the CPU engine's"),
        );
    }
    let speed = format!(
        "CPU {:.3} s vs GPU {:.3} s on the first {len} bases",
        cpu_time.as_secs_f64(),
        gpu_time.as_secs_f64()
    );
    if gpu_time < cpu_time {
        (true, format!("GPU {name} screened faster ({speed})"))
    } else {
        (
            false,
            format!("the CPU engine screened faster than GPU {name} ({speed})"),
        )
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

/// The engine a run's `--engine` gives, decided before any insert is
/// aligned: [`plan_engine`].
pub enum EnginePlan {
    /// The CPU engine aligns: why, the GPU adapter considered, and a
    /// warning (a GPU that could not start under `auto`).
    Cpu {
        /// Why, in words (stats.json `engine_decision.reason`).
        reason: String,
        /// The GPU adapter considered, if any.
        adapter: Option<String>,
        /// A warning to show.
        warning: Option<String>,
    },
    /// `--engine gpu`: this engine aligns.
    Gpu(GpuEngine),
    /// `--engine auto` with a (hardware) GPU started: both engines align the
    /// table's first inserts, the faster aligns the rest.
    Calibrate(GpuEngine),
}

/// Decides the engine `choice` gives (`gpu`: the engine given, made before
/// the FASTQ was read): under `auto`, on a machine with a GPU device node
/// ([`gpu_nodes`]; without one only a software adapter could be found, so
/// none is looked for), probes the preferred GPU adapter and
/// applies the first clause of the rule ([`super::auto`]) before any
/// calibration: a software adapter is never chosen, so it costs none.
pub fn plan_engine(choice: EngineChoice, gpu: Option<GpuEngine>) -> Result<EnginePlan> {
    let cpu = |reason: String, adapter: Option<String>, warning: Option<String>| {
        Ok(EnginePlan::Cpu {
            reason,
            adapter,
            warning,
        })
    };
    match choice {
        EngineChoice::Cpu => cpu("--engine cpu".into(), None, None),
        EngineChoice::Gpu => Ok(EnginePlan::Gpu(match gpu {
            Some(g) => g,
            None => gpu_engine()?,
        })),
        EngineChoice::Auto => {
            let tuning = crate::tuning::Tuning::current();
            let probe_anyway = tuning.probe_gpu || tuning.calibrate_software;
            if !probe_anyway && gpu_nodes() == GpuNodes::Absent {
                let reason = format!(
                    "no GPU device on this machine (none of {GPU_NODES_LOOKED_FOR}): using the CPU engine"
                );
                return cpu(reason, None, None);
            }
            let preferred = match preferred_adapter() {
                Err(e) => return cpu(format!("{e}: using the CPU engine"), None, None),
                Ok(a) => a,
            };
            let adapter = preferred.summary().clone();
            // MIRQ_AUTO_CALIBRATE_SOFTWARE=1 calibrates on a software
            // adapter too (tests use it to run the calibration on lavapipe)
            if adapter.is_software() && !tuning.calibrate_software {
                let reason = format!(
                    "the only GPU adapter, {}, is software: software adapters are never chosen",
                    adapter.name
                );
                return cpu(reason, Some(adapter.name), None);
            }
            match GpuEngine::on_preferred(preferred) {
                Ok(g) => Ok(EnginePlan::Calibrate(g)),
                Err(e) => {
                    let w = format!(
                        "GPU {} could not start ({e}); the CPU engine aligns",
                        adapter.name
                    );
                    cpu(w.clone(), Some(adapter.name), Some(w))
                }
            }
        }
    }
}

/// The [`Alignment`] of hits the CPU engine found under `plan`'s
/// [`EnginePlan::Cpu`] decision (`choice`: `--engine` as given).
pub fn cpu_alignment(
    choice: EngineChoice,
    hits: FlatHits,
    reason: String,
    adapter: Option<String>,
    warning: Option<String>,
) -> Alignment {
    Alignment {
        hits,
        engine: EngineKind::Cpu,
        adapter: None,
        decision: EngineDecision::new(choice, EngineKind::Cpu, reason, adapter),
        warning,
        gpu: None,
        spare_gpu: None,
        choice,
    }
}

/// Aligns the `n` inserts of a table (`insert(i)`, ASCII bases), `slice` at a
/// time, with the engine [`plan_engine`] decided for `choice`.
pub fn align_planned<'a>(
    choice: EngineChoice,
    plan: EnginePlan,
    targets: &TargetSet,
    params: &AlignParams,
    n: usize,
    insert: impl Fn(usize) -> &'a [u8] + Sync,
    slice: usize,
) -> Result<Alignment> {
    let decision = |chosen: EngineKind, reason: String, adapter: Option<String>| {
        EngineDecision::new(choice, chosen, reason, adapter)
    };
    match plan {
        EnginePlan::Cpu {
            reason,
            adapter,
            warning,
        } => {
            let prepared = CpuEngine.prepare(targets, params)?;
            let hits = super::align_all(prepared.as_ref(), n, &insert, slice)?;
            Ok(cpu_alignment(choice, hits, reason, adapter, warning))
        }
        EnginePlan::Gpu(gpu) => {
            let hits = {
                let prepared = gpu.prepare(targets, params)?;
                super::align_all(prepared.as_ref(), n, &insert, slice)?
            };
            let name = gpu.adapter().name.clone();
            Ok(Alignment {
                hits,
                engine: EngineKind::Gpu,
                adapter: Some(gpu.adapter().clone()),
                decision: decision(EngineKind::Gpu, "--engine gpu".into(), Some(name)),
                warning: None,
                gpu: Some(gpu),
                spare_gpu: None,
                choice,
            })
        }
        EnginePlan::Calibrate(gpu) => {
            let mut alignment =
                calibrate_and_align(&gpu, targets, params, n, &insert, slice, decision)?;
            if alignment.engine == EngineKind::Gpu {
                alignment.gpu = Some(gpu);
            } else if alignment.warning.is_none() {
                alignment.spare_gpu = Some(gpu);
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
    decision: impl Fn(EngineKind, String, Option<String>) -> EngineDecision,
) -> Result<Alignment> {
    let name = gpu.adapter().name.clone();
    let cpu = CpuEngine.prepare(targets, params)?;
    let c = n.min(CALIBRATION_INSERTS);
    let encoded = EncodedSlice::encode_parallel(c, insert);
    let views = encoded.views();
    let (mut hits, cpu_rate) = timed_align(cpu.as_ref(), &views, c)?;
    let align_rest =
        |engine: &dyn Prepared| super::align_all(engine, n - c, |i| insert(c + i), slice);
    let fallback = |mut hits: FlatHits, why: String| -> Result<Alignment> {
        let warning = format!("GPU {name}: {why}; the CPU engine aligns the rest");
        let rest = align_rest(cpu.as_ref())?;
        hits.append(&rest);
        let mut d = decision(EngineKind::Cpu, warning.clone(), Some(name.clone()));
        d.calibration_inserts = c as u64;
        d.cpu_inserts_per_second = Some(cpu_rate);
        Ok(auto_alignment(
            hits,
            EngineKind::Cpu,
            None,
            d,
            Some(warning),
        ))
    };
    let prepared = match gpu.prepare(targets, params) {
        Ok(p) => p,
        Err(e) => return fallback(hits, e.to_string()),
    };
    let (gpu_hits, gpu_rate) = match timed_align(prepared.as_ref(), &views, c) {
        Ok(timed) => timed,
        Err(e) => return fallback(hits, e.to_string()),
    };
    // plan_engine let this adapter calibrate: software or not, it is in
    let figures = GpuFigures {
        adapter: &name,
        software: false,
        agree: gpu_hits == hits,
        inserts_per_second: gpu_rate,
    };
    let verdict = auto_rule(Some(cpu_rate), &[figures]);
    if let AutoVerdict::Disagree(_) = verdict {
        return fallback(hits, "its hits differ from the CPU engine's".into());
    }
    let use_gpu = verdict.engine() == EngineKind::Gpu;
    let reason = calibration_reason(&name, use_gpu, (cpu_rate, gpu_rate), c);
    let chosen: &dyn Prepared = if use_gpu {
        prepared.as_ref()
    } else {
        cpu.as_ref()
    };
    let rest = match align_rest(chosen) {
        Ok(rest) => rest,
        Err(e) if use_gpu => return fallback(hits, e.to_string()),
        Err(e) => return Err(e),
    };
    hits.append(&rest);
    let engine = verdict.engine();
    let mut d = decision(engine, reason, Some(name));
    d.calibration_inserts = c as u64;
    d.cpu_inserts_per_second = Some(cpu_rate);
    d.gpu_inserts_per_second = Some(gpu_rate);
    let adapter = use_gpu.then(|| gpu.adapter().clone());
    Ok(auto_alignment(hits, engine, adapter, d, None))
}

/// Aligns the `c` calibration inserts with `engine`; their hits and the
/// engine's speed on them (inserts per second).
fn timed_align(engine: &dyn Prepared, views: &[&[u8]], c: usize) -> Result<(FlatHits, f64)> {
    let mut hits = FlatHits::default();
    let started = Instant::now();
    engine.align_into(views, &mut hits)?;
    Ok((hits, inserts_per_second(c, started.elapsed())))
}

/// The [`Alignment`] an `--engine auto` calibration ends with.
fn auto_alignment(
    hits: FlatHits,
    engine: EngineKind,
    adapter: Option<AdapterSummary>,
    decision: EngineDecision,
    warning: Option<String>,
) -> Alignment {
    Alignment {
        hits,
        engine,
        adapter,
        decision,
        warning,
        gpu: None,
        spare_gpu: None,
        choice: EngineChoice::Auto,
    }
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

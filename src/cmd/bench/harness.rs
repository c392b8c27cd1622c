//! `mirq bench`'s timing harness: every engine prepares the reference once
//! ([`Engine::prepare`], timed on its own) and aligns the same inserts (as
//! base codes, so encoding is not timed) in one [`Prepared::align_into`]
//! call, and its hits are compared with those of the first CPU run. The CPU
//! engine runs with one thread and with all threads (a rayon pool per run),
//! the GPU engine on every adapter [`list_adapters`] lists; a software
//! adapter (lavapipe, llvmpipe) is timed on at most [`SOFTWARE_MAX_INSERTS`]
//! inserts.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::align::auto::inserts_per_second;
use crate::align::cpu::CpuEngine;
use crate::align::gpu::{list_adapters, AdapterSummary, GpuEngine};
use crate::align::{AlignParams, Engine, EngineKind, FlatHits, Prepared, TargetSet};
use crate::error::Result;
use crate::numbers::thousands;
use crate::runtime::in_thread_pool;

/// At most this many inserts are timed on a software GPU adapter (lavapipe
/// runs the seed-and-extend kernels at some 300,000 inserts/s on two cores,
/// so this is about a second there).
pub const SOFTWARE_MAX_INSERTS: usize = 200_000;

/// Inserts timed on a software adapter, of `inserts`.
pub fn software_cap(inserts: usize) -> usize {
    inserts.min(SOFTWARE_MAX_INSERTS)
}

/// One engine's timed run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    /// The engine.
    pub engine: EngineKind,
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
    /// A CPU run's figures.
    pub(super) fn cpu(
        threads: usize,
        inserts: usize,
        prepare: Duration,
        took: Duration,
        agree: bool,
    ) -> Self {
        Self {
            engine: EngineKind::Cpu,
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

    /// A GPU run's figures (not yet compared: `agree` false).
    pub(super) fn gpu(
        a: &AdapterSummary,
        index: usize,
        threads: usize,
        inserts: usize,
        prepare: Duration,
        took: Duration,
    ) -> Self {
        Self {
            engine: EngineKind::Gpu,
            adapter: Some(a.name.clone()),
            adapter_index: Some(index),
            backend: Some(a.backend.clone()),
            device_type: Some(a.device_type.clone()),
            software: a.is_software(),
            ..Self::cpu(threads, inserts, prepare, took, false)
        }
    }

    /// A made-up run of 1,000 inserts at `ips` inserts/s, 0.01 s to
    /// prepare, agreeing (tests); a GPU one on adapter `gpu`: (name,
    /// software).
    #[cfg(test)]
    pub(super) fn made_up(threads: usize, ips: f64, gpu: Option<(&str, bool)>) -> Self {
        Self {
            engine: if gpu.is_some() {
                EngineKind::Gpu
            } else {
                EngineKind::Cpu
            },
            threads,
            adapter: gpu.map(|(name, _)| name.into()),
            adapter_index: None,
            backend: gpu.map(|_| "vulkan".into()),
            device_type: gpu.map(|(_, sw)| if sw { "Cpu" } else { "DiscreteGpu" }.into()),
            software: gpu.is_some_and(|(_, sw)| sw),
            inserts: 1000,
            prepare_seconds: 0.01,
            seconds: 1000.0 / ips,
            inserts_per_second: ips,
            setup_seconds: None,
            reruns: None,
            agree: true,
        }
    }
}

/// Every engine timed on `views` (the CPU with one thread, then with
/// `threads` threads, then the GPU on each adapter), and notes on what was
/// not measured or measured on fewer inserts; `info` gets progress lines.
pub(super) fn measure_engines(
    targets: &TargetSet,
    views: &[&[u8]],
    params: &AlignParams,
    threads: usize,
    info: &(dyn Fn(&str) + Sync),
) -> Result<(Vec<Measurement>, Vec<String>)> {
    let n = views.len();
    let time_cpu = |threads: usize| -> Result<(FlatHits, Duration, Duration)> {
        info(&format!(
            "cpu engine, {threads} thread{}...",
            if threads == 1 { "" } else { "s" }
        ));
        in_thread_pool(threads, || {
            let t = Instant::now();
            let prepared = CpuEngine.prepare(targets, params)?;
            let prepare = t.elapsed();
            let (hits, took) = time_align(&*prepared, views)?;
            Ok((hits, prepare, took))
        })
    };
    let mut notes = Vec::new();
    let mut engines = Vec::new();
    let (first, prepare, took) = time_cpu(1)?;
    engines.push(Measurement::cpu(1, n, prepare, took, true));
    let threads = threads.max(1);
    if threads > 1 {
        let (hits, prepare, took) = time_cpu(threads)?;
        engines.push(Measurement::cpu(threads, n, prepare, took, hits == first));
    }
    let workload = Workload {
        targets,
        views,
        params,
        threads,
        first: &first,
    };
    measure_gpus(&workload, info, &mut engines, &mut notes)?;
    Ok((engines, notes))
}

/// What every GPU adapter aligns: the targets, the encoded inserts, the
/// limits, and the first CPU run's hits to agree with.
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

    #[test]
    fn software_cap_is_generous() {
        assert_eq!(software_cap(1_000_000), SOFTWARE_MAX_INSERTS);
        assert_eq!(software_cap(300), 300);
    }
}

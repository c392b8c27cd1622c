//! The `--engine auto` rule, one for `mirq quant` (on its calibration slice,
//! [`super::select`]) and `mirq bench` (on its timed runs): a software GPU
//! adapter is never chosen, nor a GPU whose hits differ from the CPU
//! engine's; the fastest GPU left is chosen when it aligns more inserts per
//! second than the CPU engine.

use std::time::Duration;

use super::EngineKind;

/// A GPU engine's measured figures, as the rule reads them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GpuFigures<'a> {
    /// The adapter's name.
    pub adapter: &'a str,
    /// Whether the adapter is a software one (lavapipe, llvmpipe, WARP).
    pub software: bool,
    /// Whether its hits equal the CPU engine's, insert by insert.
    pub agree: bool,
    /// Inserts aligned per second ([`inserts_per_second`]).
    pub inserts_per_second: f64,
}

/// What the rule found; [`AutoVerdict::engine`] is the engine it picks.
#[derive(Debug, Clone, PartialEq)]
pub enum AutoVerdict<'a> {
    /// No GPU was measured.
    NoGpu,
    /// Every GPU adapter is software (their names, in order, repeats kept).
    Software(Vec<&'a str>),
    /// Every hardware GPU's hits differ from the CPU engine's (their names).
    Disagree(Vec<&'a str>),
    /// The fastest agreeing hardware GPU, and the CPU engine's inserts per
    /// second it is compared with (`None`: the CPU engine was not measured).
    Fastest {
        /// The GPU's figures.
        gpu: GpuFigures<'a>,
        /// The CPU engine's inserts per second.
        cpu_inserts_per_second: Option<f64>,
    },
}

impl AutoVerdict<'_> {
    /// The engine the rule picks: the GPU only when it is the fastest
    /// agreeing hardware GPU and aligns more inserts per second than the CPU
    /// engine (or the CPU engine was not measured).
    pub fn engine(&self) -> EngineKind {
        match self {
            Self::Fastest {
                gpu,
                cpu_inserts_per_second,
            } if cpu_inserts_per_second.map_or(true, |cpu| gpu.inserts_per_second > cpu) => {
                EngineKind::Gpu
            }
            _ => EngineKind::Cpu,
        }
    }
}

/// The rule, on the CPU engine's inserts per second (`None`: not measured)
/// and every measured GPU's figures.
pub fn auto_rule<'a>(
    cpu_inserts_per_second: Option<f64>,
    gpus: &[GpuFigures<'a>],
) -> AutoVerdict<'a> {
    if gpus.is_empty() {
        return AutoVerdict::NoGpu;
    }
    let hardware: Vec<&GpuFigures<'a>> = gpus.iter().filter(|g| !g.software).collect();
    if hardware.is_empty() {
        return AutoVerdict::Software(gpus.iter().map(|g| g.adapter).collect());
    }
    let fastest = hardware
        .iter()
        .filter(|g| g.agree)
        .max_by(|a, b| a.inserts_per_second.total_cmp(&b.inserts_per_second));
    match fastest {
        Some(&&gpu) => AutoVerdict::Fastest {
            gpu,
            cpu_inserts_per_second,
        },
        None => AutoVerdict::Disagree(hardware.iter().map(|g| g.adapter).collect()),
    }
}

/// Inserts aligned per second (rounded) of `n` inserts in `took`: the
/// figure the rule compares engines by.
pub fn inserts_per_second(n: usize, took: Duration) -> f64 {
    (n as f64 / took.as_secs_f64().max(1e-9)).round()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpu(adapter: &str, software: bool, inserts_per_second: f64) -> GpuFigures<'_> {
        GpuFigures {
            adapter,
            software,
            agree: true,
            inserts_per_second,
        }
    }

    #[test]
    fn no_gpu_means_cpu() {
        let v = auto_rule(Some(300_000.0), &[]);
        assert_eq!(v, AutoVerdict::NoGpu);
        assert_eq!(v.engine(), EngineKind::Cpu);
    }

    #[test]
    fn software_adapters_are_never_chosen() {
        let gpus = [gpu("llvmpipe", true, 1e12), gpu("WARP", true, 1e12)];
        let v = auto_rule(Some(1.0), &gpus);
        assert_eq!(v, AutoVerdict::Software(vec!["llvmpipe", "WARP"]));
        assert_eq!(v.engine(), EngineKind::Cpu);
        // not even when the CPU engine was not measured
        assert_eq!(auto_rule(None, &gpus).engine(), EngineKind::Cpu);
    }

    #[test]
    fn a_gpu_that_disagrees_is_never_chosen() {
        let mut wrong = gpu("NVIDIA H200", false, 1e9);
        wrong.agree = false;
        let v = auto_rule(Some(1.0), &[wrong, gpu("llvmpipe", true, 1e12)]);
        assert_eq!(v, AutoVerdict::Disagree(vec!["NVIDIA H200"]));
        assert_eq!(v.engine(), EngineKind::Cpu);
    }

    #[test]
    fn the_fastest_agreeing_hardware_gpu_is_chosen_only_when_faster_than_the_cpu() {
        let mut wrong = gpu("Wrong", false, 1e10);
        wrong.agree = false;
        let gpus = [
            gpu("Slow iGPU", false, 100_000.0),
            gpu("NVIDIA H200", false, 3_690_000.0),
            gpu("llvmpipe", true, 1e12),
            wrong,
        ];
        let v = auto_rule(Some(300_000.0), &gpus);
        assert_eq!(
            v,
            AutoVerdict::Fastest {
                gpu: gpus[1],
                cpu_inserts_per_second: Some(300_000.0)
            }
        );
        assert_eq!(v.engine(), EngineKind::Gpu);
        // as fast is not faster
        assert_eq!(
            auto_rule(Some(3_690_000.0), &gpus).engine(),
            EngineKind::Cpu
        );
        assert_eq!(auto_rule(Some(1e8), &gpus).engine(), EngineKind::Cpu);
        // with no CPU figure, the GPU
        assert_eq!(auto_rule(None, &gpus[..1]).engine(), EngineKind::Gpu);
    }

    #[test]
    fn inserts_per_second_is_rounded_and_never_divides_by_zero() {
        assert_eq!(inserts_per_second(3, Duration::from_millis(2)), 1500.0);
        assert!(inserts_per_second(1, Duration::ZERO).is_finite());
    }
}

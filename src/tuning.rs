//! The run-time switches (`MIRQ_*` environment variables) that tune or
//! diagnose a run without changing its outputs, read once at start-up by
//! the CLI ([`Tuning::from_env`], [`Tuning::install`]) and looked up as one
//! typed value ([`Tuning::current`]) by the code they steer. The README's
//! Environment section lists them. Compile-time values (`MIRQ_GIT_COMMIT`,
//! in `runtime`) and the tests' hooks (`output/outdir/test_hooks.rs`) are
//! not tuning.

use std::sync::OnceLock;

/// The run-time switches of one process; all off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tuning {
    /// `MIRQ_NO_SCAN`: never align a few inserts by the scan; always build
    /// the seed index (tests compare the two paths with it).
    pub no_scan: bool,
    /// `MIRQ_AUTO_CALIBRATE_SOFTWARE`: `--engine auto` calibrates on a
    /// software GPU adapter too, instead of never choosing one.
    pub calibrate_software: bool,
    /// `MIRQ_AUTO_PROBE_GPU`: `--engine auto` probes the GPU adapters even
    /// where no GPU device node exists (tests use it to see lavapipe's
    /// verdict on machines without a GPU).
    pub probe_gpu: bool,
    /// `MIRQ_GPU_PROFILE`: time each GPU kernel on stderr.
    pub gpu_profile: bool,
    /// `MIRQ_SCREEN_PROFILE`: time the CPU genome screen's steps on stderr.
    pub screen_profile: bool,
}

/// The process's tuning, once installed.
static INSTALLED: OnceLock<Tuning> = OnceLock::new();

impl Tuning {
    /// The switches as the environment sets them: each is on when its
    /// variable is set (to any value).
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var_os(name).is_some())
    }

    /// The switches whose variables `set` says are set.
    fn from_vars(set: impl Fn(&str) -> bool) -> Self {
        Self {
            no_scan: set("MIRQ_NO_SCAN"),
            calibrate_software: set("MIRQ_AUTO_CALIBRATE_SOFTWARE"),
            probe_gpu: set("MIRQ_AUTO_PROBE_GPU"),
            gpu_profile: set("MIRQ_GPU_PROFILE"),
            screen_profile: set("MIRQ_SCREEN_PROFILE"),
        }
    }

    /// Makes this the process's tuning (the CLI does, before any work);
    /// false when one was installed already (and is kept).
    pub fn install(self) -> bool {
        INSTALLED.set(self).is_ok()
    }

    /// The process's tuning: the one installed, or all off (the library
    /// used on its own).
    pub fn current() -> Tuning {
        INSTALLED.get().copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_switch_is_read_from_its_own_variable() {
        assert_eq!(Tuning::from_vars(|_| false), Tuning::default());
        let only = |var: &'static str| Tuning::from_vars(move |name| name == var);
        assert!(only("MIRQ_NO_SCAN").no_scan);
        assert!(only("MIRQ_AUTO_CALIBRATE_SOFTWARE").calibrate_software);
        assert!(only("MIRQ_AUTO_PROBE_GPU").probe_gpu);
        assert!(only("MIRQ_GPU_PROFILE").gpu_profile);
        assert!(only("MIRQ_SCREEN_PROFILE").screen_profile);
        let gpu = only("MIRQ_GPU_PROFILE");
        assert_eq!(
            (gpu.no_scan, gpu.screen_profile, gpu.probe_gpu),
            (false, false, false)
        );
        // the library on its own, with nothing installed: all off
        assert_eq!(Tuning::current(), Tuning::default());
    }
}

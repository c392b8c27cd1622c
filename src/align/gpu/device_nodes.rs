//! Whether this machine can have a hardware GPU at all, read from the device
//! nodes GPU drivers make on Linux. `--engine auto` never chooses a software
//! adapter, so where no such node exists it skips its wgpu probe, which
//! loads the Vulkan loader and its software driver (lavapipe): tens of
//! milliseconds of CPU beside reading, and tens of MiB.

use std::path::Path;

/// What the device nodes say about a hardware GPU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpuNodes {
    /// A node a GPU driver makes exists (the first one seen), or the
    /// platform is not one whose nodes are read here: probe.
    Possible(String),
    /// None of them exists: no hardware GPU can be reached.
    Absent,
}

/// The nodes looked for, in words (for the reason stats.json records).
pub const LOOKED_FOR: &str = "/dev/dri, /dev/nvidia*, /dev/kfd or /dev/dxg";

/// What this machine's device nodes say ([`nodes_in`] on `/dev` on Linux;
/// elsewhere, always [`GpuNodes::Possible`]).
pub fn gpu_nodes() -> GpuNodes {
    if cfg!(target_os = "linux") {
        nodes_in(Path::new("/dev"))
    } else {
        GpuNodes::Possible(std::env::consts::OS.to_string())
    }
}

/// The GPU nodes under the device directory `dev`: any entry of `dri/`
/// (DRM cards and render nodes: Mesa's AMD, Intel, nouveau/NVK and virtio
/// drivers, NVIDIA's with nvidia-drm), `nvidia0`, `nvidia1`, ... (NVIDIA's
/// own), `kfd` (AMD compute) and `dxg` (WSL2's bridge to the Windows GPU).
/// An unreadable `dev` counts as possible: only a clear absence skips.
pub fn nodes_in(dev: &Path) -> GpuNodes {
    let dri = dev.join("dri");
    if let Ok(mut entries) = std::fs::read_dir(&dri) {
        if let Some(Ok(first)) = entries.next() {
            return GpuNodes::Possible(first.path().display().to_string());
        }
    }
    for name in ["kfd", "dxg"] {
        if dev.join(name).exists() {
            return GpuNodes::Possible(dev.join(name).display().to_string());
        }
    }
    let Ok(entries) = std::fs::read_dir(dev) else {
        return GpuNodes::Possible(format!("{} unreadable", dev.display()));
    };
    let nvidia = entries.flatten().find(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        name.strip_prefix("nvidia")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    });
    match nvidia {
        Some(e) => GpuNodes::Possible(e.path().display().to_string()),
        None => GpuNodes::Absent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev_with(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let path = dir.path().join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"").unwrap();
        }
        dir
    }

    #[test]
    fn a_machine_without_gpu_nodes_has_none() {
        let dev = dev_with(&["null", "zero", "tty0", "nvidiactl", "nvidia-uvm", "vda"]);
        assert_eq!(nodes_in(dev.path()), GpuNodes::Absent);
    }

    #[test]
    fn each_driver_node_makes_a_gpu_possible() {
        for node in [
            "dri/renderD128",
            "dri/card0",
            "nvidia0",
            "nvidia12",
            "kfd",
            "dxg",
        ] {
            let dev = dev_with(&["null", node]);
            match nodes_in(dev.path()) {
                GpuNodes::Possible(seen) => assert!(seen.ends_with(node), "{node}: {seen}"),
                GpuNodes::Absent => panic!("{node} not seen"),
            }
        }
    }

    #[test]
    fn an_unreadable_device_directory_is_not_an_absence() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dev");
        assert!(matches!(nodes_in(&missing), GpuNodes::Possible(_)));
    }
}

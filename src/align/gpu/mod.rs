//! The GPU engine: seed and extend in `shaders/align.wgsl` through wgpu
//! (Vulkan, Metal, DX12 or GL), returning exactly the CPU engine's best hits.
//!
//! [`GpuEngine::new`] takes an adapter that can run compute shaders with
//! indirect dispatch and builds the kernels; [`Engine::prepare`] uploads the
//! reference once (target text, windows, the seed table of
//! [`super::index::SeedIndex`] and the offsets near edge windows, see
//! [`prepared`]); each slice of inserts then runs in batches. Every wgpu call
//! runs inside error scopes, so a validation error, an out-of-memory error or
//! a lost device is a typed [`Error::Gpu`], never a panic.

mod backends;
mod device_nodes;
mod prepared;
mod screen;

use std::num::NonZeroU64;
use std::sync::mpsc;

use super::{AlignParams, Engine, EngineKind, Prepared, TargetSet};
use crate::error::{Error, GpuFailure, Result};

pub use backends::backends;
pub use device_nodes::{gpu_nodes, GpuNodes, LOOKED_FOR as GPU_NODES_LOOKED_FOR};
pub use prepared::MAX_INSERT_LEN;

/// A GPU adapter the GPU engine can run on, as plain data (stats.json,
/// `mirq devices`, `mirq bench`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

    /// The summary of a wgpu adapter.
    pub(super) fn of(adapter: &wgpu::Adapter) -> Self {
        let info = adapter.get_info();
        let limits = adapter.limits();
        Self {
            name: info.name,
            backend: format!("{:?}", info.backend).to_lowercase(),
            device_type: format!("{:?}", info.device_type),
            max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
            max_buffer_size: limits.max_buffer_size,
            max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
        }
    }
}

static TOUCHED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether this process has loaded a GPU driver (made a wgpu instance).
/// Some drivers, Mesa's lavapipe among them, can abort in their own
/// teardown at process exit; see [`exit_after_gpu`].
pub fn touched() -> bool {
    TOUCHED.load(std::sync::atomic::Ordering::SeqCst)
}

/// Ends the process with `code` without running C exit handlers when a GPU
/// driver was loaded: Mesa's llvmpipe/lavapipe with LLVM can corrupt the heap
/// in its static destructors at exit (llvm-project#105547, mesa#11797) and
/// turn a finished run into an abort. Everything mirq writes is flushed and
/// renamed into place before this is called. Without a driver it is a
/// normal `std::process::exit`.
pub fn exit_after_gpu(code: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    if touched() {
        // SAFETY: _exit ends the process at once; no Rust state is used after.
        unsafe { libc::_exit(code) }
    }
    std::process::exit(code)
}

/// A wgpu instance on the primary backends (Vulkan, Metal, DX12), or on
/// those `WGPU_BACKEND` names ([`backends`]: an unknown name is an error).
/// OpenGL is left out unless named: its EGL probe prints errors of its own
/// on machines without a display, and a GPU that has GL on Linux has Vulkan
/// too.
fn instance() -> Result<wgpu::Instance> {
    let backends = backends()?;
    TOUCHED.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    desc.backends = backends;
    Ok(wgpu::Instance::new(desc))
}

/// The graphics backends this build of mirq can use (`vulkan, gl`).
pub fn backends_built_in() -> String {
    let built = wgpu::Instance::enabled_backend_features();
    [
        (wgpu::Backends::VULKAN, "vulkan"),
        (wgpu::Backends::METAL, "metal"),
        (wgpu::Backends::DX12, "dx12"),
        (wgpu::Backends::GL, "gl"),
    ]
    .iter()
    .filter(|(b, _)| built.contains(*b))
    .map(|(_, name)| *name)
    .collect::<Vec<_>>()
    .join(", ")
}

/// Every adapter wgpu sees on the primary backends, or on those
/// `WGPU_BACKEND` names.
pub fn list_adapters() -> Result<Vec<AdapterSummary>> {
    let instance = instance()?;
    Ok(
        pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
            .iter()
            .map(AdapterSummary::of)
            .collect(),
    )
}

fn request_adapter(instance: &wgpu::Instance) -> Result<wgpu::Adapter> {
    pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        force_fallback_adapter: false,
        compatible_surface: None,
        apply_limit_buckets: false,
    }))
    .map_err(|e| Error::EngineUnavailable {
        engine: "gpu",
        message: format!("no GPU adapter could be had ({e})"),
    })
}

/// The adapter wgpu prefers, probed once: what it is now (no device made,
/// no kernel compiled: cheap enough to decide `--engine auto`), and the GPU
/// engine on it later ([`GpuEngine::on_preferred`]) without probing again.
pub struct PreferredAdapter {
    adapter: wgpu::Adapter,
    summary: AdapterSummary,
}

impl PreferredAdapter {
    /// What the adapter is.
    pub fn summary(&self) -> &AdapterSummary {
        &self.summary
    }
}

/// The adapter [`GpuEngine::new`] would take.
pub fn preferred_adapter() -> Result<PreferredAdapter> {
    let adapter = request_adapter(&instance()?)?;
    let summary = AdapterSummary::of(&adapter);
    Ok(PreferredAdapter { adapter, summary })
}

/// The kernels' entry points.
struct Pipelines {
    lookup_exact: wgpu::ComputePipeline,
    lookup_seeds: wgpu::ComputePipeline,
    write_args: wgpu::ComputePipeline,
    verify_exact: wgpu::ComputePipeline,
    verify_seeds: wgpu::ComputePipeline,
}

/// Storage buffers the kernels bind (binding 0 is the uniform parameters).
const STORAGE_BINDINGS: u32 = 8;

/// Bytes of the kernels' uniform parameters (`Params` in the shader).
pub(crate) const PARAMS_BYTES: u64 = 80;

/// Alignment on a GPU adapter.
pub struct GpuEngine {
    device: wgpu::Device,
    queue: wgpu::Queue,
    layout: wgpu::BindGroupLayout,
    args_layout: wgpu::BindGroupLayout,
    pipelines: Pipelines,
    adapter: AdapterSummary,
    batch_inserts: usize,
    max_binding: u64,
    max_workgroups: u32,
    reruns: std::sync::atomic::AtomicU64,
    /// The genome screen's kernels, built on its first call.
    screen_kernels: std::sync::OnceLock<screen::ScreenKernels>,
}

/// Why an adapter cannot run the kernels, if it cannot.
fn unsupported(adapter: &wgpu::Adapter) -> Option<String> {
    let needed = wgpu::DownlevelFlags::COMPUTE_SHADERS | wgpu::DownlevelFlags::INDIRECT_EXECUTION;
    let flags = adapter.get_downlevel_capabilities().flags;
    if !flags.contains(needed) {
        return Some("it lacks compute shaders or indirect dispatch".into());
    }
    let limits = adapter.limits();
    if limits.max_storage_buffers_per_shader_stage < STORAGE_BINDINGS {
        return Some(format!(
            "it binds {} storage buffers per stage, the kernels need {STORAGE_BINDINGS}",
            limits.max_storage_buffers_per_shader_stage
        ));
    }
    if limits.max_compute_invocations_per_workgroup < 64 || limits.max_compute_workgroup_size_x < 64
    {
        return Some("its workgroups hold fewer than 64 invocations".into());
    }
    None
}

impl GpuEngine {
    /// Takes the adapter wgpu prefers (high performance; `WGPU_BACKEND`
    /// limits the backends) and builds the kernels.
    pub fn new() -> Result<Self> {
        Self::on_preferred(preferred_adapter()?)
    }

    /// Builds the kernels on an adapter already probed.
    pub fn on_preferred(preferred: PreferredAdapter) -> Result<Self> {
        Self::on(preferred.adapter)
    }

    /// Builds the kernels on the `index`-th adapter of [`list_adapters`].
    pub fn on_adapter(index: usize) -> Result<Self> {
        let instance = instance()?;
        let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
        let count = adapters.len();
        let adapter = adapters
            .into_iter()
            .nth(index)
            .ok_or_else(|| Error::EngineUnavailable {
                engine: "gpu",
                message: format!("no adapter {index} ({count} found)"),
            })?;
        Self::on(adapter)
    }

    fn on(adapter: wgpu::Adapter) -> Result<Self> {
        let summary = AdapterSummary::of(&adapter);
        if let Some(why) = unsupported(&adapter) {
            return Err(Error::EngineUnavailable {
                engine: "gpu",
                message: format!("adapter {} cannot run the kernels: {why}", summary.name),
            });
        }
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("mirq"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
        .map_err(|e| Error::EngineUnavailable {
            engine: "gpu",
            message: format!("adapter {} refused a device: {e}", summary.name),
        })?;
        // Errors outside a scope (none are expected) are logged, not a panic.
        device.on_uncaptured_error(std::sync::Arc::new(|e| {
            crate::runtime::streams::to_stderr(&format!(
                "mirq: GPU error outside an error scope: {e}"
            ));
        }));
        let (layout, args_layout, pipelines) =
            scoped(&device, &summary.name, "building the kernels", || {
                build_kernels(&device)
            })?;
        let max_binding = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        Ok(Self {
            device,
            queue,
            layout,
            args_layout,
            pipelines,
            adapter: summary,
            batch_inserts: prepared::DEFAULT_BATCH,
            max_binding,
            max_workgroups: limits.max_compute_workgroups_per_dimension,
            reruns: std::sync::atomic::AtomicU64::new(0),
            screen_kernels: std::sync::OnceLock::new(),
        })
    }

    /// The adapter the engine runs on.
    pub fn adapter(&self) -> &AdapterSummary {
        &self.adapter
    }

    /// Batches run again with larger buffers because a work queue or the
    /// hit buffer overflowed, since the engine was made.
    pub fn reruns(&self) -> u64 {
        self.reruns.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Caps the inserts per batch (tests use small batches to cross batch
    /// boundaries).
    pub fn with_batch_size(mut self, inserts: usize) -> Self {
        self.batch_inserts = inserts.max(1);
        self
    }

    /// Runs `f` inside out-of-memory, validation and internal error scopes.
    fn scoped<T>(&self, stage: &'static str, f: impl FnOnce() -> T) -> Result<T> {
        scoped(&self.device, &self.adapter.name, stage, f)
    }

    fn failed(&self, stage: &'static str, kind: GpuFailure, message: String) -> Error {
        Error::Gpu {
            adapter: self.adapter.name.clone(),
            stage,
            kind,
            message,
        }
    }

    /// Copies `size` bytes of `buffer` back to the host.
    fn read_back(&self, buffer: &wgpu::Buffer, size: u64) -> Result<Vec<u8>> {
        const STAGE: &str = "reading results back";
        let transfer = |e: String| self.failed(STAGE, GpuFailure::Transfer, e);
        let staging = self.scoped(STAGE, || {
            let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("readback"),
                size,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let mut encoder = self.device.create_command_encoder(&Default::default());
            encoder.copy_buffer_to_buffer(buffer, 0, &staging, 0, size);
            self.queue.submit([encoder.finish()]);
            staging
        })?;
        let slice = staging.slice(..);
        let (tx, rx) = mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: None,
                timeout: None,
            })
            .map_err(|e| transfer(format!("waiting for the GPU: {e}")))?;
        rx.recv()
            .map_err(|e| transfer(e.to_string()))?
            .map_err(|e| transfer(format!("mapping results: {e}")))?;
        let data = slice
            .get_mapped_range()
            .map_err(|e| transfer(format!("reading results: {e}")))?
            .to_vec();
        staging.unmap();
        Ok(data)
    }
}

/// Runs `f` on `device` inside out-of-memory, validation and internal error
/// scopes; the first error caught becomes an [`Error::Gpu`].
fn scoped<T>(
    device: &wgpu::Device,
    adapter: &str,
    stage: &'static str,
    f: impl FnOnce() -> T,
) -> Result<T> {
    let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let internal = device.push_error_scope(wgpu::ErrorFilter::Internal);
    let out = f();
    let caught = [
        pollster::block_on(internal.pop()),
        pollster::block_on(validation.pop()),
        pollster::block_on(oom.pop()),
    ];
    match caught.into_iter().flatten().next() {
        None => Ok(out),
        Some(e) => Err(Error::Gpu {
            adapter: adapter.to_string(),
            stage,
            kind: match e {
                wgpu::Error::OutOfMemory { .. } => GpuFailure::OutOfMemory,
                wgpu::Error::Validation { .. } => GpuFailure::Validation,
                wgpu::Error::Internal { .. } => GpuFailure::Internal,
            },
            message: e.to_string(),
        }),
    }
}

/// `shaders/align.wgsl`, compiled with bounds checks on.
fn shader_module(device: &wgpu::Device) -> wgpu::ShaderModule {
    // Bounds checks stay on: every index the kernels compute is checked
    // against its buffer (naga clamps out-of-range reads and drops
    // out-of-range writes). Only naga's loop bounding is off: every loop is
    // bounded by CHUNK, an insert length or a binary search over a buffer.
    let checks = wgpu::ShaderRuntimeChecks {
        force_loop_bounding: false,
        ..wgpu::ShaderRuntimeChecks::checked()
    };
    // SAFETY: the only check turned off is loop bounding, and every loop of
    // the kernels terminates (see above); bounds checks are kept.
    let module = unsafe {
        device.create_shader_module_trusted(
            wgpu::include_wgsl!("../../../shaders/align.wgsl"),
            checks,
        )
    };
    module
}

/// A compute-stage buffer binding of a bind group layout, `min` bytes at
/// least (the kernels of `shaders/align.wgsl` and `shaders/screen.wgsl`).
pub(super) fn buffer_entry(
    binding: u32,
    ty: wgpu::BufferBindingType,
    min: u64,
) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: false,
            min_binding_size: NonZeroU64::new(min),
        },
        count: None,
    }
}

/// The bind group layouts (group 0: everything but the dispatch arguments,
/// group 1: those) and the five entry points of `shaders/align.wgsl`.
fn build_kernels(
    device: &wgpu::Device,
) -> (wgpu::BindGroupLayout, wgpu::BindGroupLayout, Pipelines) {
    let module = shader_module(device);
    let read = wgpu::BufferBindingType::Storage { read_only: true };
    let write = wgpu::BufferBindingType::Storage { read_only: false };
    let entries = [
        buffer_entry(0, wgpu::BufferBindingType::Uniform, PARAMS_BYTES),
        buffer_entry(1, read, 4),
        buffer_entry(2, read, 16),
        buffer_entry(3, read, 4),
        buffer_entry(4, write, 16),
        buffer_entry(5, write, 4),
        buffer_entry(6, write, 8),
        buffer_entry(7, write, 16),
    ];
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("align"),
        entries: &entries,
    });
    let args_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("dispatch args"),
        entries: &[buffer_entry(0, write, 24)],
    });
    let main_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("align"),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let with_args = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("write_args"),
        bind_group_layouts: &[Some(&layout), Some(&args_layout)],
        immediate_size: 0,
    });
    let pipeline = |entry: &str| {
        let layout = if entry == "write_args" {
            &with_args
        } else {
            &main_layout
        };
        device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: Some(layout),
            module: &module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            cache: None,
        })
    };
    let pipelines = Pipelines {
        lookup_exact: pipeline("lookup_exact"),
        lookup_seeds: pipeline("lookup_seeds"),
        write_args: pipeline("write_args"),
        verify_exact: pipeline("verify_exact"),
        verify_seeds: pipeline("verify_seeds"),
    };
    (layout, args_layout, pipelines)
}

impl Drop for GpuEngine {
    fn drop(&mut self) {
        // Tear the device down now, while the process is still running
        // normally, rather than leave it to process exit.
        let _ = self.device.poll(wgpu::PollType::Wait {
            submission_index: None,
            timeout: None,
        });
        self.device.destroy();
    }
}

impl Engine for GpuEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Gpu
    }

    fn prepare<'a>(
        &'a self,
        targets: &'a TargetSet,
        params: &AlignParams,
    ) -> Result<Box<dyn Prepared + 'a>> {
        Ok(Box::new(prepared::GpuPrepared::new(self, targets, params)?))
    }
}

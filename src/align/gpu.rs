//! The GPU engine: `shaders/align.wgsl` through wgpu (Vulkan, Metal, DX12 or
//! GL), returning exactly the CPU engine's best hits. Inserts are uploaded in
//! batches sized from the adapter's buffer limits; hits come back through an
//! atomic append buffer that is enlarged and the batch rerun if it overflows.

use std::sync::mpsc;

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use super::{AlignParams, Engine, Hit, TargetSet};
use crate::error::{Error, Result};

/// Longest insert the kernel's packed hit fields hold (8 bits each).
pub const MAX_INSERT_LEN: usize = 255;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    n_inserts: u32,
    n_targets: u32,
    pad_5p: u32,
    pad_3p: u32,
    max_mismatches: u32,
    max_nontemplated: u32,
    hit_capacity: u32,
    target_base: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuTarget {
    text_start: u32,
    len: u32,
    win_first: u32,
    win_count: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuWindow {
    start: i32,
    end: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct InsertRef {
    start: u32,
    len: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct HitOut {
    insert: u32,
    target: u32,
    offset: i32,
    templated_nt: u32,
    mismatch_wild: u32,
}

/// What the engine runs on, for stats.json and `mirq devices`.
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
    fn of(adapter: &wgpu::Adapter) -> Self {
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

    /// Whether this is a software rasterizer (lavapipe, llvmpipe, WARP).
    pub fn is_software(&self) -> bool {
        self.device_type == "Cpu"
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

fn instance() -> wgpu::Instance {
    TOUCHED.store(true, std::sync::atomic::Ordering::SeqCst);
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env())
}

/// Every adapter wgpu sees (honours `WGPU_BACKEND`).
pub fn list_adapters() -> Vec<AdapterSummary> {
    let instance = instance();
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
        .iter()
        .map(AdapterSummary::of)
        .collect()
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

/// The adapter [`GpuEngine::new`] would take, without creating a device or
/// compiling the kernel (cheap enough to decide `--engine auto`).
pub fn preferred_adapter() -> Result<AdapterSummary> {
    request_adapter(&instance()).map(|a| AdapterSummary::of(&a))
}

/// Alignment on a GPU adapter.
pub struct GpuEngine {
    device: wgpu::Device,
    queue: wgpu::Queue,
    layout: wgpu::BindGroupLayout,
    rank_pass: wgpu::ComputePipeline,
    emit_pass: wgpu::ComputePipeline,
    adapter: AdapterSummary,
    batch_inserts: usize,
    max_binding: u64,
    max_workgroups: u32,
}

impl GpuEngine {
    /// Takes the best adapter wgpu offers (honours `WGPU_BACKEND` and
    /// `WGPU_ADAPTER_NAME`) and builds the kernel.
    pub fn new() -> Result<Self> {
        let unavailable = |message: String| Error::EngineUnavailable {
            engine: "gpu",
            message,
        };
        let adapter = request_adapter(&instance())?;
        let summary = AdapterSummary::of(&adapter);
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("mirq"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
        .map_err(|e| unavailable(format!("adapter {} refused a device: {e}", summary.name)))?;
        let checks = wgpu::ShaderRuntimeChecks::unchecked();
        // SAFETY: every loop of the kernel is bounded by buffer lengths it
        // reads from its uniform parameters, so naga's loop-bounding
        // instrumentation is not needed; bounds checks stay on.
        let module = unsafe {
            device.create_shader_module_trusted(
                wgpu::include_wgsl!("../../shaders/align.wgsl"),
                checks,
            )
        };
        let storage_entry = |binding: u32, read_only: bool| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let mut entries = vec![wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        }];
        entries.extend((1..=5).map(|b| storage_entry(b, true)));
        entries.extend((6..=8).map(|b| storage_entry(b, false)));
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("align"),
            entries: &entries,
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("align"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = |entry: &str| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            })
        };
        let (rank_pass, emit_pass) = (pipeline("rank_pass"), pipeline("emit_pass"));
        let max_binding =
            (limits.max_storage_buffer_binding_size as u64).min(limits.max_buffer_size);
        let max_workgroups = limits.max_compute_workgroups_per_dimension;
        // Inserts per batch: one dispatch row of workgroups of 64, and the
        // insert codes (up to ~64 bytes each) well inside one binding.
        let batch_inserts = ((max_binding / 128) as usize).clamp(1, max_workgroups as usize * 64);
        Ok(Self {
            device,
            queue,
            layout,
            rank_pass,
            emit_pass,
            adapter: summary,
            batch_inserts,
            max_binding,
            max_workgroups,
        })
    }

    /// The adapter the engine runs on.
    pub fn adapter(&self) -> &AdapterSummary {
        &self.adapter
    }

    /// Caps the inserts per batch (tests use small batches to cross batch
    /// boundaries).
    pub fn with_batch_size(mut self, inserts: usize) -> Self {
        self.batch_inserts = inserts.clamp(1, self.max_workgroups as usize * 64);
        self
    }

    fn storage(&self, label: &str, bytes: &[u8]) -> wgpu::Buffer {
        // Bindings may not be empty: pad to 16 bytes.
        let mut padded;
        let contents = if bytes.len() < 16 {
            padded = bytes.to_vec();
            padded.resize(16, 0);
            &padded[..]
        } else {
            bytes
        };
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents,
                usage: wgpu::BufferUsages::STORAGE,
            })
    }

    fn read_back(&self, buffer: &wgpu::Buffer, size: u64) -> Result<Vec<u8>> {
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(buffer, 0, &staging, 0, size);
        self.queue.submit([encoder.finish()]);
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
            .map_err(|e| self.failed(format!("waiting for the GPU: {e}")))?;
        rx.recv()
            .map_err(|e| self.failed(e.to_string()))?
            .map_err(|e| self.failed(format!("mapping results: {e}")))?;
        let data = slice
            .get_mapped_range()
            .map_err(|e| self.failed(format!("reading results: {e}")))?
            .to_vec();
        staging.unmap();
        Ok(data)
    }

    fn failed(&self, message: String) -> Error {
        Error::EngineUnavailable {
            engine: "gpu",
            message: format!("{}: {message}", self.adapter.name),
        }
    }

    /// Runs one batch; returns the hits, or the number needed when the
    /// append buffer was too small.
    #[allow(clippy::too_many_arguments)]
    fn run_batch(
        &self,
        reference: &[&wgpu::Buffer; 3],
        n_targets: u32,
        ts: &TargetSet,
        batch: &[&[u8]],
        params: &AlignParams,
        capacity: u32,
    ) -> Result<std::result::Result<Vec<HitOut>, u32>> {
        let mut refs = Vec::with_capacity(batch.len());
        let mut codes: Vec<u8> = Vec::new();
        for q in batch {
            refs.push(InsertRef {
                start: codes.len() as u32,
                len: q.len() as u32,
            });
            codes.extend_from_slice(q);
        }
        codes.resize(codes.len().div_ceil(4) * 4, 0);
        let inserts = self.storage("inserts", bytemuck::cast_slice(&refs));
        let insert_codes = self.storage("insert_codes", &codes);
        let counter = self
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("hit_count"),
                contents: &[0u8; 4],
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            });
        let hits_size = (capacity.max(1) as u64) * std::mem::size_of::<HitOut>() as u64;
        let hits = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("hits"),
            size: hits_size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let best_rank = self.storage("best_rank", &vec![0xffu8; batch.len() * 4]);
        // One bind group per chunk of targets (a dispatch row holds at most
        // max_workgroups targets).
        let chunk = self.max_workgroups.max(1);
        let mut groups = Vec::new();
        let mut base = 0u32;
        while base < n_targets {
            let n = chunk.min(n_targets - base);
            let p = Params {
                n_inserts: batch.len() as u32,
                n_targets: n,
                pad_5p: ts.window_5p as u32,
                pad_3p: ts.window_3p as u32,
                max_mismatches: params.max_mismatches as u32,
                max_nontemplated: params.max_nontemplated as u32,
                hit_capacity: capacity,
                target_base: base,
            };
            let uniform = self
                .device
                .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("params"),
                    contents: bytemuck::bytes_of(&p),
                    usage: wgpu::BufferUsages::UNIFORM,
                });
            let buffers = [
                &uniform,
                reference[0],
                reference[1],
                reference[2],
                &inserts,
                &insert_codes,
                &counter,
                &hits,
                &best_rank,
            ];
            let entries: Vec<wgpu::BindGroupEntry> = buffers
                .iter()
                .enumerate()
                .map(|(i, b)| wgpu::BindGroupEntry {
                    binding: i as u32,
                    resource: b.as_entire_binding(),
                })
                .collect();
            let group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("align"),
                layout: &self.layout,
                entries: &entries,
            });
            groups.push((group, n));
            base += n;
        }
        let mut encoder = self.device.create_command_encoder(&Default::default());
        let x = batch.len().div_ceil(64) as u32;
        for pipeline in [&self.rank_pass, &self.emit_pass] {
            for (group, n) in &groups {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, group, &[]);
                pass.dispatch_workgroups(x, *n, 1);
            }
        }
        self.queue.submit([encoder.finish()]);
        let count = u32::from_le_bytes(self.read_back(&counter, 4)?[..4].try_into().unwrap());
        if count > capacity {
            return Ok(Err(count));
        }
        if count == 0 {
            return Ok(Ok(Vec::new()));
        }
        let size = count as u64 * std::mem::size_of::<HitOut>() as u64;
        let bytes = self.read_back(&hits, size)?;
        Ok(Ok(bytemuck::cast_slice(&bytes).to_vec()))
    }
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
    fn name(&self) -> &'static str {
        "gpu"
    }

    fn align(
        &self,
        ts: &TargetSet,
        inserts: &[&[u8]],
        params: &AlignParams,
    ) -> Result<Vec<Vec<Hit>>> {
        if let Some(q) = inserts.iter().find(|q| q.len() > MAX_INSERT_LEN) {
            return Err(self.failed(format!(
                "insert of {} bases is longer than the GPU kernel's {MAX_INSERT_LEN}",
                q.len()
            )));
        }
        let mut text = ts.text.clone();
        text.resize(text.len().div_ceil(4) * 4, 0);
        let targets: Vec<GpuTarget> = ts
            .targets
            .iter()
            .map(|t| GpuTarget {
                text_start: t.text_start as u32,
                len: t.len as u32,
                win_first: t.windows.start as u32,
                win_count: t.windows.len() as u32,
            })
            .collect();
        let windows: Vec<GpuWindow> = ts
            .windows
            .iter()
            .map(|w| GpuWindow {
                start: w.start,
                end: w.end,
            })
            .collect();
        let text_buf = self.storage("text", &text);
        let target_buf = self.storage("targets", bytemuck::cast_slice(&targets));
        let window_buf = self.storage("windows", bytemuck::cast_slice(&windows));
        let reference = [&text_buf, &target_buf, &window_buf];
        let hit_bytes = std::mem::size_of::<HitOut>() as u64;
        let max_capacity = (self.max_binding / hit_bytes).min(u32::MAX as u64) as u32;

        let mut out: Vec<Vec<Hit>> = vec![Vec::new(); inserts.len()];
        for (b, batch) in inserts.chunks(self.batch_inserts).enumerate() {
            let first = b * self.batch_inserts;
            let mut capacity = ((batch.len() * 4) as u64).clamp(64, max_capacity as u64) as u32;
            let found = loop {
                match self.run_batch(
                    &reference,
                    targets.len() as u32,
                    ts,
                    batch,
                    params,
                    capacity,
                )? {
                    Ok(hits) => break hits,
                    Err(needed) if needed <= max_capacity => capacity = needed,
                    Err(needed) => {
                        return Err(self.failed(format!(
                            "{needed} hits in one batch exceed the largest buffer; use --engine cpu"
                        )))
                    }
                }
            };
            for h in found {
                out[first + h.insert as usize].push(Hit {
                    target: h.target,
                    offset: h.offset,
                    templated: (h.templated_nt & 0xff) as u16,
                    nontemplated: (h.templated_nt >> 8) as u8,
                    mismatches: (h.mismatch_wild & 0xff) as u8,
                    wildcards: (h.mismatch_wild >> 8) as u8,
                });
            }
        }
        for hits in &mut out {
            hits.sort_unstable();
        }
        Ok(out)
    }
}

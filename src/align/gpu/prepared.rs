//! The reference on the GPU, uploaded once per run, and the batches of
//! inserts aligned against it.
//!
//! Buffers the kernels read for the whole run: `reference` (target text, four
//! codes a word; targets; mature windows; the seed table's bucket offsets; the
//! (target, offset) pairs near edge windows) and `entries` (the seed table).
//! Per batch: the inserts with their seed plans, the slots and work queues
//! the lookups fill, the counters and the hit buffer. Queues or hits that do
//! not fit are counted anyway: the batch is rerun with buffers of the counted
//! size, or split in two when that is over the adapter's largest binding.
//!
//! Inserts the kernels do not take are aligned on the host with the CPU
//! engine's searcher: those longer than [`MAX_INSERT_LEN`], and those whose
//! pigeonhole pieces are too short to seed (the CPU searches them
//! exhaustively; only inserts of a few bases).

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use super::GpuEngine;
use crate::align::cpu::{Scratch, Searcher};
use crate::align::{keep_best, AlignParams, FlatHits, Hit, Prepared, TargetSet};
use crate::error::Result;

/// Longest insert the kernels take (a hit packs its templated bases in 8
/// bits); longer ones are aligned on the host.
pub const MAX_INSERT_LEN: usize = 255;

/// Inserts per batch unless the adapter's bindings are smaller.
pub(super) const DEFAULT_BATCH: usize = 1 << 18;

/// Plan bits (see the shader): edge stage by seeds, or by every offset near
/// an edge window.
const PLAN_EDGE_SEEDS: u32 = 1 << 16;
const PLAN_EDGE_LIST: u32 = 1 << 17;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    n_inserts: u32,
    slots: u32,
    k: u32,
    pad_5p: u32,
    pad_3p: u32,
    max_nontemplated: u32,
    hit_capacity: u32,
    work_capacity_0: u32,
    work_capacity_1: u32,
    n_entries: u32,
    n_edge: u32,
    max_groups_x: u32,
    text_off: u32,
    targets_off: u32,
    windows_off: u32,
    buckets_off: u32,
    edge_off: u32,
    codes_off: u32,
    edge_buckets_off: u32,
    n_edge_entries: u32,
}

const _: () = assert!(std::mem::size_of::<Params>() as u64 == super::PARAMS_BYTES);

/// Word offsets of the parts of the reference buffer.
#[derive(Debug, Clone, Copy, Default)]
struct ReferenceLayout {
    text: u32,
    targets: u32,
    windows: u32,
    buckets: u32,
    edge: u32,
    n_edge: u32,
    edge_buckets: u32,
}

/// Buffer sizes of one run of a batch (elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Capacity {
    work_0: u64,
    work_1: u64,
    hits: u64,
}

/// What a batch run gave: the hits, or the sizes it needed.
enum BatchRun {
    /// The hits and the buffer sizes they needed.
    Done(Vec<[u32; 4]>, Capacity),
    /// The buffer sizes needed.
    Overflow(Capacity),
}

/// A reference prepared on the GPU.
pub(crate) struct GpuPrepared<'a> {
    engine: &'a GpuEngine,
    params: AlignParams,
    /// The seed index (uploaded) and the searcher for inserts kept on the host.
    host: Searcher<'a>,
    /// Per insert length: the plan word, or None when the host aligns it.
    plans: Vec<Option<u32>>,
    reference: wgpu::Buffer,
    entries: wgpu::Buffer,
    layout: ReferenceLayout,
    /// Work items (slot 0, other slots) and hits per insert seen so far: the
    /// next batch's buffers are sized from them.
    per_insert: std::sync::Mutex<Option<[f64; 3]>>,
}

/// Inserts aligned first, to learn the buffer sizes per insert, when a slice
/// holds many more.
const PROBE_INSERTS: usize = 4096;

/// Appends `bytes` to `words`, four to a word (little-endian), zero-padded.
pub(super) fn push_bytes(words: &mut Vec<u32>, bytes: &[u8]) {
    for chunk in bytes.chunks(4) {
        let mut w = [0u8; 4];
        w[..chunk.len()].copy_from_slice(chunk);
        words.push(u32::from_le_bytes(w));
    }
}

/// The reference buffer's words: text, targets, windows, buckets, edge pairs.
fn reference_words(ts: &TargetSet, host: &Searcher) -> (Vec<u32>, ReferenceLayout) {
    let index = host.index();
    let mut words = Vec::new();
    let mut layout = ReferenceLayout::default();
    push_bytes(&mut words, &ts.text);
    layout.targets = words.len() as u32;
    for t in &ts.targets {
        words.extend([
            t.text_start as u32,
            t.len as u32,
            t.windows.start as u32,
            t.windows.len() as u32,
        ]);
    }
    layout.windows = words.len() as u32;
    for w in &ts.windows {
        words.extend([w.start as u32, w.end as u32]);
    }
    layout.buckets = words.len() as u32;
    words.extend_from_slice(&index.buckets());
    layout.edge = words.len() as u32;
    for (t, o) in host.edge_offsets() {
        words.extend([t, o as u32]);
    }
    layout.n_edge = (words.len() as u32 - layout.edge) / 2;
    // the edge table's entries follow the whole table's in the entries buffer
    layout.edge_buckets = words.len() as u32;
    let base = index.len() as u32;
    words.extend(host.edge_index().buckets().iter().map(|b| b + base));
    // bindings may not be empty
    words.resize(words.len().max(4), 0);
    (words, layout)
}

impl<'a> GpuPrepared<'a> {
    /// Builds the seed index and uploads the reference.
    pub(super) fn new(
        engine: &'a GpuEngine,
        ts: &'a TargetSet,
        params: &AlignParams,
    ) -> Result<Self> {
        let host = Searcher::new(ts);
        let index = host.index();
        let (words, layout) = reference_words(ts, &host);
        let mut entries: Vec<u8> = bytemuck::cast_slice(index.entries()).to_vec();
        entries.extend_from_slice(bytemuck::cast_slice(host.edge_index().entries()));
        entries.resize(entries.len().max(16), 0);
        let largest = (words.len() * 4).max(entries.len()) as u64;
        if largest > engine.max_binding {
            return Err(crate::error::Error::EngineUnavailable {
                engine: "gpu",
                message: format!(
                    "the reference needs a {largest}-byte buffer; adapter {} binds at most {} bytes",
                    engine.adapter.name, engine.max_binding
                ),
            });
        }
        let (reference, entries) = engine.scoped("uploading the reference", || {
            (
                engine.upload("reference", bytemuck::cast_slice(&words)),
                engine.upload("seed table", &entries),
            )
        })?;
        let edge = !host.edge_windows().is_empty();
        let plans = (0..=MAX_INSERT_LEN)
            .map(|len| {
                if len == 0 {
                    return None;
                }
                let plan = host.plan(len, params);
                let mut word = plan.real_piece? as u32;
                if edge {
                    word |= match plan.edge_piece {
                        Some(piece) => (piece as u32) << 8 | PLAN_EDGE_SEEDS,
                        None => PLAN_EDGE_LIST,
                    };
                }
                Some(word)
            })
            .collect();
        Ok(Self {
            engine,
            params: *params,
            host,
            plans,
            reference,
            entries,
            layout,
            per_insert: std::sync::Mutex::new(None),
        })
    }

    /// Buffer sizes for a batch of `m` inserts: a quarter over what the
    /// batches so far needed per insert.
    fn initial_capacity(&self, m: u64) -> Capacity {
        let learned = *self.per_insert.lock().expect("capacity lock");
        let [w0, w1, h] = learned.unwrap_or([1.0, 8.0, 4.0]);
        let size = |per: f64, least: u64| ((per * 1.25 * m as f64).ceil() as u64 + 64).max(least);
        let max_work = self.max_elements(8) / 2;
        Capacity {
            work_0: size(w0, 64).min(max_work),
            work_1: size(w1, 256).min(max_work),
            hits: size(h, 256).min(self.max_elements(16)),
        }
    }

    /// Folds a finished batch's needs into the per-insert sizes (the larger
    /// of the old and new figures).
    fn learn(&self, m: u64, used: Capacity) {
        if m == 0 {
            return;
        }
        let per = |x: u64| x as f64 / m as f64;
        let now = [per(used.work_0), per(used.work_1), per(used.hits)];
        let mut learned = self.per_insert.lock().expect("capacity lock");
        *learned = Some(match *learned {
            None => now,
            Some(old) => [0, 1, 2].map(|i| old[i].max(now[i])),
        });
    }

    fn plan(&self, len: usize) -> Option<u32> {
        self.plans.get(len).copied().flatten()
    }

    /// Slots per insert: the exact prefix, k + 1 pieces on real bases and
    /// k + 1 pieces of the edge region.
    fn slots(&self) -> u32 {
        2 * self.params.max_mismatches as u32 + 3
    }

    /// Largest number of `bytes`-sized elements one binding holds.
    fn max_elements(&self, bytes: u64) -> u64 {
        (self.engine.max_binding / bytes).min(u32::MAX as u64)
    }

    /// Aligns inserts the kernels take (every one has a plan), appending
    /// their best hits to `out`; splits the batch when its buffers would be
    /// over the adapter's largest binding.
    fn align_batch(&self, batch: &[&[u8]], out: &mut FlatHits) -> Result<()> {
        let m = batch.len() as u64;
        let slot_bytes = m * self.slots() as u64 * 16;
        let codes: u64 = batch.iter().map(|q| q.len() as u64).sum();
        let fits = slot_bytes <= self.engine.max_binding
            && 16 * m + codes <= self.engine.max_binding
            && 4 * (m + 4) <= self.engine.max_binding;
        if fits {
            let mut capacity = self.initial_capacity(m);
            loop {
                match self.run_batch(batch, capacity)? {
                    BatchRun::Done(raw, used) => {
                        self.learn(m, used);
                        gather(batch.len(), &raw, out);
                        return Ok(());
                    }
                    BatchRun::Overflow(needed) => {
                        self.engine
                            .reruns
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let fits = needed.work_0 + needed.work_1 <= self.max_elements(8)
                            && needed.hits <= self.max_elements(16);
                        if !fits {
                            break;
                        }
                        // Hits of work items that did not fit went
                        // uncounted: scale the hits by the work missed.
                        let missed = (needed.work_0 + needed.work_1) as f64
                            / (needed.work_0.min(capacity.work_0)
                                + needed.work_1.min(capacity.work_1))
                            .max(1) as f64;
                        let hits = (needed.hits as f64 * missed * 1.25).ceil() as u64;
                        capacity = Capacity {
                            work_0: needed.work_0.max(capacity.work_0),
                            work_1: needed.work_1.max(capacity.work_1),
                            hits: hits.max(capacity.hits).min(self.max_elements(16)),
                        };
                    }
                }
            }
        }
        if batch.len() == 1 {
            let mut scratch = Scratch::default();
            self.host.search_into(batch[0], &self.params, &mut scratch);
            out.push(&scratch.hits);
            return Ok(());
        }
        let (a, b) = batch.split_at(batch.len() / 2);
        self.align_batch(a, out)?;
        self.align_batch(b, out)
    }

    /// One submission of the five kernels over `batch`; then the counters
    /// and, when everything fit, the hits are read back.
    fn run_batch(&self, batch: &[&[u8]], capacity: Capacity) -> Result<BatchRun> {
        let engine = self.engine;
        let m = batch.len() as u64;
        let (words, codes_off) = self.batch_words(batch);
        let params = self.kernel_params(batch.len() as u32, codes_off, capacity);
        let (counters, hits) = engine.scoped("aligning a batch", || {
            let buffers = self.batch_buffers(&params, &words, capacity);
            self.submit(&buffers, m);
            (buffers.counters, buffers.hits)
        })?;
        let head = engine.read_back(&counters, 16)?;
        let head: &[u32] = bytemuck::cast_slice(&head);
        let needed = Capacity {
            work_0: head[0] as u64,
            work_1: head[1] as u64,
            hits: head[2] as u64,
        };
        if profiling() {
            crate::runtime::streams::to_stderr(&format!(
                "mirq: GPU profile: {m} inserts, queued {needed:?} for {capacity:?}"
            ));
        }
        if needed.work_0 > capacity.work_0
            || needed.work_1 > capacity.work_1
            || needed.hits > capacity.hits
        {
            return Ok(BatchRun::Overflow(needed));
        }
        if needed.hits == 0 {
            return Ok(BatchRun::Done(Vec::new(), needed));
        }
        let bytes = engine.read_back(&hits, 16 * needed.hits)?;
        Ok(BatchRun::Done(
            bytemuck::cast_slice(&bytes).to_vec(),
            needed,
        ))
    }

    /// The batch buffer's words: per insert (code start, length, plan, 0),
    /// then the codes, each insert starting on a word (the kernels read four
    /// codes at a time); and the word where the codes start.
    fn batch_words(&self, batch: &[&[u8]]) -> (Vec<u32>, u32) {
        let mut words: Vec<u32> = Vec::with_capacity(batch.len() * 10);
        let mut start = 0u32;
        for q in batch {
            let plan = self
                .plan(q.len())
                .expect("only planned inserts reach the GPU");
            words.extend([start, q.len() as u32, plan, 0]);
            start += q.len().next_multiple_of(4) as u32;
        }
        let codes_off = words.len() as u32;
        for q in batch {
            push_bytes(&mut words, q);
        }
        (words, codes_off)
    }

    /// The kernels' uniform parameters for a batch of `m` inserts.
    fn kernel_params(&self, m: u32, codes_off: u32, capacity: Capacity) -> Params {
        let ts = self.host.targets();
        Params {
            n_inserts: m,
            slots: self.slots(),
            k: self.params.max_mismatches as u32,
            pad_5p: ts.window_5p as u32,
            pad_3p: ts.window_3p as u32,
            max_nontemplated: self.params.max_nontemplated as u32,
            hit_capacity: capacity.hits as u32,
            work_capacity_0: capacity.work_0 as u32,
            work_capacity_1: capacity.work_1 as u32,
            n_entries: self.host.index().len() as u32,
            n_edge: self.layout.n_edge,
            max_groups_x: self.engine.max_workgroups,
            text_off: self.layout.text,
            targets_off: self.layout.targets,
            windows_off: self.layout.windows,
            buckets_off: self.layout.buckets,
            edge_off: self.layout.edge,
            codes_off,
            edge_buckets_off: self.layout.edge_buckets,
            n_edge_entries: self.host.edge_index().len() as u32,
        }
    }

    /// A batch's buffers (zeroed where the kernels write) and bind groups.
    fn batch_buffers(&self, params: &Params, words: &[u32], capacity: Capacity) -> BatchBuffers {
        let engine = self.engine;
        let device = &engine.device;
        let m = params.n_inserts as u64;
        let uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("params"),
            contents: bytemuck::bytes_of(params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let batch = engine.upload("batch", bytemuck::cast_slice(words));
        let slots = engine.scratch("slots", m * self.slots() as u64 * 16, false);
        let counters = engine.scratch("counters", 4 * (m + 4), true);
        let work = engine.scratch("work", 8 * (capacity.work_0 + capacity.work_1), false);
        let hits = engine.scratch("hits", 16 * capacity.hits, true);
        let args = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("dispatch args"),
            size: 24,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::INDIRECT,
            mapped_at_creation: false,
        });
        let bound = [
            &uniform,
            &self.reference,
            &self.entries,
            &batch,
            &slots,
            &counters,
            &work,
            &hits,
        ];
        let entries: Vec<wgpu::BindGroupEntry> = bound
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: b.as_entire_binding(),
            })
            .collect();
        let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("align"),
            layout: &engine.layout,
            entries: &entries,
        });
        let args_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("dispatch args"),
            layout: &engine.args_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: args.as_entire_binding(),
            }],
        });
        BatchBuffers {
            counters,
            hits,
            args,
            group,
            args_group,
        }
    }

    /// Records and submits the six dispatches for a batch of `m` inserts
    /// (with `MIRQ_GPU_PROFILE` set, each in a submission of its own, waited
    /// for and timed on stderr).
    fn submit(&self, b: &BatchBuffers, m: u64) {
        let engine = self.engine;
        let p = &engine.pipelines;
        let profile = profiling();
        let steps: [(&wgpu::ComputePipeline, Dispatch); 6] = [
            (&p.lookup_exact, Dispatch::Linear(m)),
            (&p.write_args, Dispatch::One),
            (&p.verify_exact, Dispatch::Indirect(0)),
            (
                &p.lookup_seeds,
                Dispatch::Linear(m * (self.slots() as u64 - 1)),
            ),
            (&p.write_args, Dispatch::One),
            (&p.verify_seeds, Dispatch::Indirect(12)),
        ];
        let mut encoder = engine.device.create_command_encoder(&Default::default());
        for (step, (pipeline, dispatch)) in steps.into_iter().enumerate() {
            let started = std::time::Instant::now();
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, &b.group, &[]);
            match dispatch {
                Dispatch::Linear(n) => {
                    let (x, y) = grid(n, engine.max_workgroups);
                    if x > 0 {
                        pass.dispatch_workgroups(x, y, 1);
                    }
                }
                Dispatch::One => {
                    pass.set_bind_group(1, &b.args_group, &[]);
                    pass.dispatch_workgroups(1, 1, 1);
                }
                Dispatch::Indirect(offset) => pass.dispatch_workgroups_indirect(&b.args, offset),
            }
            drop(pass);
            if profile {
                let done = std::mem::replace(
                    &mut encoder,
                    engine.device.create_command_encoder(&Default::default()),
                );
                engine.queue.submit([done.finish()]);
                let _ = engine.device.poll(wgpu::PollType::Wait {
                    submission_index: None,
                    timeout: None,
                });
                crate::runtime::streams::to_stderr(&format!(
                    "mirq: GPU profile: {m} inserts, step {step}: {:.1} ms",
                    started.elapsed().as_secs_f64() * 1e3
                ));
            }
        }
        engine.queue.submit([encoder.finish()]);
    }
}

/// What one batch run binds: the buffers read back or dispatched from, and
/// the bind groups (which hold the others).
struct BatchBuffers {
    counters: wgpu::Buffer,
    hits: wgpu::Buffer,
    args: wgpu::Buffer,
    group: wgpu::BindGroup,
    args_group: wgpu::BindGroup,
}

/// `MIRQ_GPU_PROFILE` ([`crate::tuning::Tuning::gpu_profile`]): time each
/// kernel on stderr (diagnostics).
pub(super) fn profiling() -> bool {
    crate::tuning::Tuning::current().gpu_profile
}

/// How a kernel is dispatched.
enum Dispatch {
    /// One invocation per item, in workgroups of 64.
    Linear(u64),
    /// A single invocation.
    One,
    /// Workgroups counted by `write_args`, at this byte offset of its buffer.
    Indirect(u64),
}

/// Workgroups of 64 for `n` invocations, as an (x, y) grid with x at most
/// `max_x` (the kernels number invocations row by row).
pub(super) fn grid(n: u64, max_x: u32) -> (u32, u32) {
    let groups = n.div_ceil(64);
    if groups == 0 {
        return (0, 0);
    }
    let x = groups.min(max_x as u64);
    (x as u32, groups.div_ceil(x) as u32)
}

/// Appends, for each of `n` inserts, its best-ranked hits among `raw`
/// (insert, target, offset, packed fields), sorted and deduplicated.
fn gather(n: usize, raw: &[[u32; 4]], out: &mut FlatHits) {
    // group the placements by insert (a counting sort), then keep each
    // insert's best ones as the CPU engine does
    let mut starts = vec![0usize; n + 1];
    for r in raw {
        starts[r[0] as usize + 1] += 1;
    }
    for q in 0..n {
        starts[q + 1] += starts[q];
    }
    let mut fill = starts.clone();
    let mut grouped = vec![unpack_hit(&[0; 4]); raw.len()];
    for r in raw {
        let q = r[0] as usize;
        grouped[fill[q]] = unpack_hit(r);
        fill[q] += 1;
    }
    let mut hits: Vec<Hit> = Vec::new();
    for q in 0..n {
        hits.clear();
        hits.extend_from_slice(&grouped[starts[q]..starts[q + 1]]);
        keep_best(&mut hits);
        out.push(&hits);
    }
}

/// A hit as the kernels write it: (insert, target, offset, templated |
/// nontemplated << 8 | mismatches << 16 | wildcards << 24).
fn unpack_hit(r: &[u32; 4]) -> Hit {
    Hit {
        target: r[1],
        offset: r[2] as i32,
        templated: (r[3] & 0xff) as u16,
        nontemplated: ((r[3] >> 8) & 0xff) as u8,
        mismatches: ((r[3] >> 16) & 0xff) as u8,
        wildcards: (r[3] >> 24) as u8,
    }
}

impl Prepared for GpuPrepared<'_> {
    fn align_into(&self, inserts: &[&[u8]], out: &mut FlatHits) -> Result<()> {
        // The kernels' inserts, in order, in batches.
        let on_gpu: Vec<&[u8]> = inserts
            .iter()
            .copied()
            .filter(|q| self.plan(q.len()).is_some())
            .collect();
        let mut gpu_hits = FlatHits::default();
        let batch_size = self.engine.batch_inserts;
        let mut rest = &on_gpu[..];
        if self.per_insert.lock().expect("capacity lock").is_none()
            && rest.len() > 2 * PROBE_INSERTS
            && batch_size > 2 * PROBE_INSERTS
        {
            let (probe, after) = rest.split_at(PROBE_INSERTS);
            self.align_batch(probe, &mut gpu_hits)?;
            rest = after;
        }
        for batch in rest.chunks(batch_size) {
            self.align_batch(batch, &mut gpu_hits)?;
        }
        let mut next = 0;
        let mut scratch = Scratch::default();
        let mut slice = FlatHits::default();
        for q in inserts {
            if self.plan(q.len()).is_some() {
                slice.push(gpu_hits.get(next));
                next += 1;
            } else {
                self.host.search_into(q, &self.params, &mut scratch);
                slice.push(&scratch.hits);
            }
        }
        drop(gpu_hits);
        out.append(&slice);
        Ok(())
    }
}

impl GpuEngine {
    /// A storage buffer holding `bytes` (at least 16).
    pub(super) fn upload(&self, label: &str, bytes: &[u8]) -> wgpu::Buffer {
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

    /// A zeroed storage buffer of `bytes` (at least 32), readable back when
    /// `copy_out`.
    pub(super) fn scratch(&self, label: &str, bytes: u64, copy_out: bool) -> wgpu::Buffer {
        let mut usage = wgpu::BufferUsages::STORAGE;
        if copy_out {
            usage |= wgpu::BufferUsages::COPY_SRC;
        }
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes.max(32).div_ceil(16) * 16,
            usage,
            mapped_at_creation: false,
        })
    }
}

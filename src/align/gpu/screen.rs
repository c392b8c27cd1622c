//! The genome screen on the GPU (`shaders/screen.wgsl`): the CPU screen's
//! seed tables ([`crate::align::screen`]) uploaded per batch of inserts, the
//! reference's sense strand uploaded in parts, and per (batch, part) a scan
//! kernel (one invocation per segment of seed end positions, queuing the
//! seed entries found) and a verify kernel (one invocation per queued chunk
//! of entries, appending hits). The host groups the hits by insert and
//! keeps the best ones as the CPU does, so the results are the CPU's.
//!
//! Every buffer stays within the adapter's largest binding: a record longer
//! than a part is cut into slices overlapping by the longest insert less
//! one base (so each placement lies whole in some slice; a placement found
//! in two slices is one hit after deduplication), batches of inserts are
//! halved while their tables or codes do not fit, seed tables use shorter
//! seeds when 12-base ones do not fit, and work queues or hit buffers that
//! overflow are rerun at the counted size, or over half the segments when
//! that is over the binding.

use std::ops::Range;

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use super::prepared::grid;
use super::{buffer_entry, GpuEngine};
use crate::align::screen::{check_inputs, gather, SeedTables, MAX_BATCH, MAX_SEED};
use crate::align::{FlatHits, TargetSet};
use crate::error::{Error, GpuFailure, Result};

/// Seed end positions a scan invocation reads.
const SEGMENT: usize = 128;

/// Bytes of the kernels' uniform parameters.
const PARAMS_BYTES: u64 = 48;

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, Pod, Zeroable)]
struct Params {
    n_segments: u32,
    seg_first: u32,
    segments_off: u32,
    slices_off: u32,
    n_tables: u32,
    max_seed: u32,
    work_capacity: u32,
    n_work: u32,
    hit_capacity: u32,
    codes_off: u32,
    checks_off: u32,
    pad1: u32,
}

const _: () = assert!(std::mem::size_of::<Params>() as u64 == PARAMS_BYTES);

/// The screen kernels, built on first use.
pub(super) struct ScreenKernels {
    layout: wgpu::BindGroupLayout,
    scan: wgpu::ComputePipeline,
    verify: wgpu::ComputePipeline,
}

/// Builds the layout and the two entry points of `shaders/screen.wgsl`.
fn build_kernels(device: &wgpu::Device) -> ScreenKernels {
    // as for shaders/align.wgsl: bounds checks on, loop bounding off (every
    // loop is bounded, see the shader)
    let checks = wgpu::ShaderRuntimeChecks {
        force_loop_bounding: false,
        ..wgpu::ShaderRuntimeChecks::checked()
    };
    // SAFETY: the only check turned off is loop bounding, and every loop of
    // the kernels terminates; bounds checks are kept.
    let module = unsafe {
        device.create_shader_module_trusted(
            wgpu::include_wgsl!("../../../shaders/screen.wgsl"),
            checks,
        )
    };
    let read = wgpu::BufferBindingType::Storage { read_only: true };
    let write = wgpu::BufferBindingType::Storage { read_only: false };
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("screen"),
        entries: &[
            buffer_entry(0, wgpu::BufferBindingType::Uniform, PARAMS_BYTES),
            buffer_entry(1, read, 4),
            buffer_entry(2, read, 4),
            buffer_entry(3, read, 4),
            buffer_entry(4, read, 4),
            buffer_entry(5, write, 4),
            buffer_entry(6, write, 16),
            buffer_entry(7, write, 16),
        ],
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("screen"),
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
    ScreenKernels {
        scan: pipeline("scan"),
        verify: pipeline("verify"),
        layout,
    }
}

/// Part of one record's sense strand: positions `start..end` of record
/// `record` (of `len` bases).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slice {
    record: u32,
    start: u32,
    end: u32,
    len: u32,
}

/// Bytes a slice of `n` bases takes in a part buffer: its text (from a
/// word), its description and its segments.
fn slice_bytes(n: u64) -> u64 {
    n.next_multiple_of(4) + 32 + 16 * n.div_ceil(SEGMENT as u64)
}

/// The slices of every record's sense strand, grouped in parts of at most
/// `budget` bytes; a record longer than a part's room is cut into slices
/// overlapping by `max_len - 1` bases. Errs when `budget` cannot hold a
/// slice of a few inserts' length.
fn plan_parts(
    ts: &TargetSet,
    max_len: usize,
    budget: u64,
) -> std::result::Result<Vec<Vec<Slice>>, String> {
    let overlap = max_len as u64 - 1;
    // a cut slice holds at least this many bases, so slices advance
    let least = 4 * max_len as u64;
    let mut parts = Vec::new();
    let mut part = Vec::new();
    let mut used = 0u64;
    for (r, target) in ts.targets.iter().step_by(2).enumerate() {
        let len = target.len as u64;
        let mut pos = 0u64;
        while pos < len {
            let rest = len - pos;
            let n = fitting(budget.saturating_sub(used)).min(rest);
            if n < rest.min(least) {
                if part.is_empty() {
                    return Err(format!(
                        "a part of {budget} bytes cannot hold a slice of {} bases",
                        rest.min(least)
                    ));
                }
                parts.push(std::mem::take(&mut part));
                used = 0;
                continue;
            }
            part.push(Slice {
                record: r as u32,
                start: pos as u32,
                end: (pos + n) as u32,
                len: len as u32,
            });
            used += slice_bytes(n);
            if pos + n == len {
                break;
            }
            pos += n - overlap;
        }
    }
    if !part.is_empty() {
        parts.push(part);
    }
    Ok(parts)
}

/// The most bases a slice may have in `room` bytes.
fn fitting(room: u64) -> u64 {
    let mut n = room.saturating_sub(52) * SEGMENT as u64 / (SEGMENT as u64 + 16);
    while n > 0 && slice_bytes(n) > room {
        n -= 1;
    }
    n
}

/// A part on the device.
struct Part {
    buffer: wgpu::Buffer,
    n_segments: u32,
    slices_off: u32,
    segments_off: u32,
}

/// The words of a part: text, slices, segments; and the slices' and
/// segments' word offsets and the number of segments.
fn part_words(ts: &TargetSet, slices: &[Slice]) -> (Vec<u32>, u32, u32, u32) {
    let mut words: Vec<u32> = Vec::new();
    let mut bases = Vec::with_capacity(slices.len());
    for s in slices {
        bases.push(4 * words.len() as u32);
        let target = &ts.targets[2 * s.record as usize];
        let text =
            &ts.text[target.text_start + s.start as usize..target.text_start + s.end as usize];
        super::prepared::push_bytes(&mut words, text);
    }
    let slices_off = words.len() as u32;
    for (s, &base) in slices.iter().zip(&bases) {
        words.extend([base, s.record, s.start, s.end, s.len, 0, 0, 0]);
    }
    let segments_off = words.len() as u32;
    for (i, s) in slices.iter().enumerate() {
        for a in (s.start..s.end).step_by(SEGMENT) {
            words.extend([i as u32, a, (a + SEGMENT as u32).min(s.end), 0]);
        }
    }
    let n_segments = (words.len() as u32 - segments_off) / 4;
    (words, slices_off, segments_off, n_segments)
}

/// A batch of inserts on the device.
struct Batch {
    tables: wgpu::Buffer,
    entries: wgpu::Buffer,
    inserts: wgpu::Buffer,
    n_tables: u32,
    max_seed: u32,
    codes_off: u32,
    checks_off: u32,
}

/// The words of a batch's tables buffer: per table (seed length, rank
/// words' offset, starts' offset, 0), then each table's rank words and
/// starts.
fn table_words(tables: &SeedTables) -> Vec<u32> {
    let mut words = vec![0u32; 4 * tables.tables.len()];
    for (i, t) in tables.tables.iter().enumerate() {
        words[4 * i] = t.len as u32;
        words[4 * i + 1] = words.len() as u32;
        words.extend_from_slice(bytemuck::cast_slice(&t.words));
        words[4 * i + 2] = words.len() as u32;
        words.extend_from_slice(&t.starts);
    }
    words
}

/// The words of a batch's inserts buffer: per insert (first code, length |
/// k << 8), then the codes, four a word, each insert from a word; and the
/// word where the codes start.
fn insert_words(inserts: &[&[u8]], mismatches: &[u8]) -> (Vec<u32>, u32) {
    let codes_off = 2 * inserts.len() as u32;
    let mut words = Vec::with_capacity(codes_off as usize + inserts.len() * 10);
    let mut first = 0u32;
    for (q, &k) in inserts.iter().zip(mismatches) {
        words.extend([first, q.len() as u32 | (k as u32) << 8]);
        first += q.len().next_multiple_of(4) as u32;
    }
    for q in inserts {
        super::prepared::push_bytes(&mut words, q);
    }
    (words, codes_off)
}

/// Longest seed whose tables (of every length up to it) take at most half
/// of `max_binding` bytes.
fn max_seed_for(max_binding: u64) -> usize {
    let tables_bytes = |s: usize| -> u64 {
        (1..=s)
            .map(|x| (1u64 << (2 * x)).div_ceil(64) * 16 + 4 * 64)
            .sum()
    };
    (1..=MAX_SEED)
        .rev()
        .find(|&s| tables_bytes(s) <= max_binding / 2)
        .unwrap_or(1)
}

/// Work items per segment and hits per work item seen so far: the next
/// dispatch's buffers are sized from them.
#[derive(Debug, Default)]
struct Learned {
    work: f64,
    hits: f64,
}

/// How a screening stage ended: its queue fitted, or it outgrew the largest
/// binding and the segments must be screened in halves.
enum Fit<T> {
    Fits(T),
    Halve,
}

/// A queue's first size: the elements `per` item seen so far for `of` items,
/// with a quarter and 256 spare, capped at `max`.
fn queue_estimate(per: f64, of: u64, max: u64) -> u64 {
    ((per * 1.25 * of as f64).ceil() as u64 + 256).min(max)
}

impl GpuEngine {
    /// Caps the bytes a buffer binding may hold below the adapter's limit:
    /// tests force tiny reference parts, insert batches and queues with it.
    #[doc(hidden)]
    pub fn with_max_binding(mut self, bytes: u64) -> Self {
        self.max_binding = self.max_binding.min(bytes.max(256));
        self
    }

    /// Best end-to-end hits of each insert, exactly those of
    /// [`crate::align::screen::screen_cpu`] (same preconditions; broken ones
    /// are an [`Error::InvalidValue`] here).
    pub fn screen(&self, ts: &TargetSet, inserts: &[&[u8]], mismatches: &[u8]) -> Result<FlatHits> {
        if let Some(why) = check_inputs(ts, inserts, mismatches) {
            return Err(Error::InvalidValue {
                what: "the GPU screen's inserts",
                value: format!("{} inserts", inserts.len()),
                message: why,
            });
        }
        let mut out = FlatHits::default();
        let Some(max_len) = inserts.iter().map(|q| q.len()).max() else {
            return Ok(out);
        };
        let kernels = self.screen_kernels()?;
        let plan = plan_parts(ts, max_len, self.max_binding).map_err(|message| {
            Error::EngineUnavailable {
                engine: "gpu",
                message: format!("adapter {}: {message}", self.adapter.name),
            }
        })?;
        let parts = plan
            .iter()
            .map(|slices| {
                let (words, slices_off, segments_off, n_segments) = part_words(ts, slices);
                let buffer = self.scoped("uploading the reference", || {
                    self.upload("screen part", bytemuck::cast_slice(&words))
                })?;
                Ok(Part {
                    buffer,
                    n_segments,
                    slices_off,
                    segments_off,
                })
            })
            .collect::<Result<Vec<Part>>>()?;
        let mut learned = Learned::default();
        let size = self.batch_inserts.min(MAX_BATCH);
        for lo in (0..inserts.len()).step_by(size) {
            let hi = (lo + size).min(inserts.len());
            let (batch, ks) = (&inserts[lo..hi], &mismatches[lo..hi]);
            self.screen_batch(kernels, &parts, batch, ks, &mut learned, &mut out)?;
        }
        Ok(out)
    }

    /// The kernels, built on the first call.
    fn screen_kernels(&self) -> Result<&ScreenKernels> {
        if let Some(k) = self.screen_kernels.get() {
            return Ok(k);
        }
        let built = self.scoped("building the screen kernels", || {
            build_kernels(&self.device)
        })?;
        Ok(self.screen_kernels.get_or_init(|| built))
    }

    /// Screens one batch against every part, appending its inserts' best
    /// hits to `out`; halves the batch while its buffers do not fit a binding.
    fn screen_batch(
        &self,
        kernels: &ScreenKernels,
        parts: &[Part],
        inserts: &[&[u8]],
        mismatches: &[u8],
        learned: &mut Learned,
        out: &mut FlatHits,
    ) -> Result<()> {
        let tables = SeedTables::build(inserts, mismatches, max_seed_for(self.max_binding));
        let words = table_words(&tables);
        let (codes, codes_off) = insert_words(inserts, mismatches);
        let mut entries = tables.entries.clone();
        let checks_off = entries.len() as u32;
        entries.extend_from_slice(bytemuck::cast_slice(&tables.checks));
        let largest = (4 * words.len().max(entries.len()).max(codes.len())) as u64;
        if largest > self.max_binding {
            if inserts.len() == 1 {
                return Err(self.failed(
                    "screening",
                    GpuFailure::OutOfMemory,
                    format!(
                        "one insert's seed tables need {largest} bytes, over the largest binding"
                    ),
                ));
            }
            let (a, b) = inserts.split_at(inserts.len() / 2);
            let (ka, kb) = mismatches.split_at(inserts.len() / 2);
            self.screen_batch(kernels, parts, a, ka, learned, out)?;
            return self.screen_batch(kernels, parts, b, kb, learned, out);
        }
        let batch = self.scoped("uploading a batch of inserts", || Batch {
            tables: self.upload("screen tables", bytemuck::cast_slice(&words)),
            entries: self.upload("screen entries", bytemuck::cast_slice(&entries)),
            inserts: self.upload("screen inserts", bytemuck::cast_slice(&codes)),
            n_tables: tables.tables.len() as u32,
            max_seed: tables.max_len() as u32,
            codes_off,
            checks_off,
        })?;
        drop((words, codes, entries));
        // a first guess of the queues: twice the random seed matches
        let random: f64 = tables
            .tables
            .iter()
            .map(|t| (t.starts.len() - 1) as f64 / 4f64.powi(t.len as i32))
            .sum();
        learned.work = learned.work.max(2.0 * SEGMENT as f64 * random);
        learned.hits = learned.hits.max(0.5);
        drop(tables);
        let mut raw: Vec<Vec<[u32; 4]>> = Vec::new();
        for part in parts {
            let all = 0..part.n_segments;
            self.screen_segments(kernels, &batch, part, all, learned, &mut raw)?;
        }
        let slices: Vec<&[[u32; 4]]> = raw.iter().map(Vec::as_slice).collect();
        out.append(&gather(inserts, &slices));
        Ok(())
    }

    /// Largest number of 16-byte elements one binding holds.
    fn max_elements16(&self) -> u64 {
        (self.max_binding / 16).min(u32::MAX as u64)
    }

    /// Scans `segs` of a part for a batch and verifies the candidates;
    /// appends the hits (insert, target, offset, mismatches) to `raw`.
    /// Halves `segs` when a queue outgrows the largest binding.
    fn screen_segments(
        &self,
        kernels: &ScreenKernels,
        batch: &Batch,
        part: &Part,
        segs: Range<u32>,
        learned: &mut Learned,
        raw: &mut Vec<Vec<[u32; 4]>>,
    ) -> Result<()> {
        let n = segs.len() as u64;
        if n == 0 {
            return Ok(());
        }
        let mut params = Params {
            n_segments: n as u32,
            seg_first: segs.start,
            segments_off: part.segments_off,
            slices_off: part.slices_off,
            n_tables: batch.n_tables,
            max_seed: batch.max_seed.max(1),
            codes_off: batch.codes_off,
            checks_off: batch.checks_off,
            ..Params::default()
        };
        let Fit::Fits((work, queued)) =
            self.scan_stage(kernels, batch, part, &mut params, learned.work)?
        else {
            return self.halve(kernels, batch, part, segs, learned, raw);
        };
        learned.work = learned.work.max(queued as f64 / n as f64);
        if queued == 0 {
            return Ok(());
        }
        params.n_work = queued as u32;
        match self.verify_stage(kernels, batch, part, &mut params, &work, learned)? {
            Fit::Fits(Some(hits)) => raw.push(hits),
            Fit::Fits(None) => {}
            Fit::Halve => return self.halve(kernels, batch, part, segs, learned, raw),
        }
        Ok(())
    }

    /// Runs the scan kernel over `params.n_segments` segments with a work
    /// queue sized from `work_per_segment`, growing it and rerunning while
    /// it overflows; the queue and its number of work items.
    fn scan_stage(
        &self,
        kernels: &ScreenKernels,
        batch: &Batch,
        part: &Part,
        params: &mut Params,
        work_per_segment: f64,
    ) -> Result<Fit<(wgpu::Buffer, u64)>> {
        let n = params.n_segments as u64;
        let max = self.max_elements16();
        let mut capacity = queue_estimate(work_per_segment, n, max);
        loop {
            params.work_capacity = capacity as u32;
            let work = self.scoped("screening", || {
                self.scratch("screen work", 16 * capacity, false)
            })?;
            let started = std::time::Instant::now();
            let [queued, _] =
                self.run_kernel(kernels, &kernels.scan, batch, part, params, &work, None, n)?;
            if super::prepared::profiling() {
                crate::runtime::streams::to_stderr(&format!(
                    "mirq: GPU profile: screen scan of {n} segments: {queued} work items for {capacity}, {:.1} ms",
                    started.elapsed().as_secs_f64() * 1e3
                ));
            }
            let queued = queued as u64;
            if queued <= capacity {
                return Ok(Fit::Fits((work, queued)));
            }
            self.count_rerun();
            if queued > max {
                return Ok(Fit::Halve);
            }
            capacity = queued;
        }
    }

    /// Runs the verify kernel over the `params.n_work` queued work items with
    /// a hit buffer sized from `learned.hits`, growing it and rerunning while
    /// it overflows; learns the hit rate and reads the hits back (none when
    /// no work item verified).
    fn verify_stage(
        &self,
        kernels: &ScreenKernels,
        batch: &Batch,
        part: &Part,
        params: &mut Params,
        work: &wgpu::Buffer,
        learned: &mut Learned,
    ) -> Result<Fit<Option<Vec<[u32; 4]>>>> {
        let queued = params.n_work as u64;
        let max = self.max_elements16();
        let mut capacity = queue_estimate(learned.hits, queued, max);
        loop {
            params.hit_capacity = capacity as u32;
            let hits = self.scoped("screening", || {
                self.scratch("screen hits", 16 * capacity, true)
            })?;
            let started = std::time::Instant::now();
            let [_, found] = self.run_kernel(
                kernels,
                &kernels.verify,
                batch,
                part,
                params,
                work,
                Some(&hits),
                queued,
            )?;
            if super::prepared::profiling() {
                crate::runtime::streams::to_stderr(&format!(
                    "mirq: GPU profile: screen verify of {queued} work items: {found} hits for {capacity}, {:.1} ms",
                    started.elapsed().as_secs_f64() * 1e3
                ));
            }
            let found = found as u64;
            if found <= capacity {
                learned.hits = learned.hits.max(found as f64 / queued as f64);
                if found == 0 {
                    return Ok(Fit::Fits(None));
                }
                let bytes = self.read_back(&hits, 16 * found)?;
                return Ok(Fit::Fits(Some(bytemuck::cast_slice(&bytes).to_vec())));
            }
            self.count_rerun();
            if found > max {
                return Ok(Fit::Halve);
            }
            capacity = found;
        }
    }

    /// [`GpuEngine::screen_segments`] over each half of `segs` in turn.
    fn halve(
        &self,
        kernels: &ScreenKernels,
        batch: &Batch,
        part: &Part,
        segs: Range<u32>,
        learned: &mut Learned,
        raw: &mut Vec<Vec<[u32; 4]>>,
    ) -> Result<()> {
        if segs.len() < 2 {
            return Err(self.failed(
                "screening",
                GpuFailure::OutOfMemory,
                "one segment's candidates or hits do not fit the largest binding".into(),
            ));
        }
        let mid = segs.start + segs.len() as u32 / 2;
        self.screen_segments(kernels, batch, part, segs.start..mid, learned, raw)?;
        self.screen_segments(kernels, batch, part, mid..segs.end, learned, raw)
    }

    fn count_rerun(&self) {
        self.reruns
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// One dispatch of `pipeline` over `invocations`; the counters after it
    /// (work items queued, hits found).
    #[allow(clippy::too_many_arguments)]
    fn run_kernel(
        &self,
        kernels: &ScreenKernels,
        pipeline: &wgpu::ComputePipeline,
        batch: &Batch,
        part: &Part,
        params: &Params,
        work: &wgpu::Buffer,
        hits: Option<&wgpu::Buffer>,
        invocations: u64,
    ) -> Result<[u32; 2]> {
        let counters = self.scoped("screening", || {
            let counters = self.scratch("screen counters", 16, true);
            let unused;
            let hits = match hits {
                Some(h) => h,
                None => {
                    unused = self.scratch("no hits", 16, false);
                    &unused
                }
            };
            let uniform = self
                .device
                .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("screen params"),
                    contents: bytemuck::bytes_of(params),
                    usage: wgpu::BufferUsages::UNIFORM,
                });
            let bound = [
                &uniform,
                &part.buffer,
                &batch.tables,
                &batch.entries,
                &batch.inserts,
                &counters,
                work,
                hits,
            ];
            let entries: Vec<wgpu::BindGroupEntry> = bound
                .iter()
                .enumerate()
                .map(|(i, b)| wgpu::BindGroupEntry {
                    binding: i as u32,
                    resource: b.as_entire_binding(),
                })
                .collect();
            let group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("screen"),
                layout: &kernels.layout,
                entries: &entries,
            });
            let mut encoder = self.device.create_command_encoder(&Default::default());
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, &group, &[]);
                let (x, y) = grid(invocations, self.max_workgroups);
                if x > 0 {
                    pass.dispatch_workgroups(x, y, 1);
                }
            }
            self.queue.submit([encoder.finish()]);
            counters
        })?;
        let head = self.read_back(&counters, 16)?;
        let head: &[u32] = bytemuck::cast_slice(&head);
        Ok([head[0], head[1]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::screen::{ScreenRecord, ScreenReference};

    #[test]
    fn parts_cover_every_placement_once_cut() {
        let records = [5usize, 3000, 40, 10_000]
            .iter()
            .enumerate()
            .map(|(i, &n)| ScreenRecord {
                name: format!("r{i}"),
                seq: b"ACGT".repeat(n.div_ceil(4))[..n].to_vec(),
            })
            .collect();
        let ts = TargetSet::from_screen(&ScreenReference::from_records("x", records));
        for budget in [1200u64, 5000, 1 << 20] {
            let parts = plan_parts(&ts, 40, budget).unwrap();
            for part in &parts {
                let bytes: u64 = part
                    .iter()
                    .map(|s| slice_bytes((s.end - s.start) as u64))
                    .sum();
                assert!(bytes <= budget);
            }
            // every 40-base window of every record lies whole in some slice
            let slices: Vec<Slice> = parts.concat();
            for (r, t) in ts.targets.iter().step_by(2).enumerate() {
                for h in 0..t.len.saturating_sub(39) {
                    assert!(slices.iter().any(|s| s.record as usize == r
                        && s.start as usize <= h
                        && h + 40 <= s.end as usize));
                }
                assert!(slices
                    .iter()
                    .any(|s| s.record as usize == r && s.end as usize == t.len));
            }
        }
        assert!(plan_parts(&ts, 40, 100).is_err());
    }

    #[test]
    fn seeds_shorten_with_the_binding() {
        assert_eq!(max_seed_for(128 << 20), MAX_SEED);
        assert!(max_seed_for(4096) < 6);
    }
}

//! The one pass that reads a sample, as its plan ([`PrepPlan`]) says.
//!
//! With a preset the preparation is known before any read. With
//! `--protocol auto` each sample's own first [`SAMPLE_READS`] reads decide
//! its protocol and adapter ([`crate::prep::detect`]): they are kept, the
//! decision is made, and they are replayed through the trimmer before the
//! rest of the stream. Every input is read exactly once, so pipes, FIFOs
//! and process substitution work with `--protocol auto` too. With a preset
//! the same first reads are kept (sequences only), so that the preset can
//! be checked against them afterwards ([`crate::prep::check`]) without
//! reading the input again.

use std::ops::ControlFlow;
use std::sync::atomic::AtomicU64;
use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::input::library::Protocol;
use crate::input::samples::Sample;
use crate::input::{fastq, preflight};
use crate::prep::detect::{detect, Detection, ReadSample, SAMPLE_READS};
use crate::prep::protocol::{PrepPlan, TrimRequest, TrimSettings};

/// What `--protocol auto` decided for one sample.
#[derive(Debug, Clone)]
pub struct Detected {
    /// The protocol whose cuts apply.
    pub protocol: Protocol,
    /// The settings the sample was trimmed with.
    pub trim: TrimSettings,
    /// What detection found (with the `--adapter` that replaced its
    /// adapter, if one was given).
    pub detection: Detection,
}

/// What the one pass over a sample learned besides its records.
pub enum Streamed {
    /// `--protocol auto`: what was decided.
    Detected(Box<Detected>),
    /// A preset: the sample's first [`SAMPLE_READS`] sequences.
    Fixed(FirstReads),
}

/// The first [`SAMPLE_READS`] sequences of a sample, as read (a plain
/// copy: made into a [`ReadSample`] only when the preset is checked).
#[derive(Debug, Default)]
pub struct FirstReads {
    bases: Vec<u8>,
    ends: Vec<usize>,
}

impl FirstReads {
    /// Keeps `seq` while fewer than [`SAMPLE_READS`] are kept.
    #[inline]
    fn keep(&mut self, seq: &[u8]) {
        if self.ends.len() < SAMPLE_READS {
            if self.ends.is_empty() {
                self.bases.reserve(reserved_bases(seq));
                self.ends.reserve(SAMPLE_READS);
            }
            self.bases.extend_from_slice(seq);
            self.ends.push(self.bases.len());
        }
    }

    /// The kept reads, as detection takes them.
    pub fn sample(&self) -> ReadSample {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        ReadSample::from_reads(starts.zip(&self.ends).map(|(a, &b)| &self.bases[a..b]))
    }
}

/// The most bases a read is taken to have when room is made for the first
/// reads (longer reads grow the buffers as they come).
const RESERVED_READ_LEN: usize = 160;

/// The bases to make room for when keeping the first [`SAMPLE_READS`]
/// reads, judged by the first (`read`): buffers grown read by read would
/// otherwise be copied each time they double.
fn reserved_bases(read: &[u8]) -> usize {
    SAMPLE_READS * read.len().min(RESERVED_READ_LEN)
}

/// Streams every record of `sample` to `sink` once its settings are in
/// `chosen` (set before the first record reaches `sink`); the bytes read
/// from its files are added to `bytes`. A record without qualities (FASTA)
/// under `--quality-cutoff` is an error: the run's early check
/// ([`crate::input::preflight`]) cannot see into pipes.
pub fn stream_prepared(
    sample: &Sample,
    plan: &PrepPlan,
    chosen: &OnceLock<TrimSettings>,
    bytes: &AtomicU64,
    mut sink: impl FnMut(&[u8], &[u8]),
    help: Option<fastq::Helper<'_>>,
) -> Result<Streamed> {
    let request = match plan {
        PrepPlan::Fixed { trim, .. } => {
            let _ = chosen.set(trim.clone());
            let needs_qualities = trim.quality_cutoff.is_some();
            let mut first = FirstReads::default();
            for file in sample.files.iter().map(|f| &f.path) {
                let mut bare = false;
                let visit = |seq: &[u8], qual: &[u8]| {
                    if needs_qualities && qual.len() != seq.len() {
                        bare = true;
                        return ControlFlow::Break(());
                    }
                    first.keep(seq);
                    sink(seq, qual);
                    ControlFlow::Continue(())
                };
                fastq::for_each_record_counting(file, bytes, visit, help)?;
                if bare {
                    return Err(preflight::no_qualities(file));
                }
            }
            return Ok(Streamed::Fixed(first));
        }
        PrepPlan::Detect(request) => request,
    };
    let needs_qualities = request.quality_cutoff.is_some();
    let mut kept = Kept::default();
    let mut detected: Option<Detected> = None;
    let mut failed: Option<Error> = None;
    for file in sample.files.iter().map(|f| &f.path) {
        let visit = |seq: &[u8], qual: &[u8]| {
            if needs_qualities && qual.len() != seq.len() {
                failed = Some(preflight::no_qualities(file));
                return ControlFlow::Break(());
            }
            if detected.is_some() {
                sink(seq, qual);
                return ControlFlow::Continue(());
            }
            kept.push(seq, qual);
            if kept.len() < SAMPLE_READS {
                return ControlFlow::Continue(());
            }
            match decide(request, &kept, chosen) {
                Ok(d) => {
                    detected = Some(d);
                    kept.replay(&mut sink);
                    ControlFlow::Continue(())
                }
                Err(e) => {
                    failed = Some(e);
                    ControlFlow::Break(())
                }
            }
        };
        fastq::for_each_record_counting(file, bytes, visit, help)?;
        if let Some(e) = failed {
            return Err(e);
        }
    }
    let detected = match detected {
        Some(d) => d,
        None => {
            let d = decide(request, &kept, chosen)?;
            kept.replay(&mut sink);
            d
        }
    };
    Ok(Streamed::Detected(Box::new(detected)))
}

/// The first reads of a sample, kept for detection and replay: their bases
/// normalised once as they come ([`ReadSample::push`]; the trimmer
/// normalises every read first, so replaying them normalised changes
/// nothing), with their qualities (none for FASTA records, so each read's
/// end in `quals` is kept).
#[derive(Default)]
struct Kept {
    reads: ReadSample,
    quals: Vec<u8>,
    qual_ends: Vec<usize>,
}

impl Kept {
    fn push(&mut self, seq: &[u8], qual: &[u8]) {
        if self.len() == 0 {
            let bases = reserved_bases(seq);
            self.reads.reserve(SAMPLE_READS, bases);
            self.quals.reserve(bases.min(reserved_bases(qual)));
            self.qual_ends.reserve(SAMPLE_READS);
        }
        self.reads.push(seq);
        self.quals.extend_from_slice(qual);
        self.qual_ends.push(self.quals.len());
    }

    fn len(&self) -> usize {
        self.reads.len()
    }

    /// Feeds the kept records to `sink` in order, as (sequence, qualities),
    /// and forgets them.
    fn replay(&mut self, sink: &mut impl FnMut(&[u8], &[u8])) {
        let mut start = 0;
        for (seq, &end) in self.reads.iter().zip(&self.qual_ends) {
            sink(seq, &self.quals[start..end]);
            start = end;
        }
        *self = Kept::default();
    }
}

/// Detects on the kept reads, resolves the sample's settings and sets them
/// in `chosen`.
fn decide(request: &TrimRequest, kept: &Kept, chosen: &OnceLock<TrimSettings>) -> Result<Detected> {
    let mut detection = detect(&kept.reads);
    let (protocol, trim) = request.resolve(Some(&detection.chosen()))?;
    detection.adapter_override = request.adapter.as_ref().map(ToString::to_string);
    let _ = chosen.set(trim.clone());
    Ok(Detected {
        protocol,
        trim,
        detection,
    })
}

//! The one pass that reads a sample, as its plan ([`PrepPlan`]) says.
//!
//! With a preset the preparation is known before any read. With
//! `--protocol auto` each sample's own first [`SAMPLE_READS`] reads decide
//! its protocol and adapter ([`crate::prep::detect`]): they are kept, the
//! decision is made, and they are replayed through the trimmer before the
//! rest of the stream. The detection sample is made and decided on a thread
//! of its own while reading goes on ([`AutoStream`]), so that reading
//! does not wait for it. Every input is read exactly once, so pipes, FIFOs
//! and process substitution work with `--protocol auto` too. With a preset
//! the same first reads are kept (sequences only), so that the preset can
//! be checked against them afterwards ([`crate::prep::check`]) without
//! reading the input again.

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::OnceLock;
use std::thread::ScopedJoinHandle;

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
            self.bases.extend_from_slice(seq);
            self.ends.push(self.bases.len());
        }
    }

    /// The kept reads, in order.
    fn reads(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(a, &b)| &self.bases[a..b])
    }

    /// The kept reads, as detection takes them.
    pub fn sample(&self) -> ReadSample {
        ReadSample::from_reads(self.reads())
    }
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
) -> Result<Streamed> {
    let request = match plan {
        PrepPlan::Fixed { trim, .. } => {
            let _ = chosen.set(trim.clone());
            let needs_qualities = trim.quality_cutoff.is_some();
            let mut first = FirstReads::default();
            for file in sample.files.iter().map(|f| &f.path) {
                let mut bare = false;
                fastq::for_each_record_counting(file, bytes, |seq, qual| {
                    if needs_qualities && qual.len() != seq.len() {
                        bare = true;
                        return ControlFlow::Break(());
                    }
                    first.keep(seq);
                    sink(seq, qual);
                    ControlFlow::Continue(())
                })?;
                if bare {
                    return Err(preflight::no_qualities(file));
                }
            }
            return Ok(Streamed::Fixed(first));
        }
        PrepPlan::Detect(request) => request,
    };
    std::thread::scope(|scope| {
        let mut auto = AutoStream::start(scope, request, chosen);
        for file in sample.files.iter().map(|f| &f.path) {
            let mut failed: Option<Error> = None;
            let read = fastq::for_each_record_counting(file, bytes, |seq, qual| {
                match auto.record(seq, qual, file, &mut sink) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(e) => {
                        failed = Some(e);
                        ControlFlow::Break(())
                    }
                }
            });
            // a reading error first, as `?` on the reading would
            if let Some(e) = read.err().or(failed) {
                return Err(auto.fail(e));
            }
        }
        auto.finish(&mut sink)
            .map(|d| Streamed::Detected(Box::new(d)))
    })
}

/// Reads per batch sent to the detecting thread.
const DETECT_BATCH: usize = 4096;

/// `--protocol auto` on one sample, as its records come: the first
/// [`SAMPLE_READS`] are sent in batches to a thread of their own, which
/// adds them to its [`ReadSample`] (scanning them for the known adapters)
/// and then detects; while it detects, the records that follow are kept
/// too (as many as the sample at most). Once it has decided, the kept
/// records are replayed to the sink, in order, and every later one goes
/// straight to it.
struct AutoStream<'scope, 'env> {
    request: &'env TrimRequest,
    chosen: &'env OnceLock<TrimSettings>,
    needs_qualities: bool,
    /// The first reads' sequences not yet sent to the detecting thread.
    batch: FirstReads,
    /// Reads sent to (or batched for) the detecting thread.
    sampled: usize,
    /// Batches to the detecting thread; None once all are sent.
    to_detector: Option<Sender<FirstReads>>,
    /// The detecting thread: the sample it made, and its detection.
    detector: Option<ScopedJoinHandle<'scope, (ReadSample, Detection)>>,
    /// The first reads' qualities, and the records after them kept while
    /// the detecting thread works.
    kept: Kept,
    detected: Option<Detected>,
}

impl<'scope, 'env> AutoStream<'scope, 'env> {
    fn start(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        request: &'env TrimRequest,
        chosen: &'env OnceLock<TrimSettings>,
    ) -> Self {
        let (tx, rx) = channel::<FirstReads>();
        let detector = scope.spawn(move || detect_batches(rx));
        Self {
            request,
            chosen,
            needs_qualities: request.quality_cutoff.is_some(),
            batch: FirstReads::default(),
            sampled: 0,
            to_detector: Some(tx),
            detector: Some(detector),
            kept: Kept::default(),
            detected: None,
        }
    }

    /// Takes one record of `file`.
    #[inline]
    fn record(
        &mut self,
        seq: &[u8],
        qual: &[u8],
        file: &Path,
        sink: &mut impl FnMut(&[u8], &[u8]),
    ) -> Result<()> {
        if self.needs_qualities && qual.len() != seq.len() {
            return Err(preflight::no_qualities(file));
        }
        if self.detected.is_some() {
            sink(seq, qual);
            return Ok(());
        }
        if self.sampled < SAMPLE_READS {
            self.sampled += 1;
            self.batch.keep(seq);
            self.kept.push_qual(qual);
            if self.batch.ends.len() == DETECT_BATCH || self.sampled == SAMPLE_READS {
                self.send_batch();
            }
            if self.sampled == SAMPLE_READS {
                self.to_detector = None; // the detecting thread detects
            }
            return Ok(());
        }
        self.kept.later.push(seq, qual);
        // waits for the detection rather than keep more than the sample
        let full = self.kept.later.ends.len() >= SAMPLE_READS;
        if full || self.detector.as_ref().is_some_and(|d| d.is_finished()) {
            self.decide(sink)?;
        }
        Ok(())
    }

    /// Sends the batched reads to the detecting thread.
    fn send_batch(&mut self) {
        if let Some(tx) = &self.to_detector {
            // the thread only stops receiving by panicking: joining it says so
            let _ = tx.send(std::mem::take(&mut self.batch));
        }
    }

    /// Waits for the detection, decides the sample's settings, and replays
    /// the kept records to `sink`.
    fn decide(&mut self, sink: &mut impl FnMut(&[u8], &[u8])) -> Result<()> {
        self.send_batch();
        self.to_detector = None;
        let Some(detector) = self.detector.take() else {
            return Ok(());
        };
        let (sample, detection) = detector.join().expect("detection panicked");
        let detected = resolve(self.request, detection, self.chosen)?;
        self.detected = Some(detected);
        let kept = std::mem::take(&mut self.kept);
        kept.replay(&sample, sink);
        Ok(())
    }

    /// The error a read stopped on; but if detection had its reads and its
    /// decision fails, that error, as when it decided before that read.
    fn fail(mut self, read_error: Error) -> Error {
        if self.sampled == SAMPLE_READS && self.detected.is_none() {
            if let Err(e) = self.decide(&mut |_, _| {}) {
                return e;
            }
        }
        read_error
    }

    /// Every record read: the detection (made now on a sample smaller than
    /// [`SAMPLE_READS`]).
    fn finish(mut self, sink: &mut impl FnMut(&[u8], &[u8])) -> Result<Detected> {
        if self.detected.is_none() {
            self.decide(sink)?;
        }
        Ok(self.detected.expect("decided"))
    }
}

/// The detecting thread: adds the reads of each batch to a sample, and
/// detects on it once no more come.
fn detect_batches(batches: Receiver<FirstReads>) -> (ReadSample, Detection) {
    let mut sample = ReadSample::default();
    for batch in batches {
        if sample.is_empty() && !batch.ends.is_empty() {
            // room for a whole sample of reads like the first batch's
            let per_read = batch.bases.len().div_ceil(batch.ends.len());
            sample.reserve(SAMPLE_READS, SAMPLE_READS * per_read);
        }
        for read in batch.reads() {
            sample.push(read);
        }
    }
    let detection = detect(&sample);
    (sample, detection)
}

/// Records kept while a sample is detected: the qualities of the first
/// reads (whose sequences the sample keeps, normalised: the trimmer
/// normalises every read first, so replaying them normalised changes
/// nothing; none for FASTA records, so each read's end in `quals` is
/// kept), and the whole records that come while detection runs.
#[derive(Default)]
struct Kept {
    quals: Vec<u8>,
    qual_ends: Vec<usize>,
    later: Records,
}

impl Kept {
    fn push_qual(&mut self, qual: &[u8]) {
        self.quals.extend_from_slice(qual);
        self.qual_ends.push(self.quals.len());
    }

    /// Feeds the kept records to `sink` in order, as (sequence, qualities):
    /// the sample's reads with their qualities, then the later records.
    fn replay(&self, sample: &ReadSample, sink: &mut impl FnMut(&[u8], &[u8])) {
        let mut start = 0;
        for (seq, &end) in sample.iter().zip(&self.qual_ends) {
            sink(seq, &self.quals[start..end]);
            start = end;
        }
        self.later.replay(sink);
    }
}

/// Whole records (sequences and qualities), concatenated.
#[derive(Default)]
struct Records {
    bases: Vec<u8>,
    quals: Vec<u8>,
    /// Per record, where its sequence and its qualities end.
    ends: Vec<(usize, usize)>,
}

impl Records {
    fn push(&mut self, seq: &[u8], qual: &[u8]) {
        self.bases.extend_from_slice(seq);
        self.quals.extend_from_slice(qual);
        self.ends.push((self.bases.len(), self.quals.len()));
    }

    fn replay(&self, sink: &mut impl FnMut(&[u8], &[u8])) {
        let (mut seq, mut qual) = (0, 0);
        for &(seq_end, qual_end) in &self.ends {
            sink(&self.bases[seq..seq_end], &self.quals[qual..qual_end]);
            (seq, qual) = (seq_end, qual_end);
        }
    }
}

/// Resolves the sample's settings from its detection and sets them in
/// `chosen`.
fn resolve(
    request: &TrimRequest,
    mut detection: Detection,
    chosen: &OnceLock<TrimSettings>,
) -> Result<Detected> {
    let (protocol, trim) = request.resolve(Some(&detection.chosen()))?;
    detection.adapter_override = request.adapter.as_ref().map(ToString::to_string);
    let _ = chosen.set(trim.clone());
    Ok(Detected {
        protocol,
        trim,
        detection,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::PathBuf;

    use super::*;
    use crate::input::library::TRUSEQ_SMALL_RNA;
    use crate::input::samples::{Listed, SampleFile};
    use crate::rng::Rng;

    fn request(dedup: bool) -> TrimRequest {
        TrimRequest {
            protocol: "auto".parse().unwrap(),
            adapter: None,
            cut_5p: None,
            cut_3p: None,
            min_length: 16,
            max_length: 40,
            quality_cutoff: None,
            dedup,
            umi: None,
        }
    }

    /// Writes `reads` records, split over `files` FASTQ files: random
    /// inserts before the TruSeq adapter, some in lower case or with other
    /// letters (which detection normalises), then `tail` as is.
    fn fastq(dir: &Path, reads: usize, files: usize, tail: &str) -> Sample {
        let mut rng = Rng::new(41);
        let paths: Vec<PathBuf> = (0..files)
            .map(|f| dir.join(format!("r{f}.fastq")))
            .collect();
        let mut out: Vec<_> = paths
            .iter()
            .map(|p| std::io::BufWriter::new(std::fs::File::create(p).unwrap()))
            .collect();
        for i in 0..reads {
            let len = 15 + rng.below(12);
            let mut seq = [rng.bases(len), TRUSEQ_SMALL_RNA.as_bytes().to_vec()].concat();
            match rng.below(50) {
                0 => seq.make_ascii_lowercase(),
                1 => seq[0] = b'U',
                2 => seq[1] = b'R',
                _ => {}
            }
            let qual: String = (0..seq.len())
                .map(|_| (b'#' + rng.below(40) as u8) as char)
                .collect();
            let seq = String::from_utf8(seq).unwrap();
            let f = &mut out[i * files / reads];
            write!(f, "@r{i}\n{seq}\n+\n{qual}\n").unwrap();
        }
        for mut f in out {
            write!(f, "{tail}").unwrap();
        }
        Sample {
            name: "s".into(),
            files: paths
                .into_iter()
                .map(|path| SampleFile {
                    path,
                    listed: Listed::Argument,
                })
                .collect(),
            protocol: None,
            adapter: None,
        }
    }

    /// Records as (sequence, qualities).
    type Owned = Vec<(Vec<u8>, Vec<u8>)>;

    /// Every record of the sample as read, in order.
    fn records(sample: &Sample) -> Owned {
        let mut all = Vec::new();
        for file in &sample.files {
            fastq::for_each_record_until(&file.path, |seq, qual| {
                all.push((seq.to_vec(), qual.to_vec()));
                ControlFlow::Continue(())
            })
            .unwrap();
        }
        all
    }

    fn stream(sample: &Sample, dedup: bool) -> (Result<Streamed>, Owned) {
        let (chosen, bytes) = (OnceLock::new(), AtomicU64::new(0));
        let mut got = Vec::new();
        let plan = PrepPlan::Detect(request(dedup));
        let streamed = stream_prepared(sample, &plan, &chosen, &bytes, |seq, qual| {
            assert!(chosen.get().is_some(), "a record before the settings");
            got.push((seq.to_vec(), qual.to_vec()));
        });
        (streamed, got)
    }

    #[test]
    fn auto_streams_every_record_in_order_after_detecting_on_the_first_reads() {
        for (reads, files) in [
            (3 * SAMPLE_READS + 3 * DETECT_BATCH + 7, 1),
            (SAMPLE_READS + 50_000, 3),
            (SAMPLE_READS, 1),
            (DETECT_BATCH + 1, 2),
            (0, 1),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let sample = fastq(dir.path(), reads, files, "");
            let (streamed, got) = stream(&sample, false);
            let Ok(Streamed::Detected(d)) = streamed else {
                panic!("detected")
            };
            // the oracle: the first reads made into a sample on the calling
            // thread, detected, and replayed normalised; the rest as read
            let all = records(&sample);
            let first = all.len().min(SAMPLE_READS);
            let oracle = ReadSample::from_reads(all[..first].iter().map(|(s, _)| &s[..]));
            let want = resolve(&request(false), detect(&oracle), &OnceLock::new()).unwrap();
            assert_eq!(d.detection, want.detection, "{reads} reads");
            assert_eq!(
                (d.protocol, d.trim.adapter),
                (want.protocol, want.trim.adapter)
            );
            let mut expected: Owned = oracle
                .iter()
                .zip(&all)
                .map(|(seq, (_, qual))| (seq.to_vec(), qual.clone()))
                .collect();
            expected.extend(all[first..].iter().cloned());
            assert_eq!(got.len(), expected.len(), "{reads} reads");
            assert!(got == expected, "{reads} reads: records differ");
        }
    }

    #[test]
    fn a_failed_decision_is_the_error_even_if_a_later_read_fails_too() {
        // --dedup on a protocol without UMI fails once detection decides;
        // a malformed record after the sample fails reading
        let dir = tempfile::tempdir().unwrap();
        let sample = fastq(dir.path(), SAMPLE_READS + 10, 1, "@bad\nACGT\n+\nII\n");
        let (streamed, _) = stream(&sample, true);
        assert!(
            matches!(
                streamed,
                Err(Error::InvalidValue {
                    what: "--dedup",
                    ..
                })
            ),
            "{:?}",
            streamed.err()
        );
        let (streamed, _) = stream(&sample, false);
        assert!(
            matches!(streamed, Err(Error::Parse { .. })),
            "{:?}",
            streamed.err()
        );
        // the malformed record among the sample's reads: no decision is made
        let sample = fastq(dir.path(), 1000, 1, "@bad\nACGT\n+\nII\n");
        let (streamed, got) = stream(&sample, true);
        assert!(matches!(streamed, Err(Error::Parse { .. })));
        assert!(got.is_empty());
    }
}

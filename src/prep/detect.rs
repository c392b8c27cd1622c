//! `--protocol auto`: decides the library protocol and 3' adapter from the
//! first reads of a sample, and says how sure it is.
//!
//! **Candidates.** Every adapter of [`KNOWN_ADAPTERS`], plus up to
//! [`MAX_DE_NOVO`] de novo candidates: 10-mers found in at least
//! [`DE_NOVO_MIN_FRACTION`] of the reads at *variable* positions (a
//! biological sequence sits at a fixed offset from the read start; an adapter
//! moves with the insert length), grown base by base while at least
//! [`EXTEND_MIN_AGREEMENT`] of their reads agree on the next base. A
//! candidate is kept when its left end is where the reads disagree (the
//! insert's last bases are diverse; where most reads *start* before they
//! disagree, it is a biological fragment with ragged 5' ends), its seed lies
//! at three positions or more, none of them (nor the read start) holding
//! more than [`DE_NOVO_MAX_POSITION_SHARE`] of its reads, and its reads
//! mostly have one length ([`DE_NOVO_MIN_ONE_LENGTH`]: adapters are read
//! through in untrimmed reads; a sequence shared by trimmed reads of many
//! lengths is not one). A de novo candidate that starts like a known adapter
//! is that known adapter.
//!
//! **Score.** A candidate is *found* in a read when its first [`SEED_LEN`]
//! bases occur there exactly. Each read votes for the candidate found
//! nearest its 5' end (nearest the insert): on QIAseq reads the TruSeq
//! universal adapter follows the QIAseq adapter and its UMI, and the
//! Illumina v1.0 adapter sits inside the v1.5 one, three bases later. A
//! candidate's *fraction* is the share of sampled reads voting for it.
//!
//! **Confidence** of the best candidate, fraction f, runner-up's fraction r:
//! - `high`: f >= [`HIGH_MIN_FRACTION`] (20%) and f >= [`HIGH_MIN_RATIO`]
//!   (5) x r, and the insert ends are clear (below);
//! - `none`: f < [`NONE_MAX_FRACTION`] (2%): nothing above noise; the reads
//!   are taken as already-trimmed inserts (`--adapter none`);
//! - `low`: anything between; the best candidate is used, with a warning.
//!
//! **Random insert ends (NEXTflex).** NEXTflex puts 4 random bases on each
//! side of the insert. The reads carrying the chosen adapter at least 16
//! bases from their start (or, without an adapter, every read of 16 bases
//! or more) are compared on their 8-mers at offsets 0 and 4 from the read
//! start, and 8-mers ending 0 and 4 bases before the adapter: the chance
//! that two reads share the 8-mer (pairs of equal 8-mers + 1) is computed at
//! both offsets. Behind 4 random bases it is many times higher at offset 4
//! than at offset 0 (13 to 173 on real and simulated NEXTflex runs); without
//! them about the same (0.7 to 1.2 on every other run). Both ratios >=
//! [`RANDOM_ENDS_MIN_RATIO`] (4) mean 4 random bases at both ends (the
//! `nextflex` cuts); both <= [`FIXED_ENDS_MAX_RATIO`] (2) mean none;
//! anything else (or fewer than [`RANDOM_ENDS_MIN_READS`] such reads) is
//! undetermined: no cuts, and confidence at most `low`.
//!
//! **Cost.** Detection must cost little next to reading the sample (a few
//! tens of milliseconds for [`SAMPLE_READS`] reads; it is made on every
//! sample). Each read is scanned once for all known adapters' seeds as it
//! is added to the sample ([`ReadSample::push`], while a run keeps its
//! first reads), its 12-mers 2-bit coded and looked up in a bit filter; it
//! is scanned again only for de novo candidates, when there are any. The de
//! novo search counts the 10-mers of its reads in one pass, then gathers
//! the commonest one's positions, then, in one more pass, those of the
//! frequent k-mers still wanted (not in a candidate built by then). A k-mer
//! grows from the bases of its reads counted by offset, in blocks that
//! double as it grows, and stops as soon as it holds an earlier candidate's
//! seed, or, its start settled, is held by one (growing further could not
//! keep it). The calls are those of searching each seed with `memmem` and
//! growing offset by offset, which the tests check, together with a bound
//! on the work.

use std::borrow::Cow;
use std::fmt;
use std::ops::ControlFlow;
use std::sync::OnceLock;

use memchr::memmem;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::input::fastq;
use crate::input::library::{Protocol, POLY_A, QIASEQ, TRUSEQ_SMALL_RNA};
use crate::input::samples::Sample;
use crate::numbers::{percent, thousands};

/// Reads of each sample that `--protocol auto` decides on (all of them in
/// a smaller sample).
pub const SAMPLE_READS: usize = 100_000;
/// Bases of a candidate that must occur exactly for it to count as found.
pub const SEED_LEN: usize = 12;
/// `high` needs the best candidate in at least this share of the reads...
pub const HIGH_MIN_FRACTION: f64 = 0.20;
/// ... and this many times the runner-up's share.
pub const HIGH_MIN_RATIO: f64 = 5.0;
/// Below this share, no adapter is found (`none`).
pub const NONE_MAX_FRACTION: f64 = 0.02;
/// k-mer length of the de novo search.
pub const DE_NOVO_K: usize = 10;
/// A de novo k-mer must occur in at least this share of the reads.
pub const DE_NOVO_MIN_FRACTION: f64 = 0.05;
/// At most this share of a de novo candidate's reads may have it at one
/// position (or at the read start).
pub const DE_NOVO_MAX_POSITION_SHARE: f64 = 0.8;
/// At least this share of a de novo candidate's reads must have one length:
/// an adapter is read through to the sequencer's last cycle, in reads
/// nobody has cut yet (a biological sequence in already-trimmed reads of
/// many lengths is not an adapter).
pub const DE_NOVO_MIN_ONE_LENGTH: f64 = 0.5;
/// Reads the de novo search looks at (spread evenly over the sample).
pub const DE_NOVO_READS: usize = 20_000;
/// De novo candidates kept.
pub const MAX_DE_NOVO: usize = 3;
/// A candidate grows by a base that this share of its reads agree on.
pub const EXTEND_MIN_AGREEMENT: f64 = 0.9;
/// Longest de novo candidate.
pub const MAX_DE_NOVO_LEN: usize = 30;
/// How far a de novo candidate is followed to the right to recognise the
/// k-mers of its read-through.
const MAX_DE_NOVO_EXTENT: usize = 80;
/// Frequent variable k-mers grown into candidates at most.
const DE_NOVO_ATTEMPTS: usize = 20;
/// Random insert ends: both diversity ratios at least this...
pub const RANDOM_ENDS_MIN_RATIO: f64 = 4.0;
/// ... fixed ends: both at most this.
pub const FIXED_ENDS_MAX_RATIO: f64 = 2.0;
/// Reads the insert-end test needs.
pub const RANDOM_ENDS_MIN_READS: usize = 200;
/// Random bases at each insert end that the test looks for (NEXTflex).
const RANDOM_BASES: usize = 4;
/// Width of the k-mers compared by the insert-end test.
const END_K: usize = 8;
/// Shortest insert region (read start to adapter) the insert-end test uses.
const END_MIN_INSERT: usize = 16;

/// A 3' adapter mirq knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownAdapter {
    /// Name, as reported.
    pub name: &'static str,
    /// Sequence trimmed when it is chosen.
    pub sequence: &'static str,
    /// The preset whose cuts apply (before the insert-end test).
    pub protocol: Protocol,
}

/// Adapters scored by `--protocol auto`, nearest the insert first when two
/// start at the same read position.
pub const KNOWN_ADAPTERS: [KnownAdapter; 8] = [
    KnownAdapter {
        name: "TruSeq small RNA",
        sequence: TRUSEQ_SMALL_RNA,
        protocol: Protocol::Illumina,
    },
    KnownAdapter {
        name: "QIAseq miRNA",
        sequence: QIASEQ,
        protocol: Protocol::Qiaseq,
    },
    // Illumina small RNA v1.5 is "ATC" + v1.0: reads with it vote for v1.5
    // (nearer the insert), reads without the ATC for v1.0.
    KnownAdapter {
        name: "Illumina small RNA v1.5",
        sequence: "ATCTCGTATGCCGTCTTCTGCTTG",
        protocol: Protocol::Illumina,
    },
    KnownAdapter {
        name: "Illumina small RNA v1.0",
        sequence: "TCGTATGCCGTCTTCTGCTTG",
        protocol: Protocol::Illumina,
    },
    // TruSeq universal / read 1 adapter, as NEBNext small RNA libraries read
    // into it; also after the UMI on QIAseq reads.
    KnownAdapter {
        name: "TruSeq universal",
        sequence: "AGATCGGAAGAGCACACGTCT",
        protocol: Protocol::Illumina,
    },
    KnownAdapter {
        name: "CATS poly-A",
        sequence: POLY_A,
        protocol: Protocol::Cats,
    },
    KnownAdapter {
        name: "SOLiD small RNA",
        sequence: "CGCCTTGGCCGTACAGCAG",
        protocol: Protocol::Illumina,
    },
    // Ion Torrent: Torrent Suite's default forward 3' adapter "Ion P1B"
    // (github.com/iontorrent/TS, rundb three-prime adapter defaults), the
    // one its basecaller trims from Ion small RNA runs.
    KnownAdapter {
        name: "Ion Torrent P1B",
        sequence: "ATCACCGACTGCCCATAGAGAGGCTGAGAC",
        protocol: Protocol::Illumina,
    },
];

/// How sure the detection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// One adapter in most reads, far ahead of any other; insert ends clear.
    High,
    /// Some evidence, not conclusive: the best guess is used, with a warning.
    Low,
    /// No adapter above noise: reads are taken as trimmed inserts.
    None,
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::High => "high",
            Self::Low => "low",
            Self::None => "none",
        })
    }
}

/// Where a candidate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// [`KNOWN_ADAPTERS`].
    Known,
    /// Over-represented sequence at variable positions in the reads.
    DeNovo,
}

/// One scored candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateScore {
    /// Known adapter's name, or `de novo`.
    pub name: String,
    /// Sequence.
    pub adapter: String,
    /// Known or de novo.
    pub origin: Origin,
    /// Share of sampled reads in which it is the candidate nearest the insert.
    pub fraction: f64,
    /// Share of sampled reads in which it is found at all.
    pub found_in: f64,
    /// Most common read position of its votes.
    pub modal_position: Option<usize>,
}

/// Verdict of the insert-end test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndsCall {
    /// 4 random bases at both insert ends (NEXTflex).
    Random,
    /// No random bases.
    Fixed,
    /// The evidence disagrees or is too thin.
    Undetermined,
    /// Not tested (CATS: its 5' bases are fixed by the preset).
    NotTested,
}

/// Evidence of the insert-end test (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomEnds {
    /// Reads the test used.
    pub reads: usize,
    /// 8-mer sharing at offset 4 over offset 0 from the read start.
    pub ratio_5p: f64,
    /// 8-mer sharing 4 bases before the adapter over right before it.
    pub ratio_3p: f64,
    /// Verdict.
    pub call: EndsCall,
}

/// What `--protocol auto` decided, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// The preset whose cuts apply.
    pub protocol: Protocol,
    /// The 3' adapter to trim; None: reads are taken as trimmed inserts.
    pub adapter: Option<String>,
    /// The chosen candidate's name (`none` when no adapter was found).
    pub adapter_name: String,
    /// Known or de novo (None when no adapter was found).
    pub origin: Option<Origin>,
    /// How sure.
    pub confidence: Confidence,
    /// Share of sampled reads voting for the chosen adapter (for `none`,
    /// the best candidate's share).
    pub fraction: f64,
    /// Reads sampled.
    pub reads_sampled: u64,
    /// The insert-end test.
    pub random_ends: RandomEnds,
    /// Every candidate found in a sampled read, best first.
    pub candidates: Vec<CandidateScore>,
    /// The decision in one line.
    pub summary: String,
    /// For `low` and `none`: what was done, and how to override it.
    pub warning: Option<String>,
    /// The `--adapter` given with `--protocol auto`, which replaced the
    /// detected adapter (only the detected cuts applied).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter_override: Option<String>,
}

/// A base code's letter, as [`crate::seq::normalize_base`] writes it
/// (codes 0 to 4; the rest pads the table to a power of two).
const NORMAL: [u8; 8] = *b"ACGTNNNN";

/// Reads kept for detection: upper-case, U as T, other letters N. Each
/// read is scanned for the known adapters' seeds as it is added (while a
/// run keeps its first reads, the reading thread is mostly waiting for
/// decompressed input).
#[derive(Debug, Clone, Default)]
pub struct ReadSample {
    bases: Vec<u8>,
    ends: Vec<usize>,
    /// Per known adapter, the reads its seed is found in.
    known_found: [usize; KNOWN_ADAPTERS.len()],
    /// Per read, the known adapter whose seed is nearest its start, and
    /// where (on a tie, the earlier adapter).
    known_nearest: Vec<Option<(u32, u32)>>,
}

impl ReadSample {
    /// A sample of the given reads.
    pub fn from_reads<'a>(reads: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut s = Self::default();
        for r in reads {
            s.push(r);
        }
        s
    }

    /// Adds one read.
    pub fn push(&mut self, read: &[u8]) {
        let start = self.bases.len();
        self.bases.resize(start + read.len(), 0);
        // normalised and scanned in one pass
        let scan = known_scan();
        let mut first = [NOT_FOUND; KNOWN_ADAPTERS.len()];
        let codes = read
            .iter()
            .zip(&mut self.bases[start..])
            .map(|(&b, normal)| {
                let x = crate::seq::encode_base(b);
                *normal = NORMAL[x as usize & 7];
                x
            });
        scan.scan_codes(codes, &mut first);
        scan.scan_other(&self.bases[start..], &mut first);
        self.ends.push(self.bases.len());
        let mut nearest: Option<(u32, u32)> = None;
        for (c, &p) in first.iter().enumerate() {
            if p != NOT_FOUND {
                self.known_found[c] += 1;
                if nearest.map_or(true, |(_, np)| p < np as usize) {
                    nearest = Some((c as u32, p as u32));
                }
            }
        }
        self.known_nearest.push(nearest);
    }

    /// Appends another sample's reads.
    pub fn extend(&mut self, other: &ReadSample) {
        let offset = self.bases.len();
        self.bases.extend_from_slice(&other.bases);
        self.ends.extend(other.ends.iter().map(|e| e + offset));
        for (a, b) in self.known_found.iter_mut().zip(other.known_found) {
            *a += b;
        }
        self.known_nearest.extend_from_slice(&other.known_nearest);
    }

    /// Number of reads.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is no read.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Read `i`.
    pub fn read(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bases[start..self.ends[i]]
    }

    /// The reads in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.len()).map(|i| self.read(i))
    }
}

/// The first `n` reads of a sample (its files in order).
pub fn first_reads(sample: &Sample, n: usize) -> Result<ReadSample> {
    let mut taken = ReadSample::default();
    for file in sample.files.iter().map(|f| &f.path) {
        if taken.len() >= n {
            break;
        }
        fastq::for_each_record_until(file, |seq, _| {
            taken.push(seq);
            if taken.len() >= n {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
    }
    Ok(taken)
}

/// Detects a sample's protocol and adapter from its first [`SAMPLE_READS`]
/// reads, as `--protocol auto` does (see [`crate::prep::plan`]).
pub fn detect_sample(sample: &Sample) -> Result<Detection> {
    Ok(detect(&first_reads(sample, SAMPLE_READS)?))
}

/// A candidate adapter being scored.
#[derive(Debug, Clone)]
struct Candidate {
    name: String,
    sequence: Vec<u8>,
    origin: Origin,
    protocol: Protocol,
}

impl Candidate {
    fn seed(&self) -> &[u8] {
        &self.sequence[..self.sequence.len().min(SEED_LEN)]
    }
}

/// Per candidate: reads found in, votes, vote positions; per read: the vote.
struct Votes<'a> {
    found: Vec<usize>,
    votes: Vec<usize>,
    /// Per candidate, votes by read position.
    positions: Vec<Vec<usize>>,
    /// Per read: (candidate, position) of the nearest candidate.
    nearest: Cow<'a, [Option<(u32, u32)>]>,
}

/// No seed in the read.
const NOT_FOUND: usize = usize::MAX;

/// Work counters for the tests that bound detection's cost.
#[cfg(test)]
mod work {
    use std::cell::Cell;
    use std::thread::LocalKey;

    thread_local! {
        /// Reads scanned for candidate seeds.
        pub static SEED_SCANS: Cell<usize> = const { Cell::new(0) };
        /// Passes over the de novo reads.
        pub static KMER_PASSES: Cell<usize> = const { Cell::new(0) };
        /// Growth profile cells filled: offsets times occurrences.
        pub static PROFILE_CELLS: Cell<usize> = const { Cell::new(0) };
    }

    pub fn add(counter: &'static LocalKey<Cell<usize>>, n: usize) {
        counter.with(|c| c.set(c.get() + n));
    }

    pub fn take(counter: &'static LocalKey<Cell<usize>>) -> usize {
        counter.with(|c| c.replace(0))
    }
}

/// Finds the first occurrence of every candidate's seed in a read, in one
/// pass over its [`SEED_LEN`]-mers: each window, coded 3 bits a base
/// (A, C, G, T 0 to 3; anything else, and the bases before the read, 4, so
/// that no such window can match), is looked up in a bit filter, and only
/// windows passing it are compared with the seeds. A seed that cannot be
/// coded (shorter than [`SEED_LEN`], or not ACGT) is searched for with
/// `memmem`.
struct SeedScan {
    /// (seed code, candidate) for the coded seeds.
    coded: Vec<(u64, usize)>,
    /// Bit filter over the coded seeds' last bases ([`SeedScan::FILTER_BITS`]
    /// bits of their code).
    filter: Box<[u64; SeedScan::FILTER_WORDS]>,
    /// The other seeds' finders, by candidate.
    other: Vec<(usize, memmem::Finder<'static>)>,
}

impl SeedScan {
    const FILTER_BITS: u32 = 16;
    const FILTER_WORDS: usize = (1 << Self::FILTER_BITS) / 64;
    /// Bits of a window's code.
    const WINDOW: u64 = (1 << (3 * SEED_LEN)) - 1;
    /// The code before a read's first base: bases coded 4.
    const START: u64 = 0o4444_4444_4444;

    fn new(candidates: &[Candidate]) -> Self {
        let mut scan = Self {
            coded: Vec::new(),
            filter: Box::new([0; Self::FILTER_WORDS]),
            other: Vec::new(),
        };
        for (c, candidate) in candidates.iter().enumerate() {
            let seed = candidate.seed();
            let code = seed.iter().try_fold(0u64, |code, &b| {
                let x = crate::seq::encode_base(b);
                (x < 4).then_some((code << 3) | x as u64)
            });
            match code {
                Some(code) if seed.len() == SEED_LEN => {
                    let h = Self::filter_index(code);
                    scan.filter[h / 64] |= 1 << (h % 64);
                    scan.coded.push((code, c));
                }
                _ => scan.other.push((c, memmem::Finder::new(seed).into_owned())),
            }
        }
        scan
    }

    #[inline]
    fn filter_index(code: u64) -> usize {
        (code & ((1 << Self::FILTER_BITS) - 1)) as usize
    }

    /// Sets `first[c]` to the first position of candidate `c`'s seed in
    /// `read` (a normalised read), or [`NOT_FOUND`].
    fn scan(&self, read: &[u8], first: &mut [usize]) {
        self.scan_codes(read.iter().map(|&b| crate::seq::encode_base(b)), first);
        self.scan_other(read, first);
    }

    /// [`SeedScan::scan`] for the coded seeds, on a read's base codes
    /// ([`crate::seq::encode_base`]).
    #[inline]
    fn scan_codes(&self, codes: impl Iterator<Item = u8>, first: &mut [usize]) {
        #[cfg(test)]
        work::add(&work::SEED_SCANS, 1);
        first.fill(NOT_FOUND);
        // older bases shift out of the top
        let mut rolling = Self::START;
        for (i, x) in codes.enumerate() {
            rolling = (rolling << 3) | x as u64;
            let h = Self::filter_index(rolling);
            if self.filter[h / 64] >> (h % 64) & 1 == 0 {
                continue;
            }
            let code = rolling & Self::WINDOW;
            for &(seed, c) in &self.coded {
                if seed == code && first[c] == NOT_FOUND {
                    first[c] = i + 1 - SEED_LEN;
                }
            }
        }
    }

    /// [`SeedScan::scan`] for the seeds that are not coded.
    fn scan_other(&self, read: &[u8], first: &mut [usize]) {
        for (c, finder) in &self.other {
            first[*c] = finder.find(read).unwrap_or(NOT_FOUND);
        }
    }
}

/// The 2-bit code of an ACGT sequence of at most 16 bases (None otherwise).
fn code_of(seq: &[u8]) -> Option<u32> {
    if seq.len() > 16 {
        return None;
    }
    seq.iter().try_fold(0u32, |code, &b| {
        let x = crate::seq::encode_base(b) as u32;
        (x < 4).then_some((code << 2) | x)
    })
}

/// The votes of the sample's reads: for the known adapters (the first
/// candidates), as the sample found them when the reads were added; the de
/// novo candidates, if any, are searched for now, and win a read where they
/// are nearer its start than the known adapter.
fn vote<'a>(sample: &'a ReadSample, candidates: &[Candidate]) -> Votes<'a> {
    let known = KNOWN_ADAPTERS.len();
    debug_assert!(candidates
        .iter()
        .zip(&KNOWN_ADAPTERS)
        .all(|(c, k)| c.sequence == k.sequence.as_bytes()));
    let mut v = Votes {
        found: vec![0; candidates.len()],
        votes: vec![0; candidates.len()],
        positions: vec![Vec::new(); candidates.len()],
        nearest: Cow::Borrowed(&sample.known_nearest),
    };
    v.found[..known].copy_from_slice(&sample.known_found);
    let de_novo = &candidates[known..];
    if !de_novo.is_empty() {
        let scan = SeedScan::new(de_novo);
        let mut first = vec![NOT_FOUND; de_novo.len()];
        let mut nearest = Vec::with_capacity(sample.len());
        for (read, &known_nearest) in sample.iter().zip(&sample.known_nearest) {
            scan.scan(read, &mut first);
            // nearest the read start; on a tie, the earlier candidate
            let mut best = known_nearest;
            for (j, &p) in first.iter().enumerate() {
                if p != NOT_FOUND {
                    v.found[known + j] += 1;
                    if best.map_or(true, |(_, bp)| p < bp as usize) {
                        best = Some(((known + j) as u32, p as u32));
                    }
                }
            }
            nearest.push(best);
        }
        v.nearest = Cow::Owned(nearest);
    }
    for &(c, p) in v.nearest.iter().flatten() {
        let (c, p) = (c as usize, p as usize);
        v.votes[c] += 1;
        let at = &mut v.positions[c];
        if at.len() <= p {
            at.resize(p + 1, 0);
        }
        at[p] += 1;
    }
    v
}

/// Detects the protocol and adapter of reads (see the module documentation).
pub fn detect(sample: &ReadSample) -> Detection {
    let candidates = candidates(sample);
    let votes = vote(sample, &candidates);
    let ranking = Ranking::of(sample.len(), &candidates, &votes);
    if ranking.share(ranking.best()) < NONE_MAX_FRACTION {
        no_adapter(sample, &candidates, &votes, ranking)
    } else {
        adapter_found(sample, &candidates, &votes, ranking)
    }
}

/// The known adapters as candidates.
fn known_candidates() -> Vec<Candidate> {
    KNOWN_ADAPTERS
        .iter()
        .map(|k| Candidate {
            name: k.name.to_string(),
            sequence: k.sequence.as_bytes().to_vec(),
            origin: Origin::Known,
            protocol: k.protocol,
        })
        .collect()
}

/// The scan for the known adapters' seeds, made once.
fn known_scan() -> &'static SeedScan {
    static SCAN: OnceLock<SeedScan> = OnceLock::new();
    SCAN.get_or_init(|| SeedScan::new(&known_candidates()))
}

/// Every known adapter, then the de novo candidates that start unlike them.
fn candidates(sample: &ReadSample) -> Vec<Candidate> {
    let mut candidates = known_candidates();
    for seq in de_novo_candidates(sample) {
        let same_start = |a: &[u8], b: &[u8]| {
            let k = SEED_LEN.min(a.len()).min(b.len());
            a[..k] == b[..k]
        };
        if candidates.iter().any(|c| same_start(&c.sequence, &seq)) {
            continue; // a known adapter (or one already kept)
        }
        candidates.push(Candidate {
            name: "de novo".into(),
            sequence: seq,
            origin: Origin::DeNovo,
            protocol: Protocol::Illumina,
        });
    }
    candidates
}

/// The candidates ranked by their votes.
struct Ranking {
    /// Reads sampled.
    reads: usize,
    /// Candidate indices, best first: votes, then reads found in, then
    /// list order.
    order: Vec<usize>,
    /// Per candidate, votes as a share of the reads.
    shares: Vec<f64>,
    /// The candidates found in some read, best first.
    scores: Vec<CandidateScore>,
}

impl Ranking {
    fn of(reads: usize, candidates: &[Candidate], votes: &Votes) -> Self {
        let share = |x: usize| {
            if reads == 0 {
                0.0
            } else {
                x as f64 / reads as f64
            }
        };
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by_key(|&c| {
            (
                std::cmp::Reverse(votes.votes[c]),
                std::cmp::Reverse(votes.found[c]),
                c,
            )
        });
        let scores = order
            .iter()
            .filter(|&&c| votes.found[c] > 0)
            .map(|&c| CandidateScore {
                name: candidates[c].name.clone(),
                adapter: String::from_utf8_lossy(&candidates[c].sequence).into_owned(),
                origin: candidates[c].origin,
                fraction: round4(share(votes.votes[c])),
                found_in: round4(share(votes.found[c])),
                modal_position: votes.positions[c]
                    .iter()
                    .enumerate()
                    .filter(|&(_, &k)| k > 0)
                    .max_by_key(|&(p, &k)| (k, std::cmp::Reverse(p)))
                    .map(|(p, _)| p),
            })
            .collect();
        let shares = votes.votes.iter().map(|&v| share(v)).collect();
        Self {
            reads,
            order,
            shares,
            scores,
        }
    }

    fn best(&self) -> usize {
        self.order[0]
    }

    fn share(&self, candidate: usize) -> f64 {
        self.shares[candidate]
    }

    /// The runner-up's share (0 without one).
    fn runner_up_share(&self) -> f64 {
        self.order.get(1).map_or(0.0, |&c| self.share(c))
    }
}

/// No candidate in enough reads: the reads are the inserts (with NEXTflex
/// cuts when their ends look random).
fn no_adapter(
    sample: &ReadSample,
    candidates: &[Candidate],
    votes: &Votes,
    ranking: Ranking,
) -> Detection {
    let (n, best) = (ranking.reads, ranking.best());
    let f = ranking.share(best);
    let inserts: Vec<(usize, usize)> = (0..n)
        .filter(|&i| sample.read(i).len() >= END_MIN_INSERT)
        .map(|i| (i, sample.read(i).len()))
        .collect();
    let ends = random_ends(sample, &inserts);
    let protocol = if ends.call == EndsCall::Random {
        Protocol::Nextflex
    } else {
        Protocol::Illumina
    };
    let seen = if votes.found[best] == 0 {
        "no known or de novo candidate in any read".to_string()
    } else {
        format!(
            "no known or de novo candidate in {} of them; best: {} in {}",
            percent(NONE_MAX_FRACTION),
            candidates[best].name,
            percent(f)
        )
    };
    let summary = format!(
        "none: no 3' adapter in {} sampled reads ({seen}); reads taken as already-trimmed inserts{} (confidence none)",
        thousands(n as u64),
        if protocol == Protocol::Nextflex {
            ", 4 random bases cut from both ends (nextflex)"
        } else {
            ""
        },
    );
    let warning = format!(
        "no 3' adapter found (confidence none): the reads are counted as they are, as already-trimmed inserts (--adapter none{}); if they still carry an adapter, give --protocol or --adapter",
        if protocol == Protocol::Nextflex { ", nextflex cuts" } else { "" }
    );
    Detection {
        protocol,
        adapter: None,
        adapter_name: "none".into(),
        origin: None,
        confidence: Confidence::None,
        fraction: round4(f),
        reads_sampled: n as u64,
        random_ends: ends,
        candidates: ranking.scores,
        summary,
        warning: Some(warning),
        adapter_override: None,
    }
}

/// The best candidate is the adapter; how sure, and whether random bases
/// flank the inserts it leaves.
fn adapter_found(
    sample: &ReadSample,
    candidates: &[Candidate],
    votes: &Votes,
    ranking: Ranking,
) -> Detection {
    let (n, best) = (ranking.reads, ranking.best());
    let (f, runner_up) = (ranking.share(best), ranking.runner_up_share());
    let chosen = &candidates[best];
    let mut confidence = if f >= HIGH_MIN_FRACTION && f >= HIGH_MIN_RATIO * runner_up {
        Confidence::High
    } else {
        Confidence::Low
    };
    let ends = insert_ends(sample, chosen, best, votes);
    let protocol = match ends.call {
        EndsCall::Random => Protocol::Nextflex,
        _ => chosen.protocol,
    };
    let mut reasons = Vec::new();
    if f < HIGH_MIN_FRACTION {
        reasons.push(format!(
            "found in only {} of the reads (high needs {})",
            percent(f),
            percent(HIGH_MIN_FRACTION)
        ));
    }
    if f < HIGH_MIN_RATIO * runner_up {
        let r = &candidates[ranking.order[1]];
        reasons.push(format!(
            "the runner-up, {} {}, is nearest the insert in {} of the reads",
            r.name,
            String::from_utf8_lossy(&r.sequence),
            percent(runner_up)
        ));
    }
    if ends.call == EndsCall::Undetermined {
        confidence = Confidence::Low;
        reasons.push(format!(
            "whether 4 random bases flank the insert (nextflex) is unclear ({} reads, diversity ratios 5' {:.1}, 3' {:.1}); no bases are cut",
            thousands(ends.reads as u64),
            ends.ratio_5p,
            ends.ratio_3p
        ));
    }
    let adapter = String::from_utf8_lossy(&chosen.sequence).into_owned();
    let summary = format!(
        "{protocol} ({} {adapter}{}) found in {} of {} sampled reads (confidence {confidence})",
        chosen.name,
        if protocol == Protocol::Nextflex {
            ", 4 random bases at both insert ends"
        } else {
            ""
        },
        percent(f),
        thousands(n as u64),
    );
    let warning = (confidence != Confidence::High).then(|| {
        format!(
            "adapter auto-detection is not sure (confidence low): {}; trimming as {protocol} with {adapter} anyway; give --protocol or --adapter if this is wrong",
            reasons.join("; ")
        )
    });
    Detection {
        protocol,
        adapter: Some(adapter),
        adapter_name: chosen.name.clone(),
        origin: Some(chosen.origin),
        confidence,
        fraction: round4(f),
        reads_sampled: n as u64,
        random_ends: ends,
        candidates: ranking.scores,
        summary,
        warning,
        adapter_override: None,
    }
}

/// The insert-end test on the inserts the chosen adapter (candidate
/// `best`) leaves; not run for CATS, whose template switching leaves no
/// random bases.
fn insert_ends(sample: &ReadSample, chosen: &Candidate, best: usize, votes: &Votes) -> RandomEnds {
    if chosen.protocol == Protocol::Cats {
        return RandomEnds {
            reads: 0,
            ratio_5p: 1.0,
            ratio_3p: 1.0,
            call: EndsCall::NotTested,
        };
    }
    let inserts: Vec<(usize, usize)> = votes
        .nearest
        .iter()
        .enumerate()
        .filter_map(|(i, v)| match *v {
            Some((c, p)) if c as usize == best && p as usize >= END_MIN_INSERT => {
                Some((i, p as usize))
            }
            _ => None,
        })
        .collect();
    random_ends(sample, &inserts)
}

/// The insert-end test on reads `(index, insert end)`.
fn random_ends(sample: &ReadSample, inserts: &[(usize, usize)]) -> RandomEnds {
    // pairs of reads sharing the 8-mer at offsets 0 and 4 from each end
    let mut five = [EndKmers::default(), EndKmers::default()];
    let mut three = [EndKmers::default(), EndKmers::default()];
    for &(i, end) in inserts {
        let read = sample.read(i);
        for (slot, o) in [0, RANDOM_BASES].into_iter().enumerate() {
            five[slot].add(&read[o..o + END_K]);
            three[slot].add(&read[end - o - END_K..end - o]);
        }
    }
    let ratio = |m: &[EndKmers; 2]| (m[1].pairs() + 1.0) / (m[0].pairs() + 1.0);
    let (r5, r3) = (ratio(&five), ratio(&three));
    let call = if inserts.len() < RANDOM_ENDS_MIN_READS {
        EndsCall::Undetermined
    } else if r5 >= RANDOM_ENDS_MIN_RATIO && r3 >= RANDOM_ENDS_MIN_RATIO {
        EndsCall::Random
    } else if r5 <= FIXED_ENDS_MAX_RATIO && r3 <= FIXED_ENDS_MAX_RATIO {
        EndsCall::Fixed
    } else {
        EndsCall::Undetermined
    };
    RandomEnds {
        reads: inserts.len(),
        ratio_5p: round2(r5),
        ratio_3p: round2(r3),
        call,
    }
}

/// Reads per [`END_K`]-mer, for the insert-end test: ACGT 8-mers counted
/// by their 2-bit code, others (with an N) by their bases.
struct EndKmers {
    coded: Vec<u32>,
    other: FxHashMap<[u8; END_K], u32>,
}

impl Default for EndKmers {
    fn default() -> Self {
        Self {
            coded: vec![0; 1 << (2 * END_K)],
            other: FxHashMap::default(),
        }
    }
}

impl EndKmers {
    fn add(&mut self, kmer: &[u8]) {
        match code_of(kmer) {
            Some(code) => self.coded[code as usize] += 1,
            None => {
                let key: [u8; END_K] = kmer.try_into().expect("an END_K-mer");
                *self.other.entry(key).or_default() += 1;
            }
        }
    }

    /// Pairs of reads sharing an 8-mer.
    fn pairs(&self) -> f64 {
        self.coded
            .iter()
            .chain(self.other.values())
            .map(|&c| {
                let c = c as u64;
                (c * c.saturating_sub(1) / 2) as f64
            })
            .sum()
    }
}

/// De novo adapter candidates: over-represented k-mers at variable
/// positions, extended to where the reads stop agreeing.
fn de_novo_candidates(sample: &ReadSample) -> Vec<Vec<u8>> {
    let n = sample.len();
    if n == 0 {
        return Vec::new();
    }
    let step = n.div_ceil(DE_NOVO_READS);
    let reads: Vec<&[u8]> = (0..n).step_by(step).map(|i| sample.read(i)).collect();
    let m = reads.len();
    let min_reads = ((DE_NOVO_MIN_FRACTION * m as f64).ceil() as usize).max(10);

    // reads per k-mer (each read counted once), packed in one word per
    // k-mer: the count in the low half, the last read counted (+ 1) in the
    // high half (at most DE_NOVO_READS reads: both fit)
    const _: () = assert!(DE_NOVO_READS < 1 << 16);
    let size = 1usize << (2 * DE_NOVO_K);
    let mut table = vec![0u32; size];
    #[cfg(test)]
    work::add(&work::KMER_PASSES, 1);
    for (r, read) in reads.iter().enumerate() {
        let tag = (r as u32 + 1) << 16;
        for_each_kmer(read, |_, code| {
            let e = &mut table[code];
            if *e & 0xFFFF_0000 != tag {
                *e = tag | ((*e & 0xFFFF) + 1);
            }
        });
    }
    let count = |c: usize| (table[c] & 0xFFFF) as usize;
    let mut frequent: Vec<usize> = (0..size).filter(|&c| count(c) >= min_reads).collect();
    frequent.sort_by_key(|&c| (std::cmp::Reverse(count(c)), c));
    frequent.truncate(200);
    if frequent.is_empty() {
        return Vec::new();
    }

    // each frequent k-mer's first occurrence in each read holding it,
    // gathered when first needed (see Occurrences)
    let counts: Vec<usize> = frequent.iter().map(|&c| count(c)).collect();
    let mut occ = Occurrences::new(table, &frequent, counts);
    let mut found: Vec<Grown> = Vec::new();
    let mut attempts = 0;
    let mut at_position: Vec<u32> = Vec::new();
    for (s, &code) in frequent.iter().enumerate() {
        if found.len() >= MAX_DE_NOVO || attempts >= DE_NOVO_ATTEMPTS {
            break;
        }
        let kmer = decode_kmer(code);
        let in_found = |kmer: &[u8]| {
            found
                .iter()
                .any(|f| memmem::find(&f.extent, kmer).is_some())
        };
        if in_found(&kmer) {
            continue; // part of a candidate already built
        }
        let occ_s = occ.of(s, &reads, |t| !in_found(&decode_kmer(frequent[t])));
        let total = occ_s.len();
        let modal = modal_count(occ_s, &mut at_position);
        if modal as f64 > DE_NOVO_MAX_POSITION_SHARE * total as f64 {
            continue; // a fixed position: biological
        }
        attempts += 1;
        // a candidate holding an earlier (more frequent) one's seed, or
        // held by it, is that one seen through a frequent insert end: it is
        // dropped as soon as it holds the seed (in any way it grows further
        // it still does), or as soon as its start is final and held
        let redundant = |extent: &[u8], start_final: bool| {
            found.iter().any(|f| {
                memmem::find(extent, &f.adapter[..SEED_LEN]).is_some()
                    || (start_final && memmem::find(&f.extent, &extent[..SEED_LEN]).is_some())
            })
        };
        let Some(extent) = grow(&reads, &kmer, occ_s, redundant) else {
            continue;
        };
        if adapter_like(&reads, &extent) {
            found.push(Grown {
                adapter: extent[..extent.len().min(MAX_DE_NOVO_LEN)].to_vec(),
                extent,
            });
        }
    }
    found.into_iter().map(|g| g.adapter).collect()
}

/// The frequent k-mers' first occurrences `(read, position)` in the de
/// novo reads, gathered when first needed: the commonest k-mer's alone (it
/// is most often the adapter's, whose extent then holds most of the
/// others), then, in one pass over the reads, those of every later k-mer
/// still wanted (not in a candidate built by then). Two passes at most.
struct Occurrences<'a> {
    /// The k-mer count table, the frequent k-mers marked in it
    /// ([`Occurrences::FREQUENT`] and their index).
    table: Vec<u32>,
    frequent: &'a [usize],
    /// Reads holding each frequent k-mer.
    counts: Vec<usize>,
    /// Per frequent k-mer, its occurrences once gathered.
    gathered: Vec<Option<Vec<(u32, u32)>>>,
    passes: usize,
}

impl<'a> Occurrences<'a> {
    /// Marks a frequent k-mer in the table (whose tags, at most
    /// `DE_NOVO_READS << 16`, never set it).
    const FREQUENT: u32 = 1 << 31;

    fn new(mut table: Vec<u32>, frequent: &'a [usize], counts: Vec<usize>) -> Self {
        const _: () = assert!((DE_NOVO_READS as u32) < Occurrences::FREQUENT >> 16);
        for (s, &c) in frequent.iter().enumerate() {
            table[c] = Self::FREQUENT | s as u32;
        }
        Self {
            table,
            frequent,
            gathered: vec![None; frequent.len()],
            counts,
            passes: 0,
        }
    }

    /// Frequent k-mer `s`'s occurrences; gathering them, also gathers every
    /// later k-mer `t` that `wanted(t)` (after the first pass).
    fn of(&mut self, s: usize, reads: &[&[u8]], wanted: impl Fn(usize) -> bool) -> &[(u32, u32)] {
        if self.gathered[s].is_none() {
            if self.passes == 0 {
                self.gather_one(s, reads);
            } else {
                let more: Vec<usize> = (s + 1..self.frequent.len())
                    .filter(|&t| self.gathered[t].is_none() && wanted(t))
                    .collect();
                self.gather(s, &more, reads);
            }
            self.passes += 1;
        }
        self.gathered[s].as_deref().unwrap_or_default()
    }

    /// One k-mer's occurrences, found with `memmem` (its first exact match
    /// is its first ACGT window).
    fn gather_one(&mut self, s: usize, reads: &[&[u8]]) {
        #[cfg(test)]
        work::add(&work::KMER_PASSES, 1);
        let finder = memmem::Finder::new(&decode_kmer(self.frequent[s])).into_owned();
        let mut occ = Vec::with_capacity(self.counts[s]);
        for (r, read) in reads.iter().enumerate() {
            if let Some(p) = finder.find(read) {
                occ.push((r as u32, p as u32));
            }
        }
        self.gathered[s] = Some(occ);
    }

    /// The occurrences of k-mer `s` and of `more`, in one pass.
    fn gather(&mut self, s: usize, more: &[usize], reads: &[&[u8]]) {
        #[cfg(test)]
        work::add(&work::KMER_PASSES, 1);
        let n = self.frequent.len();
        let mut wanted = vec![false; n];
        let mut occ: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n];
        for &t in std::iter::once(&s).chain(more) {
            wanted[t] = true;
            occ[t].reserve_exact(self.counts[t]);
        }
        let mut seen = vec![u32::MAX; n];
        let table = &self.table;
        for (r, read) in reads.iter().enumerate() {
            let r = r as u32;
            for_each_kmer(read, |p, code| {
                let e = table[code];
                if e & Self::FREQUENT != 0 {
                    let t = (e & !Self::FREQUENT) as usize;
                    if wanted[t] && seen[t] != r {
                        seen[t] = r;
                        occ[t].push((r, p as u32));
                    }
                }
            });
        }
        for (t, o) in occ.into_iter().enumerate() {
            if wanted[t] {
                self.gathered[t] = Some(o);
            }
        }
    }
}

/// Reads of the commonest position among occurrences `(read, position)`;
/// `counts` is scratch space, left zeroed.
fn modal_count(occ: &[(u32, u32)], counts: &mut Vec<u32>) -> u32 {
    let mut modal = 0;
    for &(_, p) in occ {
        let p = p as usize;
        if counts.len() <= p {
            counts.resize(p + 1, 0);
        }
        counts[p] += 1;
        modal = modal.max(counts[p]);
    }
    for &(_, p) in occ {
        counts[p as usize] = 0;
    }
    modal
}

/// A de novo candidate: the adapter sequence and, for recognising later
/// k-mers that lie in it, how far the reads agree beyond it.
struct Grown {
    adapter: Vec<u8>,
    extent: Vec<u8>,
}

/// Grows `kmer` to the left and right while the reads that contain it
/// agree on the next base, and keeps the result when it looks like an
/// adapter ([`grow`], [`adapter_like`]).
#[cfg(test)]
fn extend(reads: &[&[u8]], kmer: &[u8]) -> Option<Grown> {
    let finder = memmem::Finder::new(kmer);
    let occ: Vec<(u32, u32)> = reads
        .iter()
        .enumerate()
        .filter_map(|(r, read)| finder.find(read).map(|p| (r as u32, p as u32)))
        .collect();
    let extent = grow(reads, kmer, &occ, |_, _| false)?;
    adapter_like(reads, &extent).then(|| Grown {
        adapter: extent[..extent.len().min(MAX_DE_NOVO_LEN)].to_vec(),
        extent,
    })
}

/// Grows `kmer`, first found in the reads at `occ` (read, position), to the
/// left and right while those reads agree on the next base: the sequence
/// the reads agree on around it (its *extent*), when its left end is where
/// the reads stop agreeing (the insert ends there; a sequence whose reads
/// mostly *start* before they disagree is a biological fragment with
/// ragged 5' ends) and it is at least [`SEED_LEN`] long.
///
/// Agreement is always counted over all reads containing `kmer`, not only
/// over those that agreed so far: a frequent insert end in front of the
/// adapter would otherwise creep into it.
///
/// `drop(extent, start_final)` is asked about the extent as it grows (from
/// [`SEED_LEN`] bases on; `start_final` once it grows to the right only):
/// once it says yes, growing stops and None is returned. It must say yes
/// for every extent grown further from one it said yes to (the caller
/// would drop those anyway).
fn grow(
    reads: &[&[u8]],
    kmer: &[u8],
    occ: &[(u32, u32)],
    drop: impl Fn(&[u8], bool) -> bool,
) -> Option<Vec<u8>> {
    let mut profile = Profile::new(reads, occ, kmer.len());
    // the base `offset` bases from each occurrence's start: Err(()) where
    // most reads have none (they start or end before), Ok(None) where they
    // disagree
    let mut agreed_at = |offset: isize| -> std::result::Result<Option<u8>, ()> {
        let counts = profile.at(offset);
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        if total * 2 < occ.len() {
            return Err(());
        }
        let acgt = [0, 1, 2, 3].map(|i| counts[i] as usize);
        Ok(agreed_base(&acgt, total))
    };
    let mut left = Vec::new();
    loop {
        match agreed_at(-(left.len() as isize) - 1) {
            Ok(Some(b)) => left.push(b),
            Ok(None) => break,      // the insert ends here
            Err(()) => return None, // the reads start here: not an adapter
        }
        if left.len() + kmer.len() >= SEED_LEN {
            let so_far: Vec<u8> = left.iter().rev().chain(kmer).copied().collect();
            if drop(&so_far, false) {
                return None;
            }
        }
    }
    let mut extent: Vec<u8> = left.into_iter().rev().collect();
    let body = extent.len();
    extent.extend_from_slice(kmer);
    loop {
        if extent.len() >= SEED_LEN && drop(&extent, true) {
            return None;
        }
        if extent.len() >= MAX_DE_NOVO_EXTENT {
            break;
        }
        match agreed_at((extent.len() - body) as isize) {
            Ok(Some(b)) => extent.push(b),
            _ => break,
        }
    }
    (extent.len() >= SEED_LEN).then_some(extent)
}

/// The bases of the reads at occurrences `(read, position)`, counted by
/// offset from the occurrences' start (A, C, G, T, N); filled in blocks of
/// offsets as they are asked for, each block in one pass over the reads,
/// the first [`Profile::FIRST_BLOCK`] offsets long and each next one as
/// long as all before it (most growths stop within a few bases; an
/// adapter's grows through its read-through). To the right, offsets start
/// after the k-mer itself.
struct Profile<'a> {
    reads: &'a [&'a [u8]],
    occ: &'a [(u32, u32)],
    /// The first offset to the right.
    right_from: usize,
    /// Offsets `right_from`, `right_from + 1`, ...
    right: Vec<[u32; 5]>,
    /// Offsets -1, -2, ...
    left: Vec<[u32; 5]>,
}

impl<'a> Profile<'a> {
    const FIRST_BLOCK: usize = 4;

    fn new(reads: &'a [&'a [u8]], occ: &'a [(u32, u32)], right_from: usize) -> Self {
        Self {
            reads,
            occ,
            right_from,
            right: Vec::new(),
            left: Vec::new(),
        }
    }

    fn at(&mut self, offset: isize) -> [u32; 5] {
        if offset >= 0 {
            let o = offset as usize - self.right_from;
            while self.right.len() <= o {
                self.fill_right();
            }
            self.right[o]
        } else {
            let o = (-offset - 1) as usize;
            while self.left.len() <= o {
                self.fill_left();
            }
            self.left[o]
        }
    }

    /// The next block of offsets to the right.
    fn fill_right(&mut self) {
        let from = self.right.len();
        self.right
            .resize(from + from.max(Self::FIRST_BLOCK), [0; 5]);
        let rows = &mut self.right[from..];
        #[cfg(test)]
        work::add(&work::PROFILE_CELLS, rows.len() * self.occ.len());
        for &(r, p) in self.occ {
            let read = self.reads[r as usize];
            let start = (p as usize + self.right_from + from).min(read.len());
            for (counts, &b) in rows.iter_mut().zip(&read[start..]) {
                counts[crate::seq::encode_base(b) as usize] += 1;
            }
        }
    }

    /// The next block of offsets to the left.
    fn fill_left(&mut self) {
        let from = self.left.len();
        self.left.resize(from + from.max(Self::FIRST_BLOCK), [0; 5]);
        let rows = &mut self.left[from..];
        #[cfg(test)]
        work::add(&work::PROFILE_CELLS, rows.len() * self.occ.len());
        for &(r, p) in self.occ {
            let read = self.reads[r as usize];
            // offset -(from + 1) is at p - from - 1, and so on leftwards
            let end = (p as usize).saturating_sub(from);
            for (counts, &b) in rows.iter_mut().zip(read[..end].iter().rev()) {
                counts[crate::seq::encode_base(b) as usize] += 1;
            }
        }
    }
}

/// Whether a grown sequence looks like an adapter: its seed is found in at
/// least [`DE_NOVO_MIN_FRACTION`] of the reads, at three positions or more,
/// at none of them (nor at the read start) in more than
/// [`DE_NOVO_MAX_POSITION_SHARE`] of its reads, and in reads mostly of one
/// length ([`DE_NOVO_MIN_ONE_LENGTH`]).
fn adapter_like(reads: &[&[u8]], extent: &[u8]) -> bool {
    // the seed's positions, and the lengths of the reads holding it
    let seed = memmem::Finder::new(&extent[..SEED_LEN]);
    let mut positions: FxHashMap<usize, usize> = FxHashMap::default();
    let mut lengths: FxHashMap<usize, usize> = FxHashMap::default();
    for read in reads {
        if let Some(p) = seed.find(read) {
            *positions.entry(p).or_default() += 1;
            *lengths.entry(read.len()).or_default() += 1;
        }
    }
    let total: usize = positions.values().sum();
    let modal = positions.values().copied().max().unwrap_or(0);
    let at_start = positions.get(&0).copied().unwrap_or(0);
    let modal_length = lengths.values().copied().max().unwrap_or(0);
    let limit = DE_NOVO_MAX_POSITION_SHARE * total as f64;
    total as f64 >= DE_NOVO_MIN_FRACTION * reads.len() as f64
        && modal as f64 <= limit
        && at_start as f64 <= limit
        && positions.len() >= 3
        && modal_length as f64 >= DE_NOVO_MIN_ONE_LENGTH * total as f64
}

/// The base that at least [`EXTEND_MIN_AGREEMENT`] of `total` bases are,
/// from the counts of A, C, G and T among them.
fn agreed_base(acgt: &[usize], total: usize) -> Option<u8> {
    let (i, &top) = acgt.iter().enumerate().max_by_key(|&(_, c)| *c)?;
    (total > 0 && top as f64 >= EXTEND_MIN_AGREEMENT * total as f64).then_some(b"ACGT"[i])
}

/// Calls `f(position, code)` for every k-mer of ACGT bases in `read`.
fn for_each_kmer(read: &[u8], mut f: impl FnMut(usize, usize)) {
    let mask = (1u64 << (2 * DE_NOVO_K)) - 1;
    // older bases shift out of the top unmasked: the mask stays off the
    // chain from one base to the next
    let mut code = 0u64;
    let mut valid = 0usize;
    for (i, &b) in read.iter().enumerate() {
        let x = crate::seq::encode_base(b) as u64;
        if x >= 4 {
            valid = 0;
            continue;
        }
        code = (code << 2) | x;
        valid += 1;
        if valid >= DE_NOVO_K {
            f(i + 1 - DE_NOVO_K, (code & mask) as usize);
        }
    }
}

fn decode_kmer(code: usize) -> Vec<u8> {
    (0..DE_NOVO_K)
        .rev()
        .map(|i| b"ACGT"[(code >> (2 * i)) & 3])
        .collect()
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::rng::Rng;

    /// Twelve miRNA-like inserts (18-25 nt), the first ones most abundant.
    fn inserts(rng: &mut Rng) -> Vec<Vec<u8>> {
        (0..12).map(|i| rng.bases(18 + i % 8)).collect()
    }

    fn pick<'a>(rng: &mut Rng, inserts: &'a [Vec<u8>]) -> &'a [u8] {
        // geometric-like abundance: insert i with weight 2^-i
        let mut i = 0;
        while i + 1 < inserts.len() && rng.below(2) == 0 {
            i += 1;
        }
        &inserts[i]
    }

    /// `n` reads: `make(rng, insert)` gives the molecule; with a length,
    /// random bases fill the read to it (a sequencer's fixed cycles),
    /// without one the molecule is the read (already trimmed).
    fn reads(
        n: usize,
        len: Option<usize>,
        seed: u64,
        mut make: impl FnMut(&mut Rng, &[u8]) -> Vec<u8>,
    ) -> ReadSample {
        let mut rng = Rng::new(seed);
        let ins = inserts(&mut rng);
        let mut s = ReadSample::default();
        for _ in 0..n {
            let insert = pick(&mut rng, &ins).to_vec();
            let mut read = make(&mut rng, &insert);
            if let Some(len) = len {
                let fill = rng.bases(len.saturating_sub(read.len()));
                read.extend(fill);
                read.truncate(len);
            }
            s.push(&read);
        }
        s
    }

    /// Untrimmed reads of `len` bases.
    fn library(
        n: usize,
        len: usize,
        seed: u64,
        make: impl FnMut(&mut Rng, &[u8]) -> Vec<u8>,
    ) -> ReadSample {
        reads(n, Some(len), seed, make)
    }

    /// Already-trimmed reads.
    fn trimmed(n: usize, seed: u64, make: impl FnMut(&mut Rng, &[u8]) -> Vec<u8>) -> ReadSample {
        reads(n, None, seed, make)
    }

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    const TAIL: &[u8] = b"AACTCCAGTCACATCTCGTATGCCGTCTTCTGCTTG";

    #[test]
    fn truseq_reads_are_illumina_with_high_confidence() {
        let s = library(5000, 50, 1, |_, i| {
            cat(&[i, TRUSEQ_SMALL_RNA.as_bytes(), TAIL])
        });
        let d = detect(&s);
        assert_eq!(d.protocol, Protocol::Illumina);
        assert_eq!(d.adapter.as_deref(), Some(TRUSEQ_SMALL_RNA));
        assert_eq!(d.confidence, Confidence::High, "{}", d.summary);
        assert_eq!(d.random_ends.call, EndsCall::Fixed);
        assert!(d.fraction > 0.99 && d.warning.is_none());
        assert!(d.summary.contains("confidence high"), "{}", d.summary);
    }

    #[test]
    fn random_bases_around_the_insert_are_nextflex() {
        let s = library(5000, 50, 2, |rng, i| {
            let (a, b) = (rng.bases(4), rng.bases(4));
            cat(&[&a, i, &b, TRUSEQ_SMALL_RNA.as_bytes(), TAIL])
        });
        let d = detect(&s);
        assert_eq!(d.protocol, Protocol::Nextflex, "{:?}", d.random_ends);
        assert_eq!(d.adapter.as_deref(), Some(TRUSEQ_SMALL_RNA));
        assert_eq!(d.confidence, Confidence::High);
        assert!(d.random_ends.ratio_5p >= RANDOM_ENDS_MIN_RATIO);
        assert!(d.random_ends.ratio_3p >= RANDOM_ENDS_MIN_RATIO);
    }

    #[test]
    fn random_bases_at_one_end_only_are_undetermined_and_low() {
        let s = library(5000, 50, 3, |rng, i| {
            let a = rng.bases(4);
            cat(&[&a, i, TRUSEQ_SMALL_RNA.as_bytes(), TAIL])
        });
        let d = detect(&s);
        assert_eq!(d.random_ends.call, EndsCall::Undetermined);
        assert_eq!(d.protocol, Protocol::Illumina);
        assert_eq!(d.confidence, Confidence::Low);
        assert!(d.warning.as_deref().unwrap().contains("nextflex"));
    }

    #[test]
    fn qiaseq_adapter_wins_over_the_universal_adapter_after_its_umi() {
        let s = library(5000, 76, 4, |rng, i| {
            let umi = rng.bases(12);
            cat(&[
                i,
                QIASEQ.as_bytes(),
                &umi,
                b"AGATCGGAAGAGCACACGTCTGAACTCCAGTCAC",
            ])
        });
        let d = detect(&s);
        assert_eq!(d.protocol, Protocol::Qiaseq);
        assert_eq!(d.adapter.as_deref(), Some(QIASEQ));
        assert_eq!(d.confidence, Confidence::High);
        let universal = d
            .candidates
            .iter()
            .find(|c| c.name == "TruSeq universal")
            .unwrap();
        assert!(
            universal.found_in > 0.9 && universal.fraction < 0.01,
            "{universal:?}"
        );
    }

    #[test]
    fn illumina_v15_and_v10_are_told_apart() {
        let v15 = b"ATCTCGTATGCCGTCTTCTGCTTGAAAAAAAAAA";
        let s = library(3000, 50, 5, |_, i| cat(&[i, v15]));
        let d = detect(&s);
        assert_eq!(d.adapter_name, "Illumina small RNA v1.5");
        assert_eq!(d.confidence, Confidence::High);
        let s = library(3000, 50, 5, |_, i| cat(&[i, &v15[3..]]));
        let d = detect(&s);
        assert_eq!(d.adapter_name, "Illumina small RNA v1.0");
        assert_eq!(d.adapter.as_deref(), Some("TCGTATGCCGTCTTCTGCTTG"));
        assert_eq!(d.confidence, Confidence::High);
    }

    #[test]
    fn poly_a_tails_are_cats() {
        let s = library(3000, 50, 6, |rng, i| cat(&[&rng.bases(3), i, &[b'A'; 30]]));
        let d = detect(&s);
        assert_eq!(d.protocol, Protocol::Cats);
        assert_eq!(d.adapter.as_deref(), Some(POLY_A));
        assert_eq!(d.random_ends.call, EndsCall::NotTested);
        assert_eq!(d.confidence, Confidence::High);
    }

    #[test]
    fn solid_and_ion_adapters_are_known() {
        for (name, adapter) in [
            ("SOLiD small RNA", "CGCCTTGGCCGTACAGCAG"),
            ("Ion Torrent P1B", "ATCACCGACTGCCCATAGAGAGGCTGAGAC"),
        ] {
            let s = library(3000, 60, 7, |_, i| cat(&[i, adapter.as_bytes()]));
            let d = detect(&s);
            assert_eq!(
                (d.adapter_name.as_str(), d.confidence),
                (name, Confidence::High)
            );
            assert_eq!(d.origin, Some(Origin::Known));
        }
    }

    #[test]
    fn an_unknown_adapter_is_found_de_novo_from_its_first_base() {
        let adapter = b"GCTAGCTTACGGATCAGTCAGGTCCATTAGC";
        let s = library(5000, 60, 8, |_, i| cat(&[i, adapter]));
        let d = detect(&s);
        assert_eq!(d.origin, Some(Origin::DeNovo), "{}", d.summary);
        assert_eq!(d.adapter_name, "de novo");
        let found = d.adapter.unwrap();
        assert!(
            found.len() >= SEED_LEN && adapter.starts_with(found.as_bytes()),
            "{found}"
        );
        assert_eq!(d.confidence, Confidence::High);
        assert_eq!(d.protocol, Protocol::Illumina);
    }

    #[test]
    fn a_frequent_insert_end_does_not_creep_into_a_de_novo_adapter() {
        // 85% of inserts end in G: the adapter still starts at its own base
        let adapter = b"GCTAGCTTACGGATCAGTCAGGTCCATTAGC";
        let s = library(5000, 60, 9, |rng, i| {
            let end: &[u8] = if rng.below(20) < 3 { b"T" } else { b"G" };
            cat(&[i, end, adapter])
        });
        let d = detect(&s);
        assert!(
            d.adapter.as_deref().unwrap().starts_with("GCTAGCTTACGG"),
            "{}",
            d.summary
        );
    }

    #[test]
    fn trimmed_inserts_have_no_adapter() {
        let s = trimmed(5000, 10, |_, i| i.to_vec());
        let d = detect(&s);
        assert_eq!(d.confidence, Confidence::None);
        assert_eq!(
            (d.adapter.as_deref(), d.protocol),
            (None, Protocol::Illumina)
        );
        assert_eq!(d.adapter_name, "none");
        assert!(d.summary.contains("trimmed inserts"), "{}", d.summary);
        assert!(d.warning.as_deref().unwrap().contains("--adapter none"));
    }

    #[test]
    fn fragments_with_ragged_5p_ends_are_not_an_adapter() {
        // half the molecules are one RNA fragment starting 0-7 bases into
        // it: its k-mers sit at variable positions, like an adapter's, but
        // the bases before them agree up to the read start
        let mut rng = Rng::new(1011);
        let fragment = rng.bases(34);
        let s = library(5000, 60, 11, |rng, i| {
            let insert = if rng.below(2) == 0 {
                &fragment[rng.below(8)..]
            } else {
                i
            };
            cat(&[insert, TRUSEQ_SMALL_RNA.as_bytes(), TAIL])
        });
        let d = detect(&s);
        assert_eq!(d.adapter.as_deref(), Some(TRUSEQ_SMALL_RNA));
        assert_eq!(d.confidence, Confidence::High, "{}", d.summary);
        assert!(d.candidates.iter().all(|c| c.origin == Origin::Known));
        // already trimmed
        let s = trimmed(5000, 11, |rng, i| {
            if rng.below(2) == 0 {
                fragment[rng.below(8)..].to_vec()
            } else {
                i.to_vec()
            }
        });
        let d = detect(&s);
        assert_eq!(d.confidence, Confidence::None, "{}", d.summary);
    }

    #[test]
    fn a_sequence_whose_reads_start_before_they_disagree_is_not_grown() {
        // untrimmed reads of a fragment with ragged 5' ends: the bases
        // before any of its k-mers agree until most reads have started
        let mut rng = Rng::new(16);
        let fragment = rng.bases(34);
        let s = library(2000, 60, 16, |rng, _| fragment[rng.below(8)..].to_vec());
        let reads: Vec<&[u8]> = s.iter().collect();
        assert!(extend(&reads, &fragment[12..22]).is_none());
        // behind diverse inserts the same sequence is grown to its start
        let s = library(2000, 60, 16, |_, i| cat(&[i, &fragment]));
        let reads: Vec<&[u8]> = s.iter().collect();
        let g = extend(&reads, &fragment[12..22]).unwrap();
        assert_eq!(g.adapter, &fragment[..MAX_DE_NOVO_LEN]);
    }

    #[test]
    fn a_shared_sequence_in_trimmed_reads_of_many_lengths_is_not_an_adapter() {
        // trimmed reads: a third of them end in one 20-nt sequence behind
        // 8 different 5-12 nt contexts (a tRNA family's common 3' part):
        // diverse bases before it, variable positions, like an adapter; but
        // the reads have many lengths, so nobody left an adapter in them
        let mut rng = Rng::new(1015);
        let shared = rng.bases(20);
        let contexts: Vec<Vec<u8>> = (0..8).map(|i| rng.bases(5 + i)).collect();
        let s = trimmed(6000, 15, |rng, i| {
            if rng.below(3) == 0 {
                cat(&[&contexts[rng.below(8)], &shared])
            } else {
                i.to_vec()
            }
        });
        let d = detect(&s);
        assert_eq!(d.confidence, Confidence::None, "{}", d.summary);
        // the same molecules read through an adapter to a fixed length are
        // an adapter all right
        let s = library(6000, 60, 15, |rng, i| {
            if rng.below(3) == 0 {
                cat(&[&contexts[rng.below(8)], &shared, &rng.bases(40)])
            } else {
                cat(&[i, &shared, &rng.bases(40)])
            }
        });
        let d = detect(&s);
        assert_eq!(d.origin, Some(Origin::DeNovo), "{}", d.summary);
    }

    #[test]
    fn two_adapters_in_equal_parts_are_low() {
        let s = library(4000, 60, 12, |rng, i| {
            if rng.below(2) == 0 {
                cat(&[i, TRUSEQ_SMALL_RNA.as_bytes(), TAIL])
            } else {
                cat(&[i, QIASEQ.as_bytes()])
            }
        });
        let d = detect(&s);
        assert_eq!(d.confidence, Confidence::Low);
        assert!(d.warning.as_deref().unwrap().contains("runner-up"));
    }

    #[test]
    fn a_rare_adapter_is_low_and_noise_is_none() {
        // trimmed reads, some with the adapter left in
        let with = |share: usize, seed| {
            trimmed(5000, seed, move |rng, i| {
                if rng.below(100) < share {
                    cat(&[i, TRUSEQ_SMALL_RNA.as_bytes(), TAIL])
                } else {
                    i.to_vec()
                }
            })
        };
        let d = detect(&with(10, 13));
        assert_eq!(
            (d.confidence, d.adapter.as_deref()),
            (Confidence::Low, Some(TRUSEQ_SMALL_RNA))
        );
        assert!(d.warning.as_deref().unwrap().contains("found in only"));
        let d = detect(&with(1, 14));
        assert_eq!((d.confidence, d.adapter), (Confidence::None, None));
    }

    #[test]
    fn no_reads_is_none() {
        let d = detect(&ReadSample::default());
        assert_eq!((d.confidence, d.reads_sampled), (Confidence::None, 0));
        assert_eq!(d.random_ends.call, EndsCall::Undetermined);
    }

    #[test]
    fn a_sample_extended_by_another_detects_as_one_made_at_once() {
        let s = library(3000, 50, 20, |_, i| {
            cat(&[i, TRUSEQ_SMALL_RNA.as_bytes(), TAIL])
        });
        let t = library(2000, 60, 21, |_, i| cat(&[i, QIASEQ.as_bytes()]));
        let mut joined = s.clone();
        joined.extend(&t);
        let at_once = ReadSample::from_reads(s.iter().chain(t.iter()));
        assert_eq!(detect(&joined), detect(&at_once));
        assert_eq!(
            detect(&joined).candidates.len(),
            detect(&s).candidates.len() + 1
        );
    }

    #[test]
    fn read_sample_normalises_bases() {
        let s = ReadSample::from_reads([&b"acgu"[..], b"NRTT", b""]);
        assert_eq!(s.len(), 3);
        assert_eq!(s.read(0), b"ACGT");
        assert_eq!(s.read(1), b"NNTT");
        assert_eq!(s.read(2), b"");
    }

    #[test]
    fn one_scan_finds_every_seed_where_memmem_finds_it() {
        let mut rng = Rng::new(21);
        let mut candidates = known_candidates();
        for sequence in [rng.bases(25), b"ACGTTGCA".to_vec()] {
            // a de novo seed, and one too short to be coded
            candidates.push(Candidate {
                name: "de novo".into(),
                sequence,
                origin: Origin::DeNovo,
                protocol: Protocol::Illumina,
            });
        }
        let scan = SeedScan::new(&candidates);
        assert_eq!((scan.coded.len(), scan.other.len()), (9, 1));
        let mut first = vec![0; candidates.len()];
        let mut found = vec![0; candidates.len()];
        for _ in 0..5000 {
            // random bases, seeds planted (overlapping, twice, cut by an N)
            let len = rng.below(90);
            let mut read = rng.bases(len);
            for _ in 0..rng.below(4) {
                let seed = candidates[rng.below(candidates.len())].seed();
                let at = rng.below(read.len() + 1);
                read.splice(at..at, seed.iter().copied());
            }
            for _ in 0..rng.below(3) {
                if !read.is_empty() {
                    let at = rng.below(read.len());
                    read[at] = b'N';
                }
            }
            scan.scan(&read, &mut first);
            for (c, candidate) in candidates.iter().enumerate() {
                let want = memmem::find(&read, candidate.seed()).unwrap_or(NOT_FOUND);
                assert_eq!(
                    first[c],
                    want,
                    "{} in {}",
                    candidate.name,
                    String::from_utf8_lossy(&read)
                );
                found[c] += usize::from(want != NOT_FOUND);
            }
        }
        assert!(found.iter().all(|&f| f > 100), "{found:?}");
    }

    /// Grows `kmer` as detection did before the profile: one pass over the
    /// reads holding it for each offset, to the left, then to the right.
    fn grow_offset_by_offset(reads: &[&[u8]], kmer: &[u8]) -> Option<Vec<u8>> {
        let occ: Vec<(usize, usize)> = reads
            .iter()
            .enumerate()
            .filter_map(|(r, read)| memmem::find(read, kmer).map(|p| (r, p)))
            .collect();
        let agreed_at = |offset: isize| -> std::result::Result<Option<u8>, ()> {
            let bases: Vec<u8> = occ
                .iter()
                .filter_map(|&(r, p)| {
                    let at = p as isize + offset;
                    (at >= 0)
                        .then(|| reads[r].get(at as usize).copied())
                        .flatten()
                })
                .collect();
            if bases.len() * 2 < occ.len() {
                return Err(());
            }
            let mut acgt = [0; 4];
            for b in &bases {
                if let Some(i) = b"ACGT".iter().position(|x| x == b) {
                    acgt[i] += 1;
                }
            }
            Ok(agreed_base(&acgt, bases.len()))
        };
        let mut left = Vec::new();
        loop {
            match agreed_at(-(left.len() as isize) - 1) {
                Ok(Some(b)) => left.push(b),
                Ok(None) => break,
                Err(()) => return None,
            }
        }
        let mut extent: Vec<u8> = left.into_iter().rev().collect();
        let body = extent.len();
        extent.extend_from_slice(kmer);
        while extent.len() < MAX_DE_NOVO_EXTENT {
            match agreed_at((extent.len() - body) as isize) {
                Ok(Some(b)) => extent.push(b),
                _ => break,
            }
        }
        (extent.len() >= SEED_LEN).then_some(extent)
    }

    #[test]
    fn growing_by_profile_blocks_matches_growing_offset_by_offset() {
        // an adapter behind diverse inserts, read through to 75 bases (with
        // Ns), and a fragment with ragged 5' ends (growth stops at the read
        // start)
        let mut rng = Rng::new(1017);
        let fragment = rng.bases(34);
        let adapter = cat(&[TRUSEQ_SMALL_RNA.as_bytes(), TAIL]);
        let s = library(3000, 75, 17, |rng, i| {
            let mut read = if rng.below(4) == 0 {
                fragment[rng.below(8)..].to_vec()
            } else {
                cat(&[i, &adapter])
            };
            if rng.below(10) == 0 {
                let at = rng.below(read.len());
                read[at] = b'N';
            }
            read
        });
        let reads: Vec<&[u8]> = s.iter().collect();
        let (mut grown, mut stopped) = (0, 0);
        for seq in [&adapter[..], &fragment[..]] {
            for kmer in seq.windows(DE_NOVO_K) {
                let occ: Vec<(u32, u32)> = reads
                    .iter()
                    .enumerate()
                    .filter_map(|(r, read)| memmem::find(read, kmer).map(|p| (r as u32, p as u32)))
                    .collect();
                let want = grow_offset_by_offset(&reads, kmer);
                assert_eq!(
                    grow(&reads, kmer, &occ, |_, _| false),
                    want,
                    "{}",
                    String::from_utf8_lossy(kmer)
                );
                if want.is_some() {
                    grown += 1;
                } else {
                    stopped += 1;
                }
            }
        }
        assert!(
            grown > 20 && stopped > 20,
            "{grown} grown, {stopped} stopped"
        );
    }

    #[test]
    fn a_kmer_of_an_adapter_already_grown_stops_within_a_few_bases() {
        // reads with the adapter after the insert's last base: the k-mer
        // spanning it grows to the adapter seed a base later, and is dropped
        // there; grown to its end, it would read through 50 bases
        let adapter = cat(&[TRUSEQ_SMALL_RNA.as_bytes(), TAIL]);
        let s = library(5000, 75, 18, |rng, _| {
            let len = 18 + rng.below(8);
            cat(&[&rng.bases(len), &adapter])
        });
        let reads: Vec<&[u8]> = s.iter().collect();
        let seed = &adapter[..SEED_LEN];
        let holds_seed = |extent: &[u8], _: bool| memmem::find(extent, seed).is_some();
        let kmer = cat(&[b"G", &adapter[..DE_NOVO_K - 1]]);
        let occ: Vec<(u32, u32)> = reads
            .iter()
            .enumerate()
            .filter_map(|(r, read)| memmem::find(read, &kmer).map(|p| (r as u32, p as u32)))
            .collect();
        assert!(occ.len() > 200, "{}", occ.len());
        work::take(&work::PROFILE_CELLS);
        assert_eq!(grow(&reads, &kmer, &occ, holds_seed), None);
        let dropped = work::take(&work::PROFILE_CELLS);
        assert!(grow(&reads, &kmer, &occ, |_, _| false).is_some());
        let whole = work::take(&work::PROFILE_CELLS);
        assert!(
            dropped <= 2 * Profile::FIRST_BLOCK * occ.len() && whole > 6 * dropped,
            "{dropped} cells dropped early, {whole} grown whole"
        );
    }

    #[test]
    fn detection_reads_each_sampled_read_once_and_grows_little() {
        // like the benchmark run: 75-nt reads, the adapter read through
        let adapter = cat(&[TRUSEQ_SMALL_RNA.as_bytes(), TAIL]);
        for counter in [&work::SEED_SCANS, &work::KMER_PASSES, &work::PROFILE_CELLS] {
            work::take(counter);
        }
        let s = library(DE_NOVO_READS, 75, 19, |rng, _| {
            let len = 18 + rng.below(8);
            cat(&[&rng.bases(len), &adapter])
        });
        // one scan of each read, as it is added, finds every known
        // adapter's seed
        assert_eq!(work::take(&work::SEED_SCANS), s.len());
        let d = detect(&s);
        assert_eq!(d.adapter.as_deref(), Some(TRUSEQ_SMALL_RNA));
        // no de novo candidate is left (the one grown is the known
        // adapter): no read is scanned again
        assert!(d.candidates.iter().all(|c| c.origin == Origin::Known));
        assert_eq!(work::take(&work::SEED_SCANS), 0);
        // k-mers are counted, then the commonest one's occurrences found,
        // then the others' still wanted: three passes at most
        assert!(work::take(&work::KMER_PASSES) <= 3);
        // growth costs less than two more passes over the reads' bases: the
        // adapter grown once through its read-through, the k-mers spanning
        // an insert end and the adapter dropped a few bases in
        let bases: usize = s.iter().map(<[u8]>::len).sum();
        let cells = work::take(&work::PROFILE_CELLS);
        assert!(cells < 2 * bases, "{cells} profile cells for {bases} bases");
    }
}

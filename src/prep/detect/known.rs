//! Known adapters and the reads' votes.
//!
//! A candidate is *found* in a read when its first [`SEED_LEN`] bases occur
//! there exactly. Each read votes for the candidate found nearest its 5' end
//! (nearest the insert): on QIAseq reads the TruSeq universal adapter
//! follows the QIAseq adapter and its UMI, and the Illumina v1.0 adapter
//! sits inside the v1.5 one, three bases later.
//!
//! Each read is scanned once for all known adapters' seeds when the sample
//! is voted on ([`KnownSeeds::of`], beside the de novo search), its 12-mers
//! coded and looked up in a bit filter ([`SeedScan`]); it is scanned again
//! only for de novo candidates, when there are any.

use std::borrow::Cow;
use std::sync::OnceLock;

use memchr::memmem;
use serde::{Deserialize, Serialize};

use crate::input::library::{Protocol, POLY_A, QIASEQ, TRUSEQ_SMALL_RNA};

/// Bases of a candidate that must occur exactly for it to count as found.
pub const SEED_LEN: usize = 12;

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

/// Where a candidate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// [`KNOWN_ADAPTERS`].
    Known,
    /// Over-represented sequence at variable positions in the reads.
    DeNovo,
}

/// Reads kept for detection: upper-case, U as T, other letters N. Each
/// read is normalised as it is added, on the parsing thread; the known
/// adapters' seeds are looked for when the sample is voted on
/// ([`KnownSeeds::of`]), beside the de novo search.
#[derive(Debug, Clone, Default)]
pub struct ReadSample {
    bases: Vec<u8>,
    ends: Vec<usize>,
}

/// Where the known adapters' seeds are in a sample's reads.
pub(super) struct KnownSeeds {
    /// Per known adapter, the reads its seed is found in.
    found: [usize; KNOWN_ADAPTERS.len()],
    /// Per read, the known adapter whose seed is nearest its start, and
    /// where (on a tie, the earlier adapter).
    nearest: Vec<Option<(u32, u32)>>,
}

impl KnownSeeds {
    /// Scans each read of `sample` once for every known adapter's seed
    /// (with AVX2 ~80 ns a 75-base read).
    pub(super) fn of(sample: &ReadSample) -> Self {
        let mut seeds = KnownSeeds {
            found: [0; KNOWN_ADAPTERS.len()],
            nearest: Vec::with_capacity(sample.len()),
        };
        let scan = known_scan();
        let mut first = [NOT_FOUND; KNOWN_ADAPTERS.len()];
        for read in sample.iter() {
            scan.scan(read, &mut first);
            let nearest = nearest_seed(&first, 0, &mut seeds.found, None);
            seeds.nearest.push(nearest);
        }
        seeds
    }
}

/// Counts each scanned candidate found in a read (`first[j]`, candidate
/// `offset + j`, in `found[j]`) and returns the (candidate, position)
/// nearest the read start among them and `best`; on a tie, the earlier
/// candidate (`best` before all of them).
fn nearest_seed(
    first: &[usize],
    offset: usize,
    found: &mut [usize],
    mut best: Option<(u32, u32)>,
) -> Option<(u32, u32)> {
    for (j, &p) in first.iter().enumerate() {
        if p != NOT_FOUND {
            found[j] += 1;
            if best.map_or(true, |(_, bp)| p < bp as usize) {
                best = Some(((offset + j) as u32, p as u32));
            }
        }
    }
    best
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

    /// Makes room for `reads` more reads of `bases` bases in all, so that
    /// a sample filled read by read is not copied as it grows.
    pub fn reserve(&mut self, reads: usize, bases: usize) {
        self.bases.reserve(bases);
        self.ends.reserve(reads);
    }

    /// Adds one read.
    pub fn push(&mut self, read: &[u8]) {
        self.bases
            .extend(read.iter().map(|&b| crate::seq::normalize_base(b)));
        self.ends.push(self.bases.len());
    }

    /// Every `step`-th read (from the first), copied side by side: a
    /// smaller sample whose reads are read from one block.
    pub(super) fn every(&self, step: usize) -> ReadSample {
        let mut picked = ReadSample::default();
        picked.ends.reserve(self.len().div_ceil(step));
        for i in (0..self.len()).step_by(step) {
            // already normalised
            picked.bases.extend_from_slice(self.read(i));
            picked.ends.push(picked.bases.len());
        }
        picked
    }

    /// Appends another sample's reads.
    pub fn extend(&mut self, other: &ReadSample) {
        let offset = self.bases.len();
        self.bases.extend_from_slice(&other.bases);
        self.ends.extend(other.ends.iter().map(|e| e + offset));
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

/// A candidate adapter being scored.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    pub(super) name: String,
    pub(super) sequence: Vec<u8>,
    pub(super) origin: Origin,
    pub(super) protocol: Protocol,
}

impl Candidate {
    pub(super) fn seed(&self) -> &[u8] {
        &self.sequence[..self.sequence.len().min(SEED_LEN)]
    }
}

/// Per candidate: reads found in, votes, vote positions; per read: the vote.
pub(super) struct Votes<'a> {
    /// Per candidate, reads it is found in.
    pub(super) found: Vec<usize>,
    /// Per candidate, reads it is the nearest candidate in.
    pub(super) votes: Vec<usize>,
    /// Per candidate, votes by read position.
    pub(super) positions: Vec<Vec<usize>>,
    /// Per read: (candidate, position) of the nearest candidate.
    pub(super) nearest: Cow<'a, [Option<(u32, u32)>]>,
}

/// No seed in the read.
const NOT_FOUND: usize = usize::MAX;

/// Work counters for the tests that bound detection's cost (the seed
/// scans here; the de novo k-mer passes and growth in `de_novo`).
#[cfg(test)]
pub(super) mod work {
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
/// windows passing it are compared with the seeds. With AVX2 (reads of up to
/// [`avx2::MAX_READ`] bases), 32 windows at a time are compared with each
/// seed at four of its bases, and the few that agree compared whole. A seed
/// that cannot be coded (shorter than [`SEED_LEN`], or not ACGT) is searched
/// for with `memmem`.
struct SeedScan {
    /// The coded seeds.
    coded: Vec<CodedSeed>,
    /// Bit filter over the coded seeds' last bases ([`SeedScan::FILTER_BITS`]
    /// bits of their code).
    filter: Box<[u64; SeedScan::FILTER_WORDS]>,
    /// The other seeds' finders, by candidate.
    other: Vec<(usize, memmem::Finder<'static>)>,
}

/// A seed of [`SEED_LEN`] ACGT bases: its code (3 bits a base), its
/// candidate, and its letters as [`crate::seq::normalize_base`] writes them.
struct CodedSeed {
    code: u64,
    candidate: usize,
    letters: [u8; SEED_LEN],
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
                    let mut letters = [0; SEED_LEN];
                    for (l, &b) in letters.iter_mut().zip(seed) {
                        *l = crate::seq::normalize_base(b);
                    }
                    scan.coded.push(CodedSeed {
                        code,
                        candidate: c,
                        letters,
                    });
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
        #[cfg(test)]
        work::add(&work::SEED_SCANS, 1);
        first.fill(NOT_FOUND);
        if !self.scan_coded_avx2(read, first) {
            self.scan_codes(read.iter().map(|&b| crate::seq::encode_base(b)), first);
        }
        self.scan_other(read, first);
    }

    /// [`SeedScan::scan`] for the coded seeds with AVX2, when the CPU has
    /// it and the read suits it; false when not done.
    fn scan_coded_avx2(&self, read: &[u8], first: &mut [usize]) -> bool {
        #[cfg(target_arch = "x86_64")]
        if crate::prep::pieces::has_avx2()
            && read.len() <= avx2::MAX_READ
            && self.coded.len() <= avx2::MAX_SEEDS
        {
            if read.len() >= SEED_LEN {
                // SAFETY: the CPU has AVX2; the read and seed counts are
                // within the bounds checked above.
                unsafe { avx2::first_places(read, &self.coded, first) };
            }
            return true;
        }
        false
    }

    /// [`SeedScan::scan`] for the coded seeds, on a read's base codes
    /// ([`crate::seq::encode_base`]).
    #[inline]
    fn scan_codes(&self, codes: impl Iterator<Item = u8>, first: &mut [usize]) {
        // older bases shift out of the top
        let mut rolling = Self::START;
        for (i, x) in codes.enumerate() {
            rolling = (rolling << 3) | x as u64;
            let h = Self::filter_index(rolling);
            if self.filter[h / 64] >> (h % 64) & 1 == 0 {
                continue;
            }
            let code = rolling & Self::WINDOW;
            for seed in &self.coded {
                if seed.code == code && first[seed.candidate] == NOT_FOUND {
                    first[seed.candidate] = i + 1 - SEED_LEN;
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

/// The votes of the sample's reads: for the known adapters (the first
/// candidates), where `known` found their seeds; the de novo candidates, if
/// any, are searched for now, and win a read where they are nearer its
/// start than the known adapter.
pub(super) fn vote<'a>(
    sample: &ReadSample,
    known_seeds: &'a KnownSeeds,
    candidates: &[Candidate],
) -> Votes<'a> {
    let known = KNOWN_ADAPTERS.len();
    debug_assert!(candidates
        .iter()
        .zip(&KNOWN_ADAPTERS)
        .all(|(c, k)| c.sequence == k.sequence.as_bytes()));
    let mut v = Votes {
        found: vec![0; candidates.len()],
        votes: vec![0; candidates.len()],
        positions: vec![Vec::new(); candidates.len()],
        nearest: Cow::Borrowed(&known_seeds.nearest),
    };
    v.found[..known].copy_from_slice(&known_seeds.found);
    let de_novo = &candidates[known..];
    if !de_novo.is_empty() {
        let scan = SeedScan::new(de_novo);
        let mut first = vec![NOT_FOUND; de_novo.len()];
        let mut nearest = Vec::with_capacity(sample.len());
        for (read, &known_nearest) in sample.iter().zip(&known_seeds.nearest) {
            scan.scan(read, &mut first);
            let best = nearest_seed(&first, known, &mut v.found[known..], known_nearest);
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

/// The known adapters as candidates.
pub(super) fn candidates() -> Vec<Candidate> {
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
    SCAN.get_or_init(|| SeedScan::new(&candidates()))
}

/// The coded seeds' scan with AVX2.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8,
        _mm256_set1_epi8,
    };

    use super::{CodedSeed, SEED_LEN};

    /// Longest read scanned this way (the read is copied into a padded
    /// buffer on the stack).
    pub(super) const MAX_READ: usize = 256;

    /// Most coded seeds (one bit each of those not found yet).
    pub(super) const MAX_SEEDS: usize = 64;

    /// Windows compared at a time.
    const BLOCK: usize = 32;

    /// The seed bases compared for 32 windows at once before a window is
    /// compared whole.
    const LANES: [usize; 4] = [0, 4, 8, SEED_LEN - 1];

    /// Sets `first[c]` for each coded seed (of candidate `c`) found in
    /// `read` (a normalised read) to its first position; leaves the others
    /// as they are.
    ///
    /// # Safety
    /// The CPU must have AVX2; `SEED_LEN <= read.len() <= MAX_READ` and
    /// `coded.len() <= MAX_SEEDS`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn first_places(read: &[u8], coded: &[CodedSeed], first: &mut [usize]) {
        // zeros after the read: no seed base is 0, so no window reaching
        // past the read agrees with a seed
        let mut buf = [0u8; MAX_READ + BLOCK + SEED_LEN];
        buf[..read.len()].copy_from_slice(read);
        let last = read.len() - SEED_LEN;
        let mut pending: u64 = if coded.len() == 64 {
            u64::MAX
        } else {
            (1 << coded.len()) - 1
        };
        let mut block = 0;
        while block <= last && pending != 0 {
            // SAFETY: block <= MAX_READ - SEED_LEN, so every load (at most
            // SEED_LEN - 1 + BLOCK bytes from `block`) lies in `buf`. (No
            // closures here: they would not inherit the AVX2 feature.)
            let at = buf.as_ptr().add(block);
            let lanes: [__m256i; 4] = [
                _mm256_loadu_si256(at.add(LANES[0]).cast()),
                _mm256_loadu_si256(at.add(LANES[1]).cast()),
                _mm256_loadu_si256(at.add(LANES[2]).cast()),
                _mm256_loadu_si256(at.add(LANES[3]).cast()),
            ];
            let mut seeds = pending;
            while seeds != 0 {
                let k = seeds.trailing_zeros() as usize;
                seeds &= seeds - 1;
                let seed = &coded[k].letters;
                let agree = _mm256_and_si256(
                    _mm256_and_si256(
                        _mm256_cmpeq_epi8(lanes[0], _mm256_set1_epi8(seed[LANES[0]] as i8)),
                        _mm256_cmpeq_epi8(lanes[1], _mm256_set1_epi8(seed[LANES[1]] as i8)),
                    ),
                    _mm256_and_si256(
                        _mm256_cmpeq_epi8(lanes[2], _mm256_set1_epi8(seed[LANES[2]] as i8)),
                        _mm256_cmpeq_epi8(lanes[3], _mm256_set1_epi8(seed[LANES[3]] as i8)),
                    ),
                );
                let mut windows = _mm256_movemask_epi8(agree) as u32;
                while windows != 0 {
                    let at = block + windows.trailing_zeros() as usize;
                    windows &= windows - 1;
                    if at > last {
                        break;
                    }
                    if buf[at..at + SEED_LEN] == seed[..] {
                        first[coded[k].candidate] = at;
                        pending &= !(1 << k);
                        break;
                    }
                }
            }
            block += BLOCK;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::rng::Rng;

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
        let mut candidates = candidates();
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
        for i in 0..5000 {
            // random bases, seeds planted (overlapping, twice, cut by an N);
            // every tenth read longer than the AVX2 scan takes
            let len = if i % 10 == 0 {
                rng.below(400)
            } else {
                rng.below(90)
            };
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
}

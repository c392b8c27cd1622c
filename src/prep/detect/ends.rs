//! The insert-end test: whether 4 random bases flank each insert (NEXTflex).
//!
//! NEXTflex puts 4 random bases on each side of the insert. The reads
//! carrying the chosen adapter at least 16 bases from their start (or,
//! without an adapter, every read of 16 bases or more) are compared on their
//! 8-mers at offsets 0 and 4 from the read start, and 8-mers ending 0 and 4
//! bases before the adapter: the chance that two reads share the 8-mer
//! (pairs of equal 8-mers + 1) is computed at both offsets. Behind 4 random
//! bases it is many times higher at offset 4 than at offset 0 (13 to 173 on
//! real and simulated NEXTflex runs); without them about the same (0.7 to
//! 1.2 on every other run). Both ratios >= [`RANDOM_ENDS_MIN_RATIO`] (4)
//! mean 4 random bases at both ends (the `nextflex` cuts); both <=
//! [`FIXED_ENDS_MAX_RATIO`] (2) mean none; anything else (or fewer than
//! [`RANDOM_ENDS_MIN_READS`] such reads) is undetermined: no cuts, and
//! confidence at most `low`.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::known::{Candidate, ReadSample, Votes};
use crate::input::library::Protocol;
use crate::numbers::round_to;

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

/// The insert-end test on the inserts the chosen adapter (candidate
/// `best`) leaves; not run for CATS, whose template switching leaves no
/// random bases.
pub(super) fn insert_ends(
    sample: &ReadSample,
    chosen: &Candidate,
    best: usize,
    votes: &Votes,
) -> RandomEnds {
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

/// The insert-end test on reads taken as the inserts themselves (no
/// adapter found): every read of [`END_MIN_INSERT`] bases or more.
pub(super) fn trimmed_ends(sample: &ReadSample) -> RandomEnds {
    let inserts: Vec<(usize, usize)> = (0..sample.len())
        .filter(|&i| sample.read(i).len() >= END_MIN_INSERT)
        .map(|i| (i, sample.read(i).len()))
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
        ratio_5p: round_to(r5, 2),
        ratio_3p: round_to(r3, 2),
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
            coded: crate::runtime::written_zeros(1 << (2 * END_K)),
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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::prep::detect::known::{candidates, vote, KnownSeeds};
    use crate::prep::detect::test_reads::{cat, library, trimmed};

    #[test]
    fn random_bases_at_both_insert_ends_are_random() {
        let s = trimmed(3000, 31, |rng, i| {
            let (a, b) = (rng.bases(4), rng.bases(4));
            cat(&[&a, i, &b])
        });
        let ends = trimmed_ends(&s);
        assert_eq!(
            (ends.call, ends.reads),
            (EndsCall::Random, 3000),
            "{ends:?}"
        );
        assert!(ends.ratio_5p >= RANDOM_ENDS_MIN_RATIO && ends.ratio_3p >= RANDOM_ENDS_MIN_RATIO);
    }

    #[test]
    fn inserts_as_they_are_have_fixed_ends() {
        let ends = trimmed_ends(&trimmed(3000, 32, |_, i| i.to_vec()));
        assert_eq!(ends.call, EndsCall::Fixed, "{ends:?}");
        assert!(ends.ratio_5p <= FIXED_ENDS_MAX_RATIO && ends.ratio_3p <= FIXED_ENDS_MAX_RATIO);
    }

    #[test]
    fn random_bases_at_one_end_or_too_few_reads_are_undetermined() {
        let one_end = trimmed(3000, 33, |rng, i| cat(&[&rng.bases(4), i]));
        assert_eq!(trimmed_ends(&one_end).call, EndsCall::Undetermined);
        let few = trimmed(RANDOM_ENDS_MIN_READS - 1, 34, |rng, i| {
            let (a, b) = (rng.bases(4), rng.bases(4));
            cat(&[&a, i, &b])
        });
        let ends = trimmed_ends(&few);
        assert_eq!(
            (ends.call, ends.reads),
            (EndsCall::Undetermined, RANDOM_ENDS_MIN_READS - 1)
        );
    }

    #[test]
    fn a_cats_adapter_is_not_tested() {
        // random bases at both ends, then the poly-A tail: CATS's
        // template-switch bases are the preset's, not tested for
        let s = library(3000, 60, 35, |rng, i| {
            let (a, b) = (rng.bases(4), rng.bases(4));
            cat(&[&a, i, &b, &[b'A'; 30]])
        });
        let candidates = candidates();
        let seeds = KnownSeeds::of(&s);
        let votes = vote(&s, &seeds, &candidates);
        let cats = candidates
            .iter()
            .position(|c| c.protocol == Protocol::Cats)
            .unwrap();
        let ends = insert_ends(&s, &candidates[cats], cats, &votes);
        assert_eq!(ends.call, EndsCall::NotTested);
        // the same reads taken as another protocol's are tested
        let mut other = candidates[cats].clone();
        other.protocol = Protocol::Illumina;
        let ends = insert_ends(&s, &other, cats, &votes);
        assert_eq!(ends.call, EndsCall::Random, "{ends:?}");
    }
}

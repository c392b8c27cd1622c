//! `--protocol auto`: decides the library protocol and 3' adapter from the
//! first reads of a sample, and says how sure it is.
//!
//! **Candidates.** Every adapter of [`KNOWN_ADAPTERS`], plus up to
//! [`MAX_DE_NOVO`] de novo candidates: sequences over-represented at
//! variable positions in the reads (`de_novo.rs`). A de novo candidate that
//! starts like a known adapter is that known adapter.
//!
//! **Score.** A candidate is *found* in a read when its first [`SEED_LEN`]
//! bases occur there exactly. Each read votes for the candidate found
//! nearest its 5' end, nearest the insert (`known.rs`). A candidate's
//! *fraction* is the share of sampled reads voting for it.
//!
//! **Confidence** of the best candidate, fraction f, runner-up's fraction r:
//! - `high`: f >= [`HIGH_MIN_FRACTION`] (20%) and f >= [`HIGH_MIN_RATIO`]
//!   (5) x r, and the insert ends are clear (below);
//! - `none`: f < [`NONE_MAX_FRACTION`] (2%): nothing above noise; the reads
//!   are taken as already-trimmed inserts (`--adapter none`);
//! - `low`: anything between; the best candidate is used, with a warning.
//!
//! **Random insert ends (NEXTflex).** The inserts the chosen adapter leaves
//! (without one, the reads) are tested for 4 random bases at both ends
//! (`ends.rs`): random ends mean the `nextflex` cuts; an undetermined test
//! means no cuts, and confidence at most `low`.
//!
//! **Cost.** Detection must cost little next to reading the sample (it is
//! made on every sample, and the trimming waits for it): on
//! [`SAMPLE_READS`] 75-nt reads with the adapter read through, about 16 ms
//! of CPU to add them to the sample and 13-19 ms to detect
//! (`examples/detect_timing.rs`), against about 450 ms for a whole run on
//! the 2M-read file they start, at `-t 2`. Each read is scanned once for
//! all known adapters' seeds, on the pool beside the de novo search
//! ([`known::KnownSeeds`]); it is scanned again only for de novo
//! candidates, when there are any. The de novo search passes over its
//! reads three times at most, and grows little beyond what it keeps.

mod de_novo;
mod ends;
mod known;
#[cfg(test)]
mod test_reads;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::input::library::Protocol;
use crate::numbers::{percent, round_to, thousands};
use crate::prep::protocol::DetectedProtocol;
pub use de_novo::{
    DE_NOVO_K, DE_NOVO_MAX_POSITION_SHARE, DE_NOVO_MIN_FRACTION, DE_NOVO_MIN_ONE_LENGTH,
    DE_NOVO_READS, EXTEND_MIN_AGREEMENT, MAX_DE_NOVO, MAX_DE_NOVO_LEN,
};
pub use ends::{
    EndsCall, RandomEnds, FIXED_ENDS_MAX_RATIO, RANDOM_ENDS_MIN_RATIO, RANDOM_ENDS_MIN_READS,
};
use known::{Candidate, Votes};
pub use known::{KnownAdapter, Origin, ReadSample, KNOWN_ADAPTERS, SEED_LEN};

/// Reads of each sample that `--protocol auto` decides on (all of them in
/// a smaller sample).
pub const SAMPLE_READS: usize = 100_000;
/// `high` needs the best candidate in at least this share of the reads...
pub const HIGH_MIN_FRACTION: f64 = 0.20;
/// ... and this many times the runner-up's share.
pub const HIGH_MIN_RATIO: f64 = 5.0;
/// Below this share, no adapter is found (`none`).
pub const NONE_MAX_FRACTION: f64 = 0.02;

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

impl Detection {
    /// The protocol and adapter decided, as trimming takes them.
    pub fn chosen(&self) -> DetectedProtocol {
        DetectedProtocol {
            protocol: self.protocol,
            adapter: self.adapter.clone(),
        }
    }
}

/// Detects the protocol and adapter of reads (see the module documentation).
pub fn detect(sample: &ReadSample) -> Detection {
    // the known adapters' seeds are looked for beside the de novo search
    let (candidates, known_seeds) =
        rayon::join(|| candidates(sample), || known::KnownSeeds::of(sample));
    let votes = known::vote(sample, &known_seeds, &candidates);
    let ranking = Ranking::of(sample.len(), &candidates, &votes);
    if ranking.share(ranking.best()) < NONE_MAX_FRACTION {
        no_adapter(sample, ranking)
    } else {
        adapter_found(sample, &candidates, &votes, ranking)
    }
}

/// Every known adapter, then the de novo candidates that start unlike them.
fn candidates(sample: &ReadSample) -> Vec<Candidate> {
    let mut candidates = known::candidates();
    for seq in de_novo::candidates(sample) {
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
                fraction: round_to(share(votes.votes[c]), 4),
                found_in: round_to(share(votes.found[c]), 4),
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
fn no_adapter(sample: &ReadSample, ranking: Ranking) -> Detection {
    let n = ranking.reads;
    let f = ranking.share(ranking.best());
    let ends = ends::trimmed_ends(sample);
    let protocol = if ends.call == EndsCall::Random {
        Protocol::Nextflex
    } else {
        Protocol::Illumina
    };
    // the best candidate is scored first when it is found in any read
    let seen = match ranking.scores.first() {
        None => "no known or de novo candidate in any read".to_string(),
        Some(best) => format!(
            "no known or de novo candidate in {} of them; best: {} in {}",
            percent(NONE_MAX_FRACTION),
            best.name,
            percent(f)
        ),
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
        fraction: round_to(f, 4),
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
    let ends = ends::insert_ends(sample, chosen, best, votes);
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
        fraction: round_to(f, 4),
        reads_sampled: n as u64,
        random_ends: ends,
        candidates: ranking.scores,
        summary,
        warning,
        adapter_override: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use known::work;
    use test_reads::{cat, library, trimmed, TAIL};

    use crate::input::library::{POLY_A, QIASEQ, TRUSEQ_SMALL_RNA};
    use crate::rng::Rng;

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
        // the best candidate below noise is named
        assert!(
            d.summary
                .contains("in 2.0% of them; best: TruSeq small RNA in "),
            "{}",
            d.summary
        );
    }

    #[test]
    fn no_reads_is_none() {
        let d = detect(&ReadSample::default());
        assert_eq!((d.confidence, d.reads_sampled), (Confidence::None, 0));
        assert_eq!(d.random_ends.call, EndsCall::Undetermined);
        assert!(
            d.summary
                .contains("(no known or de novo candidate in any read)"),
            "{}",
            d.summary
        );
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
        // reads are not scanned as they are added
        assert_eq!(work::take(&work::SEED_SCANS), 0);
        // detection on one thread of a pool of its own (its steps run side
        // by side on the pool), where its work is counted
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let (d, scans, passes, cells) = pool.install(|| {
            let d = detect(&s);
            (
                d,
                work::take(&work::SEED_SCANS),
                work::take(&work::KMER_PASSES),
                work::take(&work::PROFILE_CELLS),
            )
        });
        assert_eq!(d.adapter.as_deref(), Some(TRUSEQ_SMALL_RNA));
        // one scan of each read finds every known adapter's seed; no de
        // novo candidate is left (the one grown is the known adapter): no
        // read is scanned again
        assert!(d.candidates.iter().all(|c| c.origin == Origin::Known));
        assert_eq!(scans, s.len());
        // k-mers are counted, then the commonest one's occurrences found,
        // then the others' still wanted: three passes at most
        assert!(passes <= 3);
        // growth costs less than two more passes over the reads' bases: the
        // adapter grown once through its read-through, the k-mers spanning
        // an insert end and the adapter dropped a few bases in
        let bases: usize = s.iter().map(<[u8]>::len).sum();
        assert!(cells < 2 * bases, "{cells} profile cells for {bases} bases");
    }
}

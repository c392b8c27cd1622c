//! An explicit protocol or adapter checked against the sample's reads.
//!
//! A preset (or `--adapter`) wins over detection, but when the reads
//! disagree with it the user should hear so. The check costs nothing on a
//! sample that agrees: the trimmer's own counts decide whether to look
//! further ([`needs_detection`]), and only then does detection
//! ([`crate::prep::detect`]) run, on the sample's first reads that the one
//! pass kept ([`crate::prep::plan::FirstReads`]).
//!
//! - With an adapter: it is looked into when it is in under half of the
//!   reads (the QC rule that makes such a sample FAIL). Detection finding no
//!   adapter (the reads look already trimmed) or another adapter is a
//!   [`Mismatch`]; finding the same adapter is not (the library is poor, not
//!   the setting).
//! - With `--adapter none`: when under half of the reads give a counted
//!   insert. Detection finding an adapter with high confidence (the reads
//!   look untrimmed) is a [`Mismatch`]. (Untrimmed reads no longer than
//!   `--max-length` give counted inserts and are not looked into.)

use crate::numbers::{percent, thousands};
use crate::prep::detect::{Confidence, Detection, KNOWN_ADAPTERS, SEED_LEN};
use crate::prep::protocol::Given;
use crate::prep::reads::TrimCounts;

/// Whether the trimmer's counts call for detection: the adapter in under
/// half of the reads, or (without an adapter) a counted insert from under
/// half of them.
pub fn needs_detection(given: &Given, counts: &TrimCounts) -> bool {
    counts.reads_in > 0
        && match given.adapter {
            Some(_) => counts.adapter_found * 2 < counts.reads_in,
            None => counts.inserts * 2 < counts.reads_in,
        }
}

/// What detection found against an explicit setting.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// No adapter: the reads look already trimmed.
    Trimmed,
    /// Another adapter than the one given.
    OtherAdapter,
    /// An adapter, where `--adapter none` was given.
    Untrimmed,
}

/// An explicit setting the reads disagree with, and what to use instead.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// What detection found.
    pub found: Found,
    /// The setting, as given.
    pub given: Given,
    /// With an adapter: the share of reads the trimmer found it in; with
    /// `--adapter none`: the share of reads that gave a counted insert.
    pub given_share: f64,
    /// What detection found, in words (figures included).
    pub detected: String,
    /// The flags that fit the reads.
    pub advice: String,
}

/// The mismatch between `given` and the reads (`counts` over the whole
/// sample, `detection` on its first reads), if any.
pub fn check(given: &Given, counts: &TrimCounts, detection: &Detection) -> Option<Mismatch> {
    let share = |x: u64| x as f64 / counts.reads_in.max(1) as f64;
    let found = match (&given.adapter, &detection.adapter) {
        (Some(_), None) => Found::Trimmed,
        (Some(a), Some(d)) if !same_adapter(a, d) => Found::OtherAdapter,
        (None, Some(_)) if detection.confidence == Confidence::High => Found::Untrimmed,
        _ => return None,
    };
    let sampled = thousands(detection.reads_sampled);
    let detected = match &detection.adapter {
        None => format!(
            "no 3' adapter in {} of {sampled} sampled reads: the reads look already trimmed",
            percent(1.0 - detection.candidates.iter().map(|c| c.fraction).sum::<f64>())
        ),
        Some(d) => format!(
            "{} in {} of {sampled} sampled reads (confidence {}){}",
            named(&detection.adapter_name, d),
            percent(detection.fraction),
            detection.confidence,
            if found == Found::Untrimmed {
                ": the reads look untrimmed"
            } else {
                ""
            }
        ),
    };
    let instead = match &detection.adapter {
        None => "--adapter none".to_string(),
        Some(d) if d == detection.protocol.adapter() => {
            format!("--protocol {}", detection.protocol)
        }
        Some(d) => format!("--adapter {d}"),
    };
    let advice = if given.samplesheet {
        let column = instead.trim_start_matches("--").replacen(' ', " to ", 1);
        format!("set the sample's samplesheet protocol to auto (or its {column})")
    } else {
        format!("use --protocol auto (or {instead})")
    };
    Some(Mismatch {
        given_share: share(match given.adapter {
            Some(_) => counts.adapter_found,
            None => counts.inserts,
        }),
        found,
        given: given.clone(),
        detected,
        advice,
    })
}

impl Mismatch {
    /// The warning about `sample` (without the `mirq: ` prefix).
    pub fn warning(&self, sample: &str) -> String {
        let given = match &self.given.adapter {
            Some(a) => format!(
                "{}: its adapter {} is in {} of reads",
                self.given.source,
                named(known_name(a).unwrap_or("adapter"), a),
                percent(self.given_share)
            ),
            None => format!(
                "{}: {} of reads give an insert that is counted",
                self.given.source,
                percent(self.given_share)
            ),
        };
        format!(
            "WARNING: {sample}: {given}, and detection finds {}. The reads were trimmed as given; {}",
            self.detected, self.advice
        )
    }
}

/// Whether two adapters are the same one: the same first [`SEED_LEN`]
/// bases (as detection counts a candidate found).
fn same_adapter(a: &str, b: &str) -> bool {
    let k = SEED_LEN.min(a.len()).min(b.len());
    a.as_bytes()[..k].eq_ignore_ascii_case(&b.as_bytes()[..k])
}

/// The name of a known adapter with this sequence.
fn known_name(adapter: &str) -> Option<&'static str> {
    KNOWN_ADAPTERS
        .iter()
        .find(|k| k.sequence.eq_ignore_ascii_case(adapter))
        .map(|k| k.name)
}

/// `NAME SEQUENCE`, or the sequence alone for a nameless one.
fn named(name: &str, sequence: &str) -> String {
    if name.is_empty() || name == sequence {
        sequence.to_string()
    } else {
        format!("{name} {sequence}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::library::TRUSEQ_SMALL_RNA;
    use crate::prep::detect::{detect, ReadSample};
    use crate::rng::Rng;

    /// `n` random inserts of 18-26 nt, followed by `adapter` and filler up
    /// to 50 nt when one is given.
    fn reads(n: usize, adapter: Option<&str>, seed: u64) -> ReadSample {
        let mut rng = Rng::new(seed);
        let mut out = Vec::new();
        for _ in 0..n {
            let len = 18 + rng.below(9);
            let mut r = rng.bases(len);
            if let Some(a) = adapter {
                r.extend_from_slice(a.as_bytes());
                r.resize(50.max(r.len()), b'A');
            }
            out.push(r);
        }
        ReadSample::from_reads(out.iter().map(Vec::as_slice))
    }

    fn illumina() -> Given {
        Given {
            source: "--protocol illumina".into(),
            adapter: Some(TRUSEQ_SMALL_RNA.into()),
            samplesheet: false,
        }
    }

    fn counts(reads_in: u64, adapter_found: u64, inserts: u64) -> TrimCounts {
        TrimCounts {
            reads_in,
            adapter_found,
            inserts,
            ..Default::default()
        }
    }

    #[test]
    fn detection_runs_only_when_the_given_setting_looks_wrong() {
        let none = Given {
            adapter: None,
            ..illumina()
        };
        assert!(!needs_detection(&illumina(), &counts(1000, 500, 900)));
        assert!(needs_detection(&illumina(), &counts(1000, 499, 900)));
        assert!(!needs_detection(&illumina(), &counts(0, 0, 0)));
        assert!(!needs_detection(&none, &counts(1000, 0, 500)));
        assert!(needs_detection(&none, &counts(1000, 0, 499)));
    }

    #[test]
    fn trimmed_reads_under_a_preset_are_a_mismatch_naming_the_flags() {
        let d = detect(&reads(2000, None, 7));
        assert!(d.adapter.is_none(), "{}", d.summary);
        let m = check(&illumina(), &counts(2000, 46, 1900), &d).expect("a mismatch");
        assert_eq!(m.found, Found::Trimmed);
        let w = m.warning("LCL");
        assert_eq!(
            w,
            "WARNING: LCL: --protocol illumina: its adapter TruSeq small RNA TGGAATTCTCGGGTGCCAAGG is in 2.3% of reads, and detection finds no 3' adapter in 100.0% of 2,000 sampled reads: the reads look already trimmed. The reads were trimmed as given; use --protocol auto (or --adapter none)"
        );
    }

    #[test]
    fn the_same_adapter_in_few_reads_is_no_mismatch() {
        let d = detect(&reads(2000, Some(TRUSEQ_SMALL_RNA), 8));
        assert_eq!(d.adapter.as_deref(), Some(TRUSEQ_SMALL_RNA));
        assert_eq!(check(&illumina(), &counts(2000, 900, 1900), &d), None);
    }

    #[test]
    fn another_adapter_and_untrimmed_reads_are_mismatches() {
        let qiaseq = crate::input::library::QIASEQ;
        let d = detect(&reads(2000, Some(qiaseq), 9));
        let m = check(&illumina(), &counts(2000, 10, 100), &d).expect("a mismatch");
        assert_eq!(m.found, Found::OtherAdapter);
        assert!(
            m.warning("s")
                .contains("use --protocol auto (or --protocol qiaseq)"),
            "{}",
            m.warning("s")
        );
        let sheet = Given {
            source: "samplesheet adapter none".into(),
            adapter: None,
            samplesheet: true,
        };
        let d = detect(&reads(2000, Some(TRUSEQ_SMALL_RNA), 10));
        let m = check(&sheet, &counts(2000, 0, 100), &d).expect("a mismatch");
        assert_eq!(m.found, Found::Untrimmed);
        let w = m.warning("s");
        assert!(
            w.contains("samplesheet adapter none: 5.0% of reads give an insert")
                && w.contains("the reads look untrimmed")
                && w.contains(
                    "set the sample's samplesheet protocol to auto (or its protocol to illumina)"
                ),
            "{w}"
        );
        // trimmed reads with --adapter none: nothing to say
        let d = detect(&reads(2000, None, 11));
        assert_eq!(check(&sheet, &counts(2000, 0, 100), &d), None);
    }
}

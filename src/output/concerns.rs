//! The warnings about samples that `--strict` acts on, and what a finished
//! run hands back to the command line: its stats and those warnings.
//!
//! A concern is said as a WARNING on stderr (also with `-q`) and kept in
//! `mirq.log`. The outputs are written whole either way; with `--strict` the
//! process then exits with [`STRICT_EXIT_CODE`], so that a pipeline stops
//! while the user still has the report that says why.

use crate::output::stats::RunStats;
use crate::runtime::say;

/// Exit status of a run that finished (every output written) with a
/// concern under `--strict`; errors exit with 1.
pub const STRICT_EXIT_CODE: i32 = 3;

/// What a concern is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConcernKind {
    /// The sample's QC verdict is FAIL.
    QcFail,
    /// The reads fit another species better, or two species.
    SpeciesFit,
    /// Reads on miRNA families of a clade outside the species' lineage.
    Clade,
    /// The explicit protocol or adapter disagrees with what the reads show.
    Trimming,
}

impl ConcernKind {
    /// A few words for the closing `--strict` line.
    pub fn label(self) -> &'static str {
        match self {
            Self::QcFail => "QC verdict FAIL",
            Self::SpeciesFit => "species fit",
            Self::Clade => "clade",
            Self::Trimming => "protocol or adapter",
        }
    }
}

/// One warning about one sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Concern {
    /// The sample.
    pub sample: String,
    /// What about.
    pub kind: ConcernKind,
    /// The line said (without the `mirq: ` prefix).
    pub line: String,
}

impl Concern {
    /// Says `line` (stderr and `mirq.log`) and returns it as a concern.
    pub fn said(sample: &str, kind: ConcernKind, line: String) -> Self {
        say(format!("mirq: {line}"));
        Self {
            sample: sample.to_string(),
            kind,
            line,
        }
    }
}

/// A QC FAIL concern for each sample whose verdict is FAIL, said with the
/// rules that made it (in sample order).
pub fn qc_failures(stats: &RunStats) -> Vec<Concern> {
    stats
        .samples
        .iter()
        .filter(|s| s.qc.verdict == Some(crate::output::stats::Verdict::Fail))
        .map(|s| {
            Concern::said(
                &s.sample,
                ConcernKind::QcFail,
                format!(
                    "WARNING: {}: QC verdict FAIL: {}",
                    s.sample,
                    s.qc.reasons.join("; ")
                ),
            )
        })
        .collect()
}

/// A finished run: every output is written.
#[derive(Debug)]
pub struct Outcome {
    /// What stats.json holds.
    pub stats: RunStats,
    /// The concerns said, in the order said.
    pub concerns: Vec<Concern>,
}

impl Outcome {
    /// The closing line of a `--strict` run with concerns: how many, of
    /// which kinds, in how many samples; None without concerns.
    pub fn strict_line(&self) -> Option<String> {
        if self.concerns.is_empty() {
            return None;
        }
        let mut kinds: Vec<&str> = Vec::new();
        let mut samples: Vec<&str> = Vec::new();
        for c in &self.concerns {
            if !kinds.contains(&c.kind.label()) {
                kinds.push(c.kind.label());
            }
            if !samples.contains(&c.sample.as_str()) {
                samples.push(&c.sample);
            }
        }
        Some(format!(
            "mirq: --strict: {} warning{} ({}) in {} sample{}; outputs written; exit status {STRICT_EXIT_CODE}",
            self.concerns.len(),
            if self.concerns.len() == 1 { "" } else { "s" },
            kinds.join(", "),
            samples.len(),
            if samples.len() == 1 { "" } else { "s" },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strict_line_counts_kinds_and_samples() {
        let mut outcome = Outcome {
            stats: RunStats::starting(),
            concerns: Vec::new(),
        };
        assert_eq!(outcome.strict_line(), None);
        let concern = |sample: &str, kind| Concern {
            sample: sample.into(),
            kind,
            line: String::new(),
        };
        outcome.concerns = vec![
            concern("a", ConcernKind::Trimming),
            concern("a", ConcernKind::QcFail),
            concern("b", ConcernKind::QcFail),
        ];
        assert_eq!(
            outcome.strict_line().unwrap(),
            "mirq: --strict: 3 warnings (protocol or adapter, QC verdict FAIL) in 2 samples; outputs written; exit status 3"
        );
    }
}

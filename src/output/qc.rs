//! Per-sample quality control: read composition,
//! the insert length distribution, and a PASS / WARN / FAIL verdict with the
//! rule behind it.
//!
//! Composition ([`composition`]): every read read in one class, as a
//! fraction (they sum to 1): mature miRNA, hairpin only, unassigned insert,
//! adapter dimer, too short, too long, no adapter, no whole UMI. With
//! `--ncrna`, the reads on ncRNAs are out of *unassigned* (no hit on a miRNA
//! nor on an ncRNA): `ncrna` gives each class's share (sense reads, every
//! class of the run in its order) and `ncrna_antisense` the share of reads
//! on ncRNAs antisense only, which count for no class.
//!
//! Verdict rules (the first FAIL rule that fires makes FAIL, else any WARN
//! rule makes WARN; every rule that fired is listed):
//! - FAIL: fewer than [`FAIL_MIN_MIRNA_READS`] reads assigned to mature miRNAs;
//!   or, with an adapter, the adapter found in under half the reads (wrong
//!   adapter or protocol); or adapter dimers over half the reads.
//! - WARN: fewer than [`PASS_MIN_MIRNA_READS`] reads assigned to mature miRNAs
//!   (exceRpt's bar for PASS is 100,000 reads assigned to the
//!   transcriptome); under 20% of the counted inserts assigned to miRNAs;
//!   adapter dimers over 20% of reads; low-complexity inserts over 10% of
//!   counted inserts; mean base quality under 25 (not judged for reads without
//!   qualities: FASTA input).
//!
//! No rule reads the ncRNA classes or the unassigned reads. With `--ncrna`,
//! the reads an ncRNA takes from miRNAs (it explains them strictly better)
//! are not miRNA reads for the rules either, as in the count tables.

use crate::output::stats::{ClassShare, Composition, SampleStats, Verdict};

/// Below this many miRNA-assigned reads a sample FAILs.
pub const FAIL_MIN_MIRNA_READS: u64 = 1_000;
/// From this many miRNA-assigned reads on, a sample can PASS.
pub const PASS_MIN_MIRNA_READS: u64 = 100_000;

/// What became of the sample's reads, as fractions of the reads read.
pub fn composition(st: &SampleStats) -> Composition {
    let total = st.reads_in.max(1) as f64;
    let f = |x: u64| x as f64 / total;
    Composition {
        mature_mirna: f(st.assigned_mature),
        hairpin_only: f(st.hairpin_only),
        unassigned: f(st.unassigned),
        adapter_dimer: f(st.adapter_dimers),
        too_short: f(st.too_short - st.adapter_dimers),
        too_long: f(st.too_long),
        no_adapter: f(st.no_adapter),
        umi_missing: f(st.umi_missing),
        ncrna: st
            .ncrna
            .iter()
            .flat_map(|n| &n.classes)
            .map(|c| ClassShare {
                class: c.class.clone(),
                fraction: f(c.reads),
            })
            .collect(),
        ncrna_antisense: st.ncrna.as_ref().map(|n| f(n.antisense())),
        artifact: st.artifact.as_ref().map(|a| f(a.reads)),
        exogenous_mirna: st.exogenous.as_ref().map(|e| f(e.reads)),
        screen: st
            .screen
            .iter()
            .map(|r| ClassShare {
                class: r.reference.clone(),
                fraction: f(r.reads),
            })
            .collect(),
    }
}

/// The verdict and the rules that made it (empty for PASS).
pub fn verdict(st: &SampleStats, has_adapter: bool) -> (Verdict, Vec<String>) {
    let pct = |x: u64, of: u64| 100.0 * x as f64 / of.max(1) as f64;
    let mut fail = Vec::new();
    let mut warn = Vec::new();
    let mirna = st.assigned_mature;
    if mirna < FAIL_MIN_MIRNA_READS {
        fail.push(format!(
            "{mirna} reads assigned to mature miRNAs (FAIL below {FAIL_MIN_MIRNA_READS})"
        ));
    } else if mirna < PASS_MIN_MIRNA_READS {
        warn.push(format!(
            "{mirna} reads assigned to mature miRNAs (PASS from {PASS_MIN_MIRNA_READS}, exceRpt's bar)"
        ));
    }
    if has_adapter && st.reads_in > 0 && st.adapter_found * 2 < st.reads_in {
        fail.push(format!(
            "adapter found in {:.1}% of reads (FAIL below 50%: wrong adapter or protocol?)",
            pct(st.adapter_found, st.reads_in)
        ));
    }
    let dimers = pct(st.adapter_dimers, st.reads_in);
    if dimers > 50.0 {
        fail.push(format!(
            "adapter dimers {dimers:.1}% of reads (FAIL above 50%)"
        ));
    } else if dimers > 20.0 {
        warn.push(format!(
            "adapter dimers {dimers:.1}% of reads (WARN above 20%)"
        ));
    }
    let counted = st.inserts;
    if counted > 0 {
        let share = pct(mirna, counted);
        if share < 20.0 {
            warn.push(format!(
                "{share:.1}% of counted inserts assigned to miRNAs (WARN below 20%)"
            ));
        }
        let low = pct(st.qc.low_complexity, counted);
        if low > 10.0 {
            warn.push(format!(
                "low-complexity inserts {low:.1}% of counted inserts (WARN above 10%)"
            ));
        }
    }
    if let Some(q) = st.qc.mean_quality.filter(|&q| st.reads_in > 0 && q < 25.0) {
        warn.push(format!("mean base quality {q:.1} (WARN below 25)"));
    }
    let verdict = if !fail.is_empty() {
        Verdict::Fail
    } else if !warn.is_empty() {
        Verdict::Warn
    } else {
        Verdict::Pass
    };
    fail.extend(warn);
    (verdict, fail)
}

/// Writes a sample's insert length distribution (`length<TAB>reads`).
pub fn write_lengths(out: &mut impl std::io::Write, lengths: &[u64]) -> std::io::Result<()> {
    writeln!(out, "length\treads")?;
    for (len, n) in lengths.iter().enumerate() {
        writeln!(out, "{len}\t{n}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::stats::{ClassReads, SampleNcrna};

    #[test]
    fn composition_with_ncrna_classes_sums_to_one() {
        let mut st = SampleStats {
            reads_in: 1000,
            adapter_found: 900,
            no_adapter: 100,
            too_short: 150,
            adapter_dimers: 50,
            too_long: 20,
            assigned_mature: 500,
            hairpin_only: 30,
            unassigned: 80,
            ..Default::default()
        };
        let without = composition(&st);
        assert!(without.ncrna.is_empty() && without.ncrna_antisense.is_none());
        st.ncrna = Some(SampleNcrna {
            classes: vec![
                ClassReads {
                    class: "tRNA".into(),
                    reads: 100,
                    antisense: 5,
                },
                ClassReads {
                    class: "rRNA".into(),
                    reads: 10,
                    antisense: 5,
                },
            ],
            ..Default::default()
        });
        let c = composition(&st);
        let classes: Vec<(&str, f64)> = c
            .ncrna
            .iter()
            .map(|s| (s.class.as_str(), s.fraction))
            .collect();
        assert_eq!(classes, [("tRNA", 0.1), ("rRNA", 0.01)]);
        assert_eq!(c.ncrna_antisense, Some(0.01));
        let sum = c.mature_mirna
            + c.hairpin_only
            + c.unassigned
            + classes.iter().map(|c| c.1).sum::<f64>()
            + c.ncrna_antisense.unwrap()
            + c.adapter_dimer
            + c.too_short
            + c.too_long
            + c.no_adapter
            + c.umi_missing;
        assert!((sum - 1.0).abs() < 1e-12, "{sum}");
    }

    #[test]
    fn verdicts_name_their_rule() {
        let mut st = SampleStats {
            reads_in: 1_000_000,
            adapter_found: 950_000,
            inserts: 800_000,
            assigned_mature: 600_000,
            ..Default::default()
        };
        st.qc.mean_quality = Some(35.0);
        assert_eq!(verdict(&st, true), (Verdict::Pass, vec![]));
        st.assigned_mature = 50_000;
        let (v, why) = verdict(&st, true);
        assert_eq!(v, Verdict::Warn);
        assert!(why.iter().any(|w| w.contains("50000 reads")), "{why:?}");
        st.adapter_found = 100_000;
        let (v, why) = verdict(&st, true);
        assert_eq!(v, Verdict::Fail);
        assert!(why[0].contains("adapter found in 10.0%"), "{why:?}");
        assert_eq!(verdict(&st, false).0, Verdict::Warn);
    }
}

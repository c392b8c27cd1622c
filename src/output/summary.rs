//! What a run says about itself when it ends: on stderr (unless `-q`) and,
//! always, at the end of `mirq.log`.

use std::path::Path;

use crate::output::stats::{RunStats, SampleStats};

/// The closing lines of a `mirq quant` run (`merge`: of `mirq merge`)
/// writing into `outdir`.
pub fn lines(stats: &RunStats, outdir: &Path, merge: bool) -> Vec<String> {
    let mut out = Vec::new();
    if merge {
        out.push(format!(
            "mirq: merged {} samples, {} unique inserts, {:.2} s; tables in {}",
            stats.samples.len(),
            stats.unique_inserts,
            stats.elapsed_seconds,
            outdir.display()
        ));
    } else {
        for s in &stats.samples {
            let pct = |x: u64| {
                if s.reads_in == 0 {
                    0.0
                } else {
                    100.0 * x as f64 / s.reads_in as f64
                }
            };
            out.push(format!(
                "mirq: {}: {} reads, {:.1}% with adapter, {:.1}% assigned to miRNAs ({} miRNAs detected)",
                s.sample,
                s.reads_in,
                pct(s.adapter_found),
                pct(s.assigned_mature),
                s.mirnas_detected
            ));
            if let Some(line) = ncrna_line(s) {
                out.push(line);
            }
            if let Some(line) = origin_line(s) {
                out.push(line);
            }
        }
        out.push(format!(
            "mirq: {} samples, {} unique inserts, engine {}, {:.2} s; tables in {}",
            stats.samples.len(),
            stats.unique_inserts,
            stats.engine,
            stats.elapsed_seconds,
            outdir.display()
        ));
    }
    out.push(format!(
        "mirq: timings: {}",
        stats.timings.summary(stats.align_inserts_per_second, merge)
    ));
    out
}

/// With `--ncrna`: a sample's classes as shares of its inserts, largest
/// first, then what stayed unassigned and what ncRNAs took from miRNAs.
fn ncrna_line(s: &SampleStats) -> Option<String> {
    let nc = s.ncrna.as_ref()?;
    let pct = |x: u64| 100.0 * x as f64 / s.inserts.max(1) as f64;
    let mut classes: Vec<_> = nc.classes.iter().filter(|c| c.reads > 0).collect();
    classes.sort_by_key(|c| std::cmp::Reverse(c.reads));
    let shown: Vec<String> = classes
        .iter()
        .take(6)
        .map(|c| format!("{} {:.1}%", c.class, pct(c.reads)))
        .collect();
    Some(format!(
        "mirq: {}: of inserts: {}{}; unassigned {:.1}%; {} reads taken from miRNAs",
        s.sample,
        if shown.is_empty() {
            "no ncRNA".to_string()
        } else {
            shown.join(", ")
        },
        if classes.len() > shown.len() {
            ", ..."
        } else {
            ""
        },
        pct(s.unassigned),
        nc.taken_from_mirna
    ))
}

/// A sample's artifact, exogenous and screen reads as shares of its reads
/// read (the species of the exogenous reads named, most first), when
/// those stages ran.
fn origin_line(s: &SampleStats) -> Option<String> {
    let pct = |x: u64| 100.0 * x as f64 / s.reads_in.max(1) as f64;
    let mut parts = Vec::new();
    if let Some(a) = &s.artifact {
        parts.push(format!(
            "artifacts {:.1}% ({} taken from miRNAs)",
            pct(a.reads),
            a.taken_from_mirna
        ));
    }
    if let Some(e) = &s.exogenous {
        let species: Vec<String> = e
            .species
            .iter()
            .take(4)
            .map(|r| format!("{} {:.0}", r.species, r.reads))
            .collect();
        let named = if species.is_empty() {
            String::new()
        } else {
            let more = if e.species.len() > species.len() {
                ", ..."
            } else {
                ""
            };
            format!(": {}{more}", species.join(", "))
        };
        parts.push(format!("other species' miRNAs {:.1}%{named}", pct(e.reads)));
    }
    for r in &s.screen {
        parts.push(format!(
            "screen {} {:.2}% (decoy {})",
            r.reference,
            pct(r.reads),
            r.decoy
        ));
    }
    (!parts.is_empty()).then(|| format!("mirq: {}: {}", s.sample, parts.join("; ")))
}

/// `mirq.log`: the run's provenance, every line it said on stderr (and
/// those `-q` kept quiet), and its closing lines.
pub fn log_text(stats: &RunStats, said: &[String], closing: &[String]) -> String {
    let mut text = format!(
        "# mirq {} (commit {})\n# command: {}\n# started {} finished {} (UTC)\n",
        stats.mirq_version,
        stats.commit,
        stats.command_line.join(" "),
        stats.started,
        stats.finished
    );
    for line in said.iter().chain(closing) {
        text.push_str(line);
        text.push('\n');
    }
    text
}

//! What a run says about itself when it ends: on stderr (unless `-q`) and,
//! always, at the end of `mirq.log`.

use std::path::Path;

use crate::output::stats::RunStats;

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

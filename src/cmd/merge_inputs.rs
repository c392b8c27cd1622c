//! What `mirq merge` checks of its inputs before any work, as directories
//! from elsewhere are untrusted: sample names fit to name files with, and
//! each directory's `stats.json` and `inserts.tsv.gz` telling the same
//! story. (The output directory apart from every input is the output
//! directory's own check, [`crate::output::outdir`].)

use std::path::Path;

use crate::align::FlatHits;
use crate::error::{Error, Result};
use crate::input::samples::validate_sample_name;
use crate::output::inserts_file::RunInserts;
use crate::output::stats::SampleStats;

/// Checks the sample names `stats_json` records with quant's rules (merge
/// names files after them) and that their figures add up.
pub fn check_recorded_samples(stats_json: &Path, samples: &[SampleStats]) -> Result<()> {
    for (i, s) in samples.iter().enumerate() {
        let bad = |message: String| Error::Parse {
            path: stats_json.to_path_buf(),
            message: format!("sample {} of {}: {message}", i + 1, samples.len()),
        };
        validate_sample_name(&s.sample).map_err(|e| bad(e.to_string()))?;
        let name = &s.sample;
        let parts = s.no_adapter + s.too_short + s.too_long + s.inserts + s.umi_missing;
        if parts != s.reads_in {
            return Err(bad(format!(
                "sample '{name}': reads_in {} is not no_adapter + too_short + too_long + \
                 inserts + umi_missing = {} + {} + {} + {} + {} = {parts}",
                s.reads_in, s.no_adapter, s.too_short, s.too_long, s.inserts, s.umi_missing
            )));
        }
        let lengths: u64 = s.qc.insert_lengths.iter().sum();
        if lengths != s.reads_in - s.no_adapter {
            return Err(bad(format!(
                "sample '{name}': its insert lengths count {lengths} reads, not reads_in - \
                 no_adapter = {}",
                s.reads_in - s.no_adapter
            )));
        }
        if s.adapter_dimers > s.too_short || s.mature_multimapped > s.assigned_mature {
            return Err(bad(format!(
                "sample '{name}': adapter_dimers {} > too_short {} or mature_multimapped {} > \
                 assigned_mature {}",
                s.adapter_dimers, s.too_short, s.mature_multimapped, s.assigned_mature
            )));
        }
    }
    Ok(())
}

/// Checks that an inserts file (`path`) holds the samples `samples`
/// records, in order, with their reads (and molecules) and unique inserts.
pub fn check_inserts_agree(path: &Path, samples: &[SampleStats], run: &RunInserts) -> Result<()> {
    let bad = |message: String| Error::Parse {
        path: path.to_path_buf(),
        message,
    };
    let names: Vec<&str> = samples.iter().map(|s| s.sample.as_str()).collect();
    if run.samples != names {
        return Err(bad(format!(
            "the header lists samples {:?}, stats.json {:?}",
            run.samples, names
        )));
    }
    for (s, stats) in samples.iter().enumerate() {
        let name = &stats.sample;
        let reads: u64 = run.reads[s].iter().map(|&(_, n)| u64::from(n)).sum();
        let unique = run.reads[s].len() as u64;
        if reads != stats.inserts || unique != stats.unique_inserts {
            return Err(bad(format!(
                "sample '{name}': {reads} reads in {unique} unique inserts, but stats.json \
                 records {} inserts, {} unique (rows missing or changed?)",
                stats.inserts, stats.unique_inserts
            )));
        }
        let mut by_length = vec![0u64; 0];
        for &(row, n) in &run.reads[s] {
            let len = run.rows.seq(row as usize).len();
            if by_length.len() <= len {
                by_length.resize(len + 1, 0);
            }
            by_length[len] += u64::from(n);
        }
        let recorded = &stats.qc.insert_lengths;
        if let Some(len) = (0..by_length.len())
            .find(|&l| by_length[l] > recorded.get(l).copied().unwrap_or_default())
        {
            return Err(bad(format!(
                "sample '{name}': {} reads of length {len}, but stats.json's insert lengths \
                 count {}",
                by_length[len],
                recorded.get(len).copied().unwrap_or_default()
            )));
        }
        let molecules = run.molecules.as_ref().map(|m| {
            let total: u64 = m[s].iter().map(|&(_, n)| u64::from(n)).sum();
            total
        });
        let recorded = stats.molecules.as_ref().map(|m| m.total);
        if let (Some(got), Some(want)) = (molecules, recorded) {
            if got != want {
                return Err(bad(format!(
                    "sample '{name}': {got} molecules, but stats.json records {want}"
                )));
            }
        }
    }
    Ok(())
}

/// Checks that every hit of an inserts file's `column` is on one of the
/// `targets` targets the reference loaded has.
pub fn check_hit_targets(
    path: &Path,
    column: &str,
    run: &RunInserts,
    hits: &FlatHits,
    targets: usize,
) -> Result<()> {
    for row in 0..hits.len() {
        if let Some(hit) = hits.get(row).iter().find(|h| h.target as usize >= targets) {
            return Err(Error::Parse {
                path: path.to_path_buf(),
                message: format!(
                    "insert {}: a {column} hit on target {} of a reference with {targets} \
                     targets (made with another reference?)",
                    String::from_utf8_lossy(run.rows.seq(row)),
                    hit.target
                ),
            });
        }
    }
    Ok(())
}

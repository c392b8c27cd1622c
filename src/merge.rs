//! `mirq merge`: per-sample (or any) `mirq quant` output directories into the
//! outputs one joint run over all their samples would have written, from
//! each directory's `stats.json` and `inserts.tsv.gz`: no FASTQ is read and
//! nothing is aligned again.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;

use crate::align::{FlatHits, TargetSet};
use crate::collapse::{InsertTable, SortedInserts};
use crate::error::{Error, Result};
use crate::finish::{finish, Molecules, RunData};
use crate::inserts_file::{self, RunInserts};
use crate::output::StagedOutputs;
use crate::reference::Reference;
use crate::stats::{ReferenceStats, RunSettings, RunStats, SampleStats};

/// What `mirq merge` needs.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    /// `mirq quant` output directories, in output column order.
    pub dirs: Vec<PathBuf>,
    /// Mature FASTA (default: the one the first directory recorded).
    pub mature: Option<PathBuf>,
    /// Hairpin FASTA (default: the one the first directory recorded).
    pub hairpin: Option<PathBuf>,
    /// Output directory.
    pub outdir: PathBuf,
    /// Worker threads.
    pub threads: usize,
}

/// One input directory's recorded run.
struct Recorded {
    dir: PathBuf,
    engine: String,
    reference: ReferenceStats,
    settings: RunSettings,
    samples: Vec<SampleStats>,
}

fn invalid(dir: &Path, message: String) -> Error {
    Error::InvalidValue {
        what: "mirq merge",
        value: dir.display().to_string(),
        message,
    }
}

fn read_recorded(dir: &Path) -> Result<Recorded> {
    let path = dir.join("stats.json");
    let text = std::fs::read_to_string(&path).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => invalid(
            dir,
            "no stats.json: not a finished mirq quant output directory".into(),
        ),
        _ => Error::Io {
            path: path.clone(),
            err,
        },
    })?;
    let parse = |message: String| Error::Parse {
        path: path.clone(),
        message,
    };
    let v: Value = serde_json::from_str(&text).map_err(|e| parse(e.to_string()))?;
    let field = |key: &str| -> Result<Value> {
        v.get(key)
            .cloned()
            .ok_or_else(|| parse(format!("no '{key}' (written by another mirq version?)")))
    };
    Ok(Recorded {
        dir: dir.to_path_buf(),
        engine: v["engine"].as_str().unwrap_or("unknown").to_string(),
        reference: serde_json::from_value(field("reference")?)
            .map_err(|e| parse(format!("reference: {e}")))?,
        settings: serde_json::from_value(field("settings")?)
            .map_err(|e| parse(format!("settings: {e}")))?,
        samples: serde_json::from_value(field("samples")?)
            .map_err(|e| parse(format!("samples: {e}")))?,
    })
}

/// The settings that differ between two runs, by name.
fn differing_settings(a: &RunSettings, b: &RunSettings) -> Vec<String> {
    let (a, b) = (
        serde_json::to_value(a).unwrap_or_default(),
        serde_json::to_value(b).unwrap_or_default(),
    );
    let (Value::Object(a), Value::Object(b)) = (a, b) else {
        return vec!["settings".into()];
    };
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(v))
        .map(|(k, v)| format!("{k}: {v} vs {}", b.get(k).unwrap_or(&Value::Null)))
        .collect()
}

/// Runs the merge and writes the outputs.
pub fn run(opts: &MergeOptions) -> Result<RunStats> {
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .map_err(|e| Error::InvalidValue {
            what: "--threads",
            value: opts.threads.to_string(),
            message: e.to_string(),
        })?;
    pool.install(|| run_in_pool(opts, started))
}

fn run_in_pool(opts: &MergeOptions, started: Instant) -> Result<RunStats> {
    let Some(first_dir) = opts.dirs.first() else {
        return Err(invalid(Path::new(""), "no directory to merge".into()));
    };
    let recorded: Vec<Recorded> = opts
        .dirs
        .iter()
        .map(|d| read_recorded(d))
        .collect::<Result<_>>()?;
    let first = &recorded[0];
    let mut names = std::collections::HashSet::new();
    for r in &recorded {
        if r.reference.fingerprint != first.reference.fingerprint
            || r.reference.species != first.reference.species
        {
            return Err(invalid(
                &r.dir,
                format!(
                    "made with another reference than {} (species {} vs {}, fingerprint {} vs {})",
                    first.dir.display(),
                    r.reference.species,
                    first.reference.species,
                    r.reference.fingerprint,
                    first.reference.fingerprint
                ),
            ));
        }
        let diff = differing_settings(&r.settings, &first.settings);
        if !diff.is_empty() {
            return Err(invalid(
                &r.dir,
                format!(
                    "made with other settings than {}: {}",
                    first.dir.display(),
                    diff.join("; ")
                ),
            ));
        }
        for s in &r.samples {
            if !names.insert(s.sample.clone()) {
                return Err(invalid(
                    &r.dir,
                    format!("sample '{}' is in more than one directory", s.sample),
                ));
            }
        }
    }

    let mature = opts
        .mature
        .clone()
        .unwrap_or_else(|| PathBuf::from(&first.reference.mature));
    let hairpin = opts
        .hairpin
        .clone()
        .or_else(|| first.reference.hairpin.as_ref().map(PathBuf::from));
    let reference = Reference::load(&mature, hairpin.as_deref(), &first.reference.species)?;
    if reference.fingerprint() != first.reference.fingerprint {
        return Err(invalid(
            first_dir,
            format!(
                "the reference loaded from {}{} (fingerprint {}) is not the one the runs used \
                 (fingerprint {}): give the same --mature/--hairpin files",
                mature.display(),
                hairpin
                    .as_ref()
                    .map(|h| format!(" and {}", h.display()))
                    .unwrap_or_default(),
                reference.fingerprint(),
                first.reference.fingerprint
            ),
        ));
    }
    let settings = first.settings.clone();
    let targets = TargetSet::build(&reference, settings.window_5p, settings.window_3p);

    let runs: Vec<RunInserts> = recorded
        .iter()
        .map(|r| {
            let run = inserts_file::read(&r.dir.join(inserts_file::FILE_NAME))?;
            let recorded: Vec<&str> = r.samples.iter().map(|s| s.sample.as_str()).collect();
            if run.samples != recorded {
                return Err(invalid(
                    &r.dir,
                    format!(
                        "{} lists samples {:?}, stats.json {:?}",
                        inserts_file::FILE_NAME,
                        run.samples,
                        recorded
                    ),
                ));
            }
            if run.molecules.is_some() != (settings.counting == "molecules") && !run.rows.is_empty()
            {
                return Err(invalid(
                    &r.dir,
                    "molecule counts do not match the recorded counting".into(),
                ));
            }
            Ok(run)
        })
        .collect::<Result<_>>()?;

    let per_sample: Vec<&SortedInserts> = runs.iter().flat_map(|r| r.reads.iter()).collect();
    let table = InsertTable::build(&per_sample);
    let hits = gather_hits(&table, &runs);
    let molecules = if settings.counting == "molecules" {
        let counted: Vec<Vec<(u32, u32)>> = runs
            .iter()
            .flat_map(|r| {
                let empty = vec![Vec::new(); r.reads.len()];
                r.molecules.clone().unwrap_or(empty)
            })
            .zip(&table.counts)
            .map(|(m, ids)| {
                ids.iter()
                    .zip(m)
                    .filter(|(_, m)| *m > 0)
                    .map(|(&(id, _), m)| (id, m))
                    .collect()
            })
            .collect();
        Molecules::Counted(counted)
    } else {
        Molecules::None
    };
    drop(per_sample);

    let mut engines: Vec<&str> = recorded.iter().map(|r| r.engine.as_str()).collect();
    engines.sort_unstable();
    engines.dedup();
    let stats = RunStats {
        mirq_version: env!("CARGO_PKG_VERSION").to_string(),
        engine: engines.join(","),
        gpu_adapter: None,
        engine_note: Some(format!(
            "merged from {} directories by mirq merge",
            recorded.len()
        )),
        threads: opts.threads.max(1),
        elapsed_seconds: 0.0,
        unique_inserts: 0,
        reference: first.reference.clone(),
        settings,
        samples: recorded.into_iter().flat_map(|r| r.samples).collect(),
        adapter_detection: None,
    };
    let out = StagedOutputs::new(&opts.outdir)?;
    let data = RunData {
        reference: &reference,
        targets: &targets,
        table: &table,
        hits: &hits,
        molecules,
    };
    finish(out, data, stats, started)
}

/// Every unique insert's hits, taken from the first run that has it (runs
/// made with one reference and settings agree on them).
fn gather_hits(table: &InsertTable, runs: &[RunInserts]) -> FlatHits {
    let mut source: Vec<Option<(u32, u32)>> = vec![None; table.len()];
    for (k, run) in runs.iter().enumerate() {
        let mut g = 0usize;
        for row in 0..run.rows.len() {
            let seq = run.rows.seq(row);
            // rows and table are both sorted, and every row is in the table
            // unless no sample of its run has reads of it
            let (mut lo, mut hi) = (g, table.len());
            while lo < hi {
                let mid = (lo + hi) / 2;
                if table.seq(mid) < seq {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            g = lo;
            if g < table.len() && table.seq(g) == seq && source[g].is_none() {
                source[g] = Some((k as u32, row as u32));
            }
        }
    }
    let mut hits = FlatHits::default();
    for s in source {
        match s {
            Some((k, row)) => hits.push(runs[k as usize].hits.get(row as usize)),
            None => hits.push(&[]),
        }
    }
    hits
}

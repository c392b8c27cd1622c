//! Guard for the built-in artifact list ([`mirq::input::artifacts`]): how
//! many reads that a finished `mirq quant` run assigned to mature miRNAs
//! would an artifact stage take? Each such insert of the run's
//! `inserts.tsv.gz` is aligned to both strands of every built-in oligo with
//! the CPU engine and mirq's default limits (≤ 1 mismatch, ≤ 3
//! non-templated 3' bases); it is taken when its artifact cost (mismatches +
//! non-templated + wildcard bases) is no more than its miRNA cost. Prints one
//! row per run, then the taken reads by oligo and by miRNA.
//!
//! ```sh
//! mirq quant RUN.fastq.gz --mature M --hairpin H --species hsa -o OUT
//! cargo run --release --example artifact_guard -- M H NAME:hsa:OUT [NAME:SPECIES:OUT ...]
//! ```
//! The run's mature and hairpin files and species must be the ones it was
//! quantified with; the mature windows are mirq's defaults (3 and 5 bases).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mirq::align::cpu::CpuEngine;
use mirq::align::{AlignParams, Engine, TargetKind, TargetSet};
use mirq::count::assign::{assign, Assignment};
use mirq::count::ncrna::{cost, MirnaSide};
use mirq::input::artifacts;
use mirq::input::reference::Reference;
use mirq::output::inserts_file;
use mirq::seq::encode;

/// What the artifact stage would take from one run.
#[derive(Default)]
struct Taken {
    mirna_reads: u64,
    taken_reads: u64,
    taken_inserts: u64,
    by_oligo: BTreeMap<String, u64>,
    by_mirna: BTreeMap<String, u64>,
}

fn guard(mature: &Path, hairpin: &Path, species: &str, out: &Path) -> mirq::Result<Taken> {
    let reference = Reference::load(mature, Some(hairpin), species)?;
    let targets = TargetSet::build(&reference, 3, 5);
    let oligos = artifacts::builtin();
    let artifact_targets = TargetSet::from_ncrna(&oligos);
    let run = inserts_file::read(&out.join(inserts_file::FILE_NAME))?;
    let mut reads = vec![0u64; run.rows.len()];
    for sample in &run.reads {
        for &(row, n) in sample {
            reads[row as usize] += n as u64;
        }
    }
    let mut taken = Taken::default();
    let mut candidates = Vec::new();
    for (row, &n) in reads.iter().enumerate() {
        if let MirnaSide::Mature(c) = MirnaSide::of(&targets, run.hits.get(row)) {
            taken.mirna_reads += n;
            candidates.push((row, c));
        }
    }
    let encoded: Vec<Vec<u8>> = candidates
        .iter()
        .map(|&(row, _)| encode(run.rows.seq(row)))
        .collect();
    let views: Vec<&[u8]> = encoded.iter().map(|e| e.as_slice()).collect();
    let hits = CpuEngine.align(&artifact_targets, &views, &AlignParams::default())?;
    for (((row, mirna_cost), art), code) in candidates.iter().zip(&hits).zip(&encoded) {
        let Some(first) = art.first() else { continue };
        if cost(first) > *mirna_cost {
            continue;
        }
        let n = reads[*row];
        taken.taken_reads += n;
        taken.taken_inserts += 1;
        if let TargetKind::Feature { index, .. } =
            artifact_targets.targets[first.target as usize].kind
        {
            *taken
                .by_oligo
                .entry(oligos.features[index].name.clone())
                .or_default() += n;
        }
        if let Assignment::Mature { matures, .. } = assign(&targets, code, run.hits.get(*row)) {
            let names: Vec<&str> = matures
                .iter()
                .map(|&m| reference.matures[m as usize].name.as_str())
                .collect();
            *taken.by_mirna.entry(names.join("/")).or_default() += n;
        }
    }
    Ok(taken)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mature, hairpin, runs @ ..] = args.as_slice() else {
        return Err("usage: artifact_guard MATURE HAIRPIN NAME:SPECIES:OUTDIR ...".into());
    };
    println!("run\tmirna_reads\ttaken_reads\ttaken_pct\ttaken_inserts\toligos\tmirnas");
    for spec in runs {
        let mut parts = spec.splitn(3, ':');
        let (Some(name), Some(species), Some(out)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("{spec}: expected NAME:SPECIES:OUTDIR").into());
        };
        let t = guard(
            Path::new(mature),
            Path::new(hairpin),
            species,
            &PathBuf::from(out),
        )?;
        let pct = 100.0 * t.taken_reads as f64 / (t.mirna_reads.max(1)) as f64;
        let top = |m: &BTreeMap<String, u64>| {
            let mut v: Vec<(&String, &u64)> = m.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            v.iter()
                .take(6)
                .map(|(k, n)| format!("{k}={n}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        println!(
            "{name}\t{}\t{}\t{pct:.3}\t{}\t{}\t{}",
            t.mirna_reads,
            t.taken_reads,
            t.taken_inserts,
            top(&t.by_oligo),
            top(&t.by_mirna)
        );
    }
    Ok(())
}

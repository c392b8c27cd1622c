//! Screening references (`--screen NAME=PATH`): genomes, phages, vectors,
//! spike-in sets or transcriptomes, as FASTA or FASTA.gz files (or a
//! directory of them). Each record is screened on both strands.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::input::reference::{for_each_record, Digest};
use crate::seq::normalize_dna;

/// One record of a screen reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenRecord {
    /// First word of the header.
    pub name: String,
    /// Bases: ACGT and N (other letters become N), upper case, T alphabet.
    pub seq: Vec<u8>,
}

/// A screen reference: its name and records.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScreenReference {
    /// The name given (`ecoli` in `--screen ecoli=PATH`).
    pub name: String,
    /// The FASTA files read.
    pub files: Vec<PathBuf>,
    /// Records, in file order.
    pub records: Vec<ScreenRecord>,
}

impl ScreenReference {
    /// Loads every record of `path` (a FASTA file, plain or gzip, or a
    /// directory of them).
    pub fn load(name: &str, path: &Path) -> Result<Self> {
        let files = crate::input::ncrna::fasta_files(&[path.to_path_buf()])?;
        let mut records = Vec::new();
        for file in &files {
            let input = std::fs::File::open(file).map_err(|err| Error::Io {
                path: file.clone(),
                err,
            })?;
            let reader = std::io::BufReader::new(input);
            for_each_record(reader, file, "empty screen reference file", |_, id, raw| {
                let header = String::from_utf8_lossy(id);
                let name = header.split_whitespace().next().unwrap_or("").to_string();
                let seq = normalize_dna(&raw)
                    .into_iter()
                    .map(|b| match b {
                        b'A' | b'C' | b'G' | b'T' => b,
                        _ => b'N',
                    })
                    .collect();
                records.push(ScreenRecord { name, seq });
                Ok(())
            })?;
        }
        Ok(Self {
            name: name.to_string(),
            files,
            records,
        })
    }

    /// Bases on one strand.
    pub fn bases(&self) -> usize {
        self.records.iter().map(|r| r.seq.len()).sum()
    }

    /// FNV-1a digest of record names and sequences.
    pub fn fingerprint(&self) -> String {
        let mut digest = Digest::default();
        for r in &self.records {
            digest.eat(r.name.as_bytes());
            digest.eat(b"\t");
            digest.eat(&r.seq);
            digest.eat(b"\n");
        }
        digest.hex()
    }

    /// The decoy: every record reversed (not complemented).
    pub fn reversed(&self) -> Self {
        Self {
            name: format!("{}:decoy", self.name),
            files: self.files.clone(),
            records: self
                .records
                .iter()
                .map(|r| ScreenRecord {
                    name: r.name.clone(),
                    seq: r.seq.iter().rev().copied().collect(),
                })
                .collect(),
        }
    }
}

//! Screen references: large DNA sequences (bacterial or phage genomes,
//! contaminant sets) that unassigned inserts are screened against. A FASTA
//! file (plain or gzip), or a directory of them; every record is kept, named
//! by the first word of its header, its sequence on the ACGTN alphabet
//! (upper case, U as T, any other IUPAC code as N).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::input::ncrna::fasta_files;
use crate::input::reference::{for_each_record, Digest};
use crate::seq::normalize_base;

/// One record of a screen reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenRecord {
    /// First word of the header.
    pub name: String,
    /// Sequence: upper-case ACGTN, U as T, other IUPAC codes as N.
    pub seq: Vec<u8>,
}

/// A screen reference: every record of its FASTA files, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenReference {
    /// Name the reference is reported by.
    pub name: String,
    /// The FASTA files read, in order.
    pub files: Vec<PathBuf>,
    /// Records, in file order.
    pub records: Vec<ScreenRecord>,
}

impl ScreenReference {
    /// Loads a FASTA (or FASTA.gz) file, or every FASTA file of a directory
    /// (sorted by name). Errors name the file: one that cannot be read, is
    /// not FASTA, has no record, or has a record without sequence.
    pub fn load(name: &str, path: &Path) -> Result<Self> {
        let option = format!("screen reference '{name}'");
        let files = fasta_files(&[path.to_path_buf()], &option)?;
        let mut records = Vec::new();
        for file in &files {
            read_file(file, &mut records)?;
        }
        Ok(Self {
            name: name.to_string(),
            files,
            records,
        })
    }

    /// A reference of the given records (tests, generated references).
    pub fn from_records(name: &str, records: Vec<ScreenRecord>) -> Self {
        Self {
            name: name.to_string(),
            files: Vec::new(),
            records,
        }
    }

    /// Real bases (not N) on one strand.
    pub fn bases(&self) -> usize {
        self.records
            .iter()
            .map(|r| r.seq.iter().filter(|&&b| b != b'N').count())
            .sum()
    }

    /// FNV-1a 64-bit digest (hex) of every record name and sequence, in
    /// order: equal digests, equal references.
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

    /// The decoy: every record reversed (not complemented), so that it keeps
    /// the base composition and repeats of the reference without its
    /// sequences; named `<name>:decoy`.
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

/// Appends the records of one FASTA file.
fn read_file(path: &Path, records: &mut Vec<ScreenRecord>) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|err| Error::Io {
        path: path.to_path_buf(),
        err,
    })?;
    let empty = "screen reference: empty FASTA file";
    for_each_record(std::io::BufReader::new(file), path, empty, |n, id, raw| {
        let header = String::from_utf8_lossy(id);
        let name = header.split_whitespace().next().unwrap_or("").to_string();
        let seq: Vec<u8> = raw.iter().map(|&b| normalize_base(b)).collect();
        if seq.is_empty() {
            return Err(Error::Reference {
                path: path.to_path_buf(),
                message: format!("record {n} ({name}) has no sequence"),
            });
        }
        records.push(ScreenRecord { name, seq });
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_normalized_and_named_by_their_first_word() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("phage.fa");
        std::fs::write(&path, ">NC_1 a phage\nacgu\nRYKN\n>two\nTTTA\n").unwrap();
        let r = ScreenReference::load("phage", &path).unwrap();
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.records[0].name, "NC_1");
        assert_eq!(r.records[0].seq, b"ACGTNNNN");
        assert_eq!(r.bases(), 8);
        let decoy = r.reversed();
        assert_eq!(decoy.name, "phage:decoy");
        assert_eq!(decoy.records[1].seq, b"ATTT");
        assert_ne!(decoy.fingerprint(), r.fingerprint());
        assert_eq!(decoy.reversed().fingerprint(), r.fingerprint());
    }

    #[test]
    fn bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.fa");
        std::fs::write(&empty, "").unwrap();
        let err = ScreenReference::load("x", &empty).unwrap_err().to_string();
        assert!(err.contains("empty.fa"), "{err}");
        let no_seq = dir.path().join("noseq.fa");
        std::fs::write(&no_seq, ">a\n>b\nACGT\n").unwrap();
        let err = ScreenReference::load("x", &no_seq).unwrap_err().to_string();
        assert!(
            err.contains("noseq.fa") && err.contains("no sequence"),
            "{err}"
        );
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let err = ScreenReference::load("x", &sub).unwrap_err().to_string();
        assert!(err.contains("no FASTA file"), "{err}");
        std::fs::write(sub.join("b.fa"), ">b\nCC\n").unwrap();
        std::fs::write(sub.join("a.fa"), ">a\nGG\n").unwrap();
        let r = ScreenReference::load("x", &sub).unwrap();
        assert_eq!(r.records[0].name, "a");
        assert_eq!(r.files.len(), 2);
    }
}

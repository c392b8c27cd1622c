//! Non-miRNA small-RNA references (`--ncrna`): tRNA, rRNA, snRNA, snoRNA,
//! Y RNA and the rest, one FASTA file per class (plain or gzip, U or T
//! alphabet). A file's name gives its class (`tRNA.fa` → `tRNA`); a
//! directory stands for every FASTA file in it. Each record is one
//! *feature*; features are counted by *group*: the gene name, and for tRNAs
//! the isoacceptor (`tRNA-Gly-GCC-2-1` → `tRNA-Gly-GCC`).
//!
//! Headers may follow the `SPECIES|CLASS|NAME|ID|SOURCE` layout of the
//! human and mouse sets mirq is tested with (the name is then the third
//! field, the species the first); any other header is named by its first
//! word.

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use crate::error::{Error, Result};
use crate::input::names::check_table_name;
use crate::input::reference::{check_record_name, for_each_record, Digest};
use crate::seq::normalize_dna;

/// Classes in the order a read on several of them (at the same cost) goes
/// by: the first listed wins. Classes not listed follow in the order they
/// were loaded, then [`LAST_CLASSES`]. The small, well-defined classes come
/// before snRNA and snoRNA, whose Ensembl sets hold copies of them (RN7SK
/// has the snRNA biotype there).
pub const PRECEDENCE: [&str; 8] = [
    "tRNA", "rRNA", "YRNA", "7SK", "7SL_SRP", "vaultRNA", "snRNA", "snoRNA",
];

/// Classes that lose to every other: unplaced miscellaneous RNAs, then
/// adapter and primer artefacts.
pub const LAST_CLASSES: [&str; 2] = ["misc_other", "artifact"];

/// The row mirq adds to `ncrna_counts.tsv` (reads on ncRNAs antisense
/// only; `ncrna_antisense` in the MultiQC composition): no class may be
/// named so.
pub const ANTISENSE_ROW: &str = "antisense";

/// Class names mirq uses itself, refused as `--ncrna` classes (in any case).
pub const RESERVED_CLASSES: [&str; 1] = [ANTISENSE_ROW];

/// File name endings of FASTA files (a directory's other files are skipped).
const FASTA_ENDINGS: [&str; 8] = [
    ".fa",
    ".fasta",
    ".fna",
    ".fas",
    ".fa.gz",
    ".fasta.gz",
    ".fna.gz",
    ".fas.gz",
];

/// A record's name and sequence.
type NamedSeq = (String, Vec<u8>);

/// One reference sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    /// Record name (the header's NAME field, or its first word).
    pub name: String,
    /// Its group, by index into [`NcrnaReference::groups`].
    pub group: u32,
    /// Sequence, T alphabet, upper case.
    pub seq: Vec<u8>,
}

/// Features counted together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Group name (`tRNA-Gly-GCC`, `RNU2-1`).
    pub name: String,
    /// Its class, by index into [`NcrnaReference::classes`].
    pub class: u16,
}

/// Every class's features, classes in precedence order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NcrnaReference {
    /// Class names, the first taking precedence.
    pub classes: Vec<String>,
    /// Feature groups, by class then first appearance.
    pub groups: Vec<Group>,
    /// Features, by class then file order.
    pub features: Vec<Feature>,
    /// The FASTA files read, in the order given.
    pub files: Vec<PathBuf>,
}

impl NcrnaReference {
    /// Loads every file `paths` name (files, or directories of FASTA files)
    /// for `species` (records whose header names another species are left
    /// out; `all` keeps every record).
    pub fn load(paths: &[PathBuf], species: &str) -> Result<Self> {
        let files = fasta_files(paths, "--ncrna")?;
        let mut by_class: Vec<(String, Vec<NamedSeq>)> = Vec::new();
        for file in &files {
            let class = class_of(file);
            check_class_name(file, &class)?;
            let records = read_class_file(file, species)?;
            match by_class.iter_mut().find(|(c, _)| *c == class) {
                Some((_, all)) => all.extend(records),
                None => by_class.push((class, records)),
            }
        }
        by_class.sort_by_key(|(c, _)| precedence_rank(c));
        let mut reference = Self {
            files,
            ..Self::default()
        };
        let mut group_ids: FxHashMap<(u16, String), u32> = FxHashMap::default();
        for (class, records) in by_class {
            let c = reference.classes.len() as u16;
            let is_trna = class == "tRNA";
            reference.classes.push(class);
            for (name, seq) in records {
                let group_name = group_of(&name, is_trna);
                let next = reference.groups.len() as u32;
                let group = *group_ids
                    .entry((c, group_name.clone()))
                    .or_insert_with(|| next);
                if group == next {
                    reference.groups.push(Group {
                        name: group_name,
                        class: c,
                    });
                }
                reference.features.push(Feature { name, group, seq });
            }
        }
        Ok(reference)
    }

    /// Class of a feature.
    pub fn class_of(&self, feature: usize) -> u16 {
        self.groups[self.features[feature].group as usize].class
    }

    /// Whether class `c` holds tRNAs (whose fragments are told apart).
    pub fn is_trna(&self, c: u16) -> bool {
        self.classes[c as usize] == "tRNA"
    }

    /// FNV-1a 64-bit digest (hex) of every class, feature name and sequence:
    /// equal digests, equal references.
    pub fn fingerprint(&self) -> String {
        let mut digest = Digest::default();
        for f in &self.features {
            let g = &self.groups[f.group as usize];
            digest.eat(self.classes[g.class as usize].as_bytes());
            digest.eat(b"\t");
            digest.eat(f.name.as_bytes());
            digest.eat(b"\t");
            digest.eat(&f.seq);
            digest.eat(b"\n");
        }
        digest.hex()
    }
}

/// Rank of a class in the precedence order (unlisted classes between the
/// listed and the last ones; the sort is stable, so they keep load order).
fn precedence_rank(class: &str) -> usize {
    if let Some(i) = PRECEDENCE.iter().position(|&c| c == class) {
        i
    } else if let Some(i) = LAST_CLASSES.iter().position(|&c| c == class) {
        PRECEDENCE.len() + 1 + i
    } else {
        PRECEDENCE.len()
    }
}

/// The FASTA files `paths` name: files as given, directories expanded to
/// their FASTA files sorted by name; a directory without one is an error
/// naming `option` (the command-line option that gave it).
pub(crate) fn fasta_files(paths: &[PathBuf], option: &str) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|err| Error::Io {
            path: path.clone(),
            err,
        })?;
        if !meta.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path).map_err(|err| Error::Io {
            path: path.clone(),
            err,
        })?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && is_fasta_name(p))
            .collect();
        if found.is_empty() {
            return Err(Error::Reference {
                path: path.clone(),
                message: format!(
                    "{option}: no FASTA file in this directory (expected names ending in {})",
                    FASTA_ENDINGS.join(", ")
                ),
            });
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

fn is_fasta_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    FASTA_ENDINGS.iter().any(|e| name.ends_with(e))
}

/// A file's class: its name less the FASTA and compression endings.
pub fn class_of(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut class = name.as_str();
    for ending in [".gz", ".zst"] {
        class = class.strip_suffix(ending).unwrap_or(class);
    }
    if let Some(dot) = class.rfind('.') {
        if dot > 0 {
            class = &class[..dot];
        }
    }
    class.to_string()
}

/// Refuses a class name (from `path`'s name) that is reserved or would
/// break the tables ([`check_table_name`]).
fn check_class_name(path: &Path, class: &str) -> Result<()> {
    let why = if RESERVED_CLASSES
        .iter()
        .any(|r| r.eq_ignore_ascii_case(class))
    {
        format!("mirq writes an '{ANTISENSE_ROW}' row of its own (reads on ncRNAs antisense only): rename the file")
    } else if let Err(why) = check_table_name(class) {
        format!("{why}; rename the file")
    } else {
        return Ok(());
    };
    Err(Error::Reference {
        path: path.to_path_buf(),
        message: format!(
            "--ncrna: the file names the class '{}', which is not allowed: {why}",
            class.escape_debug()
        ),
    })
}

/// A feature's group: tRNAs by isoacceptor (`[mt-]tRNA-AA-ANTICODON`), the
/// rest by name less a trailing `(...)` note (`5S_rRNA(rRNA)` → `5S_rRNA`).
pub fn group_of(name: &str, is_trna: bool) -> String {
    if is_trna {
        let parts: Vec<&str> = name.split('-').collect();
        let at = parts.iter().position(|p| *p == "tRNA");
        if let Some(i) = at {
            if parts.len() >= i + 3 {
                let anticodon: String = parts[i + 2]
                    .chars()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .take(3)
                    .collect();
                let mut group = parts[..i + 2].join("-");
                group.push('-');
                group.push_str(&anticodon);
                return group;
            }
        }
    }
    match name.find('(') {
        Some(i) if i > 0 => name[..i].to_string(),
        _ => name.to_string(),
    }
}

/// Name and species of a header: `SPECIES|CLASS|NAME|ID|SOURCE` (an empty
/// NAME falls back to ID), else the first word and no species.
fn parse_header(header: &str) -> (String, Option<String>) {
    let first = header.split_whitespace().next().unwrap_or("");
    let fields: Vec<&str> = first.split('|').collect();
    if fields.len() >= 4 {
        let species = fields[0];
        let name = if fields[2].is_empty() {
            fields[3]
        } else {
            fields[2]
        };
        let is_code =
            (2..=4).contains(&species.len()) && species.chars().all(|c| c.is_ascii_lowercase());
        return (name.to_string(), is_code.then(|| species.to_string()));
    }
    (first.to_string(), None)
}

/// The records of one class file kept for `species`.
fn read_class_file(path: &Path, species: &str) -> Result<Vec<NamedSeq>> {
    let wanted: Vec<String> = species
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .collect();
    let keep_all = wanted
        .iter()
        .any(|c| c == crate::input::reference::ALL_SPECIES);
    let file = std::fs::File::open(path).map_err(|err| Error::Io {
        path: path.to_path_buf(),
        err,
    })?;
    let mut kept = Vec::new();
    let mut other_species: FxHashMap<String, usize> = FxHashMap::default();
    let empty = "--ncrna: empty reference file";
    for_each_record(std::io::BufReader::new(file), path, empty, |n, id, raw| {
        let (name, code) = parse_header(&String::from_utf8_lossy(id));
        check_record_name(path, n, &name)?;
        if let Some(code) = code {
            if !keep_all && !wanted.contains(&code) {
                *other_species.entry(code).or_default() += 1;
                return Ok(());
            }
        }
        let seq = normalize_dna(&raw);
        if seq.is_empty() {
            return Err(Error::Reference {
                path: path.to_path_buf(),
                message: format!("record {n} ({name}) has no sequence"),
            });
        }
        kept.push((name, seq));
        Ok(())
    })?;
    if kept.is_empty() {
        let mut codes: Vec<String> = other_species.into_keys().collect();
        codes.sort();
        let message = if codes.is_empty() {
            "--ncrna: no sequence in this file".into()
        } else {
            format!(
                "--ncrna: no record for species '{species}' (its records are {}): give the set of the run's species",
                codes.join(", ")
            )
        };
        return Err(Error::Reference {
            path: path.to_path_buf(),
            message,
        });
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trna_groups_are_isoacceptors() {
        assert_eq!(
            group_of("tRNA-Gly-GCC-2-1_mature_CCA", true),
            "tRNA-Gly-GCC"
        );
        assert_eq!(group_of("mt-tRNA-Ala-TGC_CCA", true), "mt-tRNA-Ala-TGC");
        assert_eq!(group_of("5S_rRNA(rRNA)", false), "5S_rRNA");
        assert_eq!(group_of("RNU2-1", false), "RNU2-1");
    }

    #[test]
    fn headers_give_name_and_species() {
        assert_eq!(
            parse_header("hsa|snRNA||ENST00000616025.1|RNA-SPRITE"),
            ("ENST00000616025.1".into(), Some("hsa".into()))
        );
        assert_eq!(
            parse_header("URS0000 Homo sapiens 5S rRNA"),
            ("URS0000".into(), None)
        );
    }

    #[test]
    fn classes_follow_the_precedence_order() {
        let mut classes = vec!["artifact", "piRNA", "snoRNA", "tRNA", "misc_other"];
        classes.sort_by_key(|c| precedence_rank(c));
        assert_eq!(
            classes,
            vec!["tRNA", "snoRNA", "piRNA", "misc_other", "artifact"]
        );
        let mut classes = vec!["snRNA", "7SK", "YRNA"];
        classes.sort_by_key(|c| precedence_rank(c));
        assert_eq!(classes, vec!["YRNA", "7SK", "snRNA"]);
        assert_eq!(class_of(Path::new("x/7SL_SRP.fa.gz")), "7SL_SRP");
    }

    #[test]
    fn wrong_species_file_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tRNA.fa");
        std::fs::write(&path, ">mmu|tRNA|tRNA-Gly-GCC-1-1|x|y\nGCATTGGTGG\n").unwrap();
        let err = NcrnaReference::load(&[path], "hsa")
            .unwrap_err()
            .to_string();
        assert!(err.contains("tRNA.fa") && err.contains("mmu"), "{err}");
    }
}

//! miRBase-style references: mature and hairpin FASTA (plain or gzip, U or T
//! alphabet), filtered by species code, with each mature sequence located in
//! the hairpins that contain it.

use std::path::Path;

use needletail::errors::ParseErrorKind;
use needletail::parse_fastx_reader;
use rustc_hash::FxHashMap;

use crate::error::{Error, Result};
use crate::seq::normalize_dna;

/// One named sequence of the reference (DNA alphabet, upper case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefSeq {
    /// First word of the FASTA header (`hsa-miR-16-5p`).
    pub name: String,
    /// Sequence, T alphabet.
    pub seq: Vec<u8>,
}

impl RefSeq {
    /// A record from a name and its bases (as given: no normalisation).
    pub fn new(name: &str, seq: impl AsRef<[u8]>) -> Self {
        Self {
            name: name.into(),
            seq: seq.as_ref().to_vec(),
        }
    }
}

/// A mature sequence found inside a hairpin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Index into [`Reference::hairpins`].
    pub hairpin: usize,
    /// Index into [`Reference::matures`].
    pub mature: usize,
    /// 0-based start of the mature sequence in the hairpin.
    pub start: usize,
}

/// The species' matures and hairpins.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    /// Species code (`hsa`).
    pub species: String,
    /// Mature miRNAs, in file order, one per name.
    pub matures: Vec<RefSeq>,
    /// Hairpins (precursors), in file order; empty in mature-only mode.
    pub hairpins: Vec<RefSeq>,
    /// Where each mature sits in the hairpins (a mature may sit in several).
    pub locations: Vec<Location>,
}

/// Every record of a run's mature and hairpin files, all species (read once
/// for the other species' miRNAs and the species fit).
#[derive(Debug, Clone, Default)]
pub struct AllSpecies {
    /// Matures, in file order, one per name.
    pub matures: Vec<RefSeq>,
    /// Hairpins, in file order, one per name (none without a hairpin file).
    pub hairpins: Vec<RefSeq>,
}

impl AllSpecies {
    /// Reads both files (side by side).
    pub fn read(mature: &Path, hairpin: Option<&Path>) -> Result<Self> {
        let (matures, hairpins) =
            rayon::join(|| read_all(mature), || hairpin.map(read_all).transpose());
        Ok(Self {
            matures: matures?,
            hairpins: hairpins?.unwrap_or_default(),
        })
    }
}

/// The species code of the other species' miRNAs ([`Reference::load_foreign`]).
pub const FOREIGN_SPECIES: &str = "foreign";

/// A record's species code: its name up to the first `-`, lower case
/// (`hsa-miR-16-5p` → `hsa`).
pub fn species_code(name: &str) -> String {
    name.split('-').next().unwrap_or("").to_ascii_lowercase()
}

/// The species code that stands for every record of the reference files.
pub const ALL_SPECIES: &str = "all";

impl Reference {
    /// Loads matures (required) and hairpins (optional) of one species, or
    /// of every species for `all` (see [`Self::load_all`]).
    pub fn load(mature: &Path, hairpin: Option<&Path>, species: &str) -> Result<Self> {
        if species == ALL_SPECIES {
            return Self::load_all(mature, hairpin);
        }
        let matures = read_species(mature, species)?;
        let hairpins = match hairpin {
            Some(h) => read_species(h, species)?,
            None => Vec::new(),
        };
        check_shapes(mature, &matures, hairpin, &hairpins)?;
        Ok(Self::from_sequences(species, matures, hairpins))
    }

    /// Loads every record of the mature and (optional) hairpin files, all
    /// species together, as species `all`: the stress reference of
    /// `mirq bench --species all` (and `mirq quant --species all`).
    pub fn load_all(mature: &Path, hairpin: Option<&Path>) -> Result<Self> {
        let matures = read_all(mature)?;
        let hairpins = match hairpin {
            Some(h) => read_all(h)?,
            None => Vec::new(),
        };
        check_shapes(mature, &matures, hairpin, &hairpins)?;
        Ok(Self::from_sequences(ALL_SPECIES, matures, hairpins))
    }

    /// The other species' matures and hairpins of the files: every record
    /// whose species code is not among `species` (comma-separated), as
    /// species `foreign`; None when the files hold no other species' matures.
    pub fn foreign_of(all: &AllSpecies, species: &str) -> Option<Self> {
        let own: Vec<String> = species
            .split(',')
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        let foreign = |records: &[RefSeq]| -> Vec<RefSeq> {
            records
                .iter()
                .filter(|r| !own.contains(&species_code(&r.name)))
                .cloned()
                .collect()
        };
        let matures = foreign(&all.matures);
        if matures.is_empty() {
            return None;
        }
        let hairpins = foreign(&all.hairpins);
        Some(Self::from_sequences(FOREIGN_SPECIES, matures, hairpins))
    }

    /// Builds a reference from sequences already in memory.
    pub fn from_sequences(species: &str, matures: Vec<RefSeq>, hairpins: Vec<RefSeq>) -> Self {
        let locations = locate_matures(&matures, &hairpins);
        Self {
            species: species.to_string(),
            matures,
            hairpins,
            locations,
        }
    }

    /// FNV-1a 64-bit digest (hex) of the species code and every mature and
    /// hairpin name and sequence, in order: equal digests, equal references.
    pub fn fingerprint(&self) -> String {
        let mut digest = Digest::default();
        digest.eat(self.species.as_bytes());
        for (tag, seqs) in [
            (&b"#mature"[..], &self.matures),
            (b"#hairpin", &self.hairpins),
        ] {
            digest.eat(tag);
            for r in seqs {
                digest.eat(b"\n");
                digest.eat(r.name.as_bytes());
                digest.eat(b"\t");
                digest.eat(&r.seq);
            }
        }
        digest.hex()
    }

    /// Matures holding letters other than ACGT/U (IUPAC codes): at those
    /// positions no read base matches, so they cost a mismatch each. Said
    /// on stderr by the commands, by name.
    pub fn ambiguous_matures(&self) -> Vec<&str> {
        self.matures
            .iter()
            .filter(|m| {
                m.seq
                    .iter()
                    .any(|&b| !matches!(b, b'A' | b'C' | b'G' | b'T'))
            })
            .map(|m| m.name.as_str())
            .collect()
    }

    /// Matures not found in any hairpin (they are searched on their own).
    pub fn unplaced_matures(&self) -> Vec<usize> {
        let mut placed = vec![false; self.matures.len()];
        for l in &self.locations {
            placed[l.mature] = true;
        }
        (0..self.matures.len()).filter(|&i| !placed[i]).collect()
    }
}

/// Reads the records of `species` (name prefix `<species>-`, any case; a
/// comma-separated list such as `hsa,ebv` for several) from a
/// FASTA file. A name seen before with the same sequence is dropped; with
/// another sequence it is an error.
pub fn read_species(path: &Path, species: &str) -> Result<Vec<RefSeq>> {
    let file = std::fs::File::open(path).map_err(|err| Error::Io {
        path: path.to_path_buf(),
        err,
    })?;
    read_species_from(std::io::BufReader::new(file), path, species)
}

/// [`read_species`] from any reader; `path` names it in errors.
pub fn read_species_from(
    input: impl std::io::Read + Send,
    path: &Path,
    species: &str,
) -> Result<Vec<RefSeq>> {
    read_records_from(input, path, Some(species))
}

/// Reads every record of a FASTA file, whatever its species (the
/// all-species stress reference of `mirq bench --species all`). Names are
/// unique as in [`read_species`].
pub fn read_all(path: &Path) -> Result<Vec<RefSeq>> {
    let file = std::fs::File::open(path).map_err(|err| Error::Io {
        path: path.to_path_buf(),
        err,
    })?;
    read_records_from(std::io::BufReader::new(file), path, None)
}

/// The records of `species`, or every record when `species` is `None`.
fn read_records_from(
    input: impl std::io::Read + Send,
    path: &Path,
    species: Option<&str>,
) -> Result<Vec<RefSeq>> {
    // `hsa,ebv`: every species listed
    let codes_wanted: Option<Vec<String>> = species.map(|s| {
        s.split(',')
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty())
            .collect()
    });
    let mut kept = Vec::new();
    // name -> (record number, index in `kept`)
    let mut seen: FxHashMap<String, (usize, usize)> = FxHashMap::default();
    let mut codes: FxHashMap<String, usize> = FxHashMap::default();
    let mut records = 0usize;
    for_each_record(input, path, "empty reference file", |n, id, raw| {
        records = n;
        let header = String::from_utf8_lossy(id);
        let name = header.split_whitespace().next().unwrap_or("").to_string();
        let code = name.split('-').next().unwrap_or("").to_ascii_lowercase();
        *codes.entry(code.clone()).or_default() += 1;
        let wanted = match &codes_wanted {
            Some(list) => list.contains(&code),
            None => true,
        };
        if !wanted {
            return Ok(());
        }
        let seq = normalize_dna(&raw);
        if let Some(&(first, at)) = seen.get(&name) {
            let same: &RefSeq = &kept[at];
            if same.seq != seq {
                return Err(Error::Reference {
                    path: path.to_path_buf(),
                    message: format!(
                        "'{name}' names two different sequences (records {first} and {n}): names must be unique"
                    ),
                });
            }
            return Ok(()); // the same record twice
        }
        seen.insert(name.clone(), (n, kept.len()));
        kept.push(RefSeq { name, seq });
        Ok(())
    })?;
    if records == 0 {
        return Err(Error::Reference {
            path: path.to_path_buf(),
            message: "no FASTA record".into(),
        });
    }
    if let Some(e) = species_missing(path, species, codes_wanted.as_deref(), &codes, &kept) {
        return Err(e);
    }
    Ok(kept)
}

/// FNV-1a 64-bit digest of the bytes eaten, in order: the references'
/// fingerprints (recorded in stats.json, checked by `mirq merge`).
pub(crate) struct Digest(u64);

impl Default for Digest {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Digest {
    /// Adds bytes.
    pub(crate) fn eat(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// The digest as 16 hex digits.
    pub(crate) fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

/// Calls `each(record number, id, sequence)` for every record of a FASTA
/// stream (plain or gzip), in order, 1-based; errors name `path`: an empty
/// stream (`empty`), one that is not FASTA, a malformed record.
pub(crate) fn for_each_record(
    input: impl std::io::Read + Send,
    path: &Path,
    empty: &str,
    mut each: impl FnMut(usize, &[u8], std::borrow::Cow<[u8]>) -> Result<()>,
) -> Result<()> {
    let mut reader = match parse_fastx_reader(input) {
        Ok(r) => r,
        Err(e) if e.kind == ParseErrorKind::EmptyFile => {
            return Err(Error::Reference {
                path: path.to_path_buf(),
                message: empty.into(),
            })
        }
        Err(e) => {
            return Err(Error::Parse {
                path: path.to_path_buf(),
                message: format!("not a FASTA file: {e}"),
            })
        }
    };
    let mut records = 0usize;
    while let Some(rec) = reader.next() {
        let rec = rec.map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            message: format!("malformed FASTA after record {records}: {e}"),
        })?;
        records += 1;
        each(records, rec.id(), rec.seq())?;
    }
    Ok(())
}

/// The error for a species asked for with no record (or no record kept),
/// naming the species codes the file has.
fn species_missing(
    path: &Path,
    species: Option<&str>,
    wanted: Option<&[String]>,
    codes: &FxHashMap<String, usize>,
    kept: &[RefSeq],
) -> Option<Error> {
    let missing = wanted
        .into_iter()
        .flatten()
        .find(|c| !codes.contains_key(c.as_str()));
    if !kept.is_empty() && missing.is_none() {
        return None;
    }
    let mut known: Vec<(&String, &usize)> = codes.iter().collect();
    known.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let examples: Vec<&str> = known.iter().take(8).map(|(c, _)| c.as_str()).collect();
    Some(Error::UnknownSpecies {
        path: path.to_path_buf(),
        species: missing
            .cloned()
            .unwrap_or_else(|| species.unwrap_or_default().to_string()),
        examples: examples.join(", "),
    })
}

/// Matures longer than this (median) are hairpins given as `--mature`.
const MATURE_MEDIAN_MAX: usize = 40;
/// Hairpins shorter than this (median) are matures given as `--hairpin`.
const HAIRPIN_MEDIAN_MIN: usize = 40;

/// Refuses files given in the wrong place (hairpins as `--mature`, matures
/// as `--hairpin`, the two swapped) and matures with no base.
fn check_shapes(
    mature: &Path,
    matures: &[RefSeq],
    hairpin: Option<&Path>,
    hairpins: &[RefSeq],
) -> Result<()> {
    let median = |seqs: &[RefSeq]| {
        let mut lens: Vec<usize> = seqs.iter().map(|s| s.seq.len()).collect();
        lens.sort_unstable();
        lens.get(lens.len() / 2).copied().unwrap_or(0)
    };
    let wrong = |path: &Path, message: String| Error::Reference {
        path: path.to_path_buf(),
        message,
    };
    let m = median(matures);
    if m > MATURE_MEDIAN_MAX {
        return Err(wrong(
            mature,
            format!(
                "given as --mature, but its records look like hairpins (median length {m} nt; matures are ~22): give miRBase mature.fa as --mature and hairpin.fa as --hairpin"
            ),
        ));
    }
    if matures.iter().all(|r| r.seq.is_empty()) {
        return Err(wrong(mature, "no mature miRNA has a sequence".into()));
    }
    if let Some(path) = hairpin {
        let h = median(hairpins);
        if h < HAIRPIN_MEDIAN_MIN {
            return Err(wrong(
                path,
                format!(
                    "given as --hairpin, but its records look like matures (median length {h} nt; hairpins are ~60-120): give miRBase hairpin.fa as --hairpin"
                ),
            ));
        }
    }
    Ok(())
}

/// Every exact occurrence of every mature in every hairpin, ordered by
/// (hairpin, start, mature).
pub fn locate_matures(matures: &[RefSeq], hairpins: &[RefSeq]) -> Vec<Location> {
    let k = matures
        .iter()
        .map(|m| m.seq.len())
        .filter(|&l| l > 0)
        .min()
        .unwrap_or(0)
        .min(12);
    let mut out = Vec::new();
    if k == 0 {
        return out;
    }
    let mut by_prefix: FxHashMap<&[u8], Vec<usize>> = FxHashMap::default();
    for (i, m) in matures.iter().enumerate() {
        if m.seq.len() >= k {
            by_prefix.entry(&m.seq[..k]).or_default().push(i);
        }
    }
    for (h, hp) in hairpins.iter().enumerate() {
        for start in 0..hp.seq.len().saturating_sub(k - 1) {
            if let Some(list) = by_prefix.get(&hp.seq[start..start + k]) {
                for &m in list {
                    if hp.seq[start..].starts_with(&matures[m].seq) {
                        out.push(Location {
                            hairpin: h,
                            mature: m,
                            start,
                        });
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn seq(name: &str, s: &str) -> RefSeq {
        RefSeq::new(name, s)
    }

    #[test]
    fn mature_in_two_hairpins_is_located_twice() {
        let m = vec![seq("hsa-miR-16-5p", "TAGCAGCACGTAAATATTGGCG")];
        let h = vec![
            seq(
                "hsa-mir-16-1",
                "GTCAGCAGTGCCTTAGCAGCACGTAAATATTGGCGTTAAGATTC",
            ),
            seq("hsa-mir-16-2", "GTTCCACTCTAGCAGCACGTAAATATTGGCGTAGTGAAATAT"),
        ];
        let r = Reference::from_sequences("hsa", m, h);
        assert_eq!(
            r.locations,
            vec![
                Location {
                    hairpin: 0,
                    mature: 0,
                    start: 13
                },
                Location {
                    hairpin: 1,
                    mature: 0,
                    start: 9
                }
            ]
        );
        assert!(r.unplaced_matures().is_empty());
    }

    #[test]
    fn species_filter_reads_u_alphabet_and_reports_unknown_codes() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, ">hsa-miR-1 MIMAT1 Homo sapiens\nuggaauguaaagaaguauguau\n>mmu-miR-1 MIMAT2\nUGGAAUGUAAAGAAGUAUGUAU\n>mmu-miR-2 x\nACGU").unwrap();
        let hsa = read_species(f.path(), "hsa").unwrap();
        assert_eq!(hsa.len(), 1);
        assert_eq!(hsa[0].seq, b"TGGAATGTAAAGAAGTATGTAT".to_vec());
        let all = read_all(f.path()).unwrap();
        let names: Vec<&str> = all.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["hsa-miR-1", "mmu-miR-1", "mmu-miR-2"]);
        assert_eq!(all[2].seq, b"ACGT".to_vec());
        let e = read_species(f.path(), "xyz").unwrap_err().to_string();
        assert!(
            e.contains("'xyz'") && e.contains("mmu") && e.contains("hsa"),
            "{e}"
        );
    }
}

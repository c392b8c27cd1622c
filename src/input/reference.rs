//! miRBase-style references: mature and hairpin FASTA (plain or gzip, U or T
//! alphabet), filtered by species code, with each mature sequence located in
//! the hairpins that contain it. Records shorter than [`MIN_RECORD_LEN`]
//! are left out and listed ([`ShortRecord`]); the commands say so.

use std::path::{Path, PathBuf};

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

/// Mature and hairpin records shorter than this are left out (and said):
/// no miRNA is that short (miRBase 21 and 22's shortest mature has 15 nt),
/// and it is the prefix by which matures are located in the hairpins.
pub const MIN_RECORD_LEN: usize = 12;

/// A record left out for being shorter than [`MIN_RECORD_LEN`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortRecord {
    /// The file that holds it.
    pub path: PathBuf,
    /// Its record number in the file, 1-based.
    pub record: usize,
    /// Its name.
    pub name: String,
    /// Its length, in bases.
    pub len: usize,
}

impl ShortRecord {
    /// The warning for the records of one reference left out (None when
    /// there is none): how many, in which files, the first few by name.
    pub fn warning(short: &[ShortRecord]) -> Option<String> {
        short.first()?;
        let mut files: Vec<String> = short.iter().map(|r| r.path.display().to_string()).collect();
        files.dedup();
        let shown: Vec<String> = short
            .iter()
            .take(3)
            .map(|r| {
                format!(
                    "record {} '{}', {} nt",
                    r.record,
                    r.name.escape_debug(),
                    r.len
                )
            })
            .collect();
        Some(format!(
            "mirq: WARNING: skipped {} reference record{} shorter than {MIN_RECORD_LEN} nt in {} ({}{}): no miRNA is that short",
            short.len(),
            if short.len() == 1 { "" } else { "s" },
            if files.len() == 1 { files[0].clone() } else { files.join(", ") },
            shown.join("; "),
            if short.len() > shown.len() { "; ..." } else { "" },
        ))
    }
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
    /// The files' records of the species left out as too short.
    pub short: Vec<ShortRecord>,
}

/// Every record of a run's mature and hairpin files, all species (read once
/// for the other species' miRNAs and the species fit).
#[derive(Debug, Clone, Default)]
pub struct AllSpecies {
    /// Matures, in file order, one per name.
    pub matures: Vec<RefSeq>,
    /// Hairpins, in file order, one per name (none without a hairpin file).
    pub hairpins: Vec<RefSeq>,
    /// Records left out as too short.
    pub short: Vec<ShortRecord>,
}

impl AllSpecies {
    /// Reads both files (side by side).
    pub fn read(mature: &Path, hairpin: Option<&Path>) -> Result<Self> {
        let (matures, hairpins) =
            rayon::join(|| read_all(mature), || hairpin.map(read_all).transpose());
        let (matures, mut short) = matures?;
        let (hairpins, short_hairpins) = hairpins?.unwrap_or_default();
        short.extend(short_hairpins);
        Ok(Self {
            matures,
            hairpins,
            short,
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
        let (matures, mut short) = read_species(mature, species)?;
        let (hairpins, short_hairpins) = match hairpin {
            Some(h) => read_species(h, species)?,
            None => Default::default(),
        };
        short.extend(short_hairpins);
        check_shapes(mature, &matures, hairpin, &hairpins)?;
        Ok(Self {
            short,
            ..Self::from_sequences(species, matures, hairpins)
        })
    }

    /// Loads every record of the mature and (optional) hairpin files, all
    /// species together, as species `all`: the stress reference of
    /// `mirq bench --species all` (and `mirq quant --species all`).
    pub fn load_all(mature: &Path, hairpin: Option<&Path>) -> Result<Self> {
        let (matures, mut short) = read_all(mature)?;
        let (hairpins, short_hairpins) = match hairpin {
            Some(h) => read_all(h)?,
            None => Default::default(),
        };
        short.extend(short_hairpins);
        check_shapes(mature, &matures, hairpin, &hairpins)?;
        Ok(Self {
            short,
            ..Self::from_sequences(ALL_SPECIES, matures, hairpins)
        })
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
            short: Vec::new(),
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
/// FASTA file, and those left out as shorter than [`MIN_RECORD_LEN`]. A
/// name seen before with the same sequence is dropped; with another
/// sequence it is an error; so is a name with a control character.
pub fn read_species(path: &Path, species: &str) -> Result<Records> {
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
) -> Result<Records> {
    read_records_from(input, path, Some(species))
}

/// Reads every record of a FASTA file, whatever its species (the
/// all-species stress reference of `mirq bench --species all`). Names are
/// unique as in [`read_species`].
pub fn read_all(path: &Path) -> Result<Records> {
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
) -> Result<Records> {
    // `hsa,ebv`: every species listed
    let codes_wanted: Option<Vec<String>> = species.map(|s| {
        s.split(',')
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty())
            .collect()
    });
    let mut kept = Vec::new();
    let mut short = Vec::new();
    // name -> (record number, index in `kept`)
    let mut seen: FxHashMap<String, (usize, usize)> = FxHashMap::default();
    let mut codes: FxHashMap<String, usize> = FxHashMap::default();
    let mut records = 0usize;
    for_each_record(input, path, "empty reference file", |n, id, raw| {
        records = n;
        let header = String::from_utf8_lossy(id);
        let name = header.split_whitespace().next().unwrap_or("").to_string();
        check_record_name(path, n, &name)?;
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
        if seq.len() < MIN_RECORD_LEN {
            short.push(ShortRecord {
                path: path.to_path_buf(),
                record: n,
                name,
                len: seq.len(),
            });
            return Ok(());
        }
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
    if kept.is_empty() && !short.is_empty() {
        return Err(Error::Reference {
            path: path.to_path_buf(),
            message: format!(
                "every record{} is shorter than {MIN_RECORD_LEN} nt",
                species.map_or(String::new(), |s| format!(" of species '{s}'"))
            ),
        });
    }
    if let Some(e) = species_missing(path, species, codes_wanted.as_deref(), &codes, &kept) {
        return Err(e);
    }
    Ok((kept, short))
}

/// Records kept, and those left out as too short.
pub type Records = (Vec<RefSeq>, Vec<ShortRecord>);

/// Refuses a record name that would break the tables it names a row of:
/// empty, or holding a control character.
pub(crate) fn check_record_name(path: &Path, record: usize, name: &str) -> Result<()> {
    let why = if name.is_empty() {
        "has no name"
    } else if name.chars().any(char::is_control) {
        "has a control character in its name"
    } else {
        return Ok(());
    };
    Err(Error::Reference {
        path: path.to_path_buf(),
        message: format!("record {record} ('{}') {why}", name.escape_debug()),
    })
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
    if matures.is_empty() {
        return Err(wrong(
            mature,
            format!("no mature miRNA of at least {MIN_RECORD_LEN} nt"),
        ));
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
/// (hairpin, start, mature). Matures are looked up by their first
/// [`MIN_RECORD_LEN`] bases (all of a shorter one's), one table per prefix
/// length: a short mature never widens the lookup of the others (a single
/// 1-nt mature once made every hairpin position compare against a quarter
/// of all matures, hours for all of miRBase).
pub fn locate_matures(matures: &[RefSeq], hairpins: &[RefSeq]) -> Vec<Location> {
    let mut by_prefix: Vec<FxHashMap<&[u8], Vec<usize>>> =
        vec![FxHashMap::default(); MIN_RECORD_LEN + 1];
    for (i, m) in matures.iter().enumerate() {
        let k = m.seq.len().min(MIN_RECORD_LEN);
        if k > 0 {
            by_prefix[k].entry(&m.seq[..k]).or_default().push(i);
        }
    }
    let lengths: Vec<usize> = (1..=MIN_RECORD_LEN)
        .filter(|&k| !by_prefix[k].is_empty())
        .collect();
    let mut out = Vec::new();
    for (h, hp) in hairpins.iter().enumerate() {
        for start in 0..hp.seq.len() {
            for &k in lengths.iter().take_while(|&&k| start + k <= hp.seq.len()) {
                let Some(list) = by_prefix[k].get(&hp.seq[start..start + k]) else {
                    continue;
                };
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
    // several prefix lengths at one start give their matures out of order
    if lengths.len() > 1 {
        out.sort_unstable_by_key(|l| (l.hairpin, l.start, l.mature));
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

    /// A 1-nt mature among others is located where it is, and the others
    /// are located by their 12-nt prefix as without it.
    #[test]
    fn a_short_mature_does_not_change_the_others_locations() {
        let long = seq("hsa-miR-16-5p", "TAGCAGCACGTAAATATTGGCG");
        let h = vec![seq(
            "hsa-mir-16-1",
            "GTCAGCAGTGCCTTAGCAGCACGTAAATATTGGCGTTAAGATTC",
        )];
        let alone = locate_matures(std::slice::from_ref(&long), &h);
        let with_short = locate_matures(&[seq("x-1", "A"), long.clone()], &h);
        let long_hits: Vec<usize> = with_short
            .iter()
            .filter(|l| l.mature == 1)
            .map(|l| l.start)
            .collect();
        assert_eq!(long_hits, alone.iter().map(|l| l.start).collect::<Vec<_>>());
        let a_hits = with_short.iter().filter(|l| l.mature == 0).count();
        assert_eq!(a_hits, h[0].seq.iter().filter(|&&b| b == b'A').count());
        assert!(with_short
            .windows(2)
            .all(|w| (w[0].hairpin, w[0].start, w[0].mature)
                < (w[1].hairpin, w[1].start, w[1].mature)));
    }

    #[test]
    fn record_names_with_control_characters_are_refused() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, ">hsa-miR-1\u{1b}[31m x\nUGGAAUGUAAAGAAGUAUGUAU").unwrap();
        let e = read_all(f.path()).unwrap_err().to_string();
        assert!(
            e.contains("record 1") && e.contains("control character"),
            "{e}"
        );
    }

    #[test]
    fn species_filter_reads_u_alphabet_and_reports_unknown_codes() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, ">hsa-miR-1 MIMAT1 Homo sapiens\nuggaauguaaagaaguauguau\n>mmu-miR-1 MIMAT2\nUGGAAUGUAAAGAAGUAUGUAU\n>mmu-miR-2 x\nACGU").unwrap();
        let (hsa, _) = read_species(f.path(), "hsa").unwrap();
        assert_eq!(hsa.len(), 1);
        assert_eq!(hsa[0].seq, b"TGGAATGTAAAGAAGTATGTAT".to_vec());
        let (all, short) = read_all(f.path()).unwrap();
        assert_eq!(
            short,
            [ShortRecord {
                path: f.path().to_path_buf(),
                record: 3,
                name: "mmu-miR-2".into(),
                len: 4
            }]
        );
        let names: Vec<&str> = all.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["hsa-miR-1", "mmu-miR-1"]);
        let e = read_species(f.path(), "xyz").unwrap_err().to_string();
        assert!(
            e.contains("'xyz'") && e.contains("mmu") && e.contains("hsa"),
            "{e}"
        );
    }
}

//! Does a sample's miRNA content fit the species it is quantified as? The
//! evidence is the reads whose first 20 nt equal the first 20 nt of a mature
//! miRNA of one species and occur nowhere in another species' miRBase
//! sequences (hairpins and matures): a difference inside the mature, not at
//! its annotated ends, so identical miRNAs (let-7a in human and mouse) and
//! boundaries that miRBase annotates differently between species say
//! nothing.
//!
//! Per sample, the best-fitting other species Y has the most reads on
//! 20-mers that are Y mature starts and absent from the given species X;
//! against it stand X's reads on X mature starts absent from Y. The verdict
//! ([`SpeciesVerdict`]) weighs the two with [`MIN_READS`], [`MIN_KEYS`] and
//! [`RATIO`]. README "Species fit and clades" has the figures of the real
//! runs the rule was calibrated on.

use std::path::Path;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::input::reference::{for_each_record, species_code, AllSpecies};
use crate::numbers::thousands;
use crate::prep::collapse::InsertTable;
use crate::seq::{encode_base, normalize_dna};

/// Length of the read prefix compared with mature starts (miRTrace's 20).
pub const KEY_LEN: usize = 20;
/// Fewest reads on the other species' evidence for a warning, and fewest
/// reads of evidence (both species together) for any verdict but
/// [`SpeciesVerdict::TooFewReads`].
pub const MIN_READS: u64 = 10;
/// Fewest distinct 20-nt prefixes on the other species' evidence for a
/// warning (one abundant fragment that happens to equal some species'
/// mature start is not a species).
pub const MIN_KEYS: u64 = 3;
/// The other species' reads must be at least `RATIO` times the given
/// species' reads against it for [`SpeciesVerdict::OtherSpecies`], and at
/// least 1/`RATIO` of them for [`SpeciesVerdict::Mixed`].
pub const RATIO: u64 = 4;

/// What a sample's reads say about its species.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpeciesVerdict {
    /// The given species fits: little or no evidence of another one.
    Fits,
    /// Both fit: the other species' evidence is at least 1/[`RATIO`] of the
    /// given species' (a mixed sample, or a virus with its host).
    Mixed,
    /// Another species fits [`RATIO`] times better.
    OtherSpecies,
    /// Fewer than [`MIN_READS`] reads of evidence either way.
    TooFewReads,
}

impl SpeciesVerdict {
    /// The word written in tables (`fits`, `mixed`, `other_species`,
    /// `too_few_reads`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fits => "fits",
            Self::Mixed => "mixed",
            Self::OtherSpecies => "other_species",
            Self::TooFewReads => "too_few_reads",
        }
    }
}

/// One sample's species fit (stored in stats.json).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeciesFit {
    /// The species given (`hsa`, or `hsa,ebv`: host first).
    pub species: String,
    /// Reads whose insert has at least 20 nt, none of them N (the reads
    /// looked at).
    pub reads_checked: u64,
    /// The given species' reads on its mature starts that are absent from
    /// `other_species` (from every other species' matures and hairpins
    /// when there is none).
    pub species_reads: u64,
    /// Distinct 20-nt prefixes behind `species_reads`.
    pub species_keys: u64,
    /// The other species with the most reads on its own mature starts that
    /// are absent from the given species; `None` when no read is on one.
    pub other_species: Option<String>,
    /// Its reads.
    pub other_reads: u64,
    /// Distinct 20-nt prefixes behind `other_reads`.
    pub other_keys: u64,
    /// The verdict.
    pub verdict: SpeciesVerdict,
}

impl SpeciesFit {
    /// The warning for `sample` (without the `mirq: ` prefix) when another
    /// species fits better or as well; `None` when the given species fits
    /// or the evidence is too thin.
    pub fn warning(&self, sample: &str) -> Option<String> {
        let other = self.other_species.as_deref()?;
        let host = self.species.split(',').next().unwrap_or(&self.species);
        let evidence = format!(
            "{} reads on {} 20-nt {other} mature starts absent from {}, {} on {} {} ones absent from {other}",
            thousands(self.other_reads),
            thousands(self.other_keys),
            self.species,
            thousands(self.species_reads),
            thousands(self.species_keys),
            self.species,
        );
        match self.verdict {
            SpeciesVerdict::OtherSpecies => {
                // the host replaced, the other codes (a virus) kept
                let mut codes: Vec<&str> = self.species.split(',').collect();
                codes[0] = other;
                Some(format!(
                    "WARNING: {sample}: the reads fit {other} better than {host} ({evidence}): to quantify them as {other}, use --species {}",
                    codes.join(",")
                ))
            }
            SpeciesVerdict::Mixed => Some(format!(
                "WARNING: {sample}: the reads fit both {} and {other} ({evidence}): a mixed sample? To count both, use --species {},{other}",
                self.species, self.species
            )),
            SpeciesVerdict::Fits | SpeciesVerdict::TooFewReads => None,
        }
    }
}

/// `key` entries at or above this are the given species' mature starts.
const GIVEN: u32 = 1 << 31;

/// The 20-nt mature starts of every species in miRBase's all-species files,
/// keyed for the species fit of one run's species.
#[derive(Debug)]
pub struct SpeciesPanel {
    /// The given species' codes, host first (`hsa,ebv`).
    given: String,
    /// The other species' codes, by id.
    species: Vec<String>,
    /// 2-bit-packed 20-mer to its entry: an other-species key index below
    /// [`GIVEN`], a given-species key index ORed with it otherwise.
    keys: FxHashMap<u64, u32>,
    /// Other-species key `i` holds species `other_ids[other_at[i]..other_at[i + 1]]`.
    other_at: Vec<u32>,
    other_ids: Vec<u16>,
    /// Given-species key `i` occurs in the matures or hairpins of species
    /// `shared_ids[shared_at[i]..shared_at[i + 1]]` (sorted): no evidence
    /// against them.
    shared_at: Vec<u32>,
    shared_ids: Vec<u16>,
}

/// The 2-bit-packed first [`KEY_LEN`] bases, `None` when shorter or when
/// one is not ACGT/U.
#[inline]
pub fn key20(seq: &[u8]) -> Option<u64> {
    let head = seq.get(..KEY_LEN)?;
    let mut key = 0u64;
    for &b in head {
        let c = encode_base(b);
        if c > 3 {
            return None;
        }
        key = (key << 2) | c as u64;
    }
    Some(key)
}

/// Calls `each` with every 2-bit-packed 20-mer of `seq` holding only ACGT.
fn for_each_kmer(seq: &[u8], mut each: impl FnMut(u64)) {
    const MASK: u64 = (1 << (2 * KEY_LEN)) - 1;
    let mut key = 0u64;
    let mut valid = 0usize;
    for &b in seq {
        let c = encode_base(b);
        if c > 3 {
            valid = 0;
            continue;
        }
        key = ((key << 2) | c as u64) & MASK;
        valid += 1;
        if valid >= KEY_LEN {
            each(key);
        }
    }
}

/// One FASTA file's species codes (by id) and records as (code id,
/// normalised sequence).
#[allow(clippy::type_complexity)]
fn read_by_species(path: &Path) -> Result<(Vec<String>, Vec<(u16, Vec<u8>)>)> {
    let file = std::fs::File::open(path).map_err(|err| Error::Io {
        path: path.to_path_buf(),
        err,
    })?;
    let mut codes: Vec<String> = Vec::new();
    let mut ids: FxHashMap<Vec<u8>, u16> = FxHashMap::default();
    let mut out = Vec::new();
    for_each_record(
        std::io::BufReader::new(file),
        path,
        "empty reference file",
        |_, id, raw| {
            let name = id.split(|b| b.is_ascii_whitespace()).next().unwrap_or(id);
            let code = name.split(|&b| b == b'-').next().unwrap_or(name);
            let lower;
            let code = if code.iter().any(u8::is_ascii_uppercase) {
                lower = code.to_ascii_lowercase();
                &lower[..]
            } else {
                code
            };
            let sid = match ids.get(code) {
                Some(&i) => i,
                None => {
                    if codes.len() >= u16::MAX as usize {
                        return Err(Error::Reference {
                            path: path.to_path_buf(),
                            message: "more than 65,535 species codes".into(),
                        });
                    }
                    codes.push(String::from_utf8_lossy(code).into_owned());
                    ids.insert(code.to_vec(), (codes.len() - 1) as u16);
                    (codes.len() - 1) as u16
                }
            };
            out.push((sid, normalize_dna(&raw)));
            Ok(())
        },
    )?;
    Ok((codes, out))
}

/// The codes of `species` (`hsa`, `hsa,ebv`), lower case; None for `all`
/// or none.
fn wanted_codes(species: &str) -> Option<Vec<String>> {
    let wanted: Vec<String> = species
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .collect();
    (!wanted.is_empty() && !wanted.iter().any(|c| c == "all")).then_some(wanted)
}

/// The given species' 20-mers, anywhere in its matures and hairpins.
fn given_kmers(
    is_given: &[bool],
    matures: &[(u16, &[u8])],
    hairpins: &[(u16, &[u8])],
) -> FxHashSet<u64> {
    let mut given_kmers: FxHashSet<u64> = FxHashSet::default();
    given_kmers.reserve(1 << 17);
    for (s, seq) in matures.iter().chain(hairpins) {
        if is_given[*s as usize] {
            for_each_kmer(seq, |k| {
                given_kmers.insert(k);
            });
        }
    }
    given_kmers
}

/// The other species (not given): ids from 0 in the order first seen.
struct OtherSpecies<'c> {
    /// Every record's species code.
    codes: &'c [String],
    /// The id of each species of `codes`; `u16::MAX` while it has none.
    id: Vec<u16>,
    /// The species' codes, in id order.
    names: Vec<String>,
}

impl OtherSpecies<'_> {
    /// The id of species `s` (an index into `codes`), given one if new.
    fn id(&mut self, s: u16) -> u16 {
        let sid = &mut self.id[s as usize];
        if *sid == u16::MAX {
            *sid = self.names.len() as u16;
            self.names.push(self.codes[s as usize].clone());
        }
        *sid
    }
}

/// The matures' 20-nt start keys: the given species' (`GIVEN` and their
/// number), and the other species' that are no 20-mer of a given one
/// (the index of their list of other species).
struct KeyedMatures {
    keys: FxHashMap<u64, u32>,
    other_lists: Vec<Vec<u16>>,
    given_keys: u32,
}

/// Keys the 20-nt starts of `matures`, giving the other species ids as
/// they come.
fn key_matures(
    matures: &[(u16, &[u8])],
    is_given: &[bool],
    given_kmers: &FxHashSet<u64>,
    others: &mut OtherSpecies,
) -> KeyedMatures {
    let mut keys: FxHashMap<u64, u32> = FxHashMap::default();
    let mut other_lists: Vec<Vec<u16>> = Vec::new();
    let mut given_keys = 0u32;
    for (s, seq) in matures {
        let Some(k) = key20(seq) else { continue };
        if is_given[*s as usize] {
            keys.entry(k).or_insert_with(|| {
                given_keys += 1;
                GIVEN | (given_keys - 1)
            });
        } else if !given_kmers.contains(&k) {
            let sid = others.id(*s);
            let e = *keys.entry(k).or_insert_with(|| {
                other_lists.push(Vec::new());
                (other_lists.len() - 1) as u32
            });
            other_lists[e as usize].push(sid);
        }
    }
    KeyedMatures {
        keys,
        other_lists,
        given_keys,
    }
}

/// For each given-species key, the other species (by `other_id`) that
/// hold it somewhere: the given keys alone, behind a 2^20-bit filter (most
/// 20-mers of the other species' sequences are none of them), sequences
/// in parallel.
fn shared_species(
    keyed: &KeyedMatures,
    is_given: &[bool],
    other_id: &[u16],
    matures: &[(u16, &[u8])],
    hairpins: &[(u16, &[u8])],
) -> Vec<Vec<u16>> {
    let given_only: FxHashMap<u64, u32> = keyed
        .keys
        .iter()
        .filter(|(_, &e)| e & GIVEN != 0)
        .map(|(&k, &e)| (k, e & !GIVEN))
        .collect();
    let slot = |k: u64| (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 44) as usize;
    let mut filter = crate::runtime::written_zeros::<u64>((1 << 20) / 64);
    for &k in given_only.keys() {
        filter[slot(k) >> 6] |= 1 << (slot(k) & 63);
    }
    let pairs: Vec<(u32, u16)> = matures
        .par_iter()
        .chain(hairpins.par_iter())
        .with_min_len(1024)
        .filter(|(s, _)| !is_given[*s as usize])
        .flat_map_iter(|(s, seq)| {
            let mut found = Vec::new();
            for_each_kmer(seq, |k| {
                let h = slot(k);
                if filter[h >> 6] & (1 << (h & 63)) != 0 {
                    if let Some(&e) = given_only.get(&k) {
                        found.push((e, other_id[*s as usize]));
                    }
                }
            });
            found
        })
        .collect();
    let mut shared: Vec<Vec<u16>> = vec![Vec::new(); keyed.given_keys as usize];
    for (e, sid) in pairs {
        shared[e as usize].push(sid);
    }
    shared
}

/// Compressed rows: `lists[i]` as `ids[at[i]..at[i + 1]]`, each sorted and
/// deduplicated (also the clade panel's).
pub(crate) fn compress(lists: Vec<Vec<u16>>) -> (Vec<u32>, Vec<u16>) {
    let mut at = Vec::with_capacity(lists.len() + 1);
    let mut ids = Vec::new();
    at.push(0);
    for mut l in lists {
        l.sort_unstable();
        l.dedup();
        ids.extend_from_slice(&l);
        at.push(ids.len() as u32);
    }
    (at, ids)
}

/// Per-sample sums while its inserts are counted.
struct Tally {
    checked: u64,
    other: Vec<u64>,
    given: Vec<u64>,
}

impl SpeciesPanel {
    /// From the all-species files of the run (mature required, hairpin
    /// optional but advised: without it a mature start that another
    /// species annotates a few bases upstream of the given species' looks
    /// like a difference) for the run's species (`hsa`, or a comma list
    /// `hsa,ebv`, whose first code is the host); `None` when the files hold
    /// no other species to compare with, none of the given species, or
    /// species is `all`.
    pub fn load(mature: &Path, hairpin: Option<&Path>, species: &str) -> Result<Option<Self>> {
        let Some(wanted) = wanted_codes(species) else {
            return Ok(None);
        };
        // the two files read side by side, hairpin codes then renumbered
        let (matures, hairpins) = rayon::join(
            || read_by_species(mature),
            || hairpin.map(read_by_species).transpose(),
        );
        let (mut codes, matures) = matures?;
        let hairpins = match hairpins? {
            Some((hcodes, mut records)) => {
                let mut ids: FxHashMap<String, u16> = codes
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.clone(), i as u16))
                    .collect();
                let mut map = Vec::with_capacity(hcodes.len());
                for c in hcodes {
                    let next = codes.len();
                    map.push(*ids.entry(c.clone()).or_insert_with(|| {
                        codes.push(c);
                        next as u16
                    }));
                }
                if codes.len() > u16::MAX as usize {
                    return Err(Error::Reference {
                        path: mature.to_path_buf(),
                        message: "more than 65,535 species codes".into(),
                    });
                }
                records.iter_mut().for_each(|r| r.0 = map[r.0 as usize]);
                records
            }
            None => Vec::new(),
        };
        let matures: Vec<(u16, &[u8])> = matures.iter().map(|(c, q)| (*c, &q[..])).collect();
        let hairpins: Vec<(u16, &[u8])> = hairpins.iter().map(|(c, q)| (*c, &q[..])).collect();
        Ok(Self::build(wanted, &codes, &matures, &hairpins))
    }

    /// [`SpeciesPanel::load`] from the files' records already read (the
    /// run reads them once for this and for the other species' miRNAs).
    pub fn from_all(all: &AllSpecies, species: &str) -> Option<Self> {
        let wanted = wanted_codes(species)?;
        let mut codes: Vec<String> = Vec::new();
        let mut ids: FxHashMap<String, u16> = FxHashMap::default();
        let mut code_of = |name: &str| -> Option<u16> {
            let code = species_code(name);
            if let Some(&i) = ids.get(&code) {
                return Some(i);
            }
            let i = u16::try_from(codes.len()).ok()?;
            codes.push(code.clone());
            ids.insert(code, i);
            Some(i)
        };
        let matures: Vec<(u16, &[u8])> = all
            .matures
            .iter()
            .map(|r| Some((code_of(&r.name)?, &r.seq[..])))
            .collect::<Option<_>>()?;
        let hairpins: Vec<(u16, &[u8])> = all
            .hairpins
            .iter()
            .map(|r| Some((code_of(&r.name)?, &r.seq[..])))
            .collect::<Option<_>>()?;
        Self::build(wanted, &codes, &matures, &hairpins)
    }

    /// The panel of the `wanted` species' codes from every record's species
    /// (index into `codes`) and sequence; `None` when the records hold none
    /// of the wanted species or no other one.
    fn build(
        wanted: Vec<String>,
        codes: &[String],
        matures: &[(u16, &[u8])],
        hairpins: &[(u16, &[u8])],
    ) -> Option<Self> {
        let is_given: Vec<bool> = codes.iter().map(|c| wanted.contains(c)).collect();
        if !matures.iter().any(|(s, _)| is_given[*s as usize])
            || matures.iter().all(|(s, _)| is_given[*s as usize])
        {
            return None;
        }
        let given_kmers = given_kmers(&is_given, matures, hairpins);
        let mut others = OtherSpecies {
            codes,
            id: vec![u16::MAX; codes.len()],
            names: Vec::new(),
        };
        let keyed = key_matures(matures, &is_given, &given_kmers, &mut others);
        // every other species gets an id, keyed or not
        for (s, _) in matures.iter().chain(hairpins) {
            if !is_given[*s as usize] {
                others.id(*s);
            }
        }
        let shared = shared_species(&keyed, &is_given, &others.id, matures, hairpins);
        let (other_at, other_ids) = compress(keyed.other_lists);
        let (shared_at, shared_ids) = compress(shared);
        Some(Self {
            given: wanted.join(","),
            species: others.names,
            keys: keyed.keys,
            other_at,
            other_ids,
            shared_at,
            shared_ids,
        })
    }

    /// The given species' codes, host first, comma-separated.
    pub fn species(&self) -> &str {
        &self.given
    }

    /// The entry of an insert's first 20 nt, if it is a mature start.
    #[inline]
    fn entry(&self, seq: &[u8]) -> Option<u32> {
        key20(seq).and_then(|k| self.keys.get(&k).copied())
    }

    fn tally(&self) -> Tally {
        Tally {
            checked: 0,
            other: vec![0; self.other_at.len() - 1],
            given: vec![0; self.shared_at.len() - 1],
        }
    }

    #[inline]
    fn add(tally: &mut Tally, entry: Option<u32>, reads: u64) {
        match entry {
            Some(e) if e & GIVEN != 0 => tally.given[(e & !GIVEN) as usize] += reads,
            Some(e) => tally.other[e as usize] += reads,
            None => {}
        }
    }

    /// One sample's fit from its distinct inserts (ASCII ACGTN sequences
    /// after trimming and the length filter) with their reads.
    pub fn fit<'a>(&self, inserts: impl Iterator<Item = (&'a [u8], u64)>) -> SpeciesFit {
        let mut tally = self.tally();
        for (seq, reads) in inserts {
            if key20(seq).is_some() {
                tally.checked += reads;
            }
            Self::add(&mut tally, self.entry(seq), reads);
        }
        self.finish(&tally)
    }

    /// Every sample's fit over a run's insert table (samples in parallel;
    /// each distinct insert's prefix is looked up once).
    pub fn fit_table(&self, table: &InsertTable) -> Vec<SpeciesFit> {
        // u32::MAX: not a 20-nt ACGT prefix; u32::MAX - 1: not a mature start
        const SHORT: u32 = u32::MAX;
        const NONE: u32 = u32::MAX - 1;
        let entries: Vec<u32> = (0..table.len())
            .into_par_iter()
            .with_min_len(4096)
            .map(|id| match key20(table.seq(id)) {
                None => SHORT,
                Some(k) => self.keys.get(&k).copied().unwrap_or(NONE),
            })
            .collect();
        table
            .counts
            .par_iter()
            .map(|sample| {
                let mut tally = self.tally();
                for &(id, reads) in sample {
                    let e = entries[id as usize];
                    if e == SHORT {
                        continue;
                    }
                    tally.checked += reads as u64;
                    if e != NONE {
                        Self::add(&mut tally, Some(e), reads as u64);
                    }
                }
                self.finish(&tally)
            })
            .collect()
    }

    /// The verdict from a sample's sums.
    fn finish(&self, tally: &Tally) -> SpeciesFit {
        let n = self.species.len();
        let mut reads = vec![0u64; n];
        let mut keys = vec![0u64; n];
        for (i, &r) in tally.other.iter().enumerate() {
            if r == 0 {
                continue;
            }
            let ids = &self.other_ids[self.other_at[i] as usize..self.other_at[i + 1] as usize];
            for &s in ids {
                reads[s as usize] += r;
                keys[s as usize] += 1;
            }
        }
        // most reads, then most keys, then the first code alphabetically
        let best = (0..n).filter(|&s| reads[s] > 0).max_by(|&a, &b| {
            (reads[a], keys[a])
                .cmp(&(reads[b], keys[b]))
                .then_with(|| self.species[b].cmp(&self.species[a]))
        });
        let (mut species_reads, mut species_keys) = (0u64, 0u64);
        for (i, &r) in tally.given.iter().enumerate() {
            if r == 0 {
                continue;
            }
            let shared =
                &self.shared_ids[self.shared_at[i] as usize..self.shared_at[i + 1] as usize];
            let against = match best {
                Some(b) => shared.binary_search(&(b as u16)).is_err(),
                None => shared.is_empty(),
            };
            if against {
                species_reads += r;
                species_keys += 1;
            }
        }
        let (other_reads, other_keys) = best.map_or((0, 0), |b| (reads[b], keys[b]));
        SpeciesFit {
            species: self.given.clone(),
            reads_checked: tally.checked,
            species_reads,
            species_keys,
            other_species: best.map(|b| self.species[b].clone()),
            other_reads,
            other_keys,
            verdict: verdict(species_reads, other_reads, other_keys),
        }
    }
}

/// The rule: see [`MIN_READS`], [`MIN_KEYS`], [`RATIO`].
pub fn verdict(species_reads: u64, other_reads: u64, other_keys: u64) -> SpeciesVerdict {
    let strong = other_reads >= MIN_READS && other_keys >= MIN_KEYS;
    if strong && other_reads >= RATIO * species_reads {
        SpeciesVerdict::OtherSpecies
    } else if strong && RATIO * other_reads >= species_reads {
        SpeciesVerdict::Mixed
    } else if species_reads + other_reads < MIN_READS {
        SpeciesVerdict::TooFewReads
    } else {
        SpeciesVerdict::Fits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prep::collapse::{SampleInserts, SortedInserts};
    use std::io::Write;

    // 22-nt matures: the same let-7a in both species; mmu miR-x differs
    // from hsa miR-x at position 10; hsa's miR-y starts 2 nt later in its
    // hairpin than mmu's annotation (a boundary, not a difference)
    const LET7: &str = "TGAGGTAGTAGGTTGTATAGTT";
    const HSA_X: &str = "TACCCATTGCATATCGGAGCTG";
    const MMU_X: &str = "TACCCATTGGATATCGGAGCTG";
    const MMU_X2: &str = "AAAGTGCTACTACTTTTGAGTC";
    const MMU_X3: &str = "ACTCAAACTGGGGGCTCTTTTG";
    const HSA_Y_HAIRPIN: &str = "GGCCTTAGCAGCACGTAAATATTGGCGTTAAGAA";
    const HSA_Y: &str = "AGCAGCACGTAAATATTGGCGT";
    const MMU_Y: &str = "TTAGCAGCACGTAAATATTGGC";

    fn fasta(dir: &tempfile::TempDir, name: &str, records: &[(&str, &str)]) -> std::path::PathBuf {
        let path = dir.path().join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        for (n, s) in records {
            writeln!(f, ">{n} X\n{}", s.replace('T', "U")).unwrap();
        }
        path
    }

    fn panel(species: &str) -> Option<SpeciesPanel> {
        let dir = tempfile::tempdir().unwrap();
        let mature = fasta(
            &dir,
            "mature.fa",
            &[
                ("hsa-let-7a-5p", LET7),
                ("hsa-miR-x", HSA_X),
                ("hsa-miR-y", HSA_Y),
                ("mmu-let-7a-5p", LET7),
                ("mmu-miR-x", MMU_X),
                ("mmu-miR-x2", MMU_X2),
                ("mmu-miR-x3", MMU_X3),
                ("mmu-miR-y", MMU_Y),
            ],
        );
        let hairpin = fasta(&dir, "hairpin.fa", &[("hsa-mir-y", HSA_Y_HAIRPIN)]);
        SpeciesPanel::load(&mature, Some(&hairpin), species).unwrap()
    }

    fn fit(p: &SpeciesPanel, reads: &[(&str, u64)]) -> SpeciesFit {
        p.fit(reads.iter().map(|(s, n)| (s.as_bytes(), *n)))
    }

    #[test]
    fn mouse_reads_as_human_name_mouse() {
        let p = panel("hsa").unwrap();
        let f = fit(
            &p,
            &[
                (LET7, 1000),
                (MMU_X, 50),
                (MMU_X2, 30),
                (MMU_X3, 20),
                (MMU_Y, 500), // in hsa's hairpin: no evidence
                ("ACGT", 7),  // too short to look at
                (HSA_X, 2),   // one read with the human base
            ],
        );
        assert_eq!(f.other_species.as_deref(), Some("mmu"));
        assert_eq!((f.other_reads, f.other_keys), (100, 3));
        assert_eq!((f.species_reads, f.species_keys), (2, 1));
        assert_eq!(f.reads_checked, 1602);
        assert_eq!(f.verdict, SpeciesVerdict::OtherSpecies);
        let w = f.warning("s1").unwrap();
        assert!(w.contains("fit mmu better than hsa"), "{w}");
        assert!(w.ends_with("use --species mmu"), "{w}");
    }

    #[test]
    fn human_reads_fit_and_thin_evidence_is_too_few() {
        let p = panel("hsa").unwrap();
        let f = fit(&p, &[(LET7, 1000), (HSA_X, 300), (MMU_X, 3), (HSA_Y, 40)]);
        assert_eq!(f.verdict, SpeciesVerdict::Fits);
        assert_eq!(f.species_reads, 300); // hsa-miR-y's start lies in mmu's miR-y
        assert!(f.warning("s").is_none());
        let f = fit(&p, &[(LET7, 1000), (HSA_X, 3)]);
        assert_eq!(f.verdict, SpeciesVerdict::TooFewReads);
        assert!(f.warning("s").is_none());
        // mmu's miR-y start lies in hsa's hairpin: no evidence
        let f = fit(&p, &[(MMU_Y, 10)]);
        assert_eq!(f.other_species, None);
    }

    #[test]
    fn mixed_and_virus_codes() {
        let p = panel("hsa").unwrap();
        let f = fit(&p, &[(HSA_X, 100), (MMU_X, 40), (MMU_X2, 10), (MMU_X3, 10)]);
        assert_eq!(f.verdict, SpeciesVerdict::Mixed);
        assert!(f.warning("s").unwrap().ends_with("use --species hsa,mmu"));
        let p = panel("hsa,ebv").unwrap();
        assert_eq!(p.species(), "hsa,ebv");
        let f = fit(&p, &[(MMU_X, 40), (MMU_X2, 10), (MMU_X3, 10)]);
        assert!(f.warning("s").unwrap().ends_with("use --species mmu,ebv"));
    }

    #[test]
    fn no_panel_without_other_species_or_for_all() {
        assert!(panel("all").is_none());
        assert!(panel("xyz").is_none());
        let dir = tempfile::tempdir().unwrap();
        let mature = fasta(&dir, "m.fa", &[("hsa-let-7a-5p", LET7)]);
        assert!(SpeciesPanel::load(&mature, None, "hsa").unwrap().is_none());
    }

    #[test]
    fn table_fits_equal_single_fits() {
        let p = panel("mmu").unwrap();
        let samples: Vec<Vec<(&str, u32)>> = vec![
            vec![(LET7, 10), (HSA_X, 60), (MMU_X, 1)],
            vec![(MMU_X, 70), (MMU_X2, 5), ("NNNNNNNNNNNNNNNNNNNNNN", 4)],
            vec![],
        ];
        let sorted: Vec<SortedInserts> = samples
            .iter()
            .map(|s| {
                let mut ins = SampleInserts::default();
                for (seq, n) in s {
                    ins.add_count(seq.as_bytes(), *n);
                }
                ins.into_sorted()
            })
            .collect();
        let table = InsertTable::build(&sorted.iter().collect::<Vec<_>>());
        let fits = p.fit_table(&table);
        for (s, f) in samples.iter().zip(&fits) {
            let single = p.fit(s.iter().map(|(q, n)| (q.as_bytes(), *n as u64)));
            assert_eq!(&single, f);
        }
        assert_eq!(fits[0].other_species.as_deref(), Some("hsa"));
        assert_eq!(fits[0].other_reads, 60);
        assert_eq!(fits[2].verdict, SpeciesVerdict::TooFewReads);
        let json = serde_json::to_string(&fits[0]).unwrap();
        assert!(
            json.contains("\"verdict\":\"fits\"") || json.contains("\"verdict\":\"other_species\"")
        );
        assert_eq!(serde_json::from_str::<SpeciesFit>(&json).unwrap(), fits[0]);
    }

    #[test]
    fn key_packing() {
        assert_eq!(key20(b"AAAAAAAAAAAAAAAAAAAC"), Some(1));
        assert_eq!(key20(b"AAAAAAAAAAAAAAAAAAAUG"), Some(3));
        assert_eq!(key20(b"AAAAAAAAAAAAAAAAAAN"), None);
        assert_eq!(key20(b"AAAAAAAAAAAAAAAAAAANAAA"), None);
        let mut n = 0;
        for_each_kmer(b"ACGTACGTACGTACGTACGTANACGTACGTACGTACGTACGTAC", |_| n += 1);
        assert_eq!(n, 2 + 3);
    }
}

/// The calibration of README "Species fit and clades" on real runs:
/// `MIRQ_SPECIES_RUNS` names a file of `NAME<TAB>SPECIES<TAB>collapsed
/// FASTA` lines (`mirq quant`'s `collapsed/<sample>.fa`), `MIRQ_MATURE`
/// and `MIRQ_HAIRPIN` the all-species miRBase files, `MIRQ_CLADES` a
/// comma list of miRTrace clade files (optional). Prints one table row a
/// run and the load and fit timings.
#[cfg(test)]
mod calibration {
    use super::*;
    use crate::count::clades::CladePanel;
    use crate::prep::collapse::SampleInserts;
    use std::time::Instant;

    fn collapsed(path: &str) -> Vec<(Vec<u8>, u64)> {
        let text = std::fs::read_to_string(path).unwrap();
        let mut out = Vec::new();
        let mut lines = text.lines();
        while let (Some(h), Some(s)) = (lines.next(), lines.next()) {
            let n = h.rsplit("_x").next().unwrap().parse().unwrap();
            out.push((s.as_bytes().to_vec(), n));
        }
        out
    }

    #[test]
    #[ignore = "needs the real runs: MIRQ_SPECIES_RUNS, MIRQ_MATURE, MIRQ_HAIRPIN"]
    fn real_runs() {
        let (Ok(runs), Ok(mature), Ok(hairpin)) = (
            std::env::var("MIRQ_SPECIES_RUNS"),
            std::env::var("MIRQ_MATURE"),
            std::env::var("MIRQ_HAIRPIN"),
        ) else {
            return;
        };
        let clades = std::env::var("MIRQ_CLADES").ok().map(|c| {
            let files: Vec<std::path::PathBuf> = c.split(',').map(Into::into).collect();
            let t = Instant::now();
            let p = CladePanel::load(&files, Path::new(&mature)).unwrap();
            eprintln!("clade load: {:?}", t.elapsed());
            p
        });
        let mut panels: FxHashMap<String, SpeciesPanel> = FxHashMap::default();
        for line in std::fs::read_to_string(runs).unwrap().lines() {
            let f: Vec<&str> = line.split('\t').collect();
            let (name, species, path) = (f[0], f[1], f[2]);
            if !panels.contains_key(species) {
                let t = Instant::now();
                let p = SpeciesPanel::load(Path::new(&mature), Some(Path::new(&hairpin)), species)
                    .unwrap()
                    .unwrap();
                eprintln!("load {species}: {:?}", t.elapsed());
                panels.insert(species.to_string(), p);
            }
            let p = &panels[species];
            let inserts = collapsed(path);
            let reads: u64 = inserts.iter().map(|(_, n)| n).sum();
            let t = Instant::now();
            let fit = p.fit(inserts.iter().map(|(s, n)| (s.as_slice(), *n)));
            let fit_time = t.elapsed();
            let clade = clades.as_ref().map(|c| {
                let counts = c.count(inserts.iter().map(|(s, n)| (s.as_slice(), *n)));
                let named: Vec<String> = c
                    .clades()
                    .iter()
                    .zip(&counts)
                    .filter(|(_, &n)| n > 0)
                    .map(|(c, n)| format!("{c} {n}"))
                    .collect();
                (named.join(", "), c.warnings(species, &counts, reads).len())
            });
            println!(
                "| {name} | {species} | {reads} | {} | {} ({} keys) | {} ({} keys) | {} | {} | {} |",
                fit.reads_checked,
                fit.species_reads,
                fit.species_keys,
                fit.other_species.as_deref().map_or("-".into(), |o| format!("{o} {}", fit.other_reads)),
                fit.other_keys,
                fit.verdict.as_str(),
                clade.as_ref().map_or("", |c| c.0.as_str()),
                clade.as_ref().map_or(0, |c| c.1),
            );
            if inserts.len() > 100_000 {
                // the table path: one sample's inserts as a table
                let mut s = SampleInserts::default();
                for (q, n) in &inserts {
                    s.add_count(q, *n as u32);
                }
                let sorted = s.into_sorted();
                let table = InsertTable::build(&[&sorted]);
                let t = Instant::now();
                let fits = p.fit_table(&table);
                eprintln!(
                    "{name}: {} inserts, fit {:?}, fit_table {:?}",
                    inserts.len(),
                    fit_time,
                    t.elapsed()
                );
                assert_eq!(fits[0], fit);
                if let Some(c) = &clades {
                    let t = Instant::now();
                    let counts = c.count_table(&table);
                    eprintln!("{name}: clade count_table {:?}", t.elapsed());
                    assert_eq!(counts.len(), 1);
                }
            }
        }
    }
}

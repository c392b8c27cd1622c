//! miRTrace-style clade counts: reads on miRNA families that are specific
//! to one clade (primates, rodents, insects, dicots ...), to tell where a
//! library's small RNAs come from (contamination, a sample of another
//! species, diet).
//!
//! The clade lists are not part of mirq: the user gives them
//! (`CLADE<TAB>family numbers` a line, miRTrace's curated files, which are
//! GPL-3.0). miRTrace's rule: a mature belongs to family N by its name
//! (`miR-N…` for animals, `miRN…`/`MIRN…` for plants), and a read of at
//! least 20 nt counts for a clade when its first 20 nt equal the first 20
//! nt of one of the clade's matures (any species); reads, not molecules.
//!
//! [`CladePanel::warnings`] is mirq's own rule on top: see there.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::count::species::{compress, key20};
use crate::error::{Error, Result};
use crate::input::reference::{for_each_record, Digest};
use crate::numbers::thousands;
use crate::prep::collapse::InsertTable;

/// Fewest reads on a clade for a warning.
pub const CLADE_MIN_READS: u64 = 10;
/// Smallest share of the sample's reads on a clade for a warning, per
/// million (100: 0.01%).
pub const CLADE_MIN_PER_MILLION: u64 = 100;

/// miRBase species codes of the clades of miRTrace's lists (names compared
/// case-insensitively): the run species' own lineage, never warned about.
const LINEAGE: &[(&str, &[&str])] = &[
    (
        "primates",
        &[
            "hsa", "ptr", "ppa", "ggo", "ppy", "ssy", "mml", "mne", "age", "lla", "sla", "pbi",
            "lca", "cja",
        ],
    ),
    ("rodents", &["mmu", "rno", "cgr"]),
    (
        "birds_reptiles",
        &["gga", "tgu", "aca", "oha", "cpi", "ami", "pbv"],
    ),
    (
        "fish",
        &[
            "dre", "fru", "tni", "ola", "ssa", "ipu", "ccr", "hhi", "pol",
        ],
    ),
    (
        "insects",
        &[
            "dme", "dmo", "dps", "dpe", "dvi", "dsi", "dse", "dya", "dan", "der", "dgr", "dwi",
            "aae", "aga", "cqu", "ame", "api", "bmo", "hme", "mse", "pxy", "tca", "nvi", "ngi",
            "nlo", "lmi",
        ],
    ),
    (
        "nematode",
        &[
            "cel", "cbr", "cbn", "crm", "ppc", "asu", "bma", "hco", "prd", "str",
        ],
    ),
    (
        "lophotrochozoa",
        &[
            "cte", "lgi", "hru", "cla", "sme", "sja", "sma", "egr", "emu", "gsa", "gpy", "tre",
        ],
    ),
    ("echinoderms", &["spu", "lva", "pmi"]),
    ("sponges", &["aqu", "lco", "sci"]),
    ("bryophytes", &["ppt"]),
    ("lycopods", &["smo"]),
    ("gymnosperms", &["pab", "pta", "pde", "cln"]),
    (
        "monocots",
        &[
            "osa", "bdi", "sbi", "zma", "ata", "ssp", "sof", "tae", "ttu", "hvu", "far", "egu",
        ],
    ),
    (
        "dicots",
        &[
            "ath", "aly", "bna", "bol", "bra", "mtr", "gma", "gso", "lja", "pvu", "vun", "ahy",
            "vvi", "ptc", "peu", "mdm", "ppe", "nta", "stu", "sly", "cca", "csi", "crt", "ctr",
            "ccl", "mes", "rco", "hbr", "tcc", "gar", "ghb", "ghr", "gra", "han", "har", "hci",
            "hex", "hpa", "hpe", "htu", "lus", "pgi", "cme", "cpa", "dpr", "rgl", "ssl", "aqc",
            "aau", "amg", "ama", "bcy", "bgy",
        ],
    ),
];

/// A mature's miRBase family from its name: `(plant, N)` for `miR-N…`
/// (animal) or `miRN…`/`MIRN…` (plant); `None` for `let-7`, `bantam`,
/// `lin-4` ...
pub fn family(name: &str) -> Option<(bool, u32)> {
    let at = name.find("miR").or_else(|| name.find("MIR"))?;
    let rest = &name[at + 3..];
    let (plant, digits) = match rest.strip_prefix('-') {
        Some(r) => (false, r),
        None => (true, rest),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse().ok().map(|n| (plant, n))
}

/// Clade-specific miRNA families, keyed by the 20-nt starts of their
/// matures.
#[derive(Debug)]
pub struct CladePanel {
    clades: Vec<String>,
    /// 2-bit-packed 20-nt mature start to its clades `ids[at[e]..at[e + 1]]`.
    keys: FxHashMap<u64, u32>,
    at: Vec<u32>,
    ids: Vec<u16>,
    /// Per clade, the species codes (sorted) with matures in its families.
    members: Vec<Vec<String>>,
    fingerprint: String,
}

/// One clade line's parts.
struct CladeLine {
    name: String,
    families: Vec<u32>,
}

fn parse_clades(path: &Path, text: &str) -> Result<Vec<CladeLine>> {
    let err = |line: usize, message: String| Error::Reference {
        path: path.to_path_buf(),
        message: format!("line {line}: {message}"),
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, nums)) = line.split_once('\t') else {
            return Err(err(
                n,
                "expected CLADE<TAB>family numbers (miRTrace's clade-specific family list)".into(),
            ));
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(err(n, "empty clade name".into()));
        }
        let mut families = Vec::new();
        for word in nums.split_whitespace() {
            let f = word.parse::<u32>().map_err(|_| {
                err(
                    n,
                    format!("'{word}' is not a miRNA family number (clade {name})"),
                )
            })?;
            families.push(f);
        }
        if families.is_empty() {
            return Err(err(n, format!("clade {name} lists no family")));
        }
        out.push(CladeLine {
            name: name.to_string(),
            families,
        });
    }
    if out.is_empty() {
        return Err(Error::Reference {
            path: path.to_path_buf(),
            message: "no clade line (expected CLADE<TAB>family numbers)".into(),
        });
    }
    Ok(out)
}

/// The clade lines of `files`, each with its file's index, in file and
/// line order; the files' text goes into `digest`. A clade named twice
/// (in any case) is an error naming both files.
fn read_clade_files(files: &[PathBuf], digest: &mut Digest) -> Result<Vec<(usize, CladeLine)>> {
    let mut lines: Vec<(usize, CladeLine)> = Vec::new();
    for (f, path) in files.iter().enumerate() {
        let text = std::fs::read_to_string(path).map_err(|err| Error::Io {
            path: path.clone(),
            err,
        })?;
        digest.eat(b"#clades\n");
        digest.eat(text.as_bytes());
        for l in parse_clades(path, &text)? {
            if let Some((g, _)) = lines
                .iter()
                .find(|(_, o)| o.name.eq_ignore_ascii_case(&l.name))
            {
                return Err(Error::Reference {
                    path: path.clone(),
                    message: format!("clade {} is also in {}", l.name, files[*g].display()),
                });
            }
            lines.push((f, l));
        }
    }
    Ok(lines)
}

/// A mature of a family: its species code (lower case), its family
/// (plant or not, number) and its 20-nt start's key, if it has one.
type FamilyMature = (String, (bool, u32), Option<u64>);

/// The matures of `mature` (FASTA) that name a family, in file order.
fn read_family_matures(mature: &Path) -> Result<Vec<FamilyMature>> {
    let mut matures: Vec<FamilyMature> = Vec::new();
    let file = std::fs::File::open(mature).map_err(|err| Error::Io {
        path: mature.to_path_buf(),
        err,
    })?;
    for_each_record(
        std::io::BufReader::new(file),
        mature,
        "empty reference file",
        |_, id, seq| {
            let id = String::from_utf8_lossy(id);
            let name = id.split_whitespace().next().unwrap_or("");
            if let Some(fam) = family(name) {
                let code = name.split('-').next().unwrap_or("").to_ascii_lowercase();
                matures.push((code, fam, key20(&seq)));
            }
            Ok(())
        },
    )?;
    Ok(matures)
}

/// Whether each of `files` clade files lists plant families: whichever of
/// plant and animal families its numbers name more `matures` of.
fn plant_files(files: usize, lines: &[(usize, CladeLine)], matures: &[FamilyMature]) -> Vec<bool> {
    (0..files)
        .map(|f| {
            let mut wanted: FxHashMap<u32, ()> = FxHashMap::default();
            for (_, l) in lines.iter().filter(|(g, _)| *g == f) {
                wanted.extend(l.families.iter().map(|&n| (n, ())));
            }
            let (mut p, mut a) = (0usize, 0usize);
            for (_, (is_plant, n), _) in matures {
                if wanted.contains_key(n) {
                    if *is_plant {
                        p += 1
                    } else {
                        a += 1
                    }
                }
            }
            p > a
        })
        .collect()
}

/// The clades (indexes into `lines`) that list each family, its file
/// `plant` or not.
fn clades_by_family(
    lines: &[(usize, CladeLine)],
    plant: &[bool],
) -> FxHashMap<(bool, u32), Vec<u16>> {
    let mut by_family: FxHashMap<(bool, u32), Vec<u16>> = FxHashMap::default();
    for (c, (f, l)) in lines.iter().enumerate() {
        for &n in &l.families {
            by_family.entry((plant[*f], n)).or_default().push(c as u16);
        }
    }
    by_family
}

impl CladePanel {
    /// The clades of `files` (miRTrace's `CLADE<TAB>family numbers`
    /// lists; a file's families are animal (`miR-N`) or plant (`miRN`)
    /// ones, whichever names more matures of `mature`), keyed by the 20-nt
    /// starts of their matures in `mature` (miRBase's all-species
    /// mature.fa). Errors name the file and line; a clade named twice is an error.
    pub fn load(files: &[PathBuf], mature: &Path) -> Result<Self> {
        let mut digest = Digest::default();
        let lines = read_clade_files(files, &mut digest)?;
        let matures = read_family_matures(mature)?;
        let plant = plant_files(files.len(), &lines, &matures);
        let by_family = clades_by_family(&lines, &plant);
        let mut members: Vec<Vec<String>> = vec![Vec::new(); lines.len()];
        let mut keys: FxHashMap<u64, u32> = FxHashMap::default();
        let mut lists: Vec<Vec<u16>> = Vec::new();
        for (code, fam, key) in &matures {
            let Some(clades) = by_family.get(fam) else {
                continue;
            };
            for &c in clades {
                members[c as usize].push(code.clone());
            }
            let Some(k) = key else { continue };
            digest.eat(&k.to_le_bytes());
            let e = *keys.entry(*k).or_insert_with(|| {
                lists.push(Vec::new());
                (lists.len() - 1) as u32
            });
            lists[e as usize].extend_from_slice(clades);
        }
        let (at, ids) = compress(lists);
        for m in &mut members {
            m.sort_unstable();
            m.dedup();
        }
        Ok(Self {
            clades: lines.into_iter().map(|(_, l)| l.name).collect(),
            keys,
            at,
            ids,
            members,
            fingerprint: digest.hex(),
        })
    }

    /// The clades, in file and line order.
    pub fn clades(&self) -> &[String] {
        &self.clades
    }

    /// FNV-1a digest (hex) of the clade files and of the mature starts
    /// keyed: equal digests, equal counts.
    pub fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    /// The species codes with miRBase matures in `clade`'s families.
    pub fn members(&self, clade: usize) -> &[String] {
        &self.members[clade]
    }

    #[inline]
    fn clades_of(&self, seq: &[u8]) -> &[u16] {
        match key20(seq).and_then(|k| self.keys.get(&k)) {
            Some(&e) => &self.ids[self.at[e as usize] as usize..self.at[e as usize + 1] as usize],
            None => &[],
        }
    }

    /// Reads per clade (in [`Self::clades`] order) of one sample's distinct
    /// inserts with their reads.
    pub fn count<'a>(&self, inserts: impl Iterator<Item = (&'a [u8], u64)>) -> Vec<u64> {
        let mut out = vec![0u64; self.clades.len()];
        for (seq, reads) in inserts {
            for &c in self.clades_of(seq) {
                out[c as usize] += reads;
            }
        }
        out
    }

    /// [`Self::count`] for every sample of a run's insert table (samples in
    /// parallel).
    pub fn count_table(&self, table: &InsertTable) -> Vec<Vec<u64>> {
        table
            .counts
            .par_iter()
            .map(|sample| {
                self.count(
                    sample
                        .iter()
                        .map(|&(id, n)| (table.seq(id as usize), n as u64)),
                )
            })
            .collect()
    }

    /// The clades outside the run species' own lineage that have a clear
    /// share of a sample's `reads` (its reads counted, the base of
    /// `counts`), as warning texts without the sample name.
    ///
    /// mirq's rule: `species`' first code (the host) has a lineage from a
    /// built-in table of miRBase codes (hsa: primates; mmu, rno, cgr:
    /// rodents; gga: birds_reptiles; dre: fish; dme: insects; cel:
    /// nematode; ath: dicots ...). A clade is warned about when it is not
    /// the host's own, the host has no miRBase mature in its families (a
    /// relative: bta has two in primate families, so primate reads in a cow
    /// run are not called foreign here; the species fit sees a human
    /// sample), and it holds at least [`CLADE_MIN_READS`] reads and
    /// [`CLADE_MIN_PER_MILLION`] per million of `reads`.
    pub fn warnings(&self, species: &str, counts: &[u64], reads: u64) -> Vec<String> {
        let host = species
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let own: Vec<&str> = LINEAGE
            .iter()
            .filter(|(_, codes)| codes.contains(&host.as_str()))
            .map(|(clade, _)| *clade)
            .collect();
        let is_own = |clade: &str| own.iter().any(|o| o.eq_ignore_ascii_case(clade));
        let lineage = if own.is_empty() {
            "no clade of its own in the list".to_string()
        } else {
            own.join(", ")
        };
        let mut out = Vec::new();
        for (c, clade) in self.clades.iter().enumerate() {
            let n = counts.get(c).copied().unwrap_or(0);
            if is_own(clade)
                || self.members[c].binary_search(&host).is_ok()
                || n < CLADE_MIN_READS
                || n.saturating_mul(1_000_000) < reads.saturating_mul(CLADE_MIN_PER_MILLION)
            {
                continue;
            }
            out.push(format!(
                "{} reads ({:.2}% of {}) on miRNA families specific to {clade}, outside {host}'s lineage ({lineage}): contamination, or a sample of another species?",
                thousands(n),
                100.0 * n as f64 / reads.max(1) as f64,
                thousands(reads),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        p
    }

    const MATURE: &str = ">hsa-miR-548a-3p MIMAT1\nCAAAACUGGCAAUUACUUUUGC\n\
>mmu-miR-341-3p MIMAT2\nUCGGUCGAUCGGUCGGUCGGUA\n\
>bta-miR-548b MIMAT3\nCAAAACUGGCAAUUACUUUUGCAA\n\
>hsa-let-7a-5p MIMAT4\nUGAGGUAGUAGGUUGUAUAGUU\n\
>ath-miR341a MIMAT5\nUUUUUUUUUUUUUUUUUUUUUU\n\
>dme-miR-1000-5p MIMAT6\nAAUAUCAGCUGGUAAUUCUGGG\n";

    fn panel(dir: &tempfile::TempDir) -> CladePanel {
        let m = write(dir, "mature.fa", MATURE);
        let a = write(
            dir,
            "animal.txt",
            "primates\t548 600\nrodents\t341\ninsects\t1000\n",
        );
        CladePanel::load(&[a], &m).unwrap()
    }

    #[test]
    fn families_from_names() {
        assert_eq!(family("hsa-miR-548a-3p"), Some((false, 548)));
        assert_eq!(family("ath-miR156a-5p"), Some((true, 156)));
        assert_eq!(family("ath-MIR775"), Some((true, 775)));
        assert_eq!(family("hsa-let-7a-5p"), None);
        assert_eq!(family("dme-bantam-3p"), None);
    }

    #[test]
    fn counts_by_20_nt_start() {
        let dir = tempfile::tempdir().unwrap();
        let p = panel(&dir);
        assert_eq!(p.clades(), ["primates", "rodents", "insects"]);
        let reads: [(&[u8], u64); 5] = [
            (b"CAAAACTGGCAATTACTTTTGCAAA", 7), // 548 (hsa and bta share the start)
            (b"TCGGTCGATCGGTCGGTCGG", 3),      // 341, exactly 20 nt
            (b"TCGGTCGATCGGTCGGTCG", 100),     // 19 nt: too short
            (b"TTTTTTTTTTTTTTTTTTTTTT", 5),    // plant miR341: not the animal family
            (b"TGAGGTAGTAGGTTGTATAGTT", 50),
        ];
        assert_eq!(p.count(reads.iter().copied()), vec![7, 3, 0]);
        assert_eq!(p.members(0), ["bta", "hsa"]);
        assert_eq!(p.fingerprint().len(), 16);
    }

    #[test]
    fn warnings_skip_own_lineage_and_relatives() {
        let dir = tempfile::tempdir().unwrap();
        let p = panel(&dir);
        let counts = [500, 400, 9];
        // human: rodents warned, primates own, insects under 10 reads
        let w = p.warnings("hsa", &counts, 100_000);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("specific to rodents"), "{}", w[0]);
        assert!(w[0].contains("hsa's lineage (primates)"), "{}", w[0]);
        // mouse: primates warned
        let w = p.warnings("mmu,mcmv", &counts, 100_000);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("specific to primates"));
        // cow: no clade, but a primate-family member: only rodents
        let w = p.warnings("bta", &counts, 100_000);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("rodents") && w[0].contains("no clade of its own"));
        // a share under 100 per million is not clear
        assert!(p.warnings("hsa", &counts, 10_000_000).is_empty());
    }

    #[test]
    fn errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let m = write(&dir, "mature.fa", MATURE);
        let bad = write(&dir, "bad.txt", "primates\t548\n\nrodents\t34x1\n");
        let e = CladePanel::load(&[bad], &m).unwrap_err().to_string();
        assert!(
            e.contains("bad.txt") && e.contains("line 3") && e.contains("34x1"),
            "{e}"
        );
        let bad = write(&dir, "notab.txt", "primates 548\n");
        let e = CladePanel::load(&[bad], &m).unwrap_err().to_string();
        assert!(e.contains("notab.txt") && e.contains("line 1"), "{e}");
        let a = write(&dir, "a.txt", "primates\t548\n");
        let b = write(&dir, "b.txt", "Primates\t600\n");
        let e = CladePanel::load(&[a, b], &m).unwrap_err().to_string();
        assert!(e.contains("also in"), "{e}");
    }
}

//! `inserts.tsv.gz`: every unique insert of a run with its best hits and each
//! sample's reads (and molecules), the file `mirq merge` builds on, so that
//! per-sample runs merge without reading FASTQ or aligning again.
//!
//! ```text
//! ##mirq-inserts 1
//! #sequence  hits                 S1    S2
//! ACGT...    12:40:22:0:0:0       120   0
//! TTTT...    .                    3     1
//! ```
//! Rows are sorted by sequence. `hits` is `.` or comma-separated
//! `target:offset:templated:nontemplated:mismatches:wildcards`; with
//! `--dedup` a sample's cell is `reads/molecules`. Version 2 (this one)
//! names on its second line (`##hit-columns`) the columns that follow
//! `hits`, each present only when its stage ran, in this order: `ncrna`,
//! `artifact`, `exogenous` and `screen` (each insert's best hits on those
//! targets in the same form; `.` for none, and for inserts not looked up;
//! screen targets are numbered over all screen references in the order
//! given), then `screen_decoy` (`.`, or the bits of the screen references
//! the insert's decoy hits are on). Version 1 files (an `ncrna` column
//! told from a sample of that name by the first row) are still read.
//!
//! The file is several gzip members (the header, then one per 16,384 rows,
//! compressed in parallel), which gzip readers read as one stream; older
//! files, one member, read the same.

use std::io::{self, BufRead, Write};
use std::ops::Range;
use std::path::Path;

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

use crate::align::{FlatHits, Hit};
use crate::error::{Error, Result};
use crate::input::samples::{validate_sample_name, BadSampleName};
use crate::numbers::push_decimal;
use crate::prep::collapse::{InsertTable, SortedInserts};
use crate::runtime::ordered::write_chunks;

/// File name in the output directory.
pub const FILE_NAME: &str = "inserts.tsv.gz";

const MAGIC: &str = "##mirq-inserts 1";

/// The magic line of version 2.
const MAGIC_2: &str = "##mirq-inserts 2";

/// The line naming the hit columns after `hits` (version 2).
const HIT_COLUMNS: &str = "##hit-columns";

/// The hit columns after `hits`, each present when its stage ran.
#[derive(Clone, Copy, Default)]
pub struct HitColumns<'a> {
    /// ncRNA best hits (`--ncrna`).
    pub ncrna: Option<&'a FlatHits>,
    /// Artifact best hits.
    pub artifact: Option<&'a FlatHits>,
    /// Other species' miRNA best hits.
    pub exogenous: Option<&'a FlatHits>,
    /// Screen best hits and decoy bits (`--screen`).
    pub screen: Option<(&'a FlatHits, &'a [u32])>,
}

impl HitColumns<'_> {
    /// The names of the columns present, in order.
    fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        for (present, name) in [
            (self.ncrna.is_some(), NCRNA_COLUMN),
            (self.artifact.is_some(), ARTIFACT_COLUMN),
            (self.exogenous.is_some(), EXOGENOUS_COLUMN),
            (self.screen.is_some(), SCREEN_COLUMN),
            (self.screen.is_some(), DECOY_COLUMN),
        ] {
            if present {
                names.push(name);
            }
        }
        names
    }

    /// Appends insert `id`'s cells (each after a tab).
    fn push_cells(&self, line: &mut Vec<u8>, id: usize) {
        for hits in [self.ncrna, self.artifact, self.exogenous]
            .into_iter()
            .flatten()
        {
            line.push(b'\t');
            push_hits(line, hits.get(id));
        }
        if let Some((hits, decoy)) = self.screen {
            line.push(b'\t');
            push_hits(line, hits.get(id));
            line.push(b'\t');
            match decoy[id] {
                0 => line.push(b'.'),
                bits => push_decimal(line, bits),
            }
        }
    }
}

/// Rows per gzip member: each member is compressed on its own, in
/// parallel, and the members follow each other in row order (a
/// multi-member gzip file, which gzip, zcat, Python's gzip and
/// `mirq merge` read as one stream). A fixed number, so that the bytes
/// do not depend on the thread count.
const ROWS_PER_MEMBER: usize = 16_384;

/// Writes the table (gzip, deterministic bytes: the header, then one gzip
/// member per [`ROWS_PER_MEMBER`] rows, compressed in parallel); `columns`:
/// the hits of the stages after the miRNAs' that ran.
pub fn write(
    w: &mut (impl Write + Send),
    samples: &[String],
    table: &InsertTable,
    hits: &FlatHits,
    columns: &HitColumns,
    molecules: Option<&[Vec<(u32, u32)>]>,
) -> io::Result<()> {
    let mut header = Vec::new();
    writeln!(header, "{MAGIC_2}")?;
    let names = columns.names();
    write!(header, "{HIT_COLUMNS}")?;
    for n in &names {
        write!(header, "\t{n}")?;
    }
    writeln!(header)?;
    write!(header, "#sequence\thits")?;
    for n in &names {
        write!(header, "\t{n}")?;
    }
    for s in samples {
        write!(header, "\t{s}")?;
    }
    writeln!(header)?;
    w.write_all(&gzip(&header, Vec::new())?)?;
    write_chunks(w, table.len(), ROWS_PER_MEMBER, |rows, member| {
        let mut text = Vec::with_capacity(rows.len() * 64);
        push_rows(
            &mut text,
            rows,
            samples.len(),
            table,
            hits,
            columns,
            molecules,
        );
        gzip(&text, std::mem::take(member)).map(|bytes| *member = bytes)
    })
}

/// `text` compressed as one gzip member (fastest level), appended to `out`.
fn gzip(text: &[u8], out: Vec<u8>) -> io::Result<Vec<u8>> {
    let mut gz = GzEncoder::new(out, Compression::fast());
    gz.write_all(text)?;
    gz.finish()
}

/// Appends the rows of the inserts `ids` (one line each).
fn push_rows(
    line: &mut Vec<u8>,
    ids: Range<usize>,
    samples: usize,
    table: &InsertTable,
    hits: &FlatHits,
    columns: &HitColumns,
    molecules: Option<&[Vec<(u32, u32)>]>,
) {
    // each sample's first (id, count) pair at or after the first row
    let first = |pairs: &[(u32, u32)]| pairs.partition_point(|&(i, _)| (i as usize) < ids.start);
    let counts = &table.counts[..samples];
    let mut reads_at: Vec<usize> = counts.iter().map(|c| first(c)).collect();
    let mut mol_at: Vec<usize> = molecules
        .map(|m| m.iter().map(|c| first(c)).collect())
        .unwrap_or_default();
    // the count of `id` in a sample's pairs, moving its cursor on
    let take = |pairs: &[(u32, u32)], at: &mut usize, id: usize| match pairs.get(*at) {
        Some(&(i, n)) if i as usize == id => {
            *at += 1;
            n
        }
        _ => 0,
    };
    for id in ids {
        let seq = table.seq(id);
        // the table's inserts are ASCII; the check is for merged files'
        if seq.is_ascii() || std::str::from_utf8(seq).is_ok() {
            line.extend_from_slice(seq);
        } else {
            line.push(b'N');
        }
        line.push(b'\t');
        push_hits(line, hits.get(id));
        columns.push_cells(line, id);
        for (s, pairs) in counts.iter().enumerate() {
            line.push(b'\t');
            push_decimal(line, take(pairs, &mut reads_at[s], id));
            if let Some(m) = molecules {
                line.push(b'/');
                push_decimal(line, take(&m[s], &mut mol_at[s], id));
            }
        }
        line.push(b'\n');
    }
}

/// The header of the ncRNA hits column.
const NCRNA_COLUMN: &str = "ncrna";
/// The header of the artifact hits column.
const ARTIFACT_COLUMN: &str = "artifact";
/// The header of the exogenous hits column.
const EXOGENOUS_COLUMN: &str = "exogenous";
/// The header of the screen hits column.
const SCREEN_COLUMN: &str = "screen";
/// The header of the screen decoy column.
const DECOY_COLUMN: &str = "screen_decoy";

/// Appends one insert's hits: `.` for none, else comma-separated
/// `target:offset:templated:nontemplated:mismatches:wildcards`.
fn push_hits(line: &mut Vec<u8>, hits: &[Hit]) {
    if hits.is_empty() {
        line.push(b'.');
    }
    for (i, hit) in hits.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        push_decimal(line, hit.target);
        line.push(b':');
        push_decimal(line, hit.offset);
        line.push(b':');
        push_decimal(line, hit.templated);
        line.push(b':');
        push_decimal(line, hit.nontemplated);
        line.push(b':');
        push_decimal(line, hit.mismatches);
        line.push(b':');
        push_decimal(line, hit.wildcards);
    }
}

/// A run's inserts as read back.
#[derive(Debug, Default)]
pub struct RunInserts {
    /// Sample names, in column order.
    pub samples: Vec<String>,
    /// Per sample, (row, reads) of the rows it has reads of, by row.
    pub reads: Vec<Vec<(u32, u32)>>,
    /// Per sample, (row, molecules) of the rows it has molecules of (with
    /// `--dedup`).
    pub molecules: Option<Vec<Vec<(u32, u32)>>>,
    /// All rows' sequences (sorted) and their hits.
    pub rows: SortedInserts,
    /// Hits of each row.
    pub hits: FlatHits,
    /// ncRNA hits of each row, when the file has the `ncrna` column (a run
    /// with `--ncrna`).
    pub ncrna: Option<FlatHits>,
    /// Artifact hits of each row, with the artifact stage.
    pub artifact: Option<FlatHits>,
    /// Other species' miRNA hits of each row, with the exogenous stage.
    pub exogenous: Option<FlatHits>,
    /// Screen hits of each row, with `--screen`.
    pub screen: Option<FlatHits>,
    /// Screen decoy bits of each row, with `--screen`.
    pub decoy: Option<Vec<u32>>,
    /// The version 2 hit columns named, in order (empty for version 1).
    columns: Vec<String>,
}

/// What is wrong with a line of an inserts file (shown after its number).
#[derive(Debug, thiserror::Error)]
enum BadLine {
    #[error("read error (truncated file?): {0}")]
    Read(std::io::Error),
    #[error("expected '{MAGIC}' or '{MAGIC_2}' (not a mirq inserts file)")]
    NotInserts,
    #[error("empty file")]
    Empty,
    #[error("expected the '{HIT_COLUMNS}' line")]
    NoHitColumns,
    #[error("unknown hit column '{0}'")]
    UnknownHitColumn(String),
    #[error("expected the '#sequence<TAB>hits' header")]
    NoHeader,
    #[error("the header's columns after 'hits' are not those of '{HIT_COLUMNS}'")]
    HeaderColumns,
    #[error(transparent)]
    SampleName(#[from] BadSampleName),
    #[error("sample '{0}' is named twice")]
    SampleTwice(String),
    #[error("rows are not sorted by sequence")]
    Unsorted,
    #[error("no {0} column")]
    NoColumn(&'static str),
    #[error("bad screen_decoy '{0}'")]
    Decoy(String),
    #[error("bad count '{0}'")]
    Count(String),
    #[error("molecule counts in some cells only")]
    SomeMolecules,
    #[error("{columns} count columns for {samples} samples")]
    Columns { columns: usize, samples: usize },
    #[error("bad hit '{hit}': no {field} field")]
    HitField { hit: String, field: &'static str },
    #[error("bad hit '{hit}': {field} '{value}' is not a number in range")]
    HitNumber {
        hit: String,
        field: &'static str,
        value: String,
    },
    #[error("bad hit '{hit}': more than {} fields", HIT_FIELDS.len())]
    HitFields { hit: String },
}

/// Reads `path` (written by [`write`]).
pub fn read(path: &Path) -> Result<RunInserts> {
    let bad = |line: usize, what: BadLine| Error::Parse {
        path: path.to_path_buf(),
        message: format!("line {line}: {what}"),
    };
    let file = std::fs::File::open(path).map_err(|err| Error::Io {
        path: path.to_path_buf(),
        err,
    })?;
    let reader = io::BufReader::new(MultiGzDecoder::new(io::BufReader::new(file)));
    let mut run = RunInserts::default();
    // the header is read with the first row, which (in version 1) tells an
    // `ncrna` column from a sample named `ncrna`
    let mut header = None;
    let (mut version, mut header_read, mut header_line) = (1, false, 2);
    for (i, line) in reader.lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| bad(n, BadLine::Read(e)))?;
        match n {
            1 if line == MAGIC_2 => version = 2,
            1 if line != MAGIC => return Err(bad(1, BadLine::NotInserts)),
            1 => {}
            2 if version == 2 => run.read_hit_columns(&line).map_err(|m| bad(2, m))?,
            _ if header.is_none() && !header_read => {
                header = Some(line);
                header_read = true;
                header_line = n;
            }
            _ => {
                if let Some(h) = header.take() {
                    run.read_header(&h, Some(&line))
                        .map_err(|m| bad(header_line, m))?;
                }
                run.read_row(&line).map_err(|m| bad(n, m))?;
            }
        }
    }
    if let Some(h) = header {
        run.read_header(&h, None).map_err(|m| bad(header_line, m))?;
    }
    if run.samples.is_empty() && run.rows.is_empty() {
        return Err(bad(0, BadLine::Empty));
    }
    Ok(run)
}

impl RunInserts {
    /// The `##hit-columns[<TAB>name]...` line of version 2.
    fn read_hit_columns(&mut self, line: &str) -> std::result::Result<(), BadLine> {
        let mut fields = line.split('\t');
        if fields.next() != Some(HIT_COLUMNS) {
            return Err(BadLine::NoHitColumns);
        }
        let known = [
            NCRNA_COLUMN,
            ARTIFACT_COLUMN,
            EXOGENOUS_COLUMN,
            SCREEN_COLUMN,
            DECOY_COLUMN,
        ];
        for name in fields {
            if !known.contains(&name) {
                return Err(BadLine::UnknownHitColumn(name.to_string()));
            }
            match name {
                NCRNA_COLUMN => self.ncrna = Some(FlatHits::default()),
                ARTIFACT_COLUMN => self.artifact = Some(FlatHits::default()),
                EXOGENOUS_COLUMN => self.exogenous = Some(FlatHits::default()),
                SCREEN_COLUMN => self.screen = Some(FlatHits::default()),
                _ => self.decoy = Some(Vec::new()),
            }
            self.columns.push(name.to_string());
        }
        // a version 2 file with no hit column still has the line
        self.columns.push(String::new());
        Ok(())
    }

    /// The `#sequence<TAB>hits[<TAB>ncrna]<TAB>sample...` line. A field
    /// `ncrna` after `hits` is the ncRNA column unless the first row holds a
    /// count there (then it is a sample's name).
    fn read_header(
        &mut self,
        line: &str,
        first_row: Option<&str>,
    ) -> std::result::Result<(), BadLine> {
        let mut fields = line.split('\t');
        if fields.next() != Some("#sequence") || fields.next() != Some("hits") {
            return Err(BadLine::NoHeader);
        }
        let mut names: Vec<String> = fields.map(String::from).collect();
        if !self.columns.is_empty() {
            let named: Vec<&String> = self.columns.iter().filter(|c| !c.is_empty()).collect();
            if names.len() < named.len() || names.iter().zip(&named).any(|(a, b)| a != *b) {
                return Err(BadLine::HeaderColumns);
            }
            self.samples = names.split_off(named.len());
            self.reads = vec![Vec::new(); self.samples.len()];
            return self.check_samples();
        }
        let holds_hits = |row: &str| {
            row.split('\t')
                .nth(2)
                .is_some_and(|c| c == "." || c.contains(':'))
        };
        if names.first().is_some_and(|n| n == NCRNA_COLUMN) && first_row.map_or(true, holds_hits) {
            names.remove(0);
            self.ncrna = Some(FlatHits::default());
        }
        self.samples = names;
        self.reads = vec![Vec::new(); self.samples.len()];
        self.check_samples()
    }

    /// The header's sample names, checked as quant checks its own (files
    /// are named after them): valid, and each once.
    fn check_samples(&self) -> std::result::Result<(), BadLine> {
        for (i, name) in self.samples.iter().enumerate() {
            validate_sample_name(name).map_err(BadLine::SampleName)?;
            if self.samples[..i].contains(name) {
                return Err(BadLine::SampleTwice(name.clone()));
            }
        }
        Ok(())
    }

    /// One insert's row: its sequence, hits and per-sample counts (the
    /// first row says whether every cell carries `reads/molecules`).
    fn read_row(&mut self, line: &str) -> std::result::Result<(), BadLine> {
        let mut fields = line.split('\t');
        let seq = fields.next().unwrap_or_default().as_bytes();
        if !self.rows.is_empty() && self.rows.seq(self.rows.len() - 1) >= seq {
            return Err(BadLine::Unsorted);
        }
        let hits = parse_hits(fields.next().ok_or(BadLine::NoColumn("hits"))?)?;
        for (column, name) in [
            (&mut self.ncrna, NCRNA_COLUMN),
            (&mut self.artifact, ARTIFACT_COLUMN),
            (&mut self.exogenous, EXOGENOUS_COLUMN),
            (&mut self.screen, SCREEN_COLUMN),
        ] {
            if let Some(column) = column {
                let field = fields.next().ok_or(BadLine::NoColumn(name))?;
                column.push(&parse_hits(field)?);
            }
        }
        if let Some(decoy) = &mut self.decoy {
            let field = fields.next().ok_or(BadLine::NoColumn(DECOY_COLUMN))?;
            decoy.push(match field {
                "." => 0,
                bits => bits.parse().map_err(|_| BadLine::Decoy(bits.to_string()))?,
            });
        }
        self.rows.push(seq, 0);
        self.hits.push(&hits);
        let row = self.rows.len() - 1;
        let mut columns = 0;
        for (s, cell) in fields.enumerate() {
            columns += 1;
            if s >= self.samples.len() {
                break;
            }
            let (reads, molecules) = match cell.split_once('/') {
                Some((r, m)) => (r, Some(m)),
                None => (cell, None),
            };
            let parse = |v: &str| {
                v.parse::<u32>()
                    .map_err(|_| BadLine::Count(cell.to_string()))
            };
            let reads = parse(reads)?;
            if row == 0 && s == 0 && molecules.is_some() {
                self.molecules = Some(vec![Vec::new(); self.samples.len()]);
            }
            if molecules.is_some() != self.molecules.is_some() {
                return Err(BadLine::SomeMolecules);
            }
            if reads > 0 {
                self.reads[s].push((row as u32, reads));
            }
            if let (Some(all), Some(m)) = (&mut self.molecules, molecules) {
                let m = parse(m)?;
                if m > 0 {
                    all[s].push((row as u32, m));
                }
            }
        }
        if columns != self.samples.len() {
            return Err(BadLine::Columns {
                columns,
                samples: self.samples.len(),
            });
        }
        Ok(())
    }
}

/// The fields of a hit, `target:offset:templated:nontemplated:mismatches:wildcards`.
const HIT_FIELDS: [&str; 6] = [
    "target",
    "offset",
    "templated",
    "nontemplated",
    "mismatches",
    "wildcards",
];

/// Parses a hits field: `.`, or comma-separated hits.
fn parse_hits(field: &str) -> std::result::Result<Vec<Hit>, BadLine> {
    if field == "." {
        return Ok(Vec::new());
    }
    field.split(',').map(parse_hit).collect()
}

/// Parses one hit; the error names the field that is missing or malformed.
fn parse_hit(s: &str) -> std::result::Result<Hit, BadLine> {
    let mut f = s.split(':');
    let mut field = |i: usize| -> std::result::Result<&str, BadLine> {
        f.next().ok_or_else(|| BadLine::HitField {
            hit: s.to_string(),
            field: HIT_FIELDS[i],
        })
    };
    let bad = |i: usize, v: &str| BadLine::HitNumber {
        hit: s.to_string(),
        field: HIT_FIELDS[i],
        value: v.to_string(),
    };
    let (t, o, tp, nt, mm, wc) = (
        field(0)?,
        field(1)?,
        field(2)?,
        field(3)?,
        field(4)?,
        field(5)?,
    );
    let hit = Hit {
        target: t.parse().map_err(|_| bad(0, t))?,
        offset: o.parse().map_err(|_| bad(1, o))?,
        templated: tp.parse().map_err(|_| bad(2, tp))?,
        nontemplated: nt.parse().map_err(|_| bad(3, nt))?,
        mismatches: mm.parse().map_err(|_| bad(4, mm))?,
        wildcards: wc.parse().map_err(|_| bad(5, wc))?,
    };
    match f.next() {
        None => Ok(hit),
        Some(_) => Err(BadLine::HitFields { hit: s.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prep::collapse::SampleInserts;

    /// Two samples' inserts (AAA, CCC, GGG) with miRNA hits on AAA and
    /// ncRNA hits on CCC, written (with the ncRNA column when `ncrna`) and
    /// read back; the first sample is named `ncrna`.
    fn round_trip(ncrna: bool) -> (Vec<u8>, RunInserts) {
        let mut a = SampleInserts::default();
        for r in [&b"AAA"[..], b"CCC", b"CCC"] {
            a.add(r);
        }
        let mut b = SampleInserts::default();
        b.add(b"GGG");
        let (a, b) = (a.into_sorted(), b.into_sorted());
        let table = InsertTable::build(&[&a, &b]);
        let (mut hits, mut nc) = (FlatHits::default(), FlatHits::default());
        for (m, n) in [
            ("1:0:3:0:0:0", "."),
            (".", "4:2:3:0:1:0,5:0:3:0:0:0"),
            (".", "."),
        ] {
            hits.push(&parse_hits(m).unwrap());
            nc.push(&parse_hits(n).unwrap());
        }
        let samples = ["ncrna".to_string(), "b".to_string()];
        let mut bytes = Vec::new();
        let columns = HitColumns {
            ncrna: ncrna.then_some(&nc),
            ..HitColumns::default()
        };
        write(&mut bytes, &samples, &table, &hits, &columns, None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, &bytes).unwrap();
        (bytes, read(&path).unwrap())
    }

    #[test]
    fn the_ncrna_column_is_written_and_read_only_with_ncrna() {
        let (without, run) = round_trip(false);
        assert_eq!(
            run.samples,
            ["ncrna", "b"],
            "a sample named ncrna stays one"
        );
        assert!(run.ncrna.is_none());
        assert_eq!(run.hits.get(0)[0].target, 1);
        assert_eq!(run.reads, [vec![(0, 1), (1, 2)], vec![(2, 1)]]);
        let (with, run) = round_trip(true);
        assert_ne!(with, without);
        assert_eq!(run.samples, ["ncrna", "b"]);
        let nc = run.ncrna.expect("the ncrna column");
        assert!(nc.get(0).is_empty() && nc.get(2).is_empty());
        let targets: Vec<u32> = nc.get(1).iter().map(|h| h.target).collect();
        assert_eq!((targets, nc.get(1)[0].mismatches), (vec![4, 5], 1));
        assert_eq!(run.reads, [vec![(0, 1), (1, 2)], vec![(2, 1)]]);
    }

    /// A table longer than one gzip member is written as several, in
    /// parallel, and reads back whole (rows, hits and counts, molecules
    /// included), as gzip readers read it: one stream.
    #[test]
    fn members_concatenate_into_one_table() {
        let mut rng = crate::rng::Rng::new(7);
        let rows = 2 * ROWS_PER_MEMBER + 5;
        let (mut a, mut b) = (SampleInserts::default(), SampleInserts::default());
        while a.len() + b.len() < rows + 100 {
            let n = 18 + rng.below(8);
            let seq = rng.bases(n);
            if rng.chance(0.5) {
                a.add_count(&seq, 1 + rng.below(9) as u32);
            } else {
                b.add_count(&seq, 1 + rng.below(9) as u32);
            }
        }
        let (a, b) = (a.into_sorted(), b.into_sorted());
        let table = InsertTable::build(&[&a, &b]);
        assert!(table.len() > 2 * ROWS_PER_MEMBER);
        let mut hits = FlatHits::default();
        for id in 0..table.len() {
            let h = parse_hits(&format!("{}:{}:20:0:0:0", id % 7, id % 3)).unwrap();
            hits.push(if id % 2 == 0 { &h } else { &[] });
        }
        let molecules: Vec<Vec<(u32, u32)>> = table
            .counts
            .iter()
            .map(|c| c.iter().map(|&(i, _)| (i, 1)).collect())
            .collect();
        let samples = ["a".to_string(), "b".to_string()];
        let mut bytes = Vec::new();
        let columns = HitColumns::default();
        write(
            &mut bytes,
            &samples,
            &table,
            &hits,
            &columns,
            Some(&molecules),
        )
        .unwrap();
        let mut text = String::new();
        io::Read::read_to_string(&mut MultiGzDecoder::new(&bytes[..]), &mut text).unwrap();
        assert_eq!(text.lines().count(), 3 + table.len());
        assert!(text.ends_with('\n'));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, &bytes).unwrap();
        let run = read(&path).unwrap();
        assert_eq!(run.rows.len(), table.len());
        assert_eq!(run.reads, table.counts);
        assert_eq!(run.molecules.as_ref(), Some(&molecules));
        for id in [0, 1, ROWS_PER_MEMBER - 1, ROWS_PER_MEMBER, table.len() - 1] {
            assert_eq!(run.rows.seq(id), table.seq(id));
            assert_eq!(run.hits.get(id), hits.get(id), "row {id}");
        }
    }

    #[test]
    fn a_hit_parses_and_a_bad_one_names_its_field() {
        let h = parse_hit("7:-2:22:1:0:2").unwrap();
        assert_eq!(
            (
                h.target,
                h.offset,
                h.templated,
                h.nontemplated,
                h.mismatches,
                h.wildcards
            ),
            (7, -2, 22, 1, 0, 2)
        );
        let err = |s: &str| parse_hit(s).unwrap_err().to_string();
        assert!(err("7:-2:22:1:0").contains("no wildcards field"));
        assert!(err("7:-2:x:1:0:2").contains("templated 'x'"));
        assert!(err("7:-2:22:1:300:2").contains("mismatches '300'"));
        assert!(err("7:-2:22:1:0:2:9").contains("more than 6 fields"));
    }
}

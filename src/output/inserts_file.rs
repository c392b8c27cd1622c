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
//! `--dedup` a sample's cell is `reads/molecules`. A run with `--ncrna` has
//! an `ncrna` column right after `hits`, each insert's best hits on the
//! ncRNA targets in the same form (`.` for none, and for inserts that were
//! not looked up); a run without it writes no such column.

use std::io::{self, BufRead, Write};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

use crate::align::{FlatHits, Hit};
use crate::error::{Error, Result};
use crate::prep::collapse::{InsertTable, SortedInserts};

/// File name in the output directory.
pub const FILE_NAME: &str = "inserts.tsv.gz";

const MAGIC: &str = "##mirq-inserts 1";

/// Writes the table (gzip, deterministic bytes); `ncrna`: every insert's
/// ncRNA hits, with `--ncrna`.
pub fn write(
    w: &mut impl Write,
    samples: &[String],
    table: &InsertTable,
    hits: &FlatHits,
    ncrna: Option<&FlatHits>,
    molecules: Option<&[Vec<(u32, u32)>]>,
) -> io::Result<()> {
    let mut gz = GzEncoder::new(w, Compression::fast());
    writeln!(gz, "{MAGIC}")?;
    write!(gz, "#sequence\thits")?;
    if ncrna.is_some() {
        write!(gz, "\t{NCRNA_COLUMN}")?;
    }
    for s in samples {
        write!(gz, "\t{s}")?;
    }
    writeln!(gz)?;
    let mut reads_at = vec![0usize; samples.len()];
    let mut mol_at = vec![0usize; samples.len()];
    let mut line = String::new();
    for id in 0..table.len() {
        line.clear();
        line.push_str(std::str::from_utf8(table.seq(id)).unwrap_or("N"));
        line.push('\t');
        push_hits(&mut line, hits.get(id));
        if let Some(n) = ncrna {
            line.push('\t');
            push_hits(&mut line, n.get(id));
        }
        for s in 0..samples.len() {
            use std::fmt::Write as _;
            let counts = &table.counts[s];
            let reads = match counts.get(reads_at[s]) {
                Some(&(i, n)) if i as usize == id => {
                    reads_at[s] += 1;
                    n
                }
                _ => 0,
            };
            let _ = write!(line, "\t{reads}");
            if let Some(m) = molecules {
                let n = match m[s].get(mol_at[s]) {
                    Some(&(i, n)) if i as usize == id => {
                        mol_at[s] += 1;
                        n
                    }
                    _ => 0,
                };
                let _ = write!(line, "/{n}");
            }
        }
        line.push('\n');
        gz.write_all(line.as_bytes())?;
    }
    gz.finish()?;
    Ok(())
}

/// The header of the ncRNA hits column.
const NCRNA_COLUMN: &str = "ncrna";

/// Appends one insert's hits: `.` for none, else comma-separated
/// `target:offset:templated:nontemplated:mismatches:wildcards`.
fn push_hits(line: &mut String, hits: &[Hit]) {
    use std::fmt::Write as _;
    if hits.is_empty() {
        line.push('.');
    }
    for (i, hit) in hits.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        let _ = write!(
            line,
            "{}:{}:{}:{}:{}:{}",
            hit.target, hit.offset, hit.templated, hit.nontemplated, hit.mismatches, hit.wildcards
        );
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
}

/// Reads `path` (written by [`write`]).
pub fn read(path: &Path) -> Result<RunInserts> {
    let bad = |line: usize, message: String| Error::Parse {
        path: path.to_path_buf(),
        message: format!("line {line}: {message}"),
    };
    let file = std::fs::File::open(path).map_err(|err| Error::Io {
        path: path.to_path_buf(),
        err,
    })?;
    let reader = io::BufReader::new(MultiGzDecoder::new(io::BufReader::new(file)));
    let mut run = RunInserts::default();
    // the header is read with the first row, which tells an `ncrna` column
    // from a sample named `ncrna`
    let mut header = None;
    for (i, line) in reader.lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| bad(n, format!("read error (truncated file?): {e}")))?;
        match n {
            1 if line != MAGIC => {
                return Err(bad(
                    1,
                    format!("expected '{MAGIC}' (not a mirq inserts file)"),
                ))
            }
            1 => {}
            2 => header = Some(line),
            _ => {
                if let Some(h) = header.take() {
                    run.read_header(&h, Some(&line)).map_err(|m| bad(2, m))?;
                }
                run.read_row(&line).map_err(|m| bad(n, m))?;
            }
        }
    }
    if let Some(h) = header {
        run.read_header(&h, None).map_err(|m| bad(2, m))?;
    }
    if run.samples.is_empty() && run.rows.is_empty() {
        return Err(bad(0, "empty file".into()));
    }
    Ok(run)
}

impl RunInserts {
    /// The `#sequence<TAB>hits[<TAB>ncrna]<TAB>sample...` line. A field
    /// `ncrna` after `hits` is the ncRNA column unless the first row holds a
    /// count there (then it is a sample's name).
    fn read_header(
        &mut self,
        line: &str,
        first_row: Option<&str>,
    ) -> std::result::Result<(), String> {
        let mut fields = line.split('\t');
        if fields.next() != Some("#sequence") || fields.next() != Some("hits") {
            return Err("expected the '#sequence<TAB>hits' header".into());
        }
        let mut names: Vec<String> = fields.map(String::from).collect();
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
        Ok(())
    }

    /// One insert's row: its sequence, hits and per-sample counts (the
    /// first row says whether every cell carries `reads/molecules`).
    fn read_row(&mut self, line: &str) -> std::result::Result<(), String> {
        let mut fields = line.split('\t');
        let seq = fields.next().unwrap_or_default().as_bytes();
        if !self.rows.is_empty() && self.rows.seq(self.rows.len() - 1) >= seq {
            return Err("rows are not sorted by sequence".into());
        }
        let hits = parse_hits(fields.next().ok_or("no hits column")?)?;
        if let Some(ncrna) = &mut self.ncrna {
            ncrna.push(&parse_hits(fields.next().ok_or("no ncrna column")?)?);
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
            let parse = |v: &str| v.parse::<u32>().map_err(|_| format!("bad count '{cell}'"));
            let reads = parse(reads)?;
            if row == 0 && s == 0 && molecules.is_some() {
                self.molecules = Some(vec![Vec::new(); self.samples.len()]);
            }
            if molecules.is_some() != self.molecules.is_some() {
                return Err("molecule counts in some cells only".into());
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
            return Err(format!(
                "{columns} count columns for {} samples",
                self.samples.len()
            ));
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
fn parse_hits(field: &str) -> std::result::Result<Vec<Hit>, String> {
    if field == "." {
        return Ok(Vec::new());
    }
    field.split(',').map(parse_hit).collect()
}

/// Parses one hit; the error names the field that is missing or malformed.
fn parse_hit(s: &str) -> std::result::Result<Hit, String> {
    let mut f = s.split(':');
    let mut field = |i: usize| -> std::result::Result<&str, String> {
        f.next()
            .ok_or_else(|| format!("bad hit '{s}': no {} field", HIT_FIELDS[i]))
    };
    let bad = |i: usize, v: &str| {
        format!(
            "bad hit '{s}': {} '{v}' is not a number in range",
            HIT_FIELDS[i]
        )
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
        Some(_) => Err(format!(
            "bad hit '{s}': more than {} fields",
            HIT_FIELDS.len()
        )),
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
        write(
            &mut bytes,
            &samples,
            &table,
            &hits,
            ncrna.then_some(&nc),
            None,
        )
        .unwrap();
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
        let err = |s: &str| parse_hit(s).unwrap_err();
        assert!(err("7:-2:22:1:0").contains("no wildcards field"));
        assert!(err("7:-2:x:1:0:2").contains("templated 'x'"));
        assert!(err("7:-2:22:1:300:2").contains("mismatches '300'"));
        assert!(err("7:-2:22:1:0:2:9").contains("more than 6 fields"));
    }
}

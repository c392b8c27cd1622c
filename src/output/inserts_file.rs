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
//! `--dedup` a sample's cell is `reads/molecules`.

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

/// Writes the table (gzip, deterministic bytes).
pub fn write(
    w: &mut impl Write,
    samples: &[String],
    table: &InsertTable,
    hits: &FlatHits,
    molecules: Option<&[Vec<(u32, u32)>]>,
) -> io::Result<()> {
    let mut gz = GzEncoder::new(w, Compression::fast());
    writeln!(gz, "{MAGIC}")?;
    write!(gz, "#sequence\thits")?;
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
        let h = hits.get(id);
        if h.is_empty() {
            line.push('.');
        }
        for (i, hit) in h.iter().enumerate() {
            use std::fmt::Write as _;
            if i > 0 {
                line.push(',');
            }
            let _ = write!(
                line,
                "{}:{}:{}:{}:{}:{}",
                hit.target,
                hit.offset,
                hit.templated,
                hit.nontemplated,
                hit.mismatches,
                hit.wildcards
            );
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
    for (i, line) in reader.lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| bad(n, format!("read error (truncated file?): {e}")))?;
        let read = match n {
            1 if line != MAGIC => Err(format!("expected '{MAGIC}' (not a mirq inserts file)")),
            1 => Ok(()),
            2 => run.read_header(&line),
            _ => run.read_row(&line),
        };
        read.map_err(|m| bad(n, m))?;
    }
    if run.samples.is_empty() && run.rows.is_empty() {
        return Err(bad(0, "empty file".into()));
    }
    Ok(run)
}

impl RunInserts {
    /// The `#sequence<TAB>hits<TAB>sample...` line.
    fn read_header(&mut self, line: &str) -> std::result::Result<(), String> {
        let mut fields = line.split('\t');
        if fields.next() != Some("#sequence") || fields.next() != Some("hits") {
            return Err("expected the '#sequence<TAB>hits' header".into());
        }
        self.samples = fields.map(String::from).collect();
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
        let hits_field = fields.next().ok_or("no hits column")?;
        let mut hits = Vec::new();
        if hits_field != "." {
            for h in hits_field.split(',') {
                hits.push(parse_hit(h)?);
            }
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

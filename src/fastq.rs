//! Streaming FASTQ input: plain, gzip or zstd (detected from the first bytes,
//! never from the file name), one record at a time, in bounded memory.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use needletail::errors::ParseErrorKind;
use needletail::parse_fastx_reader;

use crate::error::{Error, Result};

/// Size of the read buffer between the file and the decompressor.
const IO_BUFFER: usize = 1 << 20;

/// Reads every record of `path`, handing its sequence and quality to `visit`.
/// Returns the number of records read. An empty file (or an empty compressed
/// stream) holds zero records and is not an error.
pub fn for_each_record(path: &Path, mut visit: impl FnMut(&[u8], &[u8])) -> Result<u64> {
    let file = File::open(path).map_err(|err| Error::Io {
        path: path.to_path_buf(),
        err,
    })?;
    let reader = BufReader::with_capacity(IO_BUFFER, file);
    read_records(path, reader, &mut visit)
}

fn read_records<R: Read + Send>(
    path: &Path,
    reader: R,
    visit: &mut dyn FnMut(&[u8], &[u8]),
) -> Result<u64> {
    let mut parser = match parse_fastx_reader(reader) {
        Ok(p) => p,
        Err(e) if e.kind == ParseErrorKind::EmptyFile => return Ok(0),
        Err(e) => return Err(parse_error(path, &e, 0)),
    };
    let mut records = 0u64;
    while let Some(record) = parser.next() {
        let record = record.map_err(|e| parse_error(path, &e, records))?;
        let seq = record.raw_seq();
        let qual = record.qual().unwrap_or(&[]);
        visit(seq, qual);
        records += 1;
    }
    Ok(records)
}

fn parse_error(path: &Path, e: &needletail::errors::ParseError, records: u64) -> Error {
    let message = match e.kind {
        ParseErrorKind::Io => format!(
            "read error after record {records} (truncated or corrupt file?): {}",
            e.msg
        ),
        ParseErrorKind::UnexpectedEnd => format!(
            "file ends inside a record (after record {records}, {}): truncated FASTQ",
            e.position
        ),
        ParseErrorKind::UnequalLengths => format!("malformed FASTQ record: {e}"),
        ParseErrorKind::InvalidSeparator => {
            format!("malformed FASTQ record (missing '+' line): {e}")
        }
        _ => format!("not a valid FASTQ file: {e}"),
    };
    Error::Parse {
        path: path.to_path_buf(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write_tmp(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn collect(path: &Path) -> Result<Vec<String>> {
        let mut seqs = Vec::new();
        for_each_record(path, |s, _| {
            seqs.push(String::from_utf8(s.to_vec()).unwrap())
        })?;
        Ok(seqs)
    }

    const TWO: &[u8] = b"@r1\nACGT\n+\nIIII\n@r2\nGGA\n+\nIII\n";

    #[test]
    fn plain_and_gzip_give_the_same_records() {
        let plain = write_tmp(TWO);
        let gz = write_tmp(&gzip(TWO));
        assert_eq!(collect(plain.path()).unwrap(), vec!["ACGT", "GGA"]);
        assert_eq!(collect(gz.path()).unwrap(), vec!["ACGT", "GGA"]);
    }

    #[test]
    fn empty_file_has_zero_records() {
        let f = write_tmp(b"");
        assert_eq!(for_each_record(f.path(), |_, _| {}).unwrap(), 0);
        let gz = write_tmp(&gzip(b""));
        assert_eq!(for_each_record(gz.path(), |_, _| {}).unwrap(), 0);
    }

    #[test]
    fn truncated_gzip_is_an_error_naming_the_file() {
        let mut body = Vec::new();
        for i in 0..2000 {
            body.extend_from_slice(format!("@r{i}\nACGTACGTACGT\n+\nIIIIIIIIIIII\n").as_bytes());
        }
        let gz = gzip(&body);
        let f = write_tmp(&gz[..gz.len() / 2]);
        let err = collect(f.path()).unwrap_err().to_string();
        assert!(err.contains(&f.path().display().to_string()), "{err}");
    }

    #[test]
    fn missing_plus_line_names_the_line() {
        let f = write_tmp(b"@r1\nACGT\n+\nIIII\n@r2\nACGT\nIIII\n@r3\nACGT\n+\nIIII\n");
        let err = collect(f.path()).unwrap_err().to_string();
        assert!(err.contains("'+'"), "{err}");
        assert!(err.contains("line"), "{err}");
    }

    #[test]
    fn short_quality_line_is_an_error() {
        let f = write_tmp(b"@r1\nACGT\n+\nIII\n");
        let err = collect(f.path()).unwrap_err().to_string();
        assert!(err.contains("quality length"), "{err}");
    }
}

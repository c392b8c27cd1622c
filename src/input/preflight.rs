//! Every input FASTQ checked before any work starts, so that a missing,
//! malformed or doubly listed file fails the run before the first sample is
//! read, naming the samplesheet line that lists it.
//!
//! Regular files are opened and their first records parsed (up to
//! [`fastq::ENCODING_READS`], which also tells Phred+64 apart), side by side
//! on the pool, then closed: the run opens them again. The error is the
//! first fault in list order, as if each file were checked in turn. Pipes,
//! FIFOs, process substitutions (`<(zcat x)`, `/dev/fd/N`) and other
//! non-regular files are only looked up (`stat`), never opened or read
//! here: opening a FIFO waits for its writer, and bytes read here would be
//! missing from the run, which reads every input exactly once. Their
//! records are checked as the run reads them.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::input::fastq;
use crate::input::samples::{Listed, Sample, SampleFile};

/// What the look at the inputs learned.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Regular files whose records are FASTA (no qualities).
    pub fasta: Vec<std::path::PathBuf>,
}

/// Checks every FASTQ file of `samples`: it exists, is not a directory, is
/// listed once (by device and inode, so a symlink or hard link to another
/// listed file is refused naming both), and, for regular files, its first
/// records parse ([`fastq`]'s checks, Phred+64 included). With
/// `needs_qualities` (`--quality-cutoff`), FASTA input is refused as
/// cutadapt refuses it: no qualities are available.
pub fn check_inputs(samples: &[Sample], needs_qualities: bool) -> Result<Inputs> {
    // each file looked up in list order, to the first one at fault; the
    // regular files before it are parsed side by side, and the first fault
    // in list order is the error, as if each file were checked in turn
    let mut seen: Vec<((u64, u64), &Path, &Listed)> = Vec::new();
    let mut regular: Vec<(&Path, &Listed)> = Vec::new();
    let mut looked_up = Ok(());
    for SampleFile { path: file, listed } in samples.iter().flat_map(|s| &s.files) {
        match look_up(file, listed, &seen) {
            Ok((key, is_file)) => {
                seen.push((key, file, listed));
                if is_file {
                    regular.push((file, listed));
                }
            }
            Err(e) => {
                looked_up = Err(e);
                break;
            }
        }
    }
    let parsed: Vec<Result<bool>> = regular
        .par_iter()
        .map(|&(file, listed)| first_records(file, listed))
        .collect();
    let mut inputs = Inputs::default();
    for (&(file, listed), fasta) in regular.iter().zip(parsed) {
        if fasta? {
            if needs_qualities {
                return Err(in_context(listed, no_qualities(file)));
            }
            inputs.fasta.push(file.to_path_buf());
        }
    }
    looked_up.map(|()| inputs)
}

/// Looks `file` up: an error if it is missing, a directory, or the same
/// file as one `seen`; else its (device, inode), and whether it is a
/// regular file to parse (not a stream, which is checked as the run reads
/// it).
fn look_up(
    file: &Path,
    listed: &Listed,
    seen: &[((u64, u64), &Path, &Listed)],
) -> Result<((u64, u64), bool)> {
    let meta = std::fs::metadata(file).map_err(|err| {
        in_context(
            listed,
            Error::Io {
                path: file.to_path_buf(),
                err,
            },
        )
    })?;
    let key = (meta.dev(), meta.ino());
    if let Some((_, first, first_listed)) = seen.iter().find(|(k, _, _)| *k == key) {
        return Err(duplicate(file, listed, first, first_listed));
    }
    if meta.is_dir() {
        return Err(in_context(
            listed,
            Error::Parse {
                path: file.to_path_buf(),
                message: "is a directory, not a FASTQ file".into(),
            },
        ));
    }
    Ok((key, meta.is_file()))
}

/// Parses the first records of regular file `file`; whether they are FASTA
/// (without qualities).
fn first_records(file: &Path, listed: &Listed) -> Result<bool> {
    let mut fasta = false;
    let mut left = fastq::ENCODING_READS;
    fastq::for_each_record_until(file, |seq, qual| {
        fasta |= qual.len() != seq.len();
        left -= 1;
        if left == 0 {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    })
    .map_err(|e| in_context(listed, e))?;
    Ok(fasta)
}

/// The error for FASTA input under `--quality-cutoff` (cutadapt: "Cannot do
/// quality trimming when no qualities are available").
pub fn no_qualities(file: &Path) -> Error {
    Error::Parse {
        path: file.to_path_buf(),
        message: "FASTA reads carry no qualities: --quality-cutoff cannot trim them (no qualities are available); give FASTQ or leave out --quality-cutoff".into(),
    }
}

/// `err` about a file, said with the samplesheet line that lists the file.
fn in_context(listed: &Listed, err: Error) -> Error {
    match listed {
        Listed::Argument => err,
        Listed::Sheet { path, line } => Error::Samplesheet {
            path: path.clone(),
            line: *line,
            message: with_sources(&err),
        },
    }
}

/// An error's message followed by those of its sources.
fn with_sources(err: &Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The error for a file that is another listed file under another name.
fn duplicate(file: &Path, listed: &Listed, first: &Path, first_listed: &Listed) -> Error {
    let why = "a symlink or hard link to it, or the same path: each FASTQ file once";
    match (listed, first_listed) {
        (
            Listed::Sheet { path, line },
            Listed::Sheet {
                line: first_line, ..
            },
        ) => Error::Samplesheet {
            path: path.clone(),
            line: *line,
            message: format!(
                "{} is the same file as {} on line {first_line} ({why})",
                file.display(),
                first.display()
            ),
        },
        _ => Error::InvalidValue {
            what: "input files",
            value: file.display().to_string(),
            message: format!("the same file as {} ({why})", first.display()),
        },
    }
}

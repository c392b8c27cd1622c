//! Typed errors of the mirq library. The CLI wraps them with `anyhow` at the edge.

use std::path::PathBuf;

/// Everything that can go wrong inside mirq, each variant naming the file, line,
/// record or value at fault so that a user can fix the input.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened or read.
    #[error("{path}: {err}")]
    Io { path: PathBuf, err: std::io::Error },
    /// A FASTQ (or FASTA) file is malformed or truncated.
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// A samplesheet row is malformed.
    #[error("{path}: line {line}: {message}")]
    Samplesheet {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// No reference record carries the requested species prefix.
    #[error(
        "{path}: no record for species '{species}'; species codes present include: {examples}"
    )]
    UnknownSpecies {
        path: PathBuf,
        species: String,
        examples: String,
    },
    /// A reference file is empty or has no usable sequence.
    #[error("{path}: {message}")]
    Reference { path: PathBuf, message: String },
    /// A command-line value is not valid.
    #[error("invalid value '{value}' for {what}: {message}")]
    InvalidValue {
        what: &'static str,
        value: String,
        message: String,
    },
    /// The requested alignment engine cannot run here.
    #[error("engine '{engine}' is not available: {message}")]
    EngineUnavailable {
        engine: &'static str,
        message: String,
    },
    /// An output file could not be written.
    #[error("cannot write {path}: {err}")]
    Write { path: PathBuf, err: std::io::Error },
}

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

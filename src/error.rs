//! Typed errors of the mirq library. The CLI wraps them with `anyhow` at the edge.

use std::path::PathBuf;

/// Everything that can go wrong inside mirq, each variant naming the file, line,
/// record or value at fault so that a user can fix the input. Wrapped I/O
/// errors are kept as the error's source, so the chain stays whole.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened or read (the I/O error is the source:
    /// `{:#}` with anyhow, or `source()`, shows it).
    #[error("{path}")]
    Io {
        path: PathBuf,
        #[source]
        err: std::io::Error,
    },
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
    /// The output directory cannot be used (held by another run, not a
    /// directory, or holding files mirq did not write).
    #[error("output directory {path}: {message}")]
    Outdir { path: PathBuf, message: String },
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
    /// The GPU reported an error while mirq used it (validation, out of
    /// memory, a lost device or a failed transfer).
    #[error("GPU {adapter}: {kind} while {stage}: {message}")]
    Gpu {
        adapter: String,
        stage: &'static str,
        kind: GpuFailure,
        message: String,
    },
    /// A figure of report.html could not be drawn.
    #[error("report figure {figure}: {message}")]
    Plot {
        figure: &'static str,
        message: String,
    },
    /// An output file could not be written.
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        err: std::io::Error,
    },
    /// Standard output could not be written (a closed pipe is not an
    /// error: the command ends quietly).
    #[error("cannot write to standard output")]
    Stdout {
        #[source]
        err: std::io::Error,
    },
}

/// What kind of GPU error ended a GPU step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpuFailure {
    /// wgpu validation failed (a mirq bug or an adapter limit).
    Validation,
    /// The device ran out of memory.
    OutOfMemory,
    /// The driver failed internally or the device was lost.
    Internal,
    /// Waiting for or reading back results failed.
    Transfer,
}

impl std::fmt::Display for GpuFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Validation => "validation error",
            Self::OutOfMemory => "out of memory",
            Self::Internal => "internal error",
            Self::Transfer => "transfer error",
        })
    }
}

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

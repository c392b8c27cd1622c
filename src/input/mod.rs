//! Stage 1, input: FASTQ records as a stream, the samples of a run (their
//! files checked before work), the library protocol and adapter as the user
//! declares them, and the miRBase-style reference of a species.

pub mod artifacts;
pub mod fastq;
pub mod gzip;
pub mod library;
pub mod names;
pub mod ncrna;
pub mod preflight;
pub mod reference;
pub mod samples;
pub mod screen;
pub mod sim;

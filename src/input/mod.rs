//! Stage 1, input: FASTQ records as a stream, the samples of a run (their
//! files checked before work), and the miRBase-style reference of a species.

pub mod artifacts;
pub mod fastq;
pub mod gzip;
pub mod names;
pub mod ncrna;
pub mod preflight;
pub mod reference;
pub mod samples;
pub mod screen;
pub mod sim;

//! mirq: microRNA count matrices from small-RNA sequencing runs.
//!
//! The tree reads as the pipeline; imports only run down it (a stage uses the
//! ones above it, never one below):
//!
//! 1. [`input`]: FASTQ streams, samples and samplesheets, miRBase references.
//! 2. [`prep`]: protocol presets and `--protocol auto`, adapter trimming,
//!    UMIs, read preparation, collapsing into unique inserts.
//! 3. [`align`]: the CPU and GPU engines, their shared seam, engine choice.
//! 4. [`count`]: assignment, isomiR calls, count matrices, mirGFF3 lines.
//! 5. [`output`]: staged atomic outputs, stats.json, QC, MultiQC, inserts file,
//!    report.html.
//! 6. [`cmd`]: `mirq quant`, `mirq merge`, `mirq report` and `mirq bench`, the
//!    stages joined.
//!
//! Under them all: [`seq`] (the one base alphabet), [`error`], [`runtime`]
//! (thread pool, progress, memory), [`numbers`] (numbers for people),
//! [`rng`] (the one random generator of the bench workload and the tests) and
//! [`tuning`] (the run-time `MIRQ_*` switches, read once).

pub mod align;
pub mod cmd;
pub mod count;
pub mod error;
pub mod input;
pub mod numbers;
pub mod output;
pub mod prep;
pub mod rng;
pub mod runtime;
pub mod seq;
pub mod tuning;

pub use error::{Error, Result};

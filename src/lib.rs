//! mirq: microRNA count matrices from small-RNA sequencing runs.
//!
//! Data flows one way: [`fastq`] reader → [`trim`] trimmer → [`collapse`]
//! collapser → [`align`] engine → [`assign`] assigner → [`output`] writers,
//! driven by [`quant`].

pub mod align;
pub mod assign;
pub mod bench;
pub mod collapse;
pub mod count;
pub mod detect;
pub mod error;
pub mod fastq;
pub mod finish;
pub mod gff;
pub mod inserts_file;
pub mod isomir;
pub mod memory;
pub mod merge;
pub mod multiqc;
pub mod output;
pub mod protocol;
pub mod qc;
pub mod quant;
pub mod reference;
pub mod samples;
pub mod seq;
pub mod stats;
pub mod trim;
pub mod umi;

pub use error::{Error, Result};

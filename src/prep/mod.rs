//! Stage 2, read preparation: from raw reads to collapsed unique inserts
//! (protocol presets and their detection, adapter trimming, UMIs).

pub mod check;
pub mod collapse;
pub mod detect;
pub mod pieces;
pub mod plan;
pub mod protocol;
pub mod reads;
pub mod sink;
pub mod trim;
pub mod umi;

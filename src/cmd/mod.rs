//! Stage 6, commands: each joins the stages above into one of mirq's
//! subcommands.

pub mod bench;
pub mod bench_screen;
pub mod count_and_write;
pub mod merge;
pub mod merge_inputs;
pub mod origin;
pub mod quant;
pub mod report;

//! Decompresses each FASTQ given through mirq's own input stage (the
//! reading thread and chunks `quant` reads with, no parsing) and prints
//! one line a file: the name, the decompressed bytes, the seconds and the
//! decompressed MB/s. `benches/inflate.sh` sets it beside `igzip -dc`.
//!
//! ```text
//! cargo run --release --example inflate_speed -- FASTQ...
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use mirq::input::fastq::decompressed_bytes;

fn main() -> ExitCode {
    let files: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if files.is_empty() {
        eprintln!("usage: inflate_speed FASTQ...");
        return ExitCode::FAILURE;
    }
    for file in &files {
        let start = Instant::now();
        match decompressed_bytes(file) {
            Ok(bytes) => {
                let secs = start.elapsed().as_secs_f64();
                println!(
                    "{}\t{bytes}\t{secs:.3}\t{:.0}",
                    file.display(),
                    bytes as f64 / secs / 1e6
                );
            }
            Err(e) => {
                eprintln!("inflate_speed: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

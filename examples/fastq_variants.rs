//! Writes a FASTQ stream to stdout made from an existing run: its reads,
//! repeated until `READS` are written, each base replaced by a random one
//! with probability `RATE` (seeded by `SEED`, so every seed is another
//! sample with its own error-carrying inserts). Feeds many large samples to
//! `mirq quant` through pipes without storing them, for memory benchmarks
//! (`benches/memory.sh`).
//!
//! ```sh
//! cargo run --release --example fastq_variants -- IN.fastq.gz READS SEED RATE > out.fastq
//! ```

use std::io::{BufWriter, Write};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, reads, seed, rate] = args.as_slice() else {
        return Err("usage: fastq_variants IN.fastq[.gz] READS SEED RATE".into());
    };
    let input = PathBuf::from(input);
    let wanted: u64 = reads.parse()?;
    let mut rng = mirq::rng::Rng::new(seed.parse::<u64>()?.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let threshold = (rate.parse::<f64>()? * u32::MAX as f64) as u64;
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut written = 0u64;
    let mut line = Vec::with_capacity(512);
    let mut failed: Option<std::io::Error> = None;
    while written < wanted {
        let before = written;
        mirq::input::fastq::for_each_record(&input, |seq, _qual| {
            if written >= wanted || failed.is_some() {
                return;
            }
            line.clear();
            line.extend_from_slice(format!("@r{written}\n").as_bytes());
            for &b in seq {
                let state = rng.next_u64();
                let base = if (state & 0xffff_ffff) < threshold {
                    b"ACGT"[(state >> 40) as usize & 3]
                } else {
                    b
                };
                line.push(base);
            }
            line.extend_from_slice(b"\n+\n");
            line.resize(line.len() + seq.len(), b'I');
            line.push(b'\n');
            if let Err(e) = out.write_all(&line) {
                failed = Some(e);
            }
            written += 1;
        })?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        if written == before {
            return Err("the input holds no reads".into());
        }
    }
    out.flush()?;
    Ok(())
}

//! Times how soon `--protocol auto` hands a sample's records to the
//! trimmer: the reading, the detection sample and the decision they wait
//! for.
//!
//! ```text
//! cargo run --release --example auto_stream_timing -- FASTQ...
//! ```
//!
//! Streams each file five times as a run does with `--protocol auto`
//! (`stream_prepared`), to a sink that only counts, and prints the wall
//! seconds until the first record reached the sink (the decision made)
//! and until twice `SAMPLE_READS` records had (what the trimming workers
//! have to work on by then): the median of the five, and the best.

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::OnceLock;
use std::time::Instant;

use mirq::input::samples::{sample_name_from_path, Listed, Sample, SampleFile};
use mirq::prep::detect::SAMPLE_READS;
use mirq::prep::plan::stream_prepared;
use mirq::prep::protocol::{PrepPlan, TrimRequest};

fn main() {
    let files: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if files.is_empty() {
        eprintln!("usage: auto_stream_timing FASTQ...");
        std::process::exit(2);
    }
    let plan = PrepPlan::Detect(TrimRequest {
        protocol: "auto".parse().expect("auto"),
        adapter: None,
        cut_5p: None,
        cut_3p: None,
        min_length: 16,
        max_length: 40,
        quality_cutoff: None,
        dedup: false,
        umi: None,
    });
    for file in &files {
        let sample = Sample {
            name: sample_name_from_path(file),
            files: vec![SampleFile {
                path: file.clone(),
                listed: Listed::Argument,
            }],
            protocol: None,
            adapter: None,
        };
        let mut times: Vec<[f64; 2]> = (0..5).map(|_| time(&sample, &plan)).collect();
        let mut column = |i: usize| {
            times.sort_by(|a, b| a[i].total_cmp(&b[i]));
            (times[2][i], times[0][i])
        };
        let (first, first_best) = column(0);
        let (twice, twice_best) = column(1);
        println!(
            "{:42} first record {first:.4} s (best {first_best:.4}), {} records {twice:.4} s (best {twice_best:.4})",
            sample.name,
            2 * SAMPLE_READS
        );
    }
}

/// Seconds until the first record, and until `2 * SAMPLE_READS` records,
/// reached the sink (the whole stream's when it has fewer).
fn time(sample: &Sample, plan: &PrepPlan) -> [f64; 2] {
    let (chosen, bytes) = (OnceLock::new(), AtomicU64::new(0));
    let start = Instant::now();
    let (mut n, mut first, mut twice) = (0usize, None, None);
    stream_prepared(sample, plan, &chosen, &bytes, |_, _| {
        n += 1;
        if n == 1 {
            first = Some(start.elapsed().as_secs_f64());
        }
        if n == 2 * SAMPLE_READS {
            twice = Some(start.elapsed().as_secs_f64());
        }
    })
    .expect("streamed");
    let end = start.elapsed().as_secs_f64();
    [first.unwrap_or(end), twice.unwrap_or(end)]
}

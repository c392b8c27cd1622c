//! Times the per-read adapter search on a FASTQ's first reads.
//!
//! ```text
//! cargo run --release --example adapter_timing -- FASTQ [ADAPTER] [READS]
//! ```
//!
//! Reads the file's first READS reads (default 200,000), upper-cased as
//! read preparation leaves them, and times `AdapterFinder::find` (TruSeq
//! small RNA at `-e 0.1 -O 3` by default) over all of them, best of five
//! passes, in the thread's CPU nanoseconds a read (`FIND_ONLY=1`: only
//! that). Also prints how many reads hold the whole
//! adapter exactly, how many a match, and the full alignment's time for
//! scale.

mod common;

use std::ops::ControlFlow;

use common::thread_cpu_seconds;
use mirq::input::fastq::for_each_record_until;
use mirq::prep::trim::AdapterFinder;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(file) = args.first() else {
        eprintln!("usage: adapter_timing FASTQ [ADAPTER] [READS]");
        std::process::exit(2);
    };
    let adapter = args.get(1).map_or("TGGAATTCTCGGGTGCCAAGG", String::as_str);
    let wanted: usize = args.get(2).map_or(200_000, |n| n.parse().expect("READS"));
    let mut reads: Vec<Vec<u8>> = Vec::new();
    for_each_record_until(std::path::Path::new(file), |seq, _| {
        reads.push(seq.iter().map(|b| mirq::seq::normalize_base(*b)).collect());
        if reads.len() < wanted {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    })
    .expect("reads");
    let finder = AdapterFinder::new(adapter.as_bytes(), 0.1, 3);
    let time_on = |reads: &[&[u8]], f: &dyn Fn(&[u8]) -> usize| {
        (0..5)
            .map(|_| {
                let t = thread_cpu_seconds();
                let s: usize = reads.iter().map(|r| f(r)).sum();
                std::hint::black_box(s);
                (thread_cpu_seconds() - t) * 1e9 / reads.len().max(1) as f64
            })
            .fold(f64::INFINITY, f64::min)
    };
    let all: Vec<&[u8]> = reads.iter().map(Vec::as_slice).collect();
    let time = |f: &dyn Fn(&[u8]) -> usize| time_on(&all, f);
    let (with, without): (Vec<&[u8]>, Vec<&[u8]>) = all
        .iter()
        .partition(|r| memchr::memmem::find(r, adapter.as_bytes()).is_some());
    let exact = with.len();
    let split = [&with, &without].map(|r| time_on(r, &|r| finder.find(r).map_or(0, |m| m.start)));
    let found = reads.iter().filter(|r| finder.find(r).is_some()).count();
    let find = time(&|r| finder.find(r).map_or(0, |m| m.start));
    if std::env::var_os("FIND_ONLY").is_some() {
        println!(
            "find {find:.1} ns/read ({:.1} on the {exact} reads with the exact adapter, {:.1} on the others)",
            split[0], split[1]
        );
        return;
    }
    let full = time(&|r| finder.find_by_alignment(r).map_or(0, |m| m.start));
    println!(
        "{} reads, {exact} with the exact adapter, {found} with a match: find {find:.1} ns/read, full alignment {full:.1} ns/read",
        reads.len()
    );
}

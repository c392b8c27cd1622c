//! Simulated reads for the detection tests: miRNA-like inserts of uneven
//! abundance, made into reads by each test's own library layout.

use super::known::ReadSample;
use crate::rng::Rng;

/// Twelve miRNA-like inserts (18-25 nt), the first ones most abundant.
fn inserts(rng: &mut Rng) -> Vec<Vec<u8>> {
    (0..12).map(|i| rng.bases(18 + i % 8)).collect()
}

fn pick<'a>(rng: &mut Rng, inserts: &'a [Vec<u8>]) -> &'a [u8] {
    // geometric-like abundance: insert i with weight 2^-i
    let mut i = 0;
    while i + 1 < inserts.len() && rng.below(2) == 0 {
        i += 1;
    }
    &inserts[i]
}

/// `n` reads: `make(rng, insert)` gives the molecule; with a length,
/// random bases fill the read to it (a sequencer's fixed cycles),
/// without one the molecule is the read (already trimmed).
fn reads(
    n: usize,
    len: Option<usize>,
    seed: u64,
    mut make: impl FnMut(&mut Rng, &[u8]) -> Vec<u8>,
) -> ReadSample {
    let mut rng = Rng::new(seed);
    let ins = inserts(&mut rng);
    let mut s = ReadSample::default();
    for _ in 0..n {
        let insert = pick(&mut rng, &ins).to_vec();
        let mut read = make(&mut rng, &insert);
        if let Some(len) = len {
            let fill = rng.bases(len.saturating_sub(read.len()));
            read.extend(fill);
            read.truncate(len);
        }
        s.push(&read);
    }
    s
}

/// Untrimmed reads of `len` bases.
pub(super) fn library(
    n: usize,
    len: usize,
    seed: u64,
    make: impl FnMut(&mut Rng, &[u8]) -> Vec<u8>,
) -> ReadSample {
    reads(n, Some(len), seed, make)
}

/// Already-trimmed reads.
pub(super) fn trimmed(
    n: usize,
    seed: u64,
    make: impl FnMut(&mut Rng, &[u8]) -> Vec<u8>,
) -> ReadSample {
    reads(n, None, seed, make)
}

pub(super) fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

pub(super) const TAIL: &[u8] = b"AACTCCAGTCACATCTCGTATGCCGTCTTCTGCTTG";

//! The adapter search's fast paths (exact hit, windows) against the full
//! alignment they stand for, `find_by_alignment`, a line-for-line port of
//! cutadapt 5.2's aligner, for every adapter the command line accepts (3 to
//! 200 letters of ACGTN, error rate 0.1, overlap 3), on reads of the
//! inserts' alphabet.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mirq::prep::trim::AdapterFinder;

fn bases(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().map(|&b| b"ACGTN"[(b % 5) as usize]).collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let len = 3 + (n as usize % 30);
    if rest.len() < len {
        return;
    }
    let (adapter, read) = rest.split_at(len);
    let f = AdapterFinder::new(&bases(adapter), 0.1, 3);
    let read = bases(read);
    assert_eq!(f.find(&read), f.find_by_alignment(&read));
});

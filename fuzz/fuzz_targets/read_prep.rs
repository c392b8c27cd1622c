//! Read preparation on any read: trimming never panics, its insert lies in
//! the read, and a read in lower case or RNA letters trims like its
//! upper-case DNA twin once normalised (as mirq normalises every read).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mirq::input::library::Protocol;
use mirq::prep::protocol::TrimSettings;
use mirq::prep::trim::TrimOutcome;
use mirq::seq::normalize_base;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, read)) = data.split_first() else {
        return;
    };
    let protocol = [
        Protocol::Illumina,
        Protocol::Qiaseq,
        Protocol::Nextflex,
        Protocol::Cats,
    ][choice as usize % 4];
    let trim = TrimSettings::resolve(protocol, None, 16, 40).unwrap();
    let trimmer = trim.trimmer();
    let upper: Vec<u8> = read.iter().map(|&b| normalize_base(b)).collect();
    let lower: Vec<u8> = upper.iter().map(|b| b.to_ascii_lowercase()).collect();
    let relowered: Vec<u8> = lower.iter().map(|&b| normalize_base(b)).collect();
    let outcome = trimmer.trim(&upper);
    assert_eq!(outcome, trimmer.trim(&relowered));
    if let TrimOutcome::Insert { start, end } = outcome {
        assert!(start <= end && end <= upper.len());
    }
});

//! Samplesheets of any bytes: an error or samples whose names are safe to
//! build paths from, each file listed once.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use mirq::input::samples::{read_samplesheet, validate_sample_name};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("s.csv");
    std::fs::File::create(&sheet)
        .unwrap()
        .write_all(data)
        .unwrap();
    if let Ok(samples) = read_samplesheet(&sheet) {
        let mut files = Vec::new();
        for s in &samples {
            assert!(validate_sample_name(&s.name).is_ok(), "{:?}", s.name);
            assert!(!s.files.is_empty());
            files.extend(s.files.iter().map(|f| f.path.clone()));
        }
        let n = files.len();
        files.sort();
        files.dedup();
        assert_eq!(files.len(), n, "a file listed twice");
    }
});

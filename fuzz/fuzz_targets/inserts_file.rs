//! `inserts.tsv.gz` of any content: read back without panicking; what
//! reads back is consistent (one hit list per row, counts within rows, one
//! count list per sample) and its sample names are safe to name files
//! after, each once.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use mirq::input::samples::validate_sample_name;
use mirq::output::inserts_file;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(inserts_file::FILE_NAME);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    if let Ok(run) = inserts_file::read(&path) {
        assert_eq!(run.hits.len(), run.rows.len());
        assert_eq!(run.reads.len(), run.samples.len());
        for column in [&run.ncrna, &run.artifact, &run.exogenous, &run.screen] {
            assert!(column.as_ref().is_none_or(|c| c.len() == run.rows.len()));
        }
        assert!(run.decoy.as_ref().is_none_or(|d| d.len() == run.rows.len()));
        if let Some(m) = &run.molecules {
            assert_eq!(m.len(), run.samples.len());
        }
        for (i, name) in run.samples.iter().enumerate() {
            assert!(validate_sample_name(name).is_ok(), "{name:?}");
            assert!(!run.samples[..i].contains(name), "{name:?} twice");
        }
        for sample in &run.reads {
            assert!(sample
                .iter()
                .all(|&(row, _)| (row as usize) < run.rows.len()));
        }
    }
});

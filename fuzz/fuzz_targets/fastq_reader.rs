//! The FASTQ reader on any bytes: no panic, and the same bytes plain, as
//! gzip and as zstd give the same records (or all fail). The bytes go
//! through the reader's `Read` API, no file between.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;

fn records(bytes: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, ()> {
    let mut out = Vec::new();
    mirq::input::fastq::Reader::new(bytes)
        .for_each(|s, q| out.push((s.to_vec(), q.to_vec())))
        .map(|_| out)
        .map_err(|_| ())
}

fuzz_target!(|data: &[u8]| {
    // compressed streams are recognised by their first bytes: the plain
    // text must not start like one to be read as plain text
    if data.starts_with(&[0x1f, 0x8b]) || data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let _ = records(data);
        return;
    }
    let plain = records(data);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    let gz = records(&gz.finish().unwrap());
    let zst = records(&zstd::encode_all(data, 1).unwrap());
    assert_eq!(plain, gz, "plain and gzip differ");
    assert_eq!(plain, zst, "plain and zstd differ");
});

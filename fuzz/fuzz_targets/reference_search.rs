//! References and inserts of any bytes: the CPU engine's seeded search
//! returns exactly the brute-force oracle's best hits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mirq::align::cpu::CpuEngine;
use mirq::align::{brute_force, AlignParams, Engine, TargetSet};
use mirq::input::reference::{RefSeq, Reference};
use mirq::seq::encode;

fn bases(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().map(|&b| b"ACGTN"[(b % 5) as usize]).collect()
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (head, rest) = data.split_at(4);
    let params = AlignParams {
        max_mismatches: head[0] % 3,
        max_nontemplated: head[1] % 4,
    };
    // pieces separated by 0xff: matures, then a hairpin, then inserts
    let pieces: Vec<&[u8]> = rest.split(|&b| b == 0xff).collect();
    let n_matures = 1 + head[2] as usize % 4;
    if pieces.len() < n_matures + 2 {
        return;
    }
    let matures: Vec<RefSeq> = pieces[..n_matures]
        .iter()
        .enumerate()
        .map(|(i, p)| RefSeq::new(&format!("xyz-miR-{i}"), bases(p)))
        .collect();
    let hairpins = if head[3] % 2 == 0 {
        vec![RefSeq::new("xyz-mir-1", bases(pieces[n_matures]))]
    } else {
        Vec::new()
    };
    let r = Reference::from_sequences("xyz", matures, hairpins);
    let ts = TargetSet::build(&r, 3, 5);
    let inserts: Vec<Vec<u8>> = pieces[n_matures + 1..]
        .iter()
        .map(|p| encode(&bases(&p[..p.len().min(64)])))
        .collect();
    let views: Vec<&[u8]> = inserts.iter().map(Vec::as_slice).collect();
    let got = CpuEngine.align(&ts, &views, &params).unwrap();
    for (insert, hits) in inserts.iter().zip(&got) {
        assert_eq!(hits, &brute_force(&ts, insert, &params));
    }
});

//! The test kit: random references and inserts drawn from mirq's one
//! generator ([`mirq::rng::Rng`]), shared by the integration tests, the GPU
//! oracle and the benches (which include this file by path: it uses nothing
//! but the mirq library).
#![allow(dead_code)]

use mirq::input::reference::{RefSeq, Reference};
pub use mirq::rng::Rng;

/// A random reference of `n` miRNAs in hairpins (or matures alone without
/// `hairpins`): matures of 18-25 nt, some at a hairpin's very start or end
/// (edge windows), an N in every eleventh hairpin, a family member one base
/// off the first mature, and a mature in two hairpins.
pub fn random_reference(rng: &mut Rng, hairpins: bool, n: usize) -> Reference {
    let mut matures = Vec::new();
    let mut hps = Vec::new();
    for i in 0..n {
        let len = 18 + rng.below(8);
        let m = rng.bases(len);
        // a mature right at the hairpin start or end now and then (edge windows)
        let f5 = if i % 5 == 0 { 0 } else { rng.below(15) };
        let f3 = if i % 7 == 0 { 1 } else { 10 + rng.below(40) };
        let mut h = rng.bases(f5);
        h.extend_from_slice(&m);
        let tail = rng.bases(f3);
        h.extend(tail);
        if i % 11 == 0 {
            h[rng.below(len)] = b'N';
        }
        matures.push(RefSeq {
            name: format!("xyz-miR-{i}"),
            seq: m,
        });
        hps.push(RefSeq {
            name: format!("xyz-mir-{i}"),
            seq: h,
        });
    }
    // a family member one base off, and a mature in two hairpins
    let mut fam = matures[0].seq.clone();
    fam[9] = if fam[9] == b'A' { b'C' } else { b'A' };
    matures.push(RefSeq {
        name: "xyz-miR-fam".into(),
        seq: fam,
    });
    let mut twin = b"GG".to_vec();
    twin.extend_from_slice(&matures[1].seq);
    twin.extend_from_slice(b"TTTTTTTTTTTT");
    hps.push(RefSeq {
        name: "xyz-mir-twin".into(),
        seq: twin,
    });
    if !hairpins {
        hps.clear();
    }
    Reference::from_sequences("xyz", matures, hps)
}

/// Inserts of every kind: exact matures, 5' shifts both ways, 3' trims and
/// templated extensions, A/U tails, substitutions, N, random junk, lengths
/// 0..64.
pub fn random_inserts(rng: &mut Rng, r: &Reference, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            if i % 9 == 0 {
                let len = rng.below(65);
                return rng.bases(len);
            }
            let source = if !r.hairpins.is_empty() && i % 3 == 0 {
                &r.hairpins[rng.below(r.hairpins.len())].seq
            } else {
                &r.matures[rng.below(r.matures.len())].seq
            };
            let start = rng.below(source.len().min(12));
            let len = (14 + rng.below(14)).min(source.len() - start);
            let mut s = source[start..start + len].to_vec();
            let tail = rng.below(4);
            for _ in 0..tail {
                s.push(b"AAT"[rng.below(3)]);
            }
            for _ in 0..rng.below(3) {
                let p = rng.below(s.len());
                s[p] = b"ACGTN"[rng.below(5)];
            }
            if i % 13 == 0 {
                let k = 1 + rng.below(2);
                let extra = rng.bases(k);
                s.splice(0..0, extra);
            }
            s.truncate(64);
            s
        })
        .collect()
}

//! Simulated inputs, all drawn from mirq's one generator ([`Rng`]): the
//! deep-run workload of `mirq bench` ([`workload`]), the genome-screen
//! workload of `mirq bench --screen` ([`screen_workload`]), and the random
//! references and inserts of the tests, the GPU oracle and the benches
//! ([`random_reference`], [`random_inserts`]). The same seed gives the same
//! data on every platform.

use std::collections::HashSet;

use super::reference::{RefSeq, Reference};
use super::screen::ScreenReference;
use crate::rng::Rng;

/// `n` distinct inserts (ASCII, at least 16 nt) like a deep run's, the same
/// for the same reference and `seed`: 80% isomiRs of located matures (5'
/// shifts of ±1, 3' ends from 2 short to 2 long), 10% hairpin fragments
/// (18–23 nt anywhere on the hairpin), 10% unrelated random sequence; then
/// 0–2 non-templated A/A/T bases appended and each base replaced by a random
/// one with probability 2% (sequencing errors). A reference whose matures
/// lie in no hairpin draws its isomiRs and fragments from the matures.
pub fn workload(reference: &Reference, n: usize, seed: u64) -> Vec<Vec<u8>> {
    // (sequence to cut from, mature start in it, mature length)
    let sources: Vec<(&[u8], usize, usize)> = if reference.locations.is_empty() {
        reference
            .matures
            .iter()
            .map(|m| (&m.seq[..], 0, m.seq.len()))
            .collect()
    } else {
        reference
            .locations
            .iter()
            .map(|l| {
                let h = &reference.hairpins[l.hairpin].seq;
                (&h[..], l.start, reference.matures[l.mature].seq.len())
            })
            .collect()
    };
    let mut rng = Rng::new(seed);
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let kind = rng.below(10);
        let mut s: Vec<u8> = if kind == 0 || sources.is_empty() {
            let len = 16 + rng.below(20);
            rng.bases(len)
        } else {
            let (h, mature_start, m) = sources[rng.below(sources.len())];
            let (start, len) = if kind == 1 {
                (
                    rng.below(h.len().saturating_sub(20).max(1)),
                    18 + rng.below(6),
                )
            } else {
                let shift = rng.below(3) as isize - 1;
                (
                    (mature_start as isize + shift).max(0) as usize,
                    (m + rng.below(5)).saturating_sub(2),
                )
            };
            let start = start.min(h.len());
            let end = (start + len).min(h.len());
            h[start..end].to_vec()
        };
        for _ in 0..rng.below(3) {
            s.push(b"AAT"[rng.below(3)]);
        }
        for b in s.iter_mut() {
            if rng.below(100) < 2 {
                *b = b"ACGT"[rng.below(4)];
            }
        }
        if s.len() >= 16 && seen.insert(s.clone()) {
            out.push(s);
        }
    }
    out
}

/// `n` distinct inserts of 17–40 nt, the same for the same reference and
/// `seed` (the workload of `mirq bench --screen`): half fragments of the
/// reference (either strand, 0–2 substitutions), half random.
pub fn screen_workload(r: &ScreenReference, n: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(seed);
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(n);
    let records: Vec<&[u8]> = r
        .records
        .iter()
        .map(|x| x.seq.as_slice())
        .filter(|s| s.len() >= 40)
        .collect();
    while out.len() < n {
        let len = 17 + rng.below(24);
        let q = if out.len() % 2 == 0 && !records.is_empty() {
            let s = records[rng.below(records.len())];
            let at = rng.below(s.len() - len + 1);
            let mut q = s[at..at + len].to_vec();
            if rng.chance(0.5) {
                q = crate::seq::reverse_complement(&q);
            }
            for _ in 0..rng.below(3) {
                let x = rng.below(len);
                q[x] = b"ACGT"[rng.below(4)];
            }
            q
        } else {
            rng.bases(len)
        };
        if seen.insert(q.clone()) {
            out.push(q);
        }
    }
    out
}

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

/// `n` test inserts of every kind: exact matures, 5' shifts both ways, 3'
/// trims and templated extensions, A/U tails (now and then up to 7 bases),
/// substitutions, N, random junk, lengths 0..64.
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
            // now and then a tail longer than the non-templated bases
            // allowed: its hits run into the 3' pad
            let tail = if rng.below(4) == 0 {
                rng.below(8)
            } else {
                rng.below(4)
            };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed of `mirq bench`'s default workload.
    const SEED: u64 = 0x5EED_0000_0000_0042;

    /// The demo's 61 human miRNAs and their hairpins.
    fn demo_reference() -> Reference {
        let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/reference");
        Reference::load(
            &demo.join("mature.fa"),
            Some(&demo.join("hairpin.fa")),
            "hsa",
        )
        .unwrap()
    }

    #[test]
    fn workload_is_deterministic_distinct_and_from_the_reference() {
        let r = demo_reference();
        // nearly every mature lies in its hairpin
        assert!(
            r.locations.len() + 2 >= r.matures.len(),
            "{} of {} located",
            r.locations.len(),
            r.matures.len()
        );
        let a = workload(&r, 2000, SEED);
        assert_eq!(a, workload(&r, 2000, SEED));
        assert_ne!(a, workload(&r, 2000, 7));
        assert_eq!(workload(&r, 500, SEED)[..], a[..500]);
        let distinct: std::collections::HashSet<&Vec<u8>> = a.iter().collect();
        assert_eq!(distinct.len(), 2000);
        assert!(a.iter().all(|s| s.len() >= 16));
        // most inserts hold a 12-nt piece of a hairpin
        let pieces: std::collections::HashSet<&[u8]> =
            r.hairpins.iter().flat_map(|h| h.seq.windows(12)).collect();
        let from_reference = a.iter().filter(|s| pieces.contains(&s[2..14])).count();
        assert!(from_reference > 1400, "{from_reference} of 2000");
        // seed 0 works (xorshift would stay at 0)
        assert_eq!(workload(&r, 100, 0).len(), 100);
    }

    #[test]
    fn mature_only_references_make_a_workload_too() {
        let r = Reference::from_sequences("hsa", demo_reference().matures, vec![]);
        assert_eq!(workload(&r, 300, SEED).len(), 300);
    }

    #[test]
    fn random_inserts_come_from_the_reference_and_vary() {
        let mut rng = Rng::new(5);
        let r = random_reference(&mut rng, true, 20);
        assert_eq!((r.matures.len(), r.hairpins.len()), (21, 21));
        let qs = random_inserts(&mut rng, &r, 900);
        assert!(qs.iter().all(|q| q.len() <= 64));
        // most hold an 8-nt piece of a hairpin
        let pieces: HashSet<&[u8]> = r.hairpins.iter().flat_map(|h| h.seq.windows(8)).collect();
        let drawn = qs
            .iter()
            .filter(|q| q.len() >= 10 && pieces.contains(&q[2..10]))
            .count();
        assert!(drawn > 400, "{drawn} of 900");
        assert_ne!(qs, random_inserts(&mut rng, &r, 900));
    }
}

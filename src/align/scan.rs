//! Few inserts against a large reference without pads (the ncRNA targets):
//! instead of sorting every reference position into a seed index (tens of
//! milliseconds per million positions, paid again by every run), the
//! inserts' pigeonhole pieces go into a small direct table and the reference
//! is read once. The best hits are the same as every engine's (the same
//! definition: [`super::brute_force`] is the oracle in the tests).
//!
//! Each insert of `l` bases is split as the engines split it: its first
//! `l - tmax` bases hold `k + 1` pieces of `p` bases, one of which a hit
//! with at most `k` mismatches matches exactly. Here only the first
//! `min(p, SEED)` bases of each piece are looked up, which finds a superset
//! of the candidate offsets; each is verified.

use rayon::prelude::*;

use super::{keep_best, verify, AlignParams, Hit, TargetSet};
use crate::seq::{N, T};

/// Bases of a piece looked up (a table of 4^SEED lists).
const SEED: usize = 8;

/// Pieces shorter than this make the scan give up (too many candidates).
const MIN_SEED: usize = 6;

/// Whether scanning a reference of `bases` real bases for `inserts` inserts
/// is expected to beat building its seed index: the index sorts every
/// position, the scan reads each once and verifies about `2 * bases / 4^8`
/// offsets per insert.
pub fn worthwhile(bases: usize, inserts: usize) -> bool {
    inserts.saturating_mul(128) < bases
}

/// One insert's pieces: piece length and seed length.
#[derive(Clone, Copy)]
struct Split {
    piece: usize,
    seed: usize,
}

/// Best hits of each insert (base codes), in input order; None when the
/// targets have pads, or some insert's pieces are too short to scan for
/// (the caller aligns with the seed index instead).
pub fn align_few(ts: &TargetSet, inserts: &[&[u8]], params: &AlignParams) -> Option<Vec<Vec<Hit>>> {
    if ts.window_5p != 0 || ts.window_3p != 0 || !ts.windows.is_empty() {
        return None;
    }
    let k = params.max_mismatches as usize;
    let splits: Vec<Option<Split>> = inserts
        .iter()
        .map(|q| {
            let l = q.len();
            if l == 0 {
                return Ok(None);
            }
            let tmax = (params.max_nontemplated as usize).min(l - 1);
            let piece = (l - tmax) / (k + 1);
            let seed = piece.min(SEED);
            if seed < MIN_SEED {
                return Err(());
            }
            Ok(Some(Split { piece, seed }))
        })
        .collect::<Result<_, ()>>()
        .ok()?;
    let paired = strand_pairs(ts);
    let tables = SeedTables::build(inserts, &splits, k, paired);
    let scan = Scan {
        ts,
        inserts,
        params,
        splits: &splits,
        tables: &tables,
    };
    let step = if paired { 2 } else { 1 };
    let mut found: Vec<(u32, Hit)> = (0..ts.targets.len())
        .into_par_iter()
        .step_by(step)
        .fold(Vec::new, |mut out, t| {
            scan.target(t, &mut out);
            out
        })
        .reduce(Vec::new, |mut a, mut b| {
            a.append(&mut b);
            a
        });
    found.par_sort_unstable();
    let mut hits = vec![Vec::new(); inserts.len()];
    for (i, hit) in found {
        hits[i as usize].push(hit);
    }
    hits.par_iter_mut().for_each(keep_best);
    Some(hits)
}

/// Whether the targets come in strand pairs, as [`TargetSet::from_ncrna`]
/// and [`TargetSet::from_screen`] make them: target `2i + 1` is target `2i`
/// reverse-complemented. Then only the sense targets are read, and the
/// antisense ones are searched by the reverse complements of the seeds.
pub(crate) fn strand_pairs(ts: &TargetSet) -> bool {
    use super::TargetKind::{Feature, Record};
    ts.targets.len() % 2 == 0
        && ts.targets.chunks(2).all(|p| match (p[0].kind, p[1].kind) {
            (
                Feature {
                    index: a,
                    antisense: false,
                },
                Feature {
                    index: b,
                    antisense: true,
                },
            )
            | (
                Record {
                    index: a,
                    antisense: false,
                },
                Record {
                    index: b,
                    antisense: true,
                },
            ) => a == b && p[0].len == p[1].len,
            _ => false,
        })
}

/// What a scan of the targets needs.
struct Scan<'a> {
    ts: &'a TargetSet,
    inserts: &'a [&'a [u8]],
    params: &'a AlignParams,
    splits: &'a [Option<Split>],
    tables: &'a SeedTables,
}

/// The seeds of one length: a direct table from seed code to the (insert,
/// piece) pairs whose piece starts with it.
struct SeedTable {
    /// Seed length.
    len: usize,
    /// `4^len - 1`.
    mask: u32,
    /// `4^len + 1` offsets into `entries`.
    offsets: Vec<u32>,
    /// (insert, piece), by seed code.
    entries: Vec<(u32, u8)>,
}

/// A [`SeedTable`] per seed length in use.
struct SeedTables {
    tables: Vec<SeedTable>,
}

impl SeedTables {
    /// The seeds of every insert's pieces; with `rc`, also their reverse
    /// complements, tagged with [`RC`] (found on a sense target, they stand
    /// for the seed on its antisense pair).
    fn build(inserts: &[&[u8]], splits: &[Option<Split>], k: usize, rc: bool) -> Self {
        let mut lists: Vec<Vec<(u32, u32, u8)>> = vec![Vec::new(); SEED + 1];
        for (i, (q, split)) in inserts.iter().zip(splits).enumerate() {
            let Some(Split { piece, seed }) = *split else {
                continue;
            };
            for j in 0..=k {
                let bases = &q[j * piece..j * piece + seed];
                if let Some(code) = code_of(bases) {
                    lists[seed].push((code, i as u32, j as u8));
                }
                if let Some(code) = code_of_reverse_complement(bases).filter(|_| rc) {
                    lists[seed].push((code, i as u32, j as u8 | RC));
                }
            }
        }
        let tables = lists
            .into_iter()
            .enumerate()
            .filter(|(_, list)| !list.is_empty())
            .map(|(len, mut list)| {
                list.sort_unstable();
                let mut offsets = crate::runtime::written_zeros::<u32>((1 << (2 * len)) + 1);
                for &(code, _, _) in &list {
                    offsets[code as usize + 1] += 1;
                }
                for c in 1..offsets.len() {
                    offsets[c] += offsets[c - 1];
                }
                SeedTable {
                    len,
                    mask: (1u32 << (2 * len)) - 1,
                    offsets,
                    entries: list.into_iter().map(|(_, i, j)| (i, j)).collect(),
                }
            })
            .collect();
        Self { tables }
    }
}

impl Scan<'_> {
    /// Whether `piece` (codes) lies at `at` on target `t`, exactly.
    fn matches(&self, t: usize, at: usize, piece: &[u8]) -> bool {
        let target = &self.ts.targets[t];
        at + piece.len() <= target.len
            && self.ts.text[target.text_start + at..target.text_start + at + piece.len()] == *piece
    }

    /// Verifies every offset a seed found on target `t` (and, for strand
    /// pairs, on its antisense pair) gives, in one pass over its bases;
    /// appends (insert, hit).
    fn target(&self, t: usize, out: &mut Vec<(u32, Hit)>) {
        let ts = self.ts;
        let target = &ts.targets[t];
        let seq = &ts.text[target.text_start..target.text_start + target.len];
        let (mut code, mut run) = (0u32, 0usize);
        for (pos, &b) in seq.iter().enumerate() {
            if b >= N {
                run = 0;
                continue;
            }
            code = code << 2 | b as u32;
            run += 1;
            for table in &self.tables.tables {
                if run < table.len {
                    continue;
                }
                let c = (code & table.mask) as usize;
                let (lo, hi) = (table.offsets[c] as usize, table.offsets[c + 1] as usize);
                let start = pos + 1 - table.len;
                for &(i, j) in &table.entries[lo..hi] {
                    let piece = self.splits[i as usize].expect("seeded inserts split").piece;
                    let (on, at) = if j & RC == 0 {
                        (t, start)
                    } else {
                        // the seed at `start` on the sense target is its
                        // reverse complement's on the antisense one
                        (t + 1, target.len - start - table.len)
                    };
                    let from = (j & !RC) as usize * piece;
                    let Some(offset) = at.checked_sub(from) else {
                        continue;
                    };
                    let q = self.inserts[i as usize];
                    // only the seed was looked up: a hit this piece finds
                    // matches the whole piece (else another piece finds it)
                    if !self.matches(on, at, &q[from..from + piece]) {
                        continue;
                    }
                    if let Some(hit) = verify(ts, on, offset as i32, q, self.params) {
                        out.push((i, hit));
                    }
                }
            }
        }
    }
}

/// Tag of a table entry's piece number: the entry is a seed's reverse
/// complement.
const RC: u8 = 0x80;

/// 2-bit code of the reverse complement of bases (none of them N), or None.
fn code_of_reverse_complement(bases: &[u8]) -> Option<u32> {
    bases.iter().rev().try_fold(0u32, |code, &b| {
        (b < N).then_some(code << 2 | (T - b) as u32)
    })
}

/// 2-bit code of bases (none of them N), or None.
fn code_of(bases: &[u8]) -> Option<u32> {
    bases
        .iter()
        .try_fold(0u32, |code, &b| (b < N).then_some(code << 2 | b as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::brute_force;
    use crate::input::ncrna::{Feature, Group, NcrnaReference};
    use crate::input::reference::Reference;
    use crate::input::sim::{random_inserts, random_reference};
    use crate::rng::Rng;
    use crate::seq::{encode, reverse_complement};

    /// Random hairpins ([`random_reference`], an N in every eleventh) as
    /// ncRNA features: both strands, no pads; and the reference they came
    /// from.
    fn reference(rng: &mut Rng) -> (TargetSet, Reference) {
        let r = random_reference(rng, true, 30);
        let features = r
            .hairpins
            .iter()
            .map(|h| Feature {
                name: h.name.clone(),
                group: 0,
                seq: h.seq.clone(),
            })
            .collect();
        let ncrna = NcrnaReference {
            classes: vec!["x".into()],
            groups: vec![Group {
                name: "g".into(),
                class: 0,
            }],
            features,
            files: vec![],
        };
        (TargetSet::from_ncrna(&ncrna), r)
    }

    /// The same hairpins as miRBase hairpins without matures (no pads, no
    /// windows): one strand, no strand pairs.
    fn one_strand(r: &Reference) -> TargetSet {
        let hairpins = Reference::from_sequences("hsa", vec![], r.hairpins.clone());
        TargetSet::build(&hairpins, 0, 0)
    }

    #[test]
    fn scan_finds_the_brute_force_hits() {
        let mut rng = Rng::new(16);
        for (k, paired) in [(0u8, true), (1, true), (2, true), (1, false), (2, false)] {
            let (paired_ts, r) = reference(&mut rng);
            let ts = if paired { paired_ts } else { one_strand(&r) };
            assert_eq!(strand_pairs(&ts), paired);
            let params = AlignParams {
                max_mismatches: k,
                max_nontemplated: 3,
            };
            // every other one reverse-complemented: hits on either strand
            let qs: Vec<Vec<u8>> = random_inserts(&mut rng, &r, 600)
                .into_iter()
                .enumerate()
                .map(|(i, q)| {
                    if i % 2 == 1 {
                        reverse_complement(&q)
                    } else {
                        q
                    }
                })
                .filter(|q| q.is_empty() || q.len() >= MIN_SEED * (k as usize + 1) + 3)
                .collect();
            let codes: Vec<Vec<u8>> = qs.iter().map(|q| encode(q)).collect();
            let views: Vec<&[u8]> = codes.iter().map(Vec::as_slice).collect();
            let found = align_few(&ts, &views, &params).expect("pieces long enough");
            let mut with_hits = 0;
            for (q, hits) in views.iter().zip(&found) {
                assert_eq!(hits, &brute_force(&ts, q, &params), "k {k}");
                with_hits += usize::from(!hits.is_empty());
            }
            // a hit needs at most k changes (most random inserts have up to
            // 2, and a tail past 3 bases); on one strand the reverse
            // complements find none
            assert!(
                with_hits > views.len() / 6,
                "k {k}: {with_hits} of {}",
                views.len()
            );
        }
    }

    #[test]
    fn short_pieces_and_padded_targets_are_left_to_the_index() {
        let mut rng = Rng::new(3);
        let (ts, _) = reference(&mut rng);
        let short = encode(b"ACGTACGTACGTAC");
        assert!(align_few(&ts, &[&short], &AlignParams::default()).is_none());
        let r = crate::input::reference::Reference::from_sequences(
            "hsa",
            vec![crate::input::reference::RefSeq::new(
                "m",
                "ACGTACGTACGTACGTACGTAA",
            )],
            vec![],
        );
        let padded = TargetSet::build(&r, 3, 5);
        let q = encode(b"ACGTACGTACGTACGTACGTAA");
        assert!(align_few(&padded, &[&q], &AlignParams::default()).is_none());
    }
}

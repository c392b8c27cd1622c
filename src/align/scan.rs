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
use crate::seq::N;

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
    let tables = SeedTables::build(inserts, &splits, k);
    let mut candidates: Vec<(u32, u32, i32)> = (0..ts.targets.len())
        .into_par_iter()
        .fold(Vec::new, |mut out, t| {
            tables.scan_target(ts, t, &splits, &mut out);
            out
        })
        .reduce(Vec::new, |mut a, mut b| {
            a.append(&mut b);
            a
        });
    candidates.par_sort_unstable();
    candidates.dedup();
    Some(verify_grouped(ts, inserts, params, &candidates))
}

/// Verifies each insert's candidates (sorted by insert) and keeps its best
/// hits.
fn verify_grouped(
    ts: &TargetSet,
    inserts: &[&[u8]],
    params: &AlignParams,
    candidates: &[(u32, u32, i32)],
) -> Vec<Vec<Hit>> {
    let starts: Vec<usize> = (0..=inserts.len())
        .map(|i| candidates.partition_point(|c| (c.0 as usize) < i))
        .collect();
    (0..inserts.len())
        .into_par_iter()
        .map(|i| {
            let mut hits: Vec<Hit> = candidates[starts[i]..starts[i + 1]]
                .iter()
                .filter_map(|&(_, t, o)| verify(ts, t as usize, o, inserts[i], params))
                .collect();
            keep_best(&mut hits);
            hits
        })
        .collect()
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
    fn build(inserts: &[&[u8]], splits: &[Option<Split>], k: usize) -> Self {
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
            }
        }
        let tables = lists
            .into_iter()
            .enumerate()
            .filter(|(_, list)| !list.is_empty())
            .map(|(len, mut list)| {
                list.sort_unstable();
                let mut offsets = vec![0u32; (1 << (2 * len)) + 1];
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

    /// Appends (insert, target, offset) for every seed of every length
    /// found on target `t`, in one pass over its bases.
    fn scan_target(
        &self,
        ts: &TargetSet,
        t: usize,
        splits: &[Option<Split>],
        out: &mut Vec<(u32, u32, i32)>,
    ) {
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
            for table in &self.tables {
                if run < table.len {
                    continue;
                }
                let c = (code & table.mask) as usize;
                let (lo, hi) = (table.offsets[c] as usize, table.offsets[c + 1] as usize);
                if lo == hi {
                    continue;
                }
                let start = (pos + 1 - table.len) as i32;
                for &(i, j) in &table.entries[lo..hi] {
                    let piece = splits[i as usize].expect("seeded inserts split").piece;
                    let offset = start - (j as usize * piece) as i32;
                    if offset >= 0 {
                        out.push((i, t as u32, offset));
                    }
                }
            }
        }
    }
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
    use crate::rng::Rng;
    use crate::seq::encode;

    /// A random ncRNA-like reference (no pads), both strands.
    fn reference(rng: &mut Rng) -> TargetSet {
        // an N every 100 bases or so
        let mut alphabet = b"ACGT".repeat(25);
        alphabet.push(b'N');
        let features = (0..30)
            .map(|i| {
                let len = 20 + rng.below(200);
                Feature {
                    name: format!("f{i}"),
                    group: 0,
                    seq: rng.seq_from(len, &alphabet),
                }
            })
            .collect();
        let r = NcrnaReference {
            classes: vec!["x".into()],
            groups: vec![Group {
                name: "g".into(),
                class: 0,
            }],
            features,
            files: vec![],
        };
        TargetSet::from_ncrna(&r)
    }

    /// Inserts drawn from the reference (with mismatches, N and 3' tails)
    /// and at random, of every length from 0 to 60, with up to k + 1 changes.
    fn inserts(rng: &mut Rng, ts: &TargetSet, n: usize, k: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| {
                let len = i % 61;
                let t = &ts.targets[rng.below(ts.targets.len())];
                let mut q = if rng.chance(0.8) && t.len >= len {
                    let start = t.text_start + rng.below(t.len - len + 1);
                    crate::seq::decode(&ts.text[start..start + len]).into_bytes()
                } else {
                    rng.bases(len)
                };
                for _ in 0..rng.below(k + 2) {
                    if !q.is_empty() {
                        let at = rng.below(q.len());
                        q[at] = b"ACGTN"[rng.below(5)];
                    }
                }
                q
            })
            .collect()
    }

    #[test]
    fn scan_finds_the_brute_force_hits() {
        let mut rng = Rng::new(16);
        for k in 0..=2u8 {
            let ts = reference(&mut rng);
            let params = AlignParams {
                max_mismatches: k,
                max_nontemplated: 3,
            };
            let qs: Vec<Vec<u8>> = inserts(&mut rng, &ts, 600, k as usize)
                .into_iter()
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
            assert!(
                with_hits > views.len() / 3,
                "k {k}: {with_hits} of {}",
                views.len()
            );
        }
    }

    #[test]
    fn short_pieces_and_padded_targets_are_left_to_the_index() {
        let mut rng = Rng::new(3);
        let ts = reference(&mut rng);
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

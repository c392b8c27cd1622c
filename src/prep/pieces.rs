//! Every exact occurrence of an adapter's pieces in a read, found for all
//! pieces in one pass over the read, 32 read positions at a time (AVX2),
//! as one set of read positions per piece. The adapter search
//! ([`super::trim::AdapterFinder::find`]) takes the whole adapter's first
//! exact occurrence, and the windows it aligns, from these sets.

/// Longest read [`PieceScan::scan`] takes (its positions fit a [`Positions`]).
pub const MAX_READ: usize = 256;
/// Most pieces a [`PieceScan`] takes (an adapter of up to 39 bases at
/// cutadapt's default error rate has at most 4).
pub const MAX_PIECES: usize = 4;
/// Longest piece a [`PieceScan`] takes.
pub const MAX_PIECE_LEN: usize = 32;
/// Read positions compared at once.
pub const BLOCK: usize = 32;

/// A set of read positions below [`MAX_READ`], one bit each.
pub type Positions = [u64; MAX_READ / 64];

/// Finds an adapter's pieces (A, C, G, T only) in reads.
#[derive(Debug, Clone)]
pub struct PieceScan {
    pieces: Vec<Vec<u8>>,
    /// The shortest piece's length: every piece's first `shortest` bases
    /// are compared a block at a time, the rest of a longer one at each
    /// place found.
    shortest: usize,
    /// Per base position j below `shortest`, each piece's j-th base
    /// repeated over a block.
    lanes: Vec<Lanes>,
}

/// One base position of every piece, each repeated over a block.
#[derive(Debug, Clone, Copy)]
#[repr(align(32))]
struct Lanes([[u8; BLOCK]; MAX_PIECES]);

/// Where each piece occurs in one read.
#[derive(Default)]
pub struct Occurrences {
    /// Per piece of the scan, in order (the rest stay empty).
    sets: [Positions; MAX_PIECES],
}

impl PieceScan {
    /// A scan for `pieces`, or None where it cannot run: a CPU without
    /// AVX2, a piece that is empty, longer than [`MAX_PIECE_LEN`] or holds
    /// another letter than A, C, G and T, more than [`MAX_PIECES`] pieces.
    pub fn new(pieces: &[&[u8]]) -> Option<Self> {
        let fits = !pieces.is_empty()
            && pieces.len() <= MAX_PIECES
            && pieces.iter().all(|p| {
                (1..=MAX_PIECE_LEN).contains(&p.len())
                    && p.iter().all(|b| matches!(b, b'A' | b'C' | b'G' | b'T'))
            });
        if !fits || !has_avx2() {
            return None;
        }
        let shortest = pieces.iter().map(|p| p.len()).min().unwrap_or(0);
        let lanes = (0..shortest)
            .map(|j| {
                let mut lanes = Lanes([[0; BLOCK]; MAX_PIECES]);
                for (lane, piece) in lanes.0.iter_mut().zip(pieces) {
                    *lane = [piece[j]; BLOCK];
                }
                lanes
            })
            .collect();
        Some(Self {
            pieces: pieces.iter().map(|p| p.to_vec()).collect(),
            shortest,
            lanes,
        })
    }

    /// Every occurrence of each piece in `read`, overlapping ones too, added
    /// to `found` (empty before); false, and nothing added, when the read is
    /// longer than [`MAX_READ`] or too short for a block of the pieces
    /// ([`BLOCK`] positions and the shortest piece's length).
    #[inline]
    pub fn scan(&self, read: &[u8], found: &mut Occurrences) -> bool {
        if read.len() > MAX_READ || read.len() + 1 < BLOCK + self.shortest {
            return false;
        }
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `new` made this scan only where the CPU has AVX2, with
        // 1..=MAX_PIECES pieces; the read is checked above.
        unsafe {
            match self.pieces.len() {
                1 => avx2::scan::<1>(read, &self.lanes, &mut found.sets),
                2 => avx2::scan::<2>(read, &self.lanes, &mut found.sets),
                3 => avx2::scan::<3>(read, &self.lanes, &mut found.sets),
                _ => avx2::scan::<4>(read, &self.lanes, &mut found.sets),
            }
        };
        // a longer piece: its first `shortest` bases were compared
        for (piece, set) in self.pieces.iter().zip(found.sets.iter_mut()) {
            if piece.len() > self.shortest {
                let tail = &piece[self.shortest..];
                for start in positions(&set.clone()) {
                    let rest = read.get(start + self.shortest..start + piece.len());
                    if rest != Some(tail) {
                        set[start / 64] &= !(1 << (start % 64));
                    }
                }
            }
        }
        true
    }
}

impl Occurrences {
    /// The positions where piece `piece` occurs.
    pub fn of(&self, piece: usize) -> &Positions {
        &self.sets[piece]
    }

    /// The first read position `p` where each piece `i` occurs at
    /// `p + offsets[i]` (`offsets`: one per piece of the scan, in order):
    /// tried at each place of the first piece, in order.
    pub fn first_together(&self, offsets: impl Iterator<Item = usize> + Clone) -> Option<usize> {
        let mut rest = offsets.enumerate();
        let (_, first) = rest.next()?;
        positions(&self.sets[0])
            .filter_map(|q| q.checked_sub(first))
            .find(|&p| rest.clone().all(|(i, offset)| self.has(i, p + offset)))
    }

    /// Whether piece `piece` occurs at read position `at`.
    fn has(&self, piece: usize, at: usize) -> bool {
        at < MAX_READ && self.sets[piece][at / 64] >> (at % 64) & 1 == 1
    }

    /// Whether piece `piece` occurs anywhere before read position `before`.
    pub fn any_before(&self, piece: usize, before: usize) -> bool {
        self.sets[piece].iter().enumerate().any(|(w, &word)| {
            let from = w * 64;
            if before <= from {
                return false;
            }
            let keep = before - from;
            let below = if keep >= 64 {
                word
            } else {
                word & ((1 << keep) - 1)
            };
            below != 0
        })
    }
}

/// The positions of `set`, in order.
pub fn positions(set: &Positions) -> impl Iterator<Item = usize> + '_ {
    set.iter().enumerate().flat_map(|(w, &word)| {
        let mut rest = word;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                w * 64 + bit
            })
        })
    })
}

/// Whether the CPU has AVX2 (checked once).
pub(crate) fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The scan with AVX2.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_load_si256, _mm256_loadu_si256,
        _mm256_movemask_epi8, _mm256_set1_epi8,
    };

    use super::{Lanes, Positions, BLOCK, MAX_PIECES};

    /// Sets, for each of the `P` pieces, the bits of the read positions
    /// where its first `lanes.len()` bases occur: per block of [`BLOCK`]
    /// positions, the read's bytes `j` positions on compared with each
    /// piece's j-th base, the comparisons and-ed. The last block ends at the
    /// last start (it overlaps the one before: positions found twice are set
    /// twice), so that no load passes the read's end.
    ///
    /// # Safety
    /// The CPU must have AVX2; `P` is at most [`MAX_PIECES`];
    /// `read.len() <= MAX_READ` and `read.len() + 1 >= BLOCK + lanes.len()`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn scan<const P: usize>(
        read: &[u8],
        lanes: &[Lanes],
        sets: &mut [Positions; MAX_PIECES],
    ) {
        let bytes = read.as_ptr();
        let last = read.len() + 1 - BLOCK - lanes.len();
        let mut at = 0;
        loop {
            let from = at.min(last);
            let mut all = [_mm256_set1_epi8(-1); P];
            for (j, lanes) in lanes.iter().enumerate() {
                // from + j + BLOCK <= last + lanes.len() - 1 + BLOCK = read.len()
                let block = _mm256_loadu_si256(bytes.add(from + j).cast::<__m256i>());
                for (p, all) in all.iter_mut().enumerate() {
                    let lane = _mm256_load_si256(lanes.0[p].as_ptr().cast::<__m256i>());
                    *all = _mm256_and_si256(*all, _mm256_cmpeq_epi8(block, lane));
                }
            }
            for (set, all) in sets.iter_mut().zip(all) {
                add(set, from, _mm256_movemask_epi8(all) as u32);
            }
            if from == last {
                break;
            }
            at += BLOCK;
        }
    }

    /// Adds to `set` the positions `from + b` of the bits b of `bits`.
    #[inline(always)]
    fn add(set: &mut Positions, from: usize, bits: u32) {
        let bits = bits as u64;
        let (word, shift) = (from / 64, from % 64);
        set[word] |= bits << shift;
        if shift > 64 - BLOCK {
            // a start past MAX_READ has no word: none is found there
            if let Some(next) = set.get_mut(word + 1) {
                *next |= bits >> (64 - shift);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Each piece's occurrences, one position at a time.
    fn slow(read: &[u8], pieces: &[&[u8]]) -> Vec<Vec<usize>> {
        pieces
            .iter()
            .map(|p| {
                (0..read.len())
                    .filter(|&r| read[r..].starts_with(p))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn scan_finds_every_occurrence_of_every_piece() {
        let Some(_) = PieceScan::new(&[b"ACG"]) else {
            eprintln!("no AVX2 here: the scan is not used");
            return;
        };
        let mut rng = Rng::new(0x9_1ECE5);
        let mut compared = 0;
        for _ in 0..3000 {
            // a small alphabet at times, so that pieces recur and overlap
            let alphabet: &[u8] = if rng.below(2) == 0 { b"ACGT" } else { b"AC" };
            let n = BLOCK + MAX_PIECE_LEN + rng.below(MAX_READ - BLOCK - MAX_PIECE_LEN + 1);
            let mut read = rng.seq_from(n, alphabet);
            if n > 0 && rng.below(4) == 0 {
                read[rng.below(n)] = b'N';
            }
            let count = 1 + rng.below(MAX_PIECES);
            let owned: Vec<Vec<u8>> = (0..count)
                .map(|_| {
                    let longest = if rng.below(3) == 0 { MAX_PIECE_LEN } else { 5 };
                    let len = 1 + rng.below(longest);
                    rng.seq_from(len, alphabet)
                })
                .collect();
            let pieces: Vec<&[u8]> = owned.iter().map(|p| &p[..]).collect();
            let scan = PieceScan::new(&pieces).expect("pieces the scan takes");
            let mut found = Occurrences::default();
            assert!(scan.scan(&read, &mut found), "a read it takes");
            for (i, want) in slow(&read, &pieces).into_iter().enumerate() {
                assert_eq!(positions(found.of(i)).collect::<Vec<_>>(), want);
                compared += want.len();
                for before in [0, 1, 63, 64, 65, n / 2, n, MAX_READ] {
                    let any = want.iter().any(|&r| r < before);
                    assert_eq!(found.any_before(i, before), any);
                }
            }
        }
        assert!(compared > 10_000, "{compared} occurrences compared");
    }

    #[test]
    fn pieces_found_together_make_the_whole_adapter() {
        let Some(scan) = PieceScan::new(&[b"TGGAATT", b"CTCGGGT", b"GCCAAGG"]) else {
            return;
        };
        let adapter = b"TGGAATTCTCGGGTGCCAAGG";
        for at in [0, 5, 60, 63, 64, 100, 200, MAX_READ - adapter.len()] {
            let mut read = vec![b'C'; at];
            read.extend_from_slice(adapter);
            read.extend_from_slice(b"GGAATTCTC");
            read.resize(read.len().max(BLOCK + 40), b'C');
            read.truncate(MAX_READ);
            let mut found = Occurrences::default();
            assert!(scan.scan(&read, &mut found));
            assert_eq!(
                found.first_together([0, 7, 14].into_iter()),
                Some(at),
                "at {at}"
            );
            assert!(!found.any_before(0, at));
            assert!(found.any_before(0, at + 1));
        }
        let scanned = |read: &[u8]| {
            let mut found = Occurrences::default();
            scan.scan(read, &mut found).then_some(found)
        };
        assert!(scanned(&[b'A'; MAX_READ + 1]).is_none());
        assert!(scanned(&[b'A'; BLOCK + 7 - 2]).is_none());
        let found = scanned(&[b'A'; BLOCK + 7 - 1]).unwrap();
        assert_eq!(found.first_together([0, 7, 14].into_iter()), None);
        let found = scanned(b"TGGAATTCTCGGGTGCCAAGTTGGAATTCTCGGGTGCCAAG").unwrap();
        assert_eq!(found.first_together([0, 7, 14].into_iter()), None);
    }

    #[test]
    fn scans_refuse_what_they_cannot_take() {
        assert!(PieceScan::new(&[]).is_none());
        assert!(PieceScan::new(&[b"ACGN"]).is_none());
        assert!(PieceScan::new(&[b""]).is_none());
        assert!(PieceScan::new(&[&[b'A'; MAX_PIECE_LEN + 1][..]]).is_none());
        assert!(PieceScan::new(&[&b"AC"[..]; MAX_PIECES + 1]).is_none());
    }
}

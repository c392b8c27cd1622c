//! 3' adapter trimming with cutadapt semantics, protocol cuts and length filters.
//!
//! The adapter is aligned semi-globally to the read: the read prefix before the
//! adapter is free, the adapter starts at its first base and may run past the
//! read end (partial adapter). Errors (mismatches and indels) are allowed up to
//! `floor(max_error_rate * aligned adapter length)`, with at least
//! `min_overlap` adapter bases aligned. Among valid alignments the one with the
//! most matches wins, then the one with fewest errors, then the leftmost
//! (cutadapt's rule). `N` in the adapter matches any base; `N` in the read
//! matches nothing.

use memchr::memmem;

use crate::seq::{encode_base, N};

/// Where the adapter was found in a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdapterMatch {
    /// Read position of the adapter's first base: the insert is `read[..start]`.
    pub start: usize,
    /// Matching bases in the alignment.
    pub matches: usize,
    /// Mismatches plus indels in the alignment.
    pub errors: usize,
}

/// Finds one 3' adapter in reads.
///
/// ```
/// use mirq::trim::AdapterFinder;
/// let finder = AdapterFinder::new(b"TGGAATTCTCGGGTGCCAAGG", 0.1, 3);
/// // miR-16-5p, then the adapter with one mismatch (C for G at its 4th base)
/// let read = b"TAGCAGCACGTAAATATTGGCGTGGCATTCTCGGGTGCCAAGGAACTCC";
/// let hit = finder.find(read).unwrap();
/// assert_eq!((hit.start, hit.errors), (22, 1));
/// ```
#[derive(Debug, Clone)]
pub struct AdapterFinder {
    codes: Vec<u8>,
    exact: memmem::Finder<'static>,
    has_wildcards: bool,
    max_error_rate: f64,
    min_overlap: usize,
}

impl AdapterFinder {
    /// A finder for `adapter` (ACGT/U/N letters).
    pub fn new(adapter: &[u8], max_error_rate: f64, min_overlap: usize) -> Self {
        let upper = crate::seq::normalize_dna(adapter);
        let codes: Vec<u8> = upper.iter().map(|&b| encode_base(b)).collect();
        let has_wildcards = codes.contains(&N);
        Self {
            exact: memmem::Finder::new(&upper).into_owned(),
            codes,
            has_wildcards,
            max_error_rate,
            min_overlap: min_overlap.max(1),
        }
    }

    /// Best adapter match in `read`, if any. Reads carrying the whole adapter
    /// without error take an exact search; the others take the full alignment.
    pub fn find(&self, read: &[u8]) -> Option<AdapterMatch> {
        if !self.has_wildcards && !self.codes.is_empty() {
            if let Some(start) = self.exact.find(read) {
                return Some(AdapterMatch {
                    start,
                    matches: self.codes.len(),
                    errors: 0,
                });
            }
        }
        self.find_by_alignment(read)
    }

    /// The full dynamic-programming search (the reference for [`Self::find`]).
    pub fn find_by_alignment(&self, read: &[u8]) -> Option<AdapterMatch> {
        let m = self.codes.len();
        if m == 0 || read.is_empty() {
            return None;
        }
        // One DP column over adapter prefixes: (cost, matches, read start).
        let mut col: Vec<(u32, u32, u32)> = (0..=m).map(|i| (i as u32, 0, 0)).collect();
        let mut next = col.clone();
        let mut best: Option<(u32, u32, u32)> = None; // (matches, errors, start)
        let n = read.len();
        for j in 1..=n {
            let r = encode_base(read[j - 1]);
            next[0] = (0, 0, j as u32);
            for i in 1..=m {
                let a = self.codes[i - 1];
                let is_match = a == N || (a == r && r < N);
                let (dc, dm, ds) = col[i - 1];
                let mut cell = if is_match {
                    (dc, dm + 1, ds)
                } else {
                    (dc + 1, dm, ds)
                };
                let (uc, um, us) = next[i - 1];
                cell = better_cell(cell, (uc + 1, um, us));
                let (lc, lm, ls) = col[i];
                cell = better_cell(cell, (lc + 1, lm, ls));
                next[i] = cell;
            }
            // Whole adapter aligned, read continues (or ends) after it.
            self.consider(&mut best, next[m], m);
            if j == n {
                for (i, &cell) in next.iter().enumerate().take(m).skip(1) {
                    self.consider(&mut best, cell, i);
                }
            }
            std::mem::swap(&mut col, &mut next);
        }
        best.map(|(matches, errors, start)| AdapterMatch {
            start: start as usize,
            matches: matches as usize,
            errors: errors as usize,
        })
    }

    fn consider(&self, best: &mut Option<(u32, u32, u32)>, cell: (u32, u32, u32), aligned: usize) {
        let (cost, matches, start) = cell;
        if aligned < self.min_overlap || matches == 0 {
            return;
        }
        let allowed = (self.max_error_rate * aligned as f64 + 1e-9).floor() as u32;
        if cost > allowed {
            return;
        }
        let better = match *best {
            None => true,
            Some((bm, be, bs)) => {
                (matches, std::cmp::Reverse(cost), std::cmp::Reverse(start))
                    > (bm, std::cmp::Reverse(be), std::cmp::Reverse(bs))
            }
        };
        if better {
            *best = Some((matches, cost, start));
        }
    }
}

/// Lower cost wins, then more matches, then the leftmost start.
#[inline]
fn better_cell(a: (u32, u32, u32), b: (u32, u32, u32)) -> (u32, u32, u32) {
    if (b.0, std::cmp::Reverse(b.1), b.2) < (a.0, std::cmp::Reverse(a.1), a.2) {
        b
    } else {
        a
    }
}

/// What trimming made of one read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrimOutcome {
    /// No adapter found: the read is reported and not counted.
    NoAdapter,
    /// The insert is shorter than the minimum length (0 = adapter dimer).
    TooShort(usize),
    /// The insert is longer than the maximum length.
    TooLong(usize),
    /// The insert is `read[start..end]`.
    Insert { start: usize, end: usize },
}

/// Turns reads into inserts: adapter removal, fixed protocol cuts, length filter.
#[derive(Debug, Clone)]
pub struct Trimmer {
    adapter: Option<AdapterFinder>,
    cut_5p: usize,
    cut_3p: usize,
    min_length: usize,
    max_length: usize,
}

impl Trimmer {
    /// `adapter = None` takes reads as already-trimmed inserts. `cut_5p` and
    /// `cut_3p` bases are removed from the insert's ends after adapter removal
    /// (NEXTflex 4N+4N, CATS 3 nt).
    pub fn new(
        adapter: Option<AdapterFinder>,
        cut_5p: usize,
        cut_3p: usize,
        min_length: usize,
        max_length: usize,
    ) -> Self {
        Self {
            adapter,
            cut_5p,
            cut_3p,
            min_length,
            max_length,
        }
    }

    /// Whether reads are searched for an adapter (false: reads are inserts).
    pub fn has_adapter(&self) -> bool {
        self.adapter.is_some()
    }

    /// Trims one read.
    pub fn trim(&self, read: &[u8]) -> TrimOutcome {
        let end = match &self.adapter {
            Some(finder) => match finder.find(read) {
                Some(m) => m.start,
                None => return TrimOutcome::NoAdapter,
            },
            None => read.len(),
        };
        let start = self.cut_5p.min(end);
        let end = end.saturating_sub(self.cut_3p).max(start);
        let len = end - start;
        if len < self.min_length {
            TrimOutcome::TooShort(len)
        } else if len > self.max_length {
            TrimOutcome::TooLong(len)
        } else {
            TrimOutcome::Insert { start, end }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRUSEQ: &[u8] = b"TGGAATTCTCGGGTGCCAAGG";

    fn finder() -> AdapterFinder {
        AdapterFinder::new(TRUSEQ, 0.1, 3)
    }

    #[test]
    fn exact_adapter_after_insert_is_found() {
        let read = b"TAGCAGCACGTAAATATTGGCGTGGAATTCTCGGGTGCCAAGGAACTCCAGTCAC";
        let m = finder().find(read).unwrap();
        assert_eq!(m.start, 22);
        assert_eq!(m.errors, 0);
    }

    #[test]
    fn adapter_with_two_mismatches_is_found() {
        let read = b"TAGCAGCACGTAAATATTGGCGTGCAATTCTCGGGTGCCTAGGAACTCCA";
        let m = finder().find(read).unwrap();
        assert_eq!((m.start, m.errors), (22, 2));
    }

    #[test]
    fn adapter_with_three_mismatches_is_not_found() {
        let read = b"TAGCAGCACGTAAATATTGGCGTGCAATTATCGGGTGCCTAGGAACTCCA";
        assert_eq!(finder().find(read), None);
    }

    #[test]
    fn adapter_with_a_deletion_is_found() {
        // adapter missing its 5th base (A)
        let read = b"TAGCAGCACGTAAATATTGGCGTGGATTCTCGGGTGCCAAGGAACT";
        let m = finder().find(read).unwrap();
        assert_eq!((m.start, m.errors), (22, 1));
    }

    #[test]
    fn adapter_partial_at_read_end_is_trimmed() {
        let read = b"TAGCAGCACGTAAATATTGGCGTGGAA";
        assert_eq!(finder().find(read).unwrap().start, 22);
        // three adapter bases are the minimum overlap
        assert_eq!(finder().find(b"ACGTACGTACTGG").unwrap().start, 10);
        assert_eq!(finder().find(b"ACGTACGTACGTG"), None);
    }

    #[test]
    fn adapter_dimer_gives_empty_insert() {
        let t = Trimmer::new(Some(finder()), 0, 0, 16, 40);
        assert_eq!(
            t.trim(b"TGGAATTCTCGGGTGCCAAGGAACTCCAGT"),
            TrimOutcome::TooShort(0)
        );
    }

    #[test]
    fn no_adapter_is_reported() {
        let t = Trimmer::new(Some(finder()), 0, 0, 16, 40);
        assert_eq!(
            t.trim(b"ACACACACACACACACACACACACACACAC"),
            TrimOutcome::NoAdapter
        );
    }

    #[test]
    fn length_filters_discard_not_truncate() {
        let t = Trimmer::new(Some(finder()), 0, 0, 18, 20);
        let read = b"TAGCAGCACGTAAATATTGGCGTGGAATTCTCGGGTGCCAAGG";
        assert_eq!(t.trim(read), TrimOutcome::TooLong(22));
        let t = Trimmer::new(Some(finder()), 0, 0, 16, 40);
        assert_eq!(t.trim(read), TrimOutcome::Insert { start: 0, end: 22 });
    }

    #[test]
    fn protocol_cuts_apply_after_adapter_removal() {
        let t = Trimmer::new(Some(finder()), 4, 4, 10, 40);
        let read = b"ACGTTAGCAGCACGTAAATATTGGCGGGGGTGGAATTCTCGGGTGCCAAGG";
        assert_eq!(t.trim(read), TrimOutcome::Insert { start: 4, end: 26 });
    }

    #[test]
    fn untrimmed_mode_takes_the_whole_read() {
        let t = Trimmer::new(None, 0, 0, 16, 40);
        assert_eq!(
            t.trim(b"TAGCAGCACGTAAATATTGGCG"),
            TrimOutcome::Insert { start: 0, end: 22 }
        );
    }

    #[test]
    fn exact_search_agrees_with_alignment_on_random_reads() {
        // xorshift: reproducible random reads, some with adapters planted
        let mut state = 0x9E3779B97F4A7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let f = finder();
        for _ in 0..3000 {
            let len = (next() % 80) as usize;
            let mut read: Vec<u8> = (0..len).map(|_| b"ACGT"[(next() % 4) as usize]).collect();
            if len > 5 && next() % 2 == 0 {
                let at = (next() as usize) % len;
                for (k, &b) in TRUSEQ.iter().enumerate() {
                    if at + k < len {
                        read[at + k] = b;
                    }
                }
                if next() % 3 == 0 && at + 3 < len {
                    read[at + 3] = b'C';
                }
            }
            assert_eq!(
                f.find(&read),
                f.find_by_alignment(&read),
                "{}",
                String::from_utf8_lossy(&read)
            );
        }
    }
}

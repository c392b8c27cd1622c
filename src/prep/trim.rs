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

/// Longest adapter the aligner takes: its DP columns live on the stack and
/// pack a match count below 256 into each cell.
pub const MAX_ADAPTER_LEN: usize = 200;

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
/// use mirq::prep::trim::AdapterFinder;
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
    /// `k + 1` pieces of the adapter (k = errors allowed for the whole
    /// adapter) with their adapter offsets: a whole-adapter alignment with at
    /// most k errors contains one of them exactly.
    pieces: Vec<(usize, memmem::Finder<'static>)>,
    /// Errors allowed when the whole adapter is aligned (k above).
    whole_adapter_errors: usize,
    has_wildcards: bool,
    max_error_rate: f64,
    min_overlap: usize,
}

impl AdapterFinder {
    /// Adapter length.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether the adapter is empty (never: construction requires bases).
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// A finder for `adapter` (ACGT/U/N letters).
    pub fn new(adapter: &[u8], max_error_rate: f64, min_overlap: usize) -> Self {
        let upper = crate::seq::normalize_dna(adapter);
        let codes: Vec<u8> = upper.iter().map(|&b| encode_base(b)).collect();
        assert!(
            codes.len() <= MAX_ADAPTER_LEN,
            "adapter longer than {MAX_ADAPTER_LEN} bases"
        );
        let has_wildcards = codes.contains(&N);
        let k = allowed_errors(max_error_rate, codes.len());
        let piece = codes.len() / (k + 1);
        let pieces = if piece == 0 {
            Vec::new()
        } else {
            (0..=k)
                .map(|p| {
                    let start = p * piece;
                    let end = if p == k { upper.len() } else { start + piece };
                    (start, memmem::Finder::new(&upper[start..end]).into_owned())
                })
                .collect()
        };
        Self {
            exact: memmem::Finder::new(&upper).into_owned(),
            pieces,
            whole_adapter_errors: k,
            codes,
            has_wildcards,
            max_error_rate,
            min_overlap: min_overlap.max(1),
        }
    }

    /// Best adapter match in `read` (on the inserts' alphabet, upper-case
    /// ACGTN, as read preparation leaves every read), if any; always the same
    /// as [`Self::find_by_alignment`]. Reads carrying the whole adapter without
    /// error take an exact search. The others are aligned only in windows
    /// that can hold a valid alignment: around exact hits of the adapter's
    /// pieces (a whole-adapter alignment with at most k errors contains one
    /// of k + 1 pieces exactly) and at the read end (partial adapters).
    pub fn find(&self, read: &[u8]) -> Option<AdapterMatch> {
        let m = self.codes.len();
        if self.has_wildcards || m == 0 || self.pieces.is_empty() {
            return self.find_by_alignment(read);
        }
        if let Some(start) = self.exact.find(read) {
            return Some(AdapterMatch {
                start,
                matches: m,
                errors: 0,
            });
        }
        let n = read.len();
        let k = self.whole_adapter_errors;
        let mut windows: Vec<(usize, usize)> = Vec::with_capacity(4);
        // partial adapters end at the read end, spanning at most m - 1 + k bases
        windows.push((n.saturating_sub(m - 1 + k), n));
        for (offset, finder) in &self.pieces {
            // every occurrence, overlapping ones too: in a repetitive read
            // the one a valid alignment holds may overlap an earlier one
            let mut from = 0;
            while let Some(at) = finder.find(&read[from..]) {
                let r = from + at;
                // the alignment starts within k of r - offset and spans at most m + k
                let lo = (r as isize - *offset as isize - k as isize).max(0) as usize;
                let hi = (r + m + 2 * k).saturating_sub(*offset).min(n);
                windows.push((lo, hi));
                from = r + 1;
            }
        }
        windows.sort_unstable();
        let mut best: Option<(u32, u32, u32)> = None;
        let mut current: Option<(usize, usize)> = None;
        for (lo, hi) in windows {
            match current {
                Some((clo, chi)) if lo <= chi => current = Some((clo, chi.max(hi))),
                Some((clo, chi)) => {
                    self.align_window(read, clo, chi, &mut best);
                    current = Some((lo, hi));
                }
                None => current = Some((lo, hi)),
            }
        }
        if let Some((clo, chi)) = current {
            self.align_window(read, clo, chi, &mut best);
        }
        best.map(to_match)
    }

    /// The full dynamic-programming search (the reference for [`Self::find`]).
    pub fn find_by_alignment(&self, read: &[u8]) -> Option<AdapterMatch> {
        let mut best = None;
        self.align_window(read, 0, read.len(), &mut best);
        best.map(to_match)
    }

    /// Aligns the adapter within `read[lo..hi]` (partial adapters only when
    /// `hi` is the read end), folding the valid alignments into `best` as
    /// (matches, errors, start).
    fn align_window(&self, read: &[u8], lo: usize, hi: usize, best: &mut Option<(u32, u32, u32)>) {
        let m = self.codes.len();
        if m == 0 || hi <= lo {
            return;
        }
        // One DP column over adapter prefixes. A cell packs (cost, 255 -
        // matches, read start) into one u64, so that `min` prefers the lower
        // cost, then more matches, then the leftmost start.
        let cell =
            |cost: u64, matches: u64, start: u64| (cost << 40) | ((255 - matches) << 32) | start;
        let step = 1u64 << 40; // one more error
        let matched = 1u64 << 32; // one more match
        let mut columns = [[0u64; MAX_ADAPTER_LEN + 1]; 2];
        let [col, next] = &mut columns;
        let (mut col, mut next) = (&mut col[..=m], &mut next[..=m]);
        for (i, c) in col.iter_mut().enumerate() {
            *c = cell(i as u64, 0, lo as u64);
        }
        let n = read.len();
        for j in lo + 1..=hi {
            let r = encode_base(read[j - 1]);
            next[0] = cell(0, 0, j as u64);
            for i in 1..=m {
                let a = self.codes[i - 1];
                let diag = if a == N || (a == r && r < N) {
                    col[i - 1] - matched
                } else {
                    col[i - 1] + step
                };
                next[i] = diag.min(next[i - 1] + step).min(col[i] + step);
            }
            // Whole adapter aligned, read continues (or ends) after it.
            self.consider(best, next[m], m);
            if j == n {
                for (i, &c) in next.iter().enumerate().take(m).skip(1) {
                    self.consider(best, c, i);
                }
            }
            std::mem::swap(&mut col, &mut next);
        }
    }

    fn consider(&self, best: &mut Option<(u32, u32, u32)>, cell: u64, aligned: usize) {
        let cost = (cell >> 40) as u32;
        let matches = 255 - ((cell >> 32) & 0xff) as u32;
        let start = cell as u32;
        if aligned < self.min_overlap || matches == 0 {
            return;
        }
        if cost > allowed_errors(self.max_error_rate, aligned) as u32 {
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

/// Errors allowed when `aligned` adapter bases are aligned.
fn allowed_errors(max_error_rate: f64, aligned: usize) -> usize {
    (max_error_rate * aligned as f64 + 1e-9).floor() as usize
}

fn to_match((matches, errors, start): (u32, u32, u32)) -> AdapterMatch {
    AdapterMatch {
        start: start as usize,
        matches: matches as usize,
        errors: errors as usize,
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
    quality_cutoff: Option<u8>,
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
            quality_cutoff: None,
            cut_5p,
            cut_3p,
            min_length,
            max_length,
        }
    }

    /// Trims low-quality 3' ends before the adapter search (cutadapt's
    /// `-q CUTOFF`, Phred+33 qualities).
    pub fn with_quality_cutoff(mut self, cutoff: Option<u8>) -> Self {
        self.quality_cutoff = cutoff;
        self
    }

    /// Whether [`Trimmer::trim_with_quality`] looks at qualities.
    pub fn uses_quality(&self) -> bool {
        self.quality_cutoff.is_some()
    }

    /// Trims one read whose qualities are `qual`: the low-quality 3' end
    /// first (with a cutoff), then as [`Trimmer::trim`].
    pub fn trim_with_quality(&self, read: &[u8], qual: &[u8]) -> TrimOutcome {
        match self.quality_cutoff {
            Some(cutoff) if qual.len() == read.len() => {
                self.trim(&read[..quality_trim_index(qual, cutoff, 33)])
            }
            _ => self.trim(read),
        }
    }

    /// Whether reads are searched for an adapter (false: reads are inserts).
    pub fn has_adapter(&self) -> bool {
        self.adapter.is_some()
    }

    /// Length of the adapter searched for (0 without one).
    pub fn adapter_len(&self) -> usize {
        self.adapter.as_ref().map_or(0, AdapterFinder::len)
    }

    /// Bases cut from the insert's 3' end before the adapter: for an
    /// [`TrimOutcome::Insert`], the adapter starts at `end + cut_3p()`.
    pub fn cut_3p(&self) -> usize {
        self.cut_3p
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

/// Where cutadapt's 3' quality trimming cuts a read (BWA's algorithm):
/// the read is kept up to the returned index. From the 3' end, the running
/// sum of `cutoff - quality` is followed until it turns negative; the cut is
/// where it peaked.
///
/// ```
/// // qualities 40 40 40 10 10 (Phred+33): cutoff 20 removes the last two
/// assert_eq!(mirq::prep::trim::quality_trim_index(b"III++", 20, 33), 3);
/// ```
pub fn quality_trim_index(qual: &[u8], cutoff: u8, base: u8) -> usize {
    let mut sum = 0i64;
    let mut best = 0i64;
    let mut index = qual.len();
    for i in (0..qual.len()).rev() {
        sum += cutoff as i64 - (qual[i] as i64 - base as i64);
        if sum < 0 {
            break;
        }
        if sum > best {
            best = sum;
            index = i;
        }
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_trimming_follows_cutadapt() {
        // cutadapt's own example: qualities 42 40 26 27 8 7 11 4 2 3, cutoff 10
        let q: Vec<u8> = [42u8, 40, 26, 27, 8, 7, 11, 4, 2, 3]
            .iter()
            .map(|&x| x + 33)
            .collect();
        assert_eq!(quality_trim_index(&q, 10, 33), 4);
        assert_eq!(quality_trim_index(b"IIIII", 10, 33), 5);
        assert_eq!(quality_trim_index(b"#####", 10, 33), 0);
        assert_eq!(quality_trim_index(b"", 10, 33), 0);
        let t = Trimmer::new(None, 0, 0, 1, 40).with_quality_cutoff(Some(10));
        let read = b"ACGTACGTAC";
        assert_eq!(
            t.trim_with_quality(read, &q),
            TrimOutcome::Insert { start: 0, end: 4 }
        );
    }

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
    fn windowed_search_agrees_with_full_alignment_on_random_reads() {
        // xorshift: reproducible random reads with planted adapters carrying
        // 0..4 random edits (substitutions, insertions, deletions), partial
        // adapters at the read end, two copies, or none
        let mut rng = crate::rng::Rng::new(0x9E37_79B9_7F4A_7C15);
        let mut next = move || rng.next_u64();
        for (adapter, rate) in [
            (TRUSEQ, 0.1),
            (&b"AACTGTAGGCACCATCAAT"[..], 0.1),
            (TRUSEQ, 0.2),
            (&b"AAAAAAAAAAAAAAA"[..], 0.1),
        ] {
            let f = AdapterFinder::new(adapter, rate, 3);
            for _ in 0..20_000 {
                let len = (next() % 90) as usize;
                let mut read: Vec<u8> = (0..len).map(|_| b"ACGT"[(next() % 4) as usize]).collect();
                for _ in 0..(next() % 3) {
                    let mut a = adapter.to_vec();
                    for _ in 0..(next() % 5) {
                        let at = (next() as usize) % a.len();
                        match next() % 3 {
                            0 => a[at] = b"ACGT"[(next() % 4) as usize],
                            1 => a.insert(at, b"ACGT"[(next() % 4) as usize]),
                            _ => {
                                a.remove(at);
                            }
                        }
                    }
                    let at = if len == 0 { 0 } else { (next() as usize) % len };
                    read.splice(at..at, a);
                    read.truncate(len.max(at + 3));
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

    /// Random adapters the CLI accepts (3 to 200 letters of ACGTN at error
    /// rate 0.1 and overlap 3), skewed towards repeats, on random reads of
    /// the same skewed alphabets with planted, edited adapters: the windowed
    /// search always equals the full alignment.
    #[test]
    fn windowed_search_equals_alignment_for_cli_adapters() {
        let mut rng = crate::rng::Rng::new(0x00AD_A97E_5EED);
        let alphabets: [&[u8]; 5] = [b"ACGT", b"AAAAAAAG", b"AT", b"AAAAAAAAAACGTN", b"GC"];
        for round in 0..3000 {
            let alphabet = alphabets[rng.below(alphabets.len())];
            let len = if round % 50 == 0 {
                41 + rng.below(160)
            } else {
                3 + rng.below(30)
            };
            let adapter = rng.seq_from(len, alphabet);
            let f = AdapterFinder::new(&adapter, 0.1, 3);
            for _ in 0..20 {
                let read_len = rng.below(80);
                let mut read = rng.seq_from(read_len, alphabet);
                if rng.below(3) > 0 {
                    let mut a = adapter.clone();
                    for _ in 0..rng.below(4) {
                        let at = rng.below(a.len());
                        match rng.below(3) {
                            0 => a[at] = alphabet[rng.below(alphabet.len())],
                            1 => a.insert(at, alphabet[rng.below(alphabet.len())]),
                            _ => {
                                a.remove(at);
                            }
                        }
                    }
                    let at = rng.below(read.len() + 1);
                    read.splice(at..at, a);
                    read.truncate(at + 3 + rng.below(60));
                }
                assert_eq!(
                    f.find(&read),
                    f.find_by_alignment(&read),
                    "adapter {} read {}",
                    String::from_utf8_lossy(&adapter),
                    String::from_utf8_lossy(&read)
                );
            }
        }
    }

    /// The counterexample a hostile run found: a repetitive adapter whose
    /// valid alignment holds a piece occurrence overlapping an earlier one.
    #[test]
    fn repetitive_adapter_found_where_the_alignment_puts_it() {
        let f = AdapterFinder::new(b"AAAAGAAAAAAAAAAAAA", 0.1, 3);
        let read = b"AAAAAAAAAAAAAAAAATAAAAAACAAAAA";
        assert_eq!(f.find(read), f.find_by_alignment(read));
        assert_eq!(f.find(read).map(|m| m.start), Some(0));
    }
}

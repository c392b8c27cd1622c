//! 3' adapter trimming as cutadapt 5.2 does it, protocol cuts and length
//! filters.
//!
//! The adapter is aligned to the read as cutadapt aligns a regular 3'
//! adapter (`-a`): the read prefix before the adapter is free, the adapter
//! starts at its first base and may run past the read end (partial adapter).
//! Each dynamic-programming cell keeps one alignment, chosen as cutadapt's
//! `Aligner` chooses it: on a matching base the diagonal; otherwise the
//! lowest cost, ties going to the mismatch, then to the adapter base left
//! unaligned, then to the extra read base. Alignments carry a cost (errors)
//! and a score (+1 match, -1 mismatch, -2 indel). An end cell is valid with
//! at least `min_overlap` adapter bases and at most `max_error_rate` errors
//! per aligned adapter base (`N`s not counted); the end cells are visited in
//! cutadapt's order (whole-adapter ends left to right, then the partial ones
//! at the read end, longest first) and one replaces the best so far when its
//! score is higher and it starts at most half an adapter to the right of it
//! or is longer (for the partial ends cutadapt compares the start of the
//! last cell it filled, not theirs). `N` in the adapter matches any read
//! base; `N` in the read matches only an adapter `N`.

use memchr::memmem;

use super::pieces::{positions, Occurrences, PieceScan};
use crate::input::library::MAX_ADAPTER_LEN;
use crate::seq::{encode_base, N};

/// Where the adapter was found in a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdapterMatch {
    /// Read position of the adapter's first base: the insert is `read[..start]`.
    pub start: usize,
    /// cutadapt's alignment score: +1 per match, -1 per mismatch, -2 per indel.
    pub score: i32,
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
/// assert_eq!((hit.start, hit.errors, hit.score), (22, 1, 19));
/// ```
#[derive(Debug, Clone)]
pub struct AdapterFinder {
    codes: Vec<u8>,
    exact: memmem::Finder<'static>,
    /// `k + 1` pieces of the adapter (k = errors allowed for the whole
    /// adapter) with their adapter offsets: a whole-adapter alignment with at
    /// most k errors contains one of them exactly.
    pieces: Vec<(usize, memmem::Finder<'static>)>,
    /// The same pieces found all at once, where the CPU can (see
    /// [`PieceScan::new`]); else, or for a read too long for it, the
    /// finders above search.
    scan: Option<PieceScan>,
    /// Errors allowed when the whole adapter is aligned (k above, cutadapt's
    /// `int(max_error_rate * len)`).
    whole_adapter_errors: usize,
    has_wildcards: bool,
    /// `max_cost[i]`: the most errors an alignment of the first `i` adapter
    /// bases may have (-1: fewer than `min_overlap` bases, never valid).
    max_cost: Vec<i32>,
}

/// A DP cell packed into one u64, so that the per-cell choice is a `min`:
/// cost (bits 48..), the tie rank of the move that made it (bits 46..48:
/// mismatch 0, adapter base left unaligned 1, extra read base 2; zero in a
/// stored cell), the score biased by [`SCORE_BIAS`] (bits 32..46) and the
/// read position where the alignment starts (bits 0..32).
type Cell = u64;
const COST: u64 = 1 << 48;
const RANK: u64 = 1 << 46;
const RANK_MASK: u64 = 3 << 46;
const SCORE: u64 = 1 << 32;
/// Scores lie within -2 * MAX_ADAPTER_LEN - 2 ..= MAX_ADAPTER_LEN: biased,
/// they fit below the rank bits.
const SCORE_BIAS: u64 = 1 << 12;

fn cell(cost: u64, score: i64, origin: usize) -> Cell {
    (cost * COST) | (((SCORE_BIAS as i64 + score) as u64) * SCORE) | origin as u64
}

fn cost_of(c: Cell) -> i32 {
    (c >> 48) as i32
}

fn score_of(c: Cell) -> i32 {
    ((c >> 32) & 0x3fff) as i32 - SCORE_BIAS as i32
}

fn origin_of(c: Cell) -> usize {
    (c & 0xffff_ffff) as usize
}

/// The column before the first read base of an alignment starting at read
/// position `origin`: row i has skipped i adapter bases (cost i, score -2i).
fn first_column(column: &mut [Cell], origin: usize) {
    for (i, c) in column.iter_mut().enumerate() {
        *c = cell(i as u64, -2 * i as i64, origin);
    }
}

/// The cell after `diag` (adapter base `i - 1` against read base `j - 1`),
/// `up` (cell `i - 1` of the same column) and `left` (cell `i` of the
/// previous column), as cutadapt's `Aligner.locate` fills it.
#[inline(always)]
fn next_cell(diag: Cell, up: Cell, left: Cell, equal: bool) -> Cell {
    let mismatch = diag + COST - SCORE;
    let deletion = up + COST + RANK - 2 * SCORE;
    let insertion = left + COST + 2 * RANK - 2 * SCORE;
    let best = mismatch.min(deletion).min(insertion) & !RANK_MASK;
    if equal {
        diag + SCORE
    } else {
        best
    }
}

/// A cell no alignment reaches: it costs more than any error limit, and
/// adding to it (a column's moves) cannot overflow.
const UNREACHABLE: Cell = 1 << 62;

/// The best end cell so far: (origin, score, aligned adapter bases, cost).
type Best = Option<(usize, i32, usize, i32)>;

impl AdapterFinder {
    /// Adapter length.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether the adapter is empty (never: construction requires bases).
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// A finder for `adapter` (ACGT/U/N letters) with cutadapt's `-e
    /// max_error_rate -O min_overlap`.
    pub fn new(adapter: &[u8], max_error_rate: f64, min_overlap: usize) -> Self {
        let upper = crate::seq::normalize_dna(adapter);
        let codes: Vec<u8> = upper.iter().map(|&b| encode_base(b)).collect();
        let m = codes.len();
        assert!(
            m <= MAX_ADAPTER_LEN,
            "adapter longer than {MAX_ADAPTER_LEN} bases"
        );
        let has_wildcards = codes.contains(&N);
        // cutadapt caps the overlap at the adapter length
        let min_overlap = min_overlap.max(1).min(m.max(1));
        let mut wildcards = 0;
        let max_cost = (0..=m)
            .map(|i| {
                if i > 0 && codes[i - 1] == N {
                    wildcards += 1;
                }
                if i < min_overlap {
                    return -1;
                }
                // cutadapt: cost <= effective length * rate, in doubles
                let limit = (i - wildcards) as f64 * max_error_rate;
                (0..=i as i32)
                    .take_while(|&c| c as f64 <= limit)
                    .last()
                    .unwrap_or(-1)
            })
            .collect();
        let k = (max_error_rate * m as f64) as usize;
        let piece = m / (k + 1);
        // the fast paths stand for the alignment while k <= m / 2 (an exact
        // hit then replaces any alignment starting k or fewer bases before it)
        let pieces = if piece == 0 || 2 * k > m {
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
        let scan = if has_wildcards {
            None
        } else {
            let bases: Vec<&[u8]> = pieces.iter().map(|(_, f)| f.needle()).collect();
            PieceScan::new(&bases)
        };
        Self {
            exact: memmem::Finder::new(&upper).into_owned(),
            pieces,
            scan,
            whole_adapter_errors: k,
            codes,
            has_wildcards,
            max_cost,
        }
    }

    /// Best adapter match in `read` (on the inserts' alphabet, upper-case
    /// ACGTN, as read preparation leaves every read), if any; always the same
    /// as [`Self::find_by_alignment`]. A read whose first exact adapter has no
    /// piece of the adapter before that piece's place in it takes the exact
    /// search (no whole-adapter alignment can start more than k bases before
    /// it, and it replaces those that do). The others are aligned only in
    /// windows whose cells are the full alignment's: from `m + k` columns
    /// before each column where the whole adapter may end next to an exact
    /// hit of one of its pieces (a whole-adapter alignment with at most k
    /// errors contains one of k + 1 pieces exactly), and before the read end
    /// (partial adapters). The pieces' hits come from one pass over the read
    /// where the CPU and read allow ([`PieceScan`]), else from memmem.
    pub fn find(&self, read: &[u8]) -> Option<AdapterMatch> {
        let m = self.codes.len();
        if self.has_wildcards || m == 0 || self.pieces.is_empty() {
            return self.find_by_alignment(read);
        }
        if let Some(scan) = &self.scan {
            let mut found = Occurrences::default();
            if scan.scan(read, &mut found) {
                return self.find_in(read, &found);
            }
        }
        self.find_by_memmem(read)
    }

    /// [`Self::find`] with the pieces' occurrences found by the scan.
    fn find_in(&self, read: &[u8], found: &Occurrences) -> Option<AdapterMatch> {
        let offsets = || self.pieces.iter().map(|(offset, _)| *offset);
        if let Some(p) = found.first_together(offsets()) {
            let earlier = offsets()
                .enumerate()
                .any(|(i, offset)| found.any_before(i, p + offset));
            if !earlier {
                return Some(self.exact_at(p));
            }
        }
        let mut windows = Vec::with_capacity(4);
        windows.push(self.read_end_window(read));
        for (i, offset) in offsets().enumerate() {
            windows.extend(positions(found.of(i)).map(|r| self.window_at(read, r, offset)));
        }
        self.align_windows(read, windows)
    }

    /// [`Self::find`] with the pieces' occurrences found by memmem.
    fn find_by_memmem(&self, read: &[u8]) -> Option<AdapterMatch> {
        if let Some(p) = self.exact.find(read) {
            let earlier = self.pieces.iter().any(|(offset, finder)| {
                finder
                    .find(&read[..p + offset + finder.needle().len() - 1])
                    .is_some()
            });
            if !earlier {
                return Some(self.exact_at(p));
            }
        }
        let mut windows = Vec::with_capacity(4);
        windows.push(self.read_end_window(read));
        for (offset, finder) in &self.pieces {
            // every occurrence, overlapping ones too: in a repetitive read
            // the one a valid alignment holds may overlap an earlier one
            let mut from = 0;
            while let Some(at) = finder.find(&read[from..]) {
                let r = from + at;
                windows.push(self.window_at(read, r, *offset));
                from = r + 1;
            }
        }
        self.align_windows(read, windows)
    }

    /// The whole adapter, exact, at read position `p`.
    fn exact_at(&self, p: usize) -> AdapterMatch {
        let m = self.codes.len();
        AdapterMatch {
            start: p,
            score: m as i32,
            errors: 0,
        }
    }

    /// The window of the partial adapters, which end at the read end.
    fn read_end_window(&self, read: &[u8]) -> (usize, usize) {
        let (n, m, k) = (read.len(), self.codes.len(), self.whole_adapter_errors);
        (n.saturating_sub(m + k), n)
    }

    /// The window of a piece at adapter offset `offset` found at read
    /// position `r`: the whole adapter ends within k of `r - offset + m`.
    fn window_at(&self, read: &[u8], r: usize, offset: usize) -> (usize, usize) {
        let (n, m, k) = (read.len(), self.codes.len(), self.whole_adapter_errors);
        let lo = (r as isize - offset as isize - 2 * k as isize).max(0) as usize;
        let hi = (r + m + k).saturating_sub(offset).min(n);
        (lo, hi)
    }

    /// The best match in `windows` (the read end's among them), merged
    /// where they overlap, each aligned: the last, which reaches the read end,
    /// by [`Self::align_read_end`], the others by [`Self::align_band`]; the
    /// whole read is aligned where the last cannot stand for it.
    fn align_windows(&self, read: &[u8], mut windows: Vec<(usize, usize)>) -> Option<AdapterMatch> {
        windows.sort_unstable();
        let mut best = None;
        let mut current: Option<(usize, usize)> = None;
        for (lo, hi) in windows {
            match current {
                Some((clo, chi)) if lo <= chi => current = Some((clo, chi.max(hi))),
                Some((clo, chi)) => {
                    // before the last window: not at the read end
                    self.align_band(read, clo, chi, &mut best);
                    current = Some((lo, hi));
                }
                None => current = Some((lo, hi)),
            }
        }
        if let Some((clo, _)) = current {
            if !self.read_end_cannot_win(clo, &best) && !self.align_read_end(read, clo, &mut best) {
                return self.find_by_alignment(read);
            }
        }
        best.map(to_match)
    }

    /// Whether the last window, `read[lo..]`, cannot change `best`, a whole
    /// adapter found in the windows before it, so that it need not be
    /// aligned. An end replaces a whole adapter only with its start (for
    /// the partial ends, cutadapt's compared origin) at most `m / 2` bases
    /// right of the best's. Every cell of the window starts at `lo` or
    /// later; the partial ends are compared with the origin of the last
    /// cell cutadapt fills in the read's last column, which aligns at most
    /// m adapter bases with at most k + 1 errors (its diagonal cost at most
    /// k, Ukkonen's band), so starts at `n - m - k - 1` or later, and `lo`
    /// is at most `n - m - k`.
    fn read_end_cannot_win(&self, lo: usize, best: &Best) -> bool {
        let m = self.codes.len();
        matches!(*best, Some((origin, _, aligned, _)) if aligned == m && lo > origin + m / 2 + 1)
    }

    /// cutadapt 5.2's `Aligner.locate` for a regular 3' adapter, line for
    /// line (Ukkonen's cut-off included): the reference for [`Self::find`].
    pub fn find_by_alignment(&self, read: &[u8]) -> Option<AdapterMatch> {
        let m = self.codes.len();
        let n = read.len();
        if m == 0 {
            return None;
        }
        let k = self.whole_adapter_errors;
        let mut column = [0u64; MAX_ADAPTER_LEN + 1];
        let column = &mut column[..=m];
        first_column(column, 0);
        let mut best: Best = None;
        let mut last = m.min(k + 1);
        let mut last_filled = 0;
        for j in 1..=n {
            last_filled = last;
            last = self.fill_column(column, read[j - 1], j, last);
            // cutadapt lets `last` reach -1 and adds one again: row 0 always
            // costs 0, so it stops at 0 here
            if last < m {
                last += 1;
            } else {
                let exact = cost_of(column[m]) == 0;
                if self.offer(&mut best, column[m], m) && exact {
                    break;
                }
            }
        }
        // cutadapt compares the partial ends' overlap with the origin left
        // in its `origin` variable: that of the last cell it filled
        let last_origin = origin_of(column[last_filled]);
        for i in (1..=last_filled).rev() {
            self.offer_from(&mut best, column[i], i, last_origin);
        }
        best.map(to_match)
    }

    /// Aligns the adapter within `read[lo..]` and offers the end cells that
    /// are the full alignment's: whole-adapter ends `m + k` or more columns
    /// after `lo` (all of them when `lo` is 0), and the partial ends at the
    /// read end. Like cutadapt it fills each column
    /// only down to one row past the last cell with at most k errors
    /// (Ukkonen): the rows below cost more than k, and the cells left from an
    /// earlier column there also cost more than k, so no cell that costs k
    /// or less changes.
    ///
    /// Returns false when the partial ends' choice depends on the origin
    /// cutadapt compares them with (see [`Self::find_by_alignment`]): the
    /// caller then aligns the whole read.
    #[must_use]
    fn align_read_end(&self, read: &[u8], lo: usize, best: &mut Best) -> bool {
        let (m, hi) = (self.codes.len(), read.len());
        if m == 0 || hi <= lo {
            return true;
        }
        let k = self.whole_adapter_errors;
        let first_offered = if lo == 0 { 0 } else { lo + m + k };
        let mut column = [0u64; MAX_ADAPTER_LEN + 1];
        let column = &mut column[..=m];
        first_column(column, lo);
        let mut last = m.min(k + 1);
        let mut last_filled = last;
        for j in lo + 1..=hi {
            last_filled = last;
            last = self.fill_column(column, read[j - 1], j, last);
            if last < m {
                last += 1;
            } else if j >= first_offered {
                self.offer(best, column[m], m);
            }
        }
        if hi >= first_offered {
            for i in (1..=last_filled).rev() {
                let c = column[i];
                if let Some((_, b_score, b_aligned, _)) = *best {
                    let valid = cost_of(c) <= self.max_cost[i];
                    if valid && score_of(c) > b_score && i <= b_aligned {
                        return false;
                    }
                }
                self.offer(best, c, i);
            }
        }
        true
    }

    /// [`Self::align_read_end`] for a window that ends before the read end,
    /// on the diagonals (read position minus adapter row) the offered ends'
    /// alignments use only. A whole-adapter end at read position `j` with at
    /// most k errors lies on diagonal `j - m`, and its alignment has at most
    /// k indels, so every cell of it within k diagonals of that. With the
    /// ends offered from `lo + m + k` (diagonal `lo + k`) to `hi`, that is
    /// diagonals `lo` to `hi - m + k` (from `-2k` when `lo` is 0: every end is
    /// offered, as in the full alignment). Cells off those diagonals count as
    /// unreachable: a cell's value can only rise, and an offered end's cells
    /// (each the choice that made the next) keep theirs, so the ends offered
    /// are the full alignment's.
    fn align_band(&self, read: &[u8], lo: usize, hi: usize, best: &mut Best) {
        let m = self.codes.len();
        if m == 0 || hi <= lo {
            return;
        }
        let k = self.whole_adapter_errors;
        let (first_offered, low) = if lo == 0 {
            (0, -2 * k as isize)
        } else {
            (lo + m + k, lo as isize)
        };
        let high = hi as isize - m as isize + k as isize;
        // rows of column j on diagonals low..=high
        let rows = |j: usize| {
            let top = (j as isize - high).max(0) as usize;
            let bottom = (j as isize - low).min(m as isize);
            (top, bottom)
        };
        let mut column = [UNREACHABLE; MAX_ADAPTER_LEN + 1];
        // column lo's rows: bottom >= 0 there (low <= lo)
        let (top, bottom) = rows(lo);
        for (i, c) in column
            .iter_mut()
            .enumerate()
            .take(bottom as usize + 1)
            .skip(top)
        {
            *c = cell(i as u64, -2 * i as i64, lo);
        }
        for j in lo + 1..=hi {
            let (top, bottom) = rows(j);
            if bottom < top as isize {
                continue;
            }
            let r = encode_base(read[j - 1]);
            let (mut diag, mut up, from) = if top == 0 {
                let diag = column[0];
                column[0] = cell(0, 0, j);
                (diag, column[0], 1)
            } else {
                (column[top - 1], UNREACHABLE, top)
            };
            let bottom = bottom as usize;
            let adapter = &self.codes[from - 1..bottom];
            for (c, &a) in column[from..=bottom].iter_mut().zip(adapter) {
                let next = next_cell(diag, up, *c, a == N || a == r);
                diag = *c;
                *c = next;
                up = next;
            }
            if bottom == m && j >= first_offered {
                self.offer(best, column[m], m);
            }
        }
    }

    /// Fills the column of read position `j` (its base `base`) from the
    /// previous one, rows 1 to `last` (Ukkonen's cut-off), and returns the
    /// last row that costs at most k errors (0 when none does), as
    /// cutadapt's `locate` does before it widens the band again.
    #[inline(always)]
    fn fill_column(&self, column: &mut [Cell], base: u8, j: usize, mut last: usize) -> usize {
        let r = encode_base(base);
        let mut diag = column[0];
        column[0] = cell(0, 0, j);
        for i in 1..=last {
            let a = self.codes[i - 1];
            let next = next_cell(diag, column[i - 1], column[i], a == N || a == r);
            diag = column[i];
            column[i] = next;
        }
        let k = self.whole_adapter_errors as i32;
        while last > 0 && cost_of(column[last]) > k {
            last -= 1;
        }
        last
    }

    /// Offers the end cell `c` (with `aligned` adapter bases) as cutadapt
    /// does: a valid one replaces the best so far if none, or if its score
    /// is higher and it starts at most `m / 2` bases right of it or aligns
    /// more adapter bases. Returns whether it did.
    fn offer(&self, best: &mut Best, c: Cell, aligned: usize) -> bool {
        self.offer_from(best, c, aligned, origin_of(c))
    }

    /// [`Self::offer`] with the origin compared with the best's given.
    fn offer_from(&self, best: &mut Best, c: Cell, aligned: usize, compared: usize) -> bool {
        let cost = cost_of(c);
        if cost > self.max_cost[aligned] {
            return false;
        }
        let (origin, score) = (origin_of(c), score_of(c));
        let better = match *best {
            None => true,
            Some((b_origin, b_score, b_aligned, _)) => {
                score > b_score
                    && (compared <= b_origin + self.codes.len() / 2 || aligned > b_aligned)
            }
        };
        if better {
            *best = Some((origin, score, aligned, cost));
        }
        better
    }
}

fn to_match((start, score, _, errors): (usize, i32, usize, i32)) -> AdapterMatch {
    AdapterMatch {
        start,
        score,
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

    /// `find`, and the windowed search with the pieces found by memmem
    /// where it applies (the scan is `find`'s path on reads it takes), equal
    /// the full alignment on `read`.
    fn assert_searches_agree(f: &AdapterFinder, read: &[u8]) {
        let want = f.find_by_alignment(read);
        let context = || {
            format!(
                "adapter {} read {}",
                crate::seq::decode(&f.codes),
                String::from_utf8_lossy(read)
            )
        };
        assert_eq!(f.find(read), want, "{}", context());
        if !f.has_wildcards && !f.pieces.is_empty() {
            assert_eq!(f.find_by_memmem(read), want, "memmem: {}", context());
        }
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
                assert_searches_agree(&f, &read);
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
                assert_searches_agree(&f, &read);
            }
        }
    }

    /// cutadapt 5.2 trims these reads at these bases (`cutadapt -a TRUSEQ
    /// -e 0.1 -O 3`): an earlier whole adapter with two mismatches beats a
    /// later exact one more than half an adapter to its right, but an exact
    /// one closer replaces it.
    #[test]
    fn earlier_adapter_with_errors_wins_as_in_cutadapt() {
        let f = finder();
        let two_mismatches = b"TGGAACTCTCGGATGCCAAGG";
        let far: Vec<u8> = [
            &b"ACGTACGTAC"[..],
            two_mismatches,
            b"CATCATCATCATCAT",
            TRUSEQ,
        ]
        .concat();
        let near: Vec<u8> = [&b"ACGTACGTAC"[..], &two_mismatches[..18], TRUSEQ].concat();
        for (read, start) in [(&far, 10), (&near, 28)] {
            assert_eq!(f.find(read).map(|m| m.start), Some(start));
            assert_eq!(f.find_by_alignment(read).map(|m| m.start), Some(start));
        }
    }

    /// A `mirtrace_sample3` read where cutadapt 5.2 takes a mismatch
    /// (`TATCGTATG…` against `ATCTCGTATG…`) and mirq used to take an extra
    /// read base: cutadapt keeps 23 bases, mirq kept 22.
    #[test]
    fn mismatch_before_indel_in_each_cell_as_in_cutadapt() {
        let f = AdapterFinder::new(b"ATCTCGTATGCCGTCTTCTGCTTG", 0.1, 3);
        let read = b"GCATTGGTGGTTCAGTGGTAGAATTCTCGTATGCCGTCTTCTGCTTGAAA";
        assert_eq!(f.find(read).map(|m| m.start), Some(23));
        assert_eq!(f.find_by_alignment(read).map(|m| m.start), Some(23));
    }

    /// cutadapt 5.2 trims this read at base 9 (`-a A{15}`): a partial
    /// adapter at the read end replaces an earlier whole one, as the origin
    /// cutadapt compares is that of the last cell it filled.
    #[test]
    fn partial_end_compared_as_cutadapt_does() {
        let f = AdapterFinder::new(b"AAAAAAAAAAAAAAA", 0.1, 3);
        let read = b"GAAAAAAACAAAAAAAAAAAAAA";
        assert_eq!(f.find(read).map(|m| m.start), Some(9));
        assert_eq!(f.find_by_alignment(read).map(|m| m.start), Some(9));
    }

    /// A whole adapter with two mismatches early in the read, then a
    /// 20-base partial adapter at the read end, which scores more: cutadapt
    /// keeps the early one (the partial end starts more than half an
    /// adapter to its right and aligns fewer bases), and the windowed search
    /// does not align the read end at all.
    #[test]
    fn a_better_partial_adapter_far_right_of_a_whole_one_loses() {
        let f = finder();
        let two_mismatches = b"TGGAACTCTCGGATGCCAAGG";
        let read: Vec<u8> = [
            &b"ACGTACGTAC"[..],
            two_mismatches,
            b"CATCATCATCATCATCATCA",
            &TRUSEQ[..20],
        ]
        .concat();
        assert_eq!(f.find_by_alignment(&read).map(|m| m.start), Some(10));
        assert_eq!(f.find(&read), f.find_by_alignment(&read));
        assert!(f.read_end_cannot_win(read.len() - 23, &Some((10, 17, 21, 2))));
        assert!(f.read_end_cannot_win(22, &Some((10, 17, 21, 2))));
        assert!(!f.read_end_cannot_win(21, &Some((10, 17, 21, 2))));
        assert!(!f.read_end_cannot_win(60, &Some((10, 17, 20, 2))));
    }

    /// Reads with `N`s (which match no adapter base) and planted adapters
    /// with substitutions, indels and `N`s, some followed by a partial
    /// adapter at the read end: the windowed search equals the alignment.
    #[test]
    fn windowed_search_equals_alignment_on_reads_with_ns() {
        let mut rng = crate::rng::Rng::new(0x0005_EED0_F4E5);
        for (adapter, rate) in [(TRUSEQ, 0.1), (&b"AACTGTAGGCACCATCAAT"[..], 0.15)] {
            let f = AdapterFinder::new(adapter, rate, 3);
            for _ in 0..20_000 {
                let len = rng.below(40);
                let mut read = rng.seq_from(len, b"ACGTACGTACGTN");
                let mut a = adapter.to_vec();
                for _ in 0..rng.below(4) {
                    let at = rng.below(a.len());
                    match rng.below(4) {
                        0 => a[at] = b"ACGTN"[rng.below(5)],
                        1 => a.insert(at, b"ACGTN"[rng.below(5)]),
                        2 => a[at] = b'N',
                        _ => {
                            a.remove(at);
                        }
                    }
                }
                read.extend_from_slice(&a);
                let tail = rng.below(30);
                read.extend(rng.seq_from(tail, b"ACGTN"));
                if rng.below(2) == 0 {
                    read.extend_from_slice(&adapter[..3 + rng.below(adapter.len() - 3)]);
                }
                assert_searches_agree(&f, &read);
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

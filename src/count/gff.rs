//! The isomiR lines of a run, made while its inserts are counted: for each
//! read and placement, the line of mirGFF3 1.2 (`isomirs.gff3`) exactly as
//! mirtop 0.4 describes it, with its expression, and the `isomirs.tsv`
//! class totals. [`crate::output::isomirs`] writes them.
//!
//! mirq decides where a read lies and which mature it counts for; the line
//! then describes that placement with mirtop's rules, which differ from the
//! mirGFF3 text in places (checked against mirtop's own output):
//! - start is the 0-based offset of the read on the precursor and
//!   end = start + length - 1;
//! - `iso_5p:-n` means the read starts n nt upstream of the mature;
//! - non-templated 3' additions are found by mirtop's rule on the last 5
//!   nt (a run of mismatches, after matching A/T at the very end), and the
//!   `iso_3p` magnitude counts from the read's raw end, additions included;
//! - SNV classes use the 0-based read position (2-7 seed, 8 central offset,
//!   9-12 central, 13-17 central supplementary, else iso_snv);
//! - one line per (sequence, mature name); the Parent is the first
//!   precursor in FASTA order that gives that name; Hits counts names.
//!
//! No coordinate lies outside the precursor, and two departures keep every
//! line one that mirtop's `counts` and `export` rebuild (README, *isomiRs*):
//! - bases past the precursor's 3' end are non-templated additions (mirtop
//!   pads precursors with N, so its rule makes them `iso_add3p`), never
//!   SNVs, and the end is the precursor's last base;
//! - a read that starts before the precursor gets no line (mirtop's Variant
//!   and Cigar cannot place bases before it); `isomirs.tsv` still counts it;
//! - where mirtop's `iso_3p` (from the raw end) would say more bases are
//!   missing than the templated end lacks, which its export and counts
//!   cannot rebuild, the templated shift is written.
//!
//! Sequences with N have no mirtop UID and get no line.

use rayon::prelude::*;

use crate::align::{TargetKind, TargetSet};
use crate::count::assign::Assignment;
use crate::input::reference::Reference;
use crate::numbers::push_decimal;

/// Whether `seq` has a mirtop UID ([`crate::output::isomirs::uid`]): its
/// bases are all upper-case ACGT.
pub(crate) fn has_uid(seq: &[u8]) -> bool {
    seq.iter().all(|b| matches!(b, b'A' | b'C' | b'G' | b'T'))
}

/// The 0-based first and last precursor positions a GFF line gives for a
/// read of `len` bases at `start` on a precursor of `precursor_len`: the
/// end stops at the precursor's last base; None when the read starts before
/// the precursor (it gets no line).
pub fn span(start: i64, len: usize, precursor_len: usize) -> Option<(i64, i64)> {
    let last = start + len as i64 - 1;
    (start >= 0).then(|| (start, last.min(precursor_len as i64 - 1)))
}

/// mirtop's description of a read placed at `start` (0-based, may run past
/// either end of the precursor) on `precursor`, against the mature at
/// `ms..=me`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirtopView {
    /// Variant tags joined by commas, or `NA`.
    pub variant: String,
    /// mirtop's Cigar (read bases at mismatches).
    pub cigar: String,
}

impl MirtopView {
    /// Applies mirtop's rules (see the module text).
    pub fn new(read: &[u8], precursor: &[u8], start: i64, ms: i64, me: i64) -> Self {
        let mut text = Vec::new();
        let d = describe(read, precursor, start, ms, me, &mut text);
        let (variant, cigar) = text.split_at(d.variant_len);
        Self {
            variant: String::from_utf8_lossy(variant).into_owned(),
            cigar: String::from_utf8_lossy(cigar).into_owned(),
        }
    }
}

/// What [`describe`] appended: the Variant's length (the Cigar follows it)
/// and the classes of [`VARIANT_CLASSES`] the Variant has (bit c: class c).
struct Described {
    variant_len: usize,
    classes: u16,
}

/// The SNV tags in the order they sort in (`iso_snv` is a prefix of the
/// others), with their bits in [`VARIANT_CLASSES`].
const SNV_TAGS: [(&str, u16); 5] = [
    ("iso_snv", 1 << 8),
    ("iso_snv_central", 1 << 6),
    ("iso_snv_central_offset", 1 << 5),
    ("iso_snv_central_supp", 1 << 7),
    ("iso_snv_seed", 1 << 4),
];

/// Appends mirtop's Variant, then its Cigar, of a read placed at `start` on
/// `precursor` against the mature at `ms..=me` (see [`MirtopView`]) to
/// `text`, without allocating. The tags come in sorted order: `iso_3p`,
/// `iso_5p`, `iso_add3p`, then the SNV classes as [`SNV_TAGS`] lists them.
fn describe(
    read: &[u8],
    precursor: &[u8],
    start: i64,
    ms: i64,
    me: i64,
    text: &mut Vec<u8>,
) -> Described {
    let placed = PlacedRead {
        read,
        precursor,
        start,
    };
    let added = placed.added();
    let at = text.len();
    let mut tags = Tags {
        text,
        at,
        classes: 0,
    };
    tags.push_shifts(start, read.len(), added as i64, ms, me);
    tags.push_snvs(placed.snvs(added));
    let classes = tags.finish();
    let variant_len = text.len() - at;
    placed.push_cigar(text);
    Described {
        variant_len,
        classes,
    }
}

/// A read placed at `start` on `precursor` (which it may run off).
struct PlacedRead<'a> {
    read: &'a [u8],
    precursor: &'a [u8],
    start: i64,
}

impl PlacedRead<'_> {
    /// Whether the read's base `i` lies on the precursor.
    #[inline]
    fn on_precursor(&self, i: usize) -> bool {
        (0..self.precursor.len() as i64).contains(&(self.start + i as i64))
    }

    /// Whether the read's base `i` differs from the precursor's; off the
    /// precursor the reference is N, as in mirtop's padded copy.
    #[inline]
    fn mismatch(&self, i: usize) -> bool {
        let reference = if self.on_precursor(i) {
            self.precursor[(self.start + i as i64) as usize]
        } else {
            b'N'
        };
        self.read[i] != reference
    }

    /// How many of the read's last bases are non-templated 3' additions.
    fn added(&self) -> usize {
        let len = self.read.len();
        // every base past the precursor's end is an addition (mirtop's
        // rule takes a suffix of the read; this one is longer)
        let past_end =
            (self.start + len as i64 - self.precursor.len() as i64).clamp(0, len as i64) as usize;
        self.tuned_additions().max(past_end)
    }

    /// mirtop's bam/filter.py:tune on the last 5 bases: a run of
    /// mismatches, after matching A/T at the very end; they are always the
    /// read's last bases.
    fn tuned_additions(&self) -> usize {
        let len = self.read.len();
        let last5 = len.saturating_sub(5)..len;
        let mut added = 0usize;
        if last5.clone().any(|i| self.mismatch(i)) {
            let mut in_run = false;
            for i in last5.rev() {
                if self.mismatch(i) {
                    in_run = true;
                    added += 1;
                } else if in_run {
                    break;
                } else if matches!(self.read[i], b'A' | b'T') {
                    added += 1;
                } else {
                    added = 0;
                    break;
                }
            }
        }
        added
    }

    /// The [`snv_bit`]s of the mismatches before the `added` last bases; a
    /// base off the precursor is an addition or has no line: no SNV.
    fn snvs(&self, added: usize) -> u16 {
        let mut snvs = 0u16;
        for p in 0..self.read.len() - added {
            if self.mismatch(p) && self.on_precursor(p) {
                snvs |= snv_bit(p);
            }
        }
        snvs
    }

    /// Appends mirtop's Cigar: runs of matches, the read's base at each
    /// mismatch.
    fn push_cigar(&self, text: &mut Vec<u8>) {
        let mut run = 0;
        for (i, &b) in self.read.iter().enumerate() {
            if self.mismatch(i) {
                push_matches(text, run);
                run = 0;
                text.push(b);
            } else {
                run += 1;
            }
        }
        push_matches(text, run);
    }
}

/// The Variant being appended to `text` from `at`, and its classes so far.
struct Tags<'t> {
    text: &'t mut Vec<u8>,
    at: usize,
    classes: u16,
}

impl Tags<'_> {
    /// Appends tag `name` (after a comma unless it is the first) of class
    /// bit `class`.
    #[inline]
    fn tag(&mut self, name: &str, class: u16) {
        if self.text.len() > self.at {
            self.text.push(b',');
        }
        self.text.extend_from_slice(name.as_bytes());
        self.classes |= class;
    }

    /// Appends the `iso_3p`, `iso_5p` and `iso_add3p` tags of a read of
    /// `len` bases at `start` with `n` added bases, against the mature at
    /// `ms..=me`.
    fn push_shifts(&mut self, start: i64, len: usize, n: i64, ms: i64, me: i64) {
        let raw_end = start + len as i64 - 1;
        // t: the templated end's shift; mirtop counts iso_3p from the raw
        // end (|t + n|), except that a count past |t| (a short templated end
        // with more additions than twice its shortfall) is one its export
        // and counts cannot rebuild the read from: |t| is written then
        let t = raw_end - n - me;
        if t > 0 {
            self.tag("iso_3p:+", 1 << 2);
            push_decimal(self.text, t + n);
        } else if t < 0 && t + n != 0 {
            self.tag("iso_3p:-", 1 << 2);
            push_decimal(self.text, (t + n).abs().min(t.abs()));
        }
        if start < ms {
            self.tag("iso_5p:-", 1 << 1);
            push_decimal(self.text, ms - start);
        } else if start > ms {
            self.tag("iso_5p:+", 1 << 1);
            push_decimal(self.text, start - ms);
        }
        if n > 0 {
            self.tag("iso_add3p:", 1 << 3);
            push_decimal(self.text, n);
        }
    }

    /// Appends the SNV tags of the bits `snvs`, in [`SNV_TAGS`] order.
    fn push_snvs(&mut self, snvs: u16) {
        for (name, bit) in SNV_TAGS {
            if snvs & bit != 0 {
                self.tag(name, bit);
            }
        }
    }

    /// The Variant's classes, after writing `NA` (class 0) for a read
    /// with no tag.
    fn finish(self) -> u16 {
        if self.text.len() == self.at {
            self.text.extend_from_slice(b"NA");
            return REF_MIRNA;
        }
        self.classes
    }
}

/// The bit of [`snv_class`]`(p)` in [`VARIANT_CLASSES`].
fn snv_bit(p: usize) -> u16 {
    match p {
        2..=7 => 1 << 4,
        8 => 1 << 5,
        9..=12 => 1 << 6,
        13..=17 => 1 << 7,
        _ => 1 << 8,
    }
}

fn push_matches(cigar: &mut Vec<u8>, run: usize) {
    match run {
        0 => {}
        1 => cigar.push(b'M'),
        n => {
            push_decimal(cigar, n);
            cigar.push(b'M');
        }
    }
}

/// SNV class of a 0-based read position, as mirtop assigns it.
pub fn snv_class(p: usize) -> &'static str {
    match p {
        2..=7 => "iso_snv_seed",
        8 => "iso_snv_central_offset",
        9..=12 => "iso_snv_central",
        13..=17 => "iso_snv_central_supp",
        _ => "iso_snv",
    }
}

/// The class bit of the reference miRNA (`ref_miRNA`, class 0 of
/// [`VARIANT_CLASSES`]: Variant `NA`).
const REF_MIRNA: u16 = 1;

/// The variant classes of `isomirs.tsv`, in row order.
pub const VARIANT_CLASSES: [&str; 9] = [
    "ref_miRNA",
    "iso_5p",
    "iso_3p",
    "iso_add3p",
    "iso_snv_seed",
    "iso_snv_central_offset",
    "iso_snv_central",
    "iso_snv_central_supp",
    "iso_snv",
];

/// One GFF line before formatting (48 bytes: its Variant and Cigar live in
/// [`Isomirs::text`], its expression in [`Isomirs::expression`], so that a
/// run with millions of lines holds no allocation per line).
pub(crate) struct Line {
    /// Sort key: hairpins in FASTA order, then unplaced matures.
    pub(crate) seqid: (u8, u32),
    /// Where the read starts on it (0-based; before it when negative).
    pub(crate) start: i64,
    /// The insert id.
    pub(crate) insert: u32,
    /// The mature miRNA, by index.
    pub(crate) mature: u32,
    /// The number of mature names the insert is assigned to.
    pub(crate) hits: u32,
    /// Where the Variant text starts in [`Isomirs::text`]; the Cigar follows.
    text: u32,
    variant_len: u16,
    cigar_len: u16,
    /// The classes of [`VARIANT_CLASSES`] its Variant has (bit c: class c).
    classes: u16,
    /// This line's range of [`Isomirs::expression`].
    expression: (u32, u32),
}

/// The mirGFF3 lines and per-miRNA variant totals of a run.
pub struct Isomirs {
    lines: Vec<Line>,
    /// Every line's Variant and Cigar, concatenated.
    text: Vec<u8>,
    /// (sample, count) pairs with a count above 0, per insert, samples in
    /// order.
    expression: Vec<(u32, u32)>,
}

/// The lines of a run's inserts before their expression is known: made
/// while each insert is assigned (once, in [`crate::count::classify`]).
#[derive(Default)]
pub struct IsomirLines {
    lines: Vec<Line>,
    text: Vec<u8>,
}

impl IsomirLines {
    /// Adds the lines of insert `id` (`seq`, ASCII), one per mature miRNA
    /// of its `assignment`.
    pub fn push_insert(
        &mut self,
        reference: &Reference,
        targets: &TargetSet,
        id: usize,
        seq: &[u8],
        assignment: &Assignment,
    ) {
        insert_lines(reference, targets, id, seq, assignment, self);
    }

    /// Makes room for the lines of `others` (to be appended).
    pub fn reserve<'a>(&mut self, others: impl Iterator<Item = &'a IsomirLines>) {
        let (lines, text) = others.fold((0, 0), |(l, t), o| (l + o.lines.len(), t + o.text.len()));
        self.lines.reserve(lines);
        self.text.reserve(text);
    }

    /// Appends `other`'s lines (of later inserts).
    pub fn append(&mut self, other: IsomirLines) {
        let base = self.text.len() as u32;
        self.text.extend_from_slice(&other.text);
        self.lines.extend(other.lines.into_iter().map(|mut l| {
            l.text += base;
            l
        }));
    }
}

impl Isomirs {
    /// The GFF lines of `lines` (in insert order) with their expression;
    /// `units` are each sample's (insert id, count) pairs, sorted by id.
    /// Lines of inserts no sample counts are dropped.
    pub fn build(lines: IsomirLines, units: &[Vec<(u32, u32)>]) -> Self {
        let IsomirLines { mut lines, text } = lines;
        // expression: each sample's count of each insert, walking ids in order
        let mut cursor = vec![0usize; units.len()];
        let mut expression: Vec<(u32, u32)> = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let id = lines[i].insert;
            let start = expression.len() as u32;
            for (s, (u, at)) in units.iter().zip(cursor.iter_mut()).enumerate() {
                while *at < u.len() && u[*at].0 < id {
                    *at += 1;
                }
                if let Some(&(i, n)) = u.get(*at) {
                    if i == id && n > 0 {
                        expression.push((s as u32, n));
                    }
                }
            }
            let range = (start, expression.len() as u32);
            while i < lines.len() && lines[i].insert == id {
                lines[i].expression = range;
                i += 1;
            }
        }
        lines.retain(|l| l.expression.1 > l.expression.0);
        lines.par_sort_unstable_by_key(|l| (l.seqid, l.start, l.insert, l.mature));
        Self {
            lines,
            text,
            expression,
        }
    }

    /// The lines, sorted by seqid, start, insert and mature.
    #[inline]
    pub(crate) fn lines(&self) -> &[Line] {
        &self.lines
    }

    /// A line's Variant (`NA` for the reference miRNA), ASCII text.
    #[inline]
    pub(crate) fn variant(&self, l: &Line) -> &[u8] {
        let at = l.text as usize;
        &self.text[at..at + l.variant_len as usize]
    }

    /// A line's Cigar, ASCII text.
    #[inline]
    pub(crate) fn cigar(&self, l: &Line) -> &[u8] {
        let at = l.text as usize + l.variant_len as usize;
        &self.text[at..at + l.cigar_len as usize]
    }

    /// Whether a line is of the reference miRNA (its Variant is `NA`).
    #[inline]
    pub(crate) fn is_reference(&self, l: &Line) -> bool {
        l.classes & REF_MIRNA != 0
    }

    /// A line's (sample, count) pairs with a count above 0, samples in
    /// order.
    #[inline]
    pub(crate) fn expression(&self, l: &Line) -> &[(u32, u32)] {
        &self.expression[l.expression.0 as usize..l.expression.1 as usize]
    }

    /// The number of lines (those of reads that start before their
    /// precursor among them, which are not written).
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether there is no line.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Per mature miRNA (by index, ascending) and variant class (in
    /// [`VARIANT_CLASSES`] order), the reads (or molecules) of its sequences
    /// with that class, per sample; a sequence counts once in each class its
    /// Variant has. Rows with no read are left out.
    pub fn class_rows(&self, samples: usize) -> Vec<ClassRow> {
        let classes = VARIANT_CLASSES.len();
        let mut totals: rustc_hash::FxHashMap<u32, Vec<u64>> = Default::default();
        for l in &self.lines {
            let row = totals
                .entry(l.mature)
                .or_insert_with(|| vec![0; classes * samples]);
            for c in 0..classes {
                if l.classes & (1 << c) != 0 {
                    for &(s, n) in self.expression(l) {
                        row[c * samples + s as usize] += n as u64;
                    }
                }
            }
        }
        let mut totals: Vec<(u32, Vec<u64>)> = totals.into_iter().collect();
        totals.sort_unstable_by_key(|&(m, _)| m);
        let mut out = Vec::new();
        for (m, row) in totals {
            for (c, class) in VARIANT_CLASSES.iter().enumerate() {
                let cells = &row[c * samples..(c + 1) * samples];
                if cells.iter().any(|&n| n > 0) {
                    out.push((m, *class, cells.to_vec()));
                }
            }
        }
        out
    }
}

/// One row of `isomirs.tsv`: a mature miRNA (by index), a variant class
/// and each sample's reads (or molecules).
pub type ClassRow = (u32, &'static str, Vec<u64>);

/// Appends the lines of insert `id` (one per mature miRNA it is assigned
/// to) and their Variant and Cigar to `out`.
fn insert_lines(
    reference: &Reference,
    targets: &TargetSet,
    id: usize,
    seq: &[u8],
    assignment: &Assignment,
    out: &mut IsomirLines,
) {
    if !has_uid(seq) {
        return;
    }
    let Assignment::Mature { matures, calls } = assignment else {
        return;
    };
    for &m in matures {
        // the first precursor in FASTA order that gives this name
        let best = calls
            .iter()
            .filter(|c| c.mature == m)
            .map(|c| {
                let key = match targets.targets[c.target as usize].kind {
                    TargetKind::Hairpin(h) => (0u8, h as u32),
                    TargetKind::Mature(m) => (1u8, m as u32),
                    // ncRNA features are never miRNA calls
                    TargetKind::Feature { index, .. } => (2u8, index as u32),
                    // nor are screen records
                    TargetKind::Record { index, .. } => (3u8, index as u32),
                };
                (key, c.offset, c)
            })
            .min_by_key(|&(key, offset, _)| (key, offset));
        let Some((seqid, offset, call)) = best else {
            continue;
        };
        let precursor: &[u8] = match seqid {
            (0, h) => &reference.hairpins[h as usize].seq,
            (_, m) => &reference.matures[m as usize].seq,
        };
        let ms = offset as i64 + call.iso_5p as i64;
        let placed = Placed {
            seqid,
            precursor,
            start: offset as i64,
            mature: (
                m,
                ms,
                ms + reference.matures[m as usize].seq.len() as i64 - 1,
            ),
            hits: matures.len() as u32,
        };
        out.push_line(id, seq, &placed);
    }
}

/// Where a line's read lies: on which precursor (or mature), from where,
/// and the mature miRNA it counts for there.
pub(crate) struct Placed<'a> {
    /// The line's seqid: hairpin (0, h) or mature (1, m).
    pub(crate) seqid: (u8, u32),
    /// Its sequence.
    pub(crate) precursor: &'a [u8],
    /// Where the read starts on it (0-based, may be before it).
    pub(crate) start: i64,
    /// The mature, by index, with its first and last position there.
    pub(crate) mature: (u32, i64, i64),
    /// The number of mature names the insert is assigned to.
    pub(crate) hits: u32,
}

impl IsomirLines {
    /// Adds the line of insert `id` (`seq`) where `placed` says, with its
    /// Variant and Cigar.
    pub(crate) fn push_line(&mut self, id: usize, seq: &[u8], placed: &Placed) {
        let (mature, ms, me) = placed.mature;
        let at = self.text.len();
        let d = describe(seq, placed.precursor, placed.start, ms, me, &mut self.text);
        self.lines.push(Line {
            seqid: placed.seqid,
            start: placed.start,
            insert: id as u32,
            mature,
            hits: placed.hits,
            text: at as u32,
            variant_len: d.variant_len as u16,
            cigar_len: (self.text.len() - at - d.variant_len) as u16,
            classes: d.classes,
            expression: (0, 0),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    /// The Variant and Cigar as the first implementation made them (tags
    /// as strings, sorted): the allocation-free [`describe`] must agree.
    #[derive(Debug, PartialEq)]
    struct OldView {
        variant: String,
        cigar: String,
    }

    impl OldView {
        /// Applies mirtop's rules (see the module text).
        fn new(read: &[u8], precursor: &[u8], start: i64, ms: i64, me: i64) -> Self {
            let len = read.len();
            let on_precursor = |i: usize| (0..precursor.len() as i64).contains(&(start + i as i64));
            // off the precursor the reference is N, as in mirtop's padded copy
            let reference = |i: usize| {
                if on_precursor(i) {
                    precursor[(start + i as i64) as usize]
                } else {
                    b'N'
                }
            };
            let mismatch: Vec<bool> = (0..len).map(|i| read[i] != reference(i)).collect();
            // non-templated 3' additions: mirtop's bam/filter.py:tune
            let mut added = Vec::new();
            if (len.saturating_sub(5)..len).any(|i| mismatch[i]) {
                let mut in_run = false;
                for i in (len.saturating_sub(5)..len).rev() {
                    if mismatch[i] {
                        in_run = true;
                        added.push(i);
                    } else if in_run {
                        break;
                    } else if matches!(read[i], b'A' | b'T') {
                        added.push(i);
                    } else {
                        added.clear();
                        break;
                    }
                }
            }
            // every base past the precursor's end is an addition (the rule
            // above takes a suffix of the read; this one is longer)
            let past_end =
                (start + len as i64 - precursor.len() as i64).clamp(0, len as i64) as usize;
            if past_end > added.len() {
                added = (len - past_end..len).rev().collect();
            }
            let n = added.len() as i64;
            let mut tags: Vec<String> = Vec::new();
            if start < ms {
                tags.push(format!("iso_5p:-{}", ms - start));
            } else if start > ms {
                tags.push(format!("iso_5p:+{}", start - ms));
            }
            let raw_end = start + len as i64 - 1;
            // t: the templated end's shift; mirtop counts iso_3p from the raw
            // end (|t + n|), except that a count past |t| (a short templated end
            // with more additions than twice its shortfall) is one its export
            // and counts cannot rebuild the read from: |t| is written then
            let t = raw_end - n - me;
            if t > 0 {
                tags.push(format!("iso_3p:+{}", t + n));
            } else if t < 0 && t + n != 0 {
                tags.push(format!("iso_3p:-{}", (t + n).abs().min(t.abs())));
            }
            if n > 0 {
                tags.push(format!("iso_add3p:{n}"));
            }
            for (p, &m) in mismatch.iter().enumerate() {
                // a base off the precursor is an addition or has no line: no SNV
                if m && on_precursor(p) && !added.contains(&p) {
                    tags.push(snv_class(p).to_string());
                }
            }
            tags.sort_unstable();
            tags.dedup();
            let variant = if tags.is_empty() {
                "NA".to_string()
            } else {
                tags.join(",")
            };
            let mut cigar = String::new();
            let mut run = 0;
            for (i, &m) in mismatch.iter().enumerate() {
                if m {
                    push_matches(&mut cigar, run);
                    run = 0;
                    cigar.push(read[i] as char);
                } else {
                    run += 1;
                }
            }
            push_matches(&mut cigar, run);
            Self { variant, cigar }
        }
    }

    fn push_matches(cigar: &mut String, run: usize) {
        match run {
            0 => {}
            1 => cigar.push('M'),
            n => {
                let _ = write!(cigar, "{n}M");
            }
        }
    }

    #[test]
    fn describe_agrees_with_the_sorted_tags_on_random_reads() {
        let mut rng = crate::rng::Rng::new(24);
        for _ in 0..20_000 {
            let n = 20 + rng.below(60);
            let precursor = rng.bases(n);
            let len = 1 + rng.below(40);
            let start = rng.below(precursor.len() + 10) as i64 - 5;
            // the read: the precursor there, with mismatches and an A/T tail
            let mut read: Vec<u8> = (0..len)
                .map(|i| {
                    let p = start + i as i64;
                    if p >= 0 && (p as usize) < precursor.len() && !rng.chance(0.1) {
                        precursor[p as usize]
                    } else {
                        b"ACGT"[rng.below(4)]
                    }
                })
                .collect();
            if rng.chance(0.3) {
                let tail = rng.below(4).min(len);
                for b in &mut read[len - tail..] {
                    *b = b"AT"[rng.below(2)];
                }
            }
            let ms = start + rng.below(7) as i64 - 3;
            let me = ms + 18 + rng.below(6) as i64;
            let old = OldView::new(&read, &precursor, start, ms, me);
            let new = MirtopView::new(&read, &precursor, start, ms, me);
            assert_eq!(
                (&new.variant, &new.cigar),
                (&old.variant, &old.cigar),
                "{}",
                String::from_utf8_lossy(&read)
            );
            // the classes bits are those class_rows used to parse back
            let d = describe(&read, &precursor, start, ms, me, &mut Vec::new());
            let tags: Vec<&str> = old
                .variant
                .split(',')
                .map(|t| t.split(':').next().unwrap())
                .collect();
            for (c, class) in VARIANT_CLASSES.iter().enumerate() {
                let has = if c == 0 {
                    old.variant == "NA"
                } else {
                    tags.contains(class)
                };
                assert_eq!(d.classes & (1 << c) != 0, has, "{class} of {}", old.variant);
            }
        }
    }

    /// mirtop's lines for reads on a stretch of hsa-mir-92a-1 (mature at
    /// 0-based 47..=68; the stretch starts at 47).
    #[test]
    fn variants_and_cigars_match_mirtop() {
        let precursor = b"TATTGCACTTGTCCCGGCCTGTTGAGTTTGG";
        let view = |read: &str, start: i64| {
            let v = MirtopView::new(read.as_bytes(), precursor, start, 0, 21);
            (v.variant, v.cigar)
        };
        let cases = [
            ("TATTGCACTTGTCCCGGCCTGT", 0, "NA", "22M"),
            ("ATTGCACTTGTCCCGGCCTGT", 1, "iso_5p:+1", "21M"),
            ("TATTGCACTTGTCCCGGCCTGTT", 0, "iso_3p:+1", "23M"),
            ("TATTGCACTTGTCCCGGCCT", 0, "iso_3p:-2", "20M"),
            ("TATTGCACTTGTCCCGGCCTGTA", 0, "iso_add3p:1", "22MA"),
            ("TATTGCACTTGTCCCGGCCTGTAT", 0, "iso_add3p:2", "22MAT"),
            ("TATTGCACTTGTCCCGGCCTGTAAA", 0, "iso_add3p:3", "22MAAM"),
            ("TATTGCACTTGTCCCGGCCTGA", 0, "iso_add3p:1", "21MA"),
            (
                "TATTGCACTTGTCCCGGCCTGTTA",
                0,
                "iso_3p:+2,iso_add3p:1",
                "23MA",
            ),
            ("AATTGCACTTGTCCCGGCCTGT", 0, "iso_snv", "A21M"),
            ("TATTGCAGTTGTCCCGGCCTGT", 0, "iso_snv_seed", "7MG14M"),
            (
                "TATTGCACTTGTCCAGGCCTGT",
                0,
                "iso_snv_central_supp",
                "14MA7M",
            ),
        ];
        for (read, start, variant, cigar) in cases {
            assert_eq!(
                view(read, start),
                (variant.to_string(), cigar.to_string()),
                "{read}"
            );
        }
    }

    /// Reads that run past the precursor's 3' end (a MirGeneDB precursor
    /// ends with its 3p mature): the bases past the end are additions.
    #[test]
    fn bases_past_the_end_are_additions() {
        // the 3p mature is the precursor's last 22 bases, at 0..=21
        let p = b"TATTGCACTTGTCCCGGCCTGT";
        let view = |read: &str| {
            let v = MirtopView::new(read.as_bytes(), p, 0, 0, 21);
            (v.variant, v.cigar)
        };
        assert_eq!(
            view("TATTGCACTTGTCCCGGCCTGTA"),
            ("iso_add3p:1".into(), "22MA".into())
        );
        // more past the end than mirtop's five-base rule looks at
        assert_eq!(
            view("TATTGCACTTGTCCCGGCCTGTGCAGCT"),
            ("iso_add3p:6".into(), "22MGCAGCT".into())
        );
        // a real SNV inside stays one; the end stops at the last base
        assert_eq!(
            view("TATTGCACTAGTCCCGGCCTGTAA"),
            ("iso_add3p:2,iso_snv_central".into(), "9MA12MAA".into())
        );
        assert_eq!(span(0, 24, p.len()), Some((0, 21)));
        assert_eq!(span(3, 19, p.len()), Some((3, 21)));
    }

    /// A read that starts before the precursor has no line; its base before
    /// the precursor is not an SNV (isomirs.tsv counts it as iso_5p).
    #[test]
    fn bases_before_the_start_are_no_snv_and_no_line() {
        let p = b"TGAGGTAGTAGGTTGTATAGTTTAGAATTACATCAAGGG";
        let v = MirtopView::new(b"GTGAGGTAGTAGGTTGTATAGTT", p, -1, 0, 21);
        assert_eq!(v.variant, "iso_5p:-1");
        assert_eq!(span(-1, 23, p.len()), None);
        assert_eq!(span(0, 22, p.len()), Some((0, 21)));
    }

    /// mirtop's iso_3p counts from the raw end; where that says more bases
    /// are missing than the templated end lacks, the templated shortfall is
    /// written (mirtop's export rebuilds the reference from iso_3p +
    /// iso_add3p and must reach the read's last base).
    #[test]
    fn iso_3p_never_says_more_missing_than_the_templated_end() {
        // hsa-mir-320a: miR-320a-3p at 0..=21, then AAT...
        let p = b"AAAAGCTGGGTTGAGAGGGCGAAAATT";
        let v = |read: &str| MirtopView::new(read.as_bytes(), p, 0, 0, 21).variant;
        // templated end -1, additions TT: mirtop's -1 is the shortfall
        assert_eq!(v("AAAAGCTGGGTTGAGAGGGCGTT"), "iso_3p:-1,iso_add3p:2");
        // templated end -1, additions TTT: mirtop writes -2, the read has 24
        // bases and its export's reference 23
        assert_eq!(v("AAAAGCTGGGTTGAGAGGGCGTTT"), "iso_3p:-1,iso_add3p:3");
        // templated end -4, additions TT: mirtop's -2 stands
        assert_eq!(v("AAAAGCTGGGTTGAGAGGTT"), "iso_3p:-2,iso_add3p:2");
    }

    #[test]
    fn more_mirtop_examples() {
        // hsa-mir-10a: mature at 21..=43, read starts at 20 (iso_5p:-1)
        let p = b"ATACCCTGTAGATCCGAATTTGTGTA";
        let v = MirtopView::new(b"ATACCCTGTAGATCCGAATTTGTG", p, 0, 1, 23);
        assert_eq!((v.variant.as_str(), v.cigar.as_str()), ("iso_5p:-1", "24M"));
        // hsa-mir-10b: -2 templated, +1 added -> iso_3p:-1,iso_add3p:1
        let p = b"TACCCTGTAGAACCGAATTTGTGTGGTA";
        let v = MirtopView::new(b"TACCCTGTAGAACCGAATTTGA", p, 0, 0, 22);
        assert_eq!(
            (v.variant.as_str(), v.cigar.as_str()),
            ("iso_3p:-1,iso_add3p:1", "21MA")
        );
        let v = MirtopView::new(b"ACCCTGTAGAACCGAATTTGTGTGT", p, 1, 0, 22);
        assert_eq!(
            (v.variant.as_str(), v.cigar.as_str()),
            ("iso_3p:+3,iso_5p:+1,iso_add3p:1", "24MT")
        );
        // hsa-mir-5701-1: iso_5p:-1 and SNVs at read positions 0 and 2
        let p = b"TTTATTGTCACGTTCTGATTGG";
        let v = MirtopView::new(b"CTGATTGTCACGTTCTGATT", p, 0, 1, 19);
        assert_eq!(
            (v.variant.as_str(), v.cigar.as_str()),
            ("iso_5p:-1,iso_snv,iso_snv_seed", "CMG17M")
        );
        // hsa-mir-16-1: mismatch at p=20 kept as an SNV (last base matches G)
        let p = b"TAGCAGCACGTAAATATTGGCGTTAG";
        let v = MirtopView::new(b"TAGCAGCACGTAAATATTGGTG", p, 0, 0, 21);
        assert_eq!((v.variant.as_str(), v.cigar.as_str()), ("iso_snv", "20MTM"));
        let v = MirtopView::new(b"TAGCAGCAAGTAAATATTGGCG", p, 0, 0, 21);
        assert_eq!(v.variant, "iso_snv_central_offset");
    }
}

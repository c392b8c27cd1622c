//! The sequences inserts are aligned to: hairpins (with the mature windows
//! inside them) and matures that sit in no hairpin. Each target is stored as
//! base codes framed by wildcard pads, so that a read running a few bases past
//! a mature given without its hairpin (or past a hairpin end) can still align.

use crate::input::ncrna::NcrnaReference;
use crate::input::reference::Reference;
use crate::input::screen::ScreenReference;
use crate::seq::{encode_base, WILDCARD};

/// What a target is in the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// A hairpin, by index into [`Reference::hairpins`].
    Hairpin(usize),
    /// A mature aligned on its own (no hairpin contains it), by index into
    /// [`Reference::matures`].
    Mature(usize),
    /// An ncRNA feature, by index into [`NcrnaReference::features`], on its
    /// own strand (sense) or reverse-complemented (antisense).
    Feature { index: usize, antisense: bool },
    /// A screen reference record, by index into
    /// [`ScreenReference::records`], on its own strand (sense) or
    /// reverse-complemented (antisense).
    Record { index: usize, antisense: bool },
}

/// Where a mature miRNA sits in a target (0-based, end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Index into [`Reference::matures`].
    pub mature: u32,
    /// Start of the mature in the target.
    pub start: i32,
    /// End (exclusive) of the mature in the target.
    pub end: i32,
}

/// One target sequence.
#[derive(Debug, Clone)]
pub struct Target {
    /// Hairpin or mature name.
    pub name: String,
    /// What the target is.
    pub kind: TargetKind,
    /// Index in the packed text of the target's first real base.
    pub text_start: usize,
    /// Number of real bases.
    pub len: usize,
    /// Mature windows of this target, by index range into [`TargetSet::windows`].
    pub windows: std::ops::Range<usize>,
}

/// All targets of a reference, packed for the engines.
#[derive(Debug, Clone)]
pub struct TargetSet {
    /// A hit's 5' end may lie this many bases from a mature start.
    pub window_5p: usize,
    /// A hit's templated 3' end may lie this many bases from a mature end.
    pub window_3p: usize,
    /// Codes of every target, each framed by `window_5p` and `window_3p`
    /// wildcards.
    pub text: Vec<u8>,
    /// Targets in order: hairpins first, then unplaced matures.
    pub targets: Vec<Target>,
    /// Mature windows, grouped by target.
    pub windows: Vec<Window>,
}

impl TargetSet {
    /// Packs a reference: every hairpin with the matures located in it, then
    /// every mature found in no hairpin (the only targets in mature-only mode).
    pub fn build(reference: &Reference, window_5p: usize, window_3p: usize) -> Self {
        let mut set = Self {
            window_5p,
            window_3p,
            text: Vec::new(),
            targets: Vec::new(),
            windows: Vec::new(),
        };
        let mut by_hairpin: Vec<Vec<Window>> = vec![Vec::new(); reference.hairpins.len()];
        for loc in &reference.locations {
            let len = reference.matures[loc.mature].seq.len() as i32;
            by_hairpin[loc.hairpin].push(Window {
                mature: loc.mature as u32,
                start: loc.start as i32,
                end: loc.start as i32 + len,
            });
        }
        for (h, hp) in reference.hairpins.iter().enumerate() {
            let mut w = std::mem::take(&mut by_hairpin[h]);
            w.sort_by_key(|w| (w.start, w.end, w.mature));
            set.push(&hp.name, TargetKind::Hairpin(h), &hp.seq, w);
        }
        for m in reference.unplaced_matures() {
            let mseq = &reference.matures[m].seq;
            let w = vec![Window {
                mature: m as u32,
                start: 0,
                end: mseq.len() as i32,
            }];
            set.push(&reference.matures[m].name, TargetKind::Mature(m), mseq, w);
        }
        set
    }

    /// Packs ncRNA features, each on both strands (feature `i` is targets
    /// `2i`, sense, and `2i + 1`, antisense), without pads or windows: a hit
    /// lies on real bases, and a read running up to `max_nontemplated` bases
    /// past a feature's 3' end takes them as non-templated.
    pub fn from_ncrna(reference: &NcrnaReference) -> Self {
        let features = reference.features.iter().map(|f| (&f.name, &f.seq[..]));
        Self::strand_pairs(features, 0, |index, antisense| TargetKind::Feature {
            index,
            antisense,
        })
    }

    /// Packs a screen reference as [`TargetSet::from_ncrna`] packs features:
    /// record `i` is targets `2i` (sense) and `2i + 1` (its reverse
    /// complement), without pads or windows.
    pub fn from_screen(reference: &ScreenReference) -> Self {
        let records = reference.records.iter().map(|r| (&r.name, &r.seq[..]));
        Self::strand_pairs(records, 2 * reference.bases(), |index, antisense| {
            TargetKind::Record { index, antisense }
        })
    }

    /// Sequence `i` of `seqs` as targets `2i` (its own strand) and `2i + 1`
    /// (reverse-complemented), of the kind `kind(i, antisense)`, without
    /// pads or windows; `bases` reserves the text.
    fn strand_pairs<'a>(
        seqs: impl Iterator<Item = (&'a String, &'a [u8])>,
        bases: usize,
        kind: impl Fn(usize, bool) -> TargetKind,
    ) -> Self {
        let mut set = Self {
            window_5p: 0,
            window_3p: 0,
            text: Vec::with_capacity(bases),
            targets: Vec::new(),
            windows: Vec::new(),
        };
        for (i, (name, seq)) in seqs.enumerate() {
            set.push(name, kind(i, false), seq, Vec::new());
            let rc = crate::seq::reverse_complement(seq);
            set.push(name, kind(i, true), &rc, Vec::new());
        }
        set
    }

    fn push(&mut self, name: &str, kind: TargetKind, seq: &[u8], windows: Vec<Window>) {
        self.text
            .extend(std::iter::repeat(WILDCARD).take(self.window_5p));
        let text_start = self.text.len();
        self.text.extend(seq.iter().map(|&b| encode_base(b)));
        self.text
            .extend(std::iter::repeat(WILDCARD).take(self.window_3p));
        let first = self.windows.len();
        self.windows.extend(windows);
        self.targets.push(Target {
            name: name.to_string(),
            kind,
            text_start,
            len: seq.len(),
            windows: first..self.windows.len(),
        });
    }

    /// Base code at `pos` of a target (negative and past-the-end positions
    /// inside the pads are wildcards). The caller keeps `pos` inside the pads.
    #[inline]
    pub fn base(&self, target: usize, pos: i32) -> u8 {
        self.text[(self.targets[target].text_start as i64 + pos as i64) as usize]
    }

    /// Lowest and highest-plus-one position a hit may cover on a target.
    #[inline]
    pub fn span(&self, target: usize) -> (i32, i32) {
        let t = &self.targets[target];
        (-(self.window_5p as i32), (t.len + self.window_3p) as i32)
    }

    /// Windows of a target.
    pub fn target_windows(&self, target: usize) -> &[Window] {
        &self.windows[self.targets[target].windows.clone()]
    }

    /// Whether a hit covering `[start, end)` lies in some mature window of the
    /// target (5' end within `window_5p`, templated 3' end within `window_3p`).
    pub fn in_any_window(&self, target: usize, start: i32, end: i32) -> bool {
        self.target_windows(target)
            .iter()
            .any(|w| self.fits(w, start, end))
    }

    /// The windows a hit covering `[start, end)` belongs to: those it fits,
    /// at the smallest total end distance (several only on exact ties).
    pub fn closest_windows(&self, target: usize, start: i32, end: i32) -> Vec<Window> {
        let fitting: Vec<Window> = self
            .target_windows(target)
            .iter()
            .copied()
            .filter(|w| self.fits(w, start, end))
            .collect();
        let best = fitting
            .iter()
            .map(|w| (w.start - start).abs() + (w.end - end).abs())
            .min();
        fitting
            .into_iter()
            .filter(|w| Some((w.start - start).abs() + (w.end - end).abs()) == best)
            .collect()
    }

    #[inline]
    fn fits(&self, w: &Window, start: i32, end: i32) -> bool {
        (w.start - start).unsigned_abs() as usize <= self.window_5p
            && (w.end - end).unsigned_abs() as usize <= self.window_3p
    }

    /// Windows whose neighbourhood reaches into a pad: only hits near these
    /// can cover wildcard positions. Returned as (target, window).
    pub fn edge_windows(&self) -> Vec<(u32, Window)> {
        let mut out = Vec::new();
        for (t, target) in self.targets.iter().enumerate() {
            for w in self.target_windows(t) {
                if (w.start as i64) < self.window_5p as i64
                    || w.end as i64 + self.window_3p as i64 > target.len as i64
                {
                    out.push((t as u32, *w));
                }
            }
        }
        out
    }
}

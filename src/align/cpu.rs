//! The CPU engine: exact seed lookup first, then pigeonhole seeds for hits
//! with mismatches, each candidate verified with [`super::verify`]. It returns
//! the same best hits as [`super::brute_force`] (tested on random inputs).

use std::ops::RangeInclusive;

use rayon::prelude::*;

use super::index::{Entry, SeedIndex, MAX_SEED, MAX_TAG};
use super::tagged::TaggedIndex;
use super::{
    brute_force, keep_best, verify, AlignParams, Engine, EngineKind, FlatHits, Hit, Prepared,
    SeedPlan, TargetSet, Window,
};
use crate::error::Result;

/// Seed-and-verify alignment on the CPU, parallel over inserts.
#[derive(Debug, Default, Clone, Copy)]
pub struct CpuEngine;

impl Engine for CpuEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Cpu
    }

    fn prepare<'a>(
        &'a self,
        targets: &'a TargetSet,
        params: &AlignParams,
    ) -> Result<Box<dyn Prepared + 'a>> {
        Ok(Box::new(CpuPrepared {
            searcher: Searcher::new(targets),
            params: *params,
        }))
    }
}

/// The CPU engine's prepared reference: the seed index.
struct CpuPrepared<'a> {
    searcher: Searcher<'a>,
    params: AlignParams,
}

/// Edge pieces this short or shorter are looked up by tag
/// ([`TaggedIndex`]): they occur at many window positions, of which the
/// few tags near the piece's place are read; longer ones occur rarely and
/// are found in the edge index, one lookup for all tags.
const TAGGED_SEEDS: usize = 5;

/// Inserts one parallel task aligns into its own [`FlatHits`].
const TASK_INSERTS: usize = 1024;

impl Prepared for CpuPrepared<'_> {
    fn align_into(&self, inserts: &[&[u8]], out: &mut FlatHits) -> Result<()> {
        self.searcher.align_into(inserts, &self.params, out);
        Ok(())
    }
}

/// Buffers one search reuses: candidates, and the hits found (the best hits
/// once [`Searcher::search_into`] returns).
#[derive(Debug, Default)]
pub struct Scratch {
    candidates: Vec<(u32, i32)>,
    /// Best hits of the last insert searched.
    pub hits: Vec<Hit>,
    plans: PlanCache,
}

/// Seed plans by insert length, made once for the searcher and parameters
/// of `key` (a plan costs two powers of four: noticeable per insert).
#[derive(Debug, Default)]
struct PlanCache {
    key: Option<PlanKey>,
    /// Plan of each length seen, by length.
    plans: Vec<Option<SeedPlan>>,
}

/// Everything a [`SeedPlan`] depends on besides the insert length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PlanKey {
    params: AlignParams,
    indexed: [usize; 2],
    edge_windows: usize,
    text_len: usize,
    window: (usize, usize),
}

/// A target set with its seed indexes, ready to search.
pub struct Searcher<'a> {
    ts: &'a TargetSet,
    index: SeedIndex,
    /// Positions a hit covering a pad can have its seeds at: from each edge
    /// window's start to `window_3p` past its end, tagged with their distance
    /// from the window start.
    edge_index: SeedIndex,
    /// The same entries by tag, for the edge stage's lookups.
    edge_tagged: TaggedIndex,
    edge_windows: Vec<(u32, Window)>,
    /// Per target, the starts of its edge windows (empty for most hairpins).
    edge_starts: Vec<Vec<i32>>,
    /// Per target, its real bases.
    lens: Vec<i32>,
}

impl<'a> Searcher<'a> {
    /// Indexes the targets.
    pub fn new(ts: &'a TargetSet) -> Self {
        // Only a window's start (and, for the neighbourhood indexed, its
        // end) matters here: one window per (target, start), the longest.
        let mut edge_windows = ts.edge_windows();
        edge_windows.sort_by_key(|(t, w)| (*t, w.start, std::cmp::Reverse(w.end)));
        edge_windows.dedup_by_key(|(t, w)| (*t, w.start));
        let mut edge_starts = vec![Vec::new(); ts.targets.len()];
        for (t, w) in &edge_windows {
            edge_starts[*t as usize].push(w.start);
        }
        let edge_index = SeedIndex::build_windows(ts, &edge_windows);
        Self {
            ts,
            index: SeedIndex::build(ts),
            edge_tagged: TaggedIndex::new(&edge_index),
            edge_index,
            edge_windows,
            edge_starts,
            lens: ts.targets.iter().map(|t| t.len as i32).collect(),
        }
    }

    /// The targets searched.
    pub fn targets(&self) -> &'a TargetSet {
        self.ts
    }

    /// The seed index.
    pub fn index(&self) -> &SeedIndex {
        &self.index
    }

    /// The seed index of the edge windows' neighbourhoods.
    pub fn edge_index(&self) -> &SeedIndex {
        &self.edge_index
    }

    /// Windows near a target end, as (target, window): one per (target,
    /// start), the longest.
    pub fn edge_windows(&self) -> &[(u32, Window)] {
        &self.edge_windows
    }

    /// Every (target, offset) within `window_5p` of an edge window's start:
    /// the candidates when edge pieces are too short to seed.
    pub fn edge_offsets(&self) -> impl Iterator<Item = (u32, i32)> + '_ {
        let w5 = self.ts.window_5p as i32;
        self.edge_windows
            .iter()
            .flat_map(move |&(t, w)| (w.start - w5..=w.start + w5).map(move |o| (t, o)))
    }

    /// How an insert of `len` bases (at least 1) is seeded.
    pub fn plan(&self, len: usize, params: &AlignParams) -> SeedPlan {
        SeedPlan::new(
            self.ts,
            params,
            len,
            [self.index.len(), self.edge_index.len()],
            self.edge_windows.len(),
        )
    }

    /// Best hits of one insert (base codes).
    pub fn search(&self, insert: &[u8], params: &AlignParams) -> Vec<Hit> {
        let mut scratch = Scratch::default();
        self.search_into(insert, params, &mut scratch);
        scratch.hits
    }

    /// Appends the best hits of each insert (base codes), in input order,
    /// to `out`: in parallel, in the current thread pool.
    pub fn align_into(&self, inserts: &[&[u8]], params: &AlignParams, out: &mut FlatHits) {
        let parts: Vec<FlatHits> = inserts
            .par_chunks(TASK_INSERTS)
            .map(|chunk| {
                let mut part = FlatHits::default();
                let mut scratch = Scratch::default();
                for insert in chunk {
                    self.search_into(insert, params, &mut scratch);
                    part.push(&scratch.hits);
                }
                part
            })
            .collect();
        out.append_all(&parts);
    }

    /// The plan of an insert of `len` bases (at least 1), from `cache`
    /// when made before.
    fn cached_plan<'c>(
        &self,
        len: usize,
        params: &AlignParams,
        cache: &'c mut PlanCache,
    ) -> &'c SeedPlan {
        let key = PlanKey {
            params: *params,
            indexed: [self.index.len(), self.edge_index.len()],
            edge_windows: self.edge_windows.len(),
            text_len: self.ts.text.len(),
            window: (self.ts.window_5p, self.ts.window_3p),
        };
        if cache.key != Some(key) {
            cache.key = Some(key);
            cache.plans.clear();
        }
        if cache.plans.len() <= len {
            cache.plans.resize(len + 1, None);
        }
        cache.plans[len].get_or_insert_with(|| self.plan(len, params))
    }

    /// Best hits of one insert (base codes) into `scratch.hits`.
    pub fn search_into(&self, insert: &[u8], params: &AlignParams, scratch: &mut Scratch) {
        scratch.hits.clear();
        scratch.candidates.clear();
        let l = insert.len();
        if l == 0 {
            return;
        }
        let ts = self.ts;
        let cands = &mut scratch.candidates;
        let k = params.max_mismatches as usize;
        let plan = self.cached_plan(l, params, &mut scratch.plans);
        let Some(piece) = plan.real_piece else {
            // Exact first: a perfect hit (no mismatch, nothing free)
            // contains the insert's first bases exactly, and no hit ranks
            // better; else every offset.
            let exact_len = l.min(MAX_SEED);
            self.index
                .for_each_occurrence(&insert[..exact_len], |t, p| cands.push((t, p)));
            self.verify_all(cands, insert, params, &mut scratch.hits);
            if !scratch.hits.iter().any(|h| h.rank() == (0, 0)) {
                scratch.hits = brute_force(ts, insert, params);
            }
            keep_best(&mut scratch.hits);
            return;
        };

        // 1. Hits on real bases only: at most k mismatches in the first
        //    l - tmax bases, so one of k + 1 pieces of them is exact. A
        //    perfect hit (no mismatch, nothing free) contains the first
        //    piece exactly, and no hit ranks better: once the first piece's
        //    candidates hold one, they hold all.
        let region = 0..l - plan.tmax;
        self.seed(insert, &region, piece, k, 0..1, cands);
        self.verify_all(cands, insert, params, &mut scratch.hits);
        if scratch.hits.iter().any(|h| h.rank() == (0, 0)) {
            keep_best(&mut scratch.hits);
            return;
        }
        self.seed(insert, &region, piece, k, 1..k + 1, cands);

        // 2. Hits covering wildcard pads lie near an edge window; their
        //    bases in the plan's edge region are real. An offset whose
        //    first l - tmax bases lie on real bases is the first stage's:
        //    a valid hit there has at most k mismatches in them.
        if !self.edge_windows.is_empty() {
            let real = region.end as i32;
            match plan.edge_piece {
                Some(piece) => self.seed_edges(insert, &plan.edge_region, piece, k, real, cands),
                None => cands.extend(self.edge_offsets()),
            }
        }
        self.verify_all(cands, insert, params, &mut scratch.hits);
        keep_best(&mut scratch.hits);
    }

    /// Adds the offsets where one of `pieces` of the `k + 1` pieces of
    /// `region` (see [`pieces`]) occurs exactly in the index.
    fn seed(
        &self,
        insert: &[u8],
        region: &std::ops::Range<usize>,
        piece: usize,
        k: usize,
        pieces: std::ops::Range<usize>,
        out: &mut Vec<(u32, i32)>,
    ) {
        for (start, seed) in self::pieces(insert, region, piece, k, pieces) {
            self.index
                .for_each_occurrence(seed, |t, pos| out.push((t, pos - start as i32)));
        }
    }

    /// Adds the offsets of the edge stage: where one of the `k + 1` pieces
    /// of the edge `region` occurs exactly in an edge window's
    /// neighbourhood, the offset lies within `window_5p` of the window's
    /// start, and a hit there covers a pad (its first `real` bases do not
    /// all lie on real bases).
    fn seed_edges(
        &self,
        insert: &[u8],
        region: &std::ops::Range<usize>,
        piece: usize,
        k: usize,
        real: i32,
        out: &mut Vec<(u32, i32)>,
    ) {
        let w5 = self.ts.window_5p;
        for (start, seed) in self::pieces(insert, region, piece, k, 0..k + 1) {
            // an entry's tag is its distance from its window's start: a
            // piece at `start` of an offset within w5 of that start lies
            // `start - w5 ..= start + w5` past it
            let tags = start.saturating_sub(w5) as u32..=(start + w5).min(MAX_TAG as usize) as u32;
            let mut visit = |e: &Entry| {
                if let Some(candidate) = self.edge_candidate(e, start, &tags, real) {
                    out.push(candidate);
                }
            };
            if seed.len() <= TAGGED_SEEDS {
                self.edge_tagged
                    .for_each_entry(seed, tags.clone(), &mut visit);
            } else {
                self.edge_index.for_each_entry(seed, &mut visit);
            }
        }
    }

    /// The candidate (target, offset) of edge entry `e` found by a piece
    /// at `start`, if its offset lies near its window's start (the tag in
    /// `tags`) and a hit there covers a pad.
    #[inline(always)]
    fn edge_candidate(
        &self,
        e: &Entry,
        start: usize,
        tags: &RangeInclusive<u32>,
        real: i32,
    ) -> Option<(u32, i32)> {
        let (t, o) = (e.target() as usize, e.pos() as i32 - start as i32);
        // a tag of MAX_TAG is a distance of that or more
        let near = if e.tag() < MAX_TAG {
            tags.contains(&e.tag())
        } else {
            let w5 = self.ts.window_5p;
            self.edge_starts[t]
                .iter()
                .any(|&ws| (ws - o).unsigned_abs() as usize <= w5)
        };
        (near && (o < 0 || o + real > self.lens[t])).then_some((t as u32, o))
    }

    /// Verifies every candidate once, appending the valid placements to
    /// `hits`; empties `candidates`.
    fn verify_all(
        &self,
        candidates: &mut Vec<(u32, i32)>,
        insert: &[u8],
        params: &AlignParams,
        hits: &mut Vec<Hit>,
    ) {
        candidates.sort_unstable();
        candidates.dedup();
        hits.extend(
            candidates
                .drain(..)
                .filter_map(|(t, o)| verify(self.ts, t as usize, o, insert, params)),
        );
    }
}

/// The pieces `pieces` of the `k + 1` pieces of `region` of an insert, as
/// (start, bases): `piece` bases each, the last one up to the region's end,
/// each cut to [`MAX_SEED`] bases.
fn pieces<'i>(
    insert: &'i [u8],
    region: &std::ops::Range<usize>,
    piece: usize,
    k: usize,
    pieces: std::ops::Range<usize>,
) -> impl Iterator<Item = (usize, &'i [u8])> {
    let region = region.clone();
    pieces.map(move |p| {
        let start = region.start + p * piece;
        let end = if p == k { region.end } else { start + piece };
        (start, &insert[start..end.min(start + MAX_SEED)])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::sim::{random_inserts, random_reference};
    use crate::rng::Rng;

    #[test]
    fn seeded_search_equals_brute_force_on_random_inputs() {
        let mut rng = Rng::new(0x5EED_1234_ABCD_0001);
        for with_hairpins in [true, false] {
            let r = random_reference(&mut rng, with_hairpins, 30);
            let ts = TargetSet::build(&r, 3, 5);
            let s = Searcher::new(&ts);
            for mm in 0..=2u8 {
                let params = AlignParams {
                    max_mismatches: mm,
                    max_nontemplated: 3,
                };
                let mut with_hits = 0;
                // tails of up to 7 bases: past a mature's end, a hit may
                // cover up to window_3p pads with more than max_nontemplated
                // bases
                for read in random_inserts(&mut rng, &r, 1000) {
                    let codes = crate::seq::encode(&read);
                    let found = s.search(&codes, &params);
                    assert_eq!(
                        found,
                        brute_force(&ts, &codes, &params),
                        "read {} mm {mm} hairpins {with_hairpins}",
                        String::from_utf8_lossy(&read)
                    );
                    with_hits += usize::from(!found.is_empty());
                }
                assert!(with_hits > 300, "{with_hits} of 1000 reads with hits");
            }
        }
    }
}

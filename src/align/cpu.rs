//! The CPU engine: exact seed lookup first, then pigeonhole seeds for hits
//! with mismatches, each candidate verified with [`super::verify`]. It returns
//! the same best hits as [`super::brute_force`] (tested on random inputs).

use rayon::prelude::*;

use super::index::{SeedIndex, MAX_SEED};
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
        let index = &self.index;
        let region = 0..l - plan.tmax;
        self.seed(index, insert, &region, piece, k, 0..1, cands, |_, _| true);
        self.verify_all(cands, insert, params, &mut scratch.hits);
        if scratch.hits.iter().any(|h| h.rank() == (0, 0)) {
            keep_best(&mut scratch.hits);
            return;
        }
        self.seed(index, insert, &region, piece, k, 1..k + 1, cands, |_, _| {
            true
        });

        // 2. Hits covering wildcard pads lie near an edge window; their
        //    bases in the plan's edge region are real. An offset whose
        //    first l - tmax bases lie on real bases is the first stage's:
        //    a valid hit there has at most k mismatches in them.
        if !self.edge_windows.is_empty() {
            let w5 = ts.window_5p;
            let real = region.end as i32;
            match plan.edge_piece {
                Some(piece) => {
                    let near_edge = |t: u32, o: i32| {
                        (o < 0 || o + real > self.lens[t as usize])
                            && self.edge_starts[t as usize]
                                .iter()
                                .any(|&start| (start - o).unsigned_abs() as usize <= w5)
                    };
                    let (index, region) = (&self.edge_index, &plan.edge_region);
                    self.seed(index, insert, region, piece, k, 0..k + 1, cands, near_edge);
                }
                None => cands.extend(self.edge_offsets()),
            }
        }
        self.verify_all(cands, insert, params, &mut scratch.hits);
        keep_best(&mut scratch.hits);
    }

    /// Adds the offsets where one of `pieces` of the `k + 1` pieces of
    /// `region` (`piece` bases, the last one up to the region's end) occurs
    /// exactly in `index` and `keep` agrees.
    #[allow(clippy::too_many_arguments)]
    fn seed(
        &self,
        index: &SeedIndex,
        insert: &[u8],
        region: &std::ops::Range<usize>,
        piece: usize,
        k: usize,
        pieces: std::ops::Range<usize>,
        out: &mut Vec<(u32, i32)>,
        keep: impl Fn(u32, i32) -> bool,
    ) {
        for p in pieces {
            let start = region.start + p * piece;
            let end = if p == k { region.end } else { start + piece };
            let seed = &insert[start..end.min(start + MAX_SEED)];
            index.for_each_occurrence(seed, |t, pos| {
                let o = pos - start as i32;
                if keep(t, o) {
                    out.push((t, o));
                }
            });
        }
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

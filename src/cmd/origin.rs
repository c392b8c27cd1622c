//! The references of the cascade beyond the run species' miRNAs, loaded
//! once per run, and the alignment passes over them: artifacts (every
//! insert), ncRNAs (the inserts an ncRNA could take), other species' miRNAs
//! (the inserts still unassigned) and the screen references with their
//! decoys (the inserts still unassigned that each one's length rule
//! admits). See [`crate::count::origin`] for the rules.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::align::exact::WindowStarts;
use crate::align::select::{Alignment, ReferenceAligner, ReferenceEngine};
use crate::align::{AlignParams, EncodedSlice, FlatHits, Hit, TargetSet};
use crate::count::clades::CladePanel;
use crate::count::ncrna::{self, needs_ncrna, MirnaSide, NcrnaCall, Precedence};
use crate::count::origin::{
    exogenous_calls, ArtifactCalls, ScreenRule, EXOGENOUS_MIN_LENGTH, EXOGENOUS_MIN_READS,
};
use crate::count::species::SpeciesPanel;
use crate::error::{Error, Result};
use crate::input::ncrna::NcrnaReference;
use crate::input::reference::{AllSpecies, Reference, FOREIGN_SPECIES};
use crate::input::screen::ScreenReference;
use crate::output::origin_tables::{OriginRun, ScreenRun};
use crate::output::stats::{ArtifactSettings, CladeSettings, ExogenousSettings, ScreenSettings};
use crate::prep::collapse::InsertTable;
use crate::prep::reads::is_low_complexity;
use crate::runtime::Progress;

/// Which artifact list the run uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ArtifactSource {
    /// The list built into mirq ([`crate::input::artifacts`]).
    #[default]
    BuiltIn,
    /// FASTA files (`--artifacts`).
    Files(Vec<PathBuf>),
    /// No artifact stage (`--no-artifacts`).
    Off,
}

/// stats.json `settings.artifacts.source` of the built-in list.
pub const BUILT_IN: &str = "built-in";

/// The most screen references a run takes (a decoy hit is one bit each).
pub const MAX_SCREENS: usize = 32;

/// One screen reference, ready: its targets, its decoy's and its rule.
pub struct Screen {
    /// The reference.
    pub reference: ScreenReference,
    /// Its records on both strands.
    pub targets: TargetSet,
    /// The reversed records on both strands.
    pub decoy: TargetSet,
    /// Which inserts it takes, with how many mismatches.
    pub rule: ScreenRule,
}

impl Screen {
    /// Loads `name=path` and prepares its targets.
    pub fn load(name: &str, path: &std::path::Path, max_mismatches: u8) -> Result<Self> {
        Self::load_files(name, &[path.to_path_buf()], max_mismatches)
    }

    /// Loads the records of every path of `paths` (files or directories)
    /// as one reference `name` (a merge gives the files a run recorded) and
    /// prepares its targets, its decoy's and its rule.
    pub fn load_files(name: &str, paths: &[PathBuf], max_mismatches: u8) -> Result<Self> {
        let mut reference = ScreenReference::from_records(name, Vec::new());
        for path in paths {
            let one = ScreenReference::load(name, path).map_err(|e| match e {
                Error::Io { path, err } => Error::Reference {
                    message: format!("--screen {name}: {err}"),
                    path,
                },
                other => other,
            })?;
            reference.files.extend(one.files);
            reference.records.extend(one.records);
        }
        if reference.bases() == 0 {
            return Err(Error::Reference {
                path: paths.first().cloned().unwrap_or_default(),
                message: format!("--screen {name}: no bases in this reference"),
            });
        }
        let targets = TargetSet::from_screen(&reference);
        let decoy = TargetSet::from_screen(&reference.reversed());
        let rule = ScreenRule::new(reference.bases(), max_mismatches);
        Ok(Self {
            reference,
            targets,
            decoy,
            rule,
        })
    }

    /// stats.json `settings.screen[]` of the reference.
    pub fn settings(&self) -> ScreenSettings {
        ScreenSettings {
            name: self.reference.name.clone(),
            files: self
                .reference
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect(),
            records: self.reference.records.len(),
            bases: self.reference.bases(),
            min_length_exact: self.rule.min_length(0),
            min_length_mismatch: self.rule.min_length(1),
            fingerprint: self.reference.fingerprint(),
        }
    }
}

/// The references of the later stages.
#[derive(Default)]
pub struct LaterReferences {
    /// The artifact list and its targets (both strands).
    pub artifacts: Option<(NcrnaReference, TargetSet)>,
    /// The ncRNA reference and its targets (both strands).
    pub ncrna: Option<(NcrnaReference, TargetSet)>,
    /// The other species' miRNAs and their targets.
    pub foreign: Option<(Reference, TargetSet)>,
    /// The screen references, in the order given.
    pub screens: Vec<Screen>,
    /// The species fit's panel (off with `--no-species-fit`).
    pub species: Option<SpeciesPanel>,
    /// The clade lists (`--clades`).
    pub clades: Option<(CladePanel, Vec<PathBuf>)>,
}

impl LaterReferences {
    /// stats.json `settings.artifacts` of the list.
    pub fn artifact_settings(&self, source: &ArtifactSource) -> Option<ArtifactSettings> {
        let (reference, _) = self.artifacts.as_ref()?;
        Some(ArtifactSettings {
            source: match source {
                ArtifactSource::Files(f) => f.iter().map(|p| p.display().to_string()).collect(),
                _ => vec![BUILT_IN.into()],
            },
            sequences: reference.features.len(),
            fingerprint: reference.fingerprint(),
        })
    }

    /// stats.json `settings.clades` of the clade lists.
    pub fn clade_settings(&self) -> Option<CladeSettings> {
        let (panel, files) = self.clades.as_ref()?;
        Some(CladeSettings {
            files: files.iter().map(|f| f.display().to_string()).collect(),
            clades: panel.clades().to_vec(),
            fingerprint: panel.fingerprint(),
        })
    }

    /// stats.json `settings.exogenous` of the other species' miRNAs.
    pub fn exogenous_settings(&self) -> Option<ExogenousSettings> {
        let (reference, _) = self.foreign.as_ref()?;
        let mut species: Vec<String> = reference
            .matures
            .iter()
            .map(|m| crate::input::reference::species_code(&m.name))
            .collect();
        species.sort_unstable();
        species.dedup();
        Some(ExogenousSettings {
            species: species.len(),
            matures: reference.matures.len(),
            min_length: EXOGENOUS_MIN_LENGTH,
            min_reads: EXOGENOUS_MIN_READS,
            fingerprint: reference.fingerprint(),
        })
    }

    /// The [`OriginRun`] of these references and the later passes' hits
    /// (`screen_refs`: the screen references, in order).
    pub fn origin_run<'a>(
        &'a self,
        hits: LaterHitsRef<'a>,
        screen_refs: &'a [&'a ScreenReference],
    ) -> OriginRun<'a> {
        OriginRun {
            artifacts: self
                .artifacts
                .as_ref()
                .zip(hits.artifact)
                .map(|((r, _), h)| (r, h)),
            foreign: self
                .foreign
                .as_ref()
                .zip(hits.exogenous)
                .map(|((r, t), h)| (r, t, h)),
            screen: match (hits.screen, hits.decoy) {
                (Some(hits), Some(decoy)) => Some(ScreenRun {
                    references: screen_refs,
                    hits,
                    decoy,
                }),
                _ => None,
            },
            species: self.species.as_ref(),
            clades: self.clades.as_ref().map(|(p, _)| p),
        }
    }

    /// The screen references, in order.
    pub fn screen_refs(&self) -> Vec<&ScreenReference> {
        self.screens.iter().map(|s| &s.reference).collect()
    }
}

/// The later passes' hits, borrowed (from a run's passes or a merge's
/// inserts files).
#[derive(Clone, Copy, Default)]
pub struct LaterHitsRef<'a> {
    /// Artifact best hits.
    pub artifact: Option<&'a FlatHits>,
    /// Other species' miRNA best hits.
    pub exogenous: Option<&'a FlatHits>,
    /// Screen best hits.
    pub screen: Option<&'a FlatHits>,
    /// Screen decoy bits.
    pub decoy: Option<&'a [u32]>,
}

impl LaterHits {
    /// The hits, borrowed.
    pub fn borrowed(&self) -> LaterHitsRef<'_> {
        LaterHitsRef {
            artifact: self.artifact.as_ref(),
            exogenous: self.exogenous.as_ref(),
            screen: self.screen.as_ref(),
            decoy: self.decoy.as_deref(),
        }
    }
}

/// The artifact list of `source`, all of its records in class `artifact`.
pub fn load_artifacts(source: &ArtifactSource) -> Result<Option<(NcrnaReference, TargetSet)>> {
    let reference = match source {
        ArtifactSource::Off => return Ok(None),
        ArtifactSource::BuiltIn => crate::input::artifacts::builtin(),
        ArtifactSource::Files(files) => {
            let mut r = NcrnaReference::load(files, crate::input::reference::ALL_SPECIES)?;
            r.classes = vec!["artifact".into()];
            for g in &mut r.groups {
                g.class = 0;
            }
            r
        }
    };
    let targets = TargetSet::from_ncrna(&reference);
    Ok(Some((reference, targets)))
}

/// The other species' miRNAs of the run's files and their targets (None
/// when the files hold no other species, or for species `all`).
pub fn foreign_targets(
    all: &AllSpecies,
    species: &str,
    windows: (usize, usize),
) -> Option<(Reference, TargetSet)> {
    if species == crate::input::reference::ALL_SPECIES {
        return None;
    }
    let foreign = Reference::foreign_of(all, species)?;
    debug_assert_eq!(foreign.species, FOREIGN_SPECIES);
    let targets = TargetSet::build(&foreign, windows.0, windows.1);
    Some((foreign, targets))
}

/// Every record of the run's mature and hairpin files, read once, when the
/// exogenous stage or the species fit needs them.
pub fn read_all_species(
    mature: &std::path::Path,
    hairpin: Option<&std::path::Path>,
    needed: bool,
) -> Result<Option<AllSpecies>> {
    needed
        .then(|| AllSpecies::read(mature, hairpin))
        .transpose()
}

/// Every later pass's hits, in table order (inserts not looked up have
/// none), and what each pass cost.
#[derive(Default)]
pub struct LaterHits {
    /// Artifact best hits.
    pub artifact: Option<FlatHits>,
    /// ncRNA best hits.
    pub ncrna: Option<FlatHits>,
    /// Other species' miRNA best hits (no mismatch, no added base).
    pub exogenous: Option<FlatHits>,
    /// Every screen reference's best hits, target ids numbered over all
    /// screen references ([`crate::cmd::count_and_write::screen_parts`]).
    pub screen: Option<FlatHits>,
    /// Per insert, the screen references (bit r) its decoy hits are on.
    pub decoy: Option<Vec<u32>>,
    /// Each reference's engine.
    pub engines: Vec<ReferenceEngine>,
    /// Seconds of the artifact, ncRNA, exogenous and screen passes.
    pub elapsed: [Duration; 4],
}

/// What the passes need of the run.
pub struct Passes<'a> {
    /// The miRNA pass (its engine aligns the others).
    pub alignment: &'a Alignment,
    /// The miRNA targets.
    pub mirna_targets: &'a TargetSet,
    /// The unique inserts.
    pub table: &'a InsertTable,
    /// The run's alignment limits.
    pub params: AlignParams,
    /// `--ncrna-precedence`.
    pub precedence: Precedence,
    /// Inserts aligned per slice.
    pub slice: usize,
    /// Progress bars.
    pub progress: &'a Progress,
}

impl Passes<'_> {
    /// Runs every later pass the references call for.
    pub fn run(&self, refs: &LaterReferences) -> Result<LaterHits> {
        let mut out = LaterHits::default();
        let n = self.table.len();
        let mirna = &self.alignment.hits;
        let started = Instant::now();
        if let Some((_, targets)) = &refs.artifacts {
            let all: Vec<usize> = (0..n).collect();
            let (hits, engine) = self.align("artifacts", targets, &self.params, &all)?;
            out.artifact = Some(hits);
            out.engines.push(engine);
        }
        out.elapsed[0] = started.elapsed();
        let artifact_calls = out
            .artifact
            .as_ref()
            .map(|a| ArtifactCalls::build(self.mirna_targets, mirna, a));
        let is_artifact = |id: usize| artifact_calls.as_ref().is_some_and(|a| a.is_artifact(id));
        let started = Instant::now();
        if let Some((_, targets)) = &refs.ncrna {
            let candidates: Vec<usize> = (0..n)
                .filter(|&id| !is_artifact(id))
                .filter(|&id| {
                    let side = MirnaSide::of(self.mirna_targets, mirna.get(id));
                    needs_ncrna(side, self.precedence)
                })
                .collect();
            let (hits, engine) = self.align("ncrna", targets, &self.params, &candidates)?;
            out.ncrna = Some(hits);
            out.engines.push(engine);
        }
        out.elapsed[1] = started.elapsed();
        // still unassigned: no artifact, no miRNA hit, no ncRNA call
        let mut unassigned: Vec<bool> = (0..n)
            .map(|id| !is_artifact(id) && mirna.get(id).is_empty())
            .collect();
        if let (Some((reference, targets)), Some(hits)) = (&refs.ncrna, &out.ncrna) {
            for (id, free) in unassigned.iter_mut().enumerate() {
                if *free {
                    let call = ncrna::call(
                        reference,
                        targets,
                        MirnaSide::None,
                        hits.get(id),
                        self.precedence,
                    );
                    *free = call == NcrnaCall::None;
                }
            }
        }
        let started = Instant::now();
        if let Some((_, targets)) = &refs.foreign {
            let candidates: Vec<usize> = (0..n)
                .filter(|&id| unassigned[id] && self.table.seq(id).len() >= EXOGENOUS_MIN_LENGTH)
                .collect();
            let (hits, engine) = self.exact_in_windows(targets, &candidates);
            let calls = exogenous_calls(targets, &hits);
            for (id, free) in unassigned.iter_mut().enumerate() {
                *free &= calls.of_insert[id] == 0;
            }
            out.exogenous = Some(hits);
            out.engines.push(engine);
        }
        out.elapsed[2] = started.elapsed();
        let started = Instant::now();
        if !refs.screens.is_empty() {
            self.screen(&refs.screens, &unassigned, &mut out)?;
        }
        out.elapsed[3] = started.elapsed();
        Ok(out)
    }

    /// The exact in-window placements of the inserts `ids` on the other
    /// species' miRNAs ([`WindowStarts`]); every insert of the table gets
    /// its hits (none when not in `ids`).
    fn exact_in_windows(&self, targets: &TargetSet, ids: &[usize]) -> (FlatHits, ReferenceEngine) {
        let started = Instant::now();
        let index = WindowStarts::build(targets);
        let encoded = EncodedSlice::encode_parallel(ids.len(), |i| self.table.seq(ids[i]));
        let found = index.align(&encoded.views());
        let engine = ReferenceEngine {
            reference: "exogenous".into(),
            engine: ReferenceAligner::CpuExact,
            reason:
                "exact matches in mature windows: the starts near mature starts keyed on the CPU"
                    .into(),
            inserts: ids.len() as u64,
            seconds: crate::output::stats::Timings::seconds(started.elapsed()),
        };
        (spread(self.table.len(), ids, found), engine)
    }

    /// Aligns the inserts `ids` to `targets` with the run's engine; every
    /// insert of the table gets its hits (none when not in `ids`).
    fn align(
        &self,
        name: &str,
        targets: &TargetSet,
        params: &AlignParams,
        ids: &[usize],
    ) -> Result<(FlatHits, ReferenceEngine)> {
        let bar = self
            .progress
            .stage(&format!("aligning to {name}"), "inserts", ids.len() as u64);
        let (found, engine) = self.alignment.align_reference(
            name,
            targets,
            params,
            ids.len(),
            |i| {
                if i % 4096 == 0 {
                    bar.set_position(i as u64);
                }
                self.table.seq(ids[i])
            },
            self.slice,
        )?;
        bar.finish_and_clear();
        Ok((spread(self.table.len(), ids, found), engine))
    }

    /// Screens the inserts still unassigned against each reference (and
    /// its decoy), each with the inserts its rule admits.
    fn screen(&self, screens: &[Screen], unassigned: &[bool], out: &mut LaterHits) -> Result<()> {
        let n = self.table.len();
        let refs: Vec<&ScreenReference> = screens.iter().map(|s| &s.reference).collect();
        let parts = crate::cmd::count_and_write::screen_parts(&refs);
        // each insert's hits on every reference, target ids over them all
        let mut per_insert: Vec<Vec<Hit>> = vec![Vec::new(); n];
        let mut decoy = vec![0u32; n];
        for (r, screen) in screens.iter().enumerate() {
            let (ids, mismatches): (Vec<usize>, Vec<u8>) = (0..n)
                .filter(|&id| unassigned[id])
                .filter_map(|id| {
                    let seq = self.table.seq(id);
                    let k = screen.rule.mismatches(seq.len())?;
                    (!is_low_complexity(seq)).then_some((id, k))
                })
                .unzip();
            let encoded = EncodedSlice::encode_parallel(ids.len(), |i| self.table.seq(ids[i]));
            let views = encoded.views();
            let bar = self
                .progress
                .spinner(&format!("screening {}", screen.reference.name));
            let name = format!("screen:{}", screen.reference.name);
            let (found, engine) =
                self.alignment
                    .screen_reference(&name, &screen.targets, &views, &mismatches)?;
            out.engines.push(engine);
            let decoy_name = format!("{name}:decoy");
            let (decoy_found, engine) =
                self.alignment
                    .screen_reference(&decoy_name, &screen.decoy, &views, &mismatches)?;
            out.engines.push(engine);
            bar.finish_and_clear();
            for (i, &id) in ids.iter().enumerate() {
                if !decoy_found.get(i).is_empty() {
                    decoy[id] |= 1 << r;
                }
                per_insert[id].extend(found.get(i).iter().map(|h| Hit {
                    target: h.target + parts[r].first,
                    ..*h
                }));
            }
        }
        let mut all = FlatHits::default();
        for hits in &per_insert {
            all.push(hits);
        }
        out.screen = Some(all);
        out.decoy = Some(decoy);
        Ok(())
    }
}

/// Every insert's hits: `found[j]` for insert `ids[j]` (`ids` increasing,
/// below `n`), none for the rest; `found` itself when `ids` are all `n`.
fn spread(n: usize, ids: &[usize], found: FlatHits) -> FlatHits {
    if ids.len() == n {
        return found;
    }
    let mut all = FlatHits::default();
    let mut next = ids.iter().enumerate().peekable();
    for id in 0..n {
        match next.peek() {
            Some(&(j, &c)) if c == id => {
                all.push(found.get(j));
                next.next();
            }
            _ => all.push(&[]),
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adapter_pieces_align_to_the_artifact_targets() {
        use crate::align::{brute_force, AlignParams};
        use crate::input::artifacts::builtin;
        use crate::seq::encode;
        use crate::seq::reverse_complement;
        let ts = TargetSet::from_ncrna(&builtin());
        let params = AlignParams::default();
        // a 5' adapter piece that miRBase calls hsa-miR-3168 (one mismatch there)
        let hits = brute_force(&ts, &encode(b"GAGTTCTACAGTCCGACGATC"), &params);
        assert!(!hits.is_empty());
        assert_eq!(hits[0].mismatches, 0);
        // the reverse complement of RA3 (the RT primer's 3' part) is found too
        let rc = reverse_complement(b"TGGAATTCTCGGGTGCCAAGG");
        assert!(!brute_force(&ts, &encode(&rc), &params).is_empty());
        // a miRNA is not
        let mir16 = encode(b"TAGCAGCACGTAAATATTGGCG");
        assert!(brute_force(&ts, &mir16, &params).is_empty());
    }
}

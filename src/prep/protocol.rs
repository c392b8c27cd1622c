//! Trimming settings: what the command line and the samplesheet asked
//! ([`TrimRequest`]), each sample's plan decided once before any read
//! ([`TrimPlan`], [`SampleTrim`]), and the settings a read is trimmed with
//! ([`TrimSettings`]). The presets themselves are
//! [`crate::input::library`]'s.

use crate::error::Error;
use crate::input::library::{AdapterChoice, Protocol, ProtocolChoice};
use crate::input::samples::Sample;
use crate::prep::trim::{AdapterFinder, Trimmer};
use crate::prep::umi::UmiSpec;

/// What `--protocol auto` decided for a sample, as trimming takes it (the
/// whole decision, and why, is [`crate::prep::detect::Detection`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DetectedProtocol {
    /// The preset whose cuts apply.
    pub protocol: Protocol,
    /// The 3' adapter to trim; None: reads are taken as trimmed inserts.
    pub adapter: Option<String>,
}

/// Where a preset's UMI is, if it has one.
pub fn preset_umi(protocol: Protocol) -> Option<UmiSpec> {
    match protocol {
        Protocol::Qiaseq => Some(UmiSpec::QIASEQ),
        Protocol::Nextflex => Some(UmiSpec::NEXTFLEX),
        Protocol::Illumina | Protocol::Cats => None,
    }
}

/// What the command line asked of trimming, before `--protocol auto` is
/// resolved: [`TrimRequest::resolve`] is the one place it becomes
/// [`TrimSettings`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrimRequest {
    /// `--protocol`.
    pub protocol: ProtocolChoice,
    /// `--adapter`; with `auto` it replaces the detected adapter.
    pub adapter: Option<AdapterChoice>,
    /// `--trim-5p`: replaces the protocol's (or detected) 5' cut.
    pub cut_5p: Option<usize>,
    /// `--trim-3p`: replaces the protocol's (or detected) 3' cut.
    pub cut_3p: Option<usize>,
    /// `--min-length`.
    pub min_length: usize,
    /// `--max-length`.
    pub max_length: usize,
    /// `--quality-cutoff`.
    pub quality_cutoff: Option<u8>,
    /// `--dedup`: count molecules by UMI.
    pub dedup: bool,
    /// `--umi` (None: the protocol's).
    pub umi: Option<UmiSpec>,
}

impl TrimRequest {
    /// The settings a run starts from, which also checks what can be
    /// checked before any read (the length limits and, for a preset, the
    /// UMI): a preset's; with `auto`, those of the request on the default
    /// protocol, UMI not yet resolved (each sample resolves its own with
    /// [`Self::resolve`]; whether molecules are counted is `dedup`).
    fn resolve_for_run(&self) -> Result<(Protocol, TrimSettings), Error> {
        match self.protocol {
            ProtocolChoice::Preset(_) => self.resolve(None),
            ProtocolChoice::Auto => TrimRequest {
                dedup: false,
                ..self.clone()
            }
            .resolve(None),
        }
    }

    /// The protocol and trimming settings: a preset's, or with `auto` those
    /// `detected` (its adapter, unless `--adapter` was given, and its cuts);
    /// explicit cuts, the quality cutoff and `--dedup` apply on top.
    pub fn resolve(
        &self,
        detected: Option<&DetectedProtocol>,
    ) -> Result<(Protocol, TrimSettings), Error> {
        let protocol = match (self.protocol, detected) {
            (ProtocolChoice::Preset(p), _) => p,
            (ProtocolChoice::Auto, Some(d)) => d.protocol,
            (ProtocolChoice::Auto, None) => Protocol::Illumina,
        };
        let mut trim = TrimSettings::resolve(
            protocol,
            self.adapter.as_ref(),
            self.min_length,
            self.max_length,
        )?;
        if let (ProtocolChoice::Auto, Some(d), None) = (self.protocol, detected, &self.adapter) {
            trim.adapter = d.adapter.clone();
        }
        trim.quality_cutoff = self.quality_cutoff;
        if let Some(n) = self.cut_5p {
            trim.cut_5p = n;
        }
        if let Some(n) = self.cut_3p {
            trim.cut_3p = n;
        }
        if self.dedup {
            trim.deduplicate(protocol, self.umi)?;
        }
        Ok((protocol, trim))
    }
}

/// The run's trimming, decided once before any read from the flags and
/// the samplesheet: every stage takes it.
#[derive(Debug, Clone)]
pub struct TrimPlan {
    /// What the command line asked.
    pub request: TrimRequest,
    /// The run-level protocol and settings stats.json records: a preset's;
    /// with `auto`, the request's on the default protocol, without UMI.
    pub run: (Protocol, TrimSettings),
    /// Each sample's trimming, in the samples' order.
    pub samples: Vec<SampleTrim>,
}

impl TrimPlan {
    /// The plan of `request` for `samples`: an error when the request, or a
    /// sample's own protocol or adapter with it, cannot trim (naming the
    /// sample).
    pub fn new(request: TrimRequest, samples: &[Sample]) -> Result<Self, Error> {
        let run = request.resolve_for_run()?;
        let samples = samples
            .iter()
            .map(|s| SampleTrim::new(&request, s))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            request,
            run,
            samples,
        })
    }
}

/// One sample's trimming: the run's request with the samplesheet's
/// `protocol` and `adapter` for it.
#[derive(Debug, Clone)]
pub struct SampleTrim {
    /// How its reads are prepared.
    pub prep: PrepPlan,
    /// What was given explicitly (a preset or an adapter), to check the
    /// reads against; None under `auto` without an adapter.
    pub given: Option<Given>,
    /// The samplesheet gave the sample its own protocol or adapter.
    pub own: bool,
}

impl SampleTrim {
    fn new(run: &TrimRequest, sample: &Sample) -> Result<Self, Error> {
        let mut request = run.clone();
        if let Some(p) = sample.protocol {
            request.protocol = p;
        }
        if let Some(a) = &sample.adapter {
            request.adapter = Some(a.clone());
        }
        let resolved = request.resolve_for_run().map_err(|e| Error::InvalidValue {
            what: "samplesheet trimming",
            value: format!("sample {}", sample.name),
            message: e.to_string(),
        })?;
        let given = Given::of(sample, &request, &resolved.1);
        let prep = match request.protocol {
            ProtocolChoice::Auto => PrepPlan::Detect(request),
            ProtocolChoice::Preset(_) => {
                let (protocol, trim) = resolved;
                PrepPlan::Fixed { protocol, trim }
            }
        };
        Ok(Self {
            prep,
            given,
            own: sample.protocol.is_some() || sample.adapter.is_some(),
        })
    }
}

/// How a sample's reads are prepared.
#[derive(Debug, Clone)]
pub enum PrepPlan {
    /// Settings known before any read (a preset).
    Fixed {
        /// The preset.
        protocol: Protocol,
        /// Its settings, with the request's on top.
        trim: TrimSettings,
    },
    /// `--protocol auto`: settings resolved on the sample's own first reads
    /// ([`TrimRequest::resolve`]).
    Detect(TrimRequest),
}

/// The explicit trimming of one sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Given {
    /// Where it was given, as the flag or column and its value
    /// (`--protocol illumina`, `--adapter none`, `samplesheet protocol
    /// qiaseq`).
    pub source: String,
    /// The adapter trimmed; None for `--adapter none`.
    pub adapter: Option<String>,
    /// Given in the samplesheet (its columns are what to change), not on
    /// the command line.
    pub samplesheet: bool,
}

impl Given {
    /// What `sample`'s trimming (`request`: the run's, with its own
    /// columns, resolved to `trim`) was given explicitly: an adapter
    /// (`--adapter` or its samplesheet column) or a preset; None under
    /// `auto` without an adapter.
    fn of(sample: &Sample, request: &TrimRequest, trim: &TrimSettings) -> Option<Self> {
        let adapter_flag = match (&sample.adapter, &request.adapter) {
            (Some(a), _) => Some((format!("samplesheet adapter {a}"), true)),
            (None, Some(a)) => Some((format!("--adapter {a}"), false)),
            (None, None) => None,
        };
        let (source, samplesheet) = match (request.protocol, adapter_flag) {
            (ProtocolChoice::Auto, None) => return None,
            (_, Some(flag)) => flag,
            (ProtocolChoice::Preset(p), None) => match &sample.protocol {
                Some(_) => (format!("samplesheet protocol {p}"), true),
                None => (format!("--protocol {p}"), false),
            },
        };
        Some(Self {
            source,
            // the adapter as trimming resolved it (the preset's, or the one given)
            adapter: trim.adapter.clone(),
            samplesheet,
        })
    }
}

/// How reads become inserts: the resolved adapter (None: reads are inserts
/// already) and the cuts and length limits.
#[derive(Debug, Clone, PartialEq)]
pub struct TrimSettings {
    /// 3' adapter, or None when the reads were trimmed before.
    pub adapter: Option<String>,
    /// Bases cut from the insert's 5' end.
    pub cut_5p: usize,
    /// Bases cut from the insert's 3' end.
    pub cut_3p: usize,
    /// Shortest insert kept.
    pub min_length: usize,
    /// Longest insert kept.
    pub max_length: usize,
    /// Maximum adapter error rate.
    pub max_error_rate: f64,
    /// Minimum adapter overlap at the read end.
    pub min_overlap: usize,
    /// UMI taken from each read: reads are deduplicated into molecules.
    pub umi: Option<UmiSpec>,
    /// 3' quality trimming cutoff (Phred), before the adapter search.
    pub quality_cutoff: Option<u8>,
}

impl TrimSettings {
    /// Settings for a protocol, with `--adapter` overriding its adapter
    /// ([`AdapterChoice::None`] for already-trimmed reads).
    pub fn resolve(
        protocol: Protocol,
        adapter: Option<&AdapterChoice>,
        min_length: usize,
        max_length: usize,
    ) -> Result<Self, Error> {
        let adapter = match adapter {
            None => Some(protocol.adapter()),
            Some(choice) => choice.sequence(),
        }
        .map(str::to_string);
        if min_length > max_length {
            return Err(Error::InvalidValue {
                what: "--min-length",
                value: min_length.to_string(),
                message: format!("larger than --max-length {max_length}"),
            });
        }
        let (cut_5p, cut_3p) = protocol.cuts();
        Ok(Self {
            adapter,
            cut_5p,
            cut_3p,
            min_length,
            max_length,
            max_error_rate: 0.1,
            min_overlap: 3,
            umi: None,
            quality_cutoff: None,
        })
    }

    /// Turns on deduplication by UMI: `umi` is where the UMI is (None: the
    /// protocol's). Bases taken from the insert's ends become its cuts.
    pub fn deduplicate(&mut self, protocol: Protocol, umi: Option<UmiSpec>) -> Result<(), Error> {
        let spec = umi.or(preset_umi(protocol)).filter(|u| !u.is_empty());
        let Some(spec) = spec else {
            return Err(Error::InvalidValue {
                what: "--dedup",
                value: protocol.to_string(),
                message: "this protocol has no UMI: give --umi (e.g. adapter+12 or 5p:4,3p:4)"
                    .into(),
            });
        };
        if spec.after_adapter > 0 && self.adapter.is_none() {
            return Err(Error::InvalidValue {
                what: "--umi",
                value: spec.to_string(),
                message: "a UMI after the adapter needs an adapter (not --adapter none)".into(),
            });
        }
        if spec.read_5p > 0 {
            self.cut_5p = spec.read_5p;
        }
        if spec.insert_3p > 0 {
            self.cut_3p = spec.insert_3p;
        }
        self.umi = Some(spec);
        Ok(())
    }

    /// The trimmer these settings describe.
    pub fn trimmer(&self) -> Trimmer {
        Trimmer::new(
            self.adapter
                .as_deref()
                .map(|a| AdapterFinder::new(a.as_bytes(), self.max_error_rate, self.min_overlap)),
            self.cut_5p,
            self.cut_3p,
            self.min_length,
            self.max_length,
        )
        .with_quality_cutoff(self.quality_cutoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(text: &str) -> AdapterChoice {
        text.parse().unwrap()
    }

    #[test]
    fn adapter_override_and_none() {
        let given = adapter("tcgtatgccgtcttctgcttg");
        let s = TrimSettings::resolve(Protocol::Illumina, Some(&given), 16, 40).unwrap();
        assert_eq!(s.adapter.as_deref(), Some("TCGTATGCCGTCTTCTGCTTG"));
        let s = TrimSettings::resolve(Protocol::Nextflex, Some(&adapter("none")), 16, 40).unwrap();
        assert_eq!(s.adapter, None);
        assert_eq!((s.cut_5p, s.cut_3p), (4, 4));
        let s = TrimSettings::resolve(Protocol::Qiaseq, None, 16, 40).unwrap();
        assert_eq!(s.adapter.as_deref(), Some(Protocol::Qiaseq.adapter()));
        assert!(TrimSettings::resolve(Protocol::Illumina, None, 41, 40).is_err());
    }

    fn request(protocol: &str, adapter: Option<&str>) -> TrimRequest {
        TrimRequest {
            protocol: protocol.parse().unwrap(),
            adapter: adapter.map(|a| a.parse().unwrap()),
            cut_5p: None,
            cut_3p: None,
            min_length: 16,
            max_length: 40,
            quality_cutoff: None,
            dedup: false,
            umi: None,
        }
    }

    fn sample(name: &str, protocol: Option<&str>, adapter: Option<&str>) -> Sample {
        Sample {
            name: name.into(),
            files: Vec::new(),
            protocol: protocol.map(|p| p.parse().unwrap()),
            adapter: adapter.map(|a| a.parse().unwrap()),
        }
    }

    /// Each sample's plan: the samplesheet's columns replace the flags, a
    /// preset is resolved before any read, and what was given explicitly is
    /// said as it was given.
    #[test]
    fn the_plan_takes_each_samples_own_columns() {
        let samples = [
            sample("a", None, None),
            sample("b", Some("qiaseq"), None),
            sample("c", None, Some("none")),
        ];
        let plan = TrimPlan::new(request("auto", None), &samples).unwrap();
        assert_eq!(plan.run.0, Protocol::Illumina);
        let [a, b, c] = &plan.samples[..] else {
            panic!("three samples")
        };
        assert!(matches!(a.prep, PrepPlan::Detect(_)) && a.given.is_none() && !a.own);
        let PrepPlan::Fixed { protocol, trim } = &b.prep else {
            panic!("a preset is fixed")
        };
        assert_eq!(*protocol, Protocol::Qiaseq);
        assert_eq!(trim.adapter.as_deref(), Some(Protocol::Qiaseq.adapter()));
        let given = b.given.as_ref().unwrap();
        assert_eq!(given.source, "samplesheet protocol qiaseq");
        assert!(given.samplesheet && b.own);
        let PrepPlan::Detect(r) = &c.prep else {
            panic!("auto with an adapter still detects")
        };
        assert_eq!(r.adapter, Some(AdapterChoice::None));
        let given = c.given.as_ref().unwrap();
        assert_eq!(
            (given.source.as_str(), &given.adapter),
            ("samplesheet adapter none", &None)
        );
        // the flag, when no column replaces it
        let plan = TrimPlan::new(request("illumina", Some("acgu")), &samples[..1]).unwrap();
        let given = plan.samples[0].given.as_ref().unwrap();
        assert_eq!(
            (given.source.as_str(), given.adapter.as_deref()),
            ("--adapter ACGT", Some("ACGT"))
        );
    }

    /// A sample whose own columns cannot trim with the flags is named.
    #[test]
    fn a_sample_that_cannot_trim_is_named() {
        let mut dedup = request("auto", None);
        dedup.dedup = true;
        let samples = [sample("x", Some("qiaseq"), Some("none"))];
        let e = TrimPlan::new(dedup, &samples).unwrap_err().to_string();
        assert!(
            e.contains("sample x") && e.contains("needs an adapter"),
            "{e}"
        );
        // the run's own request is checked first, naming no sample
        let mut long = request("auto", None);
        long.min_length = 50;
        let e = TrimPlan::new(long, &samples).unwrap_err().to_string();
        assert!(e.contains("--min-length") && !e.contains("sample x"), "{e}");
    }
}

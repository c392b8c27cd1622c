//! Library protocol presets: which 3' adapter to remove and which fixed bases
//! to cut from the insert afterwards.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;
use crate::input::samples::Sample;
use crate::prep::trim::{AdapterFinder, Trimmer, MAX_ADAPTER_LEN};
use crate::prep::umi::UmiSpec;

/// TruSeq small RNA 3' adapter (Illumina, NEXTflex).
pub const TRUSEQ_SMALL_RNA: &str = "TGGAATTCTCGGGTGCCAAGG";
/// QIAseq miRNA 3' adapter; a 12-nt UMI follows it.
pub const QIASEQ: &str = "AACTGTAGGCACCATCAAT";
/// CATS: the insert is followed by a poly-A tail.
pub const POLY_A: &str = "AAAAAAAAAAAAAAA";

/// What `--protocol auto` decided for a sample, as trimming takes it (the
/// whole decision, and why, is [`crate::prep::detect::Detection`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DetectedProtocol {
    /// The preset whose cuts apply.
    pub protocol: Protocol,
    /// The 3' adapter to trim; None: reads are taken as trimmed inserts.
    pub adapter: Option<String>,
}

/// A library preparation protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Illumina TruSeq small RNA.
    Illumina,
    /// QIAseq miRNA (adapter, then a 12-nt UMI).
    Qiaseq,
    /// NEXTflex small RNA v3: TruSeq adapter, 4 random bases on each side of the insert.
    Nextflex,
    /// Diagenode CATS: poly-A tail, 3 template-switch bases at the 5' end.
    Cats,
}

impl Protocol {
    /// All presets, for help texts and error messages.
    pub const ALL: [Protocol; 4] = [Self::Illumina, Self::Qiaseq, Self::Nextflex, Self::Cats];

    /// The preset's 3' adapter.
    pub fn adapter(self) -> &'static str {
        match self {
            Self::Illumina | Self::Nextflex => TRUSEQ_SMALL_RNA,
            Self::Qiaseq => QIASEQ,
            Self::Cats => POLY_A,
        }
    }

    /// Bases cut from the insert's (5', 3') ends after adapter removal.
    pub fn cuts(self) -> (usize, usize) {
        match self {
            Self::Nextflex => (4, 4),
            Self::Cats => (3, 0),
            Self::Illumina | Self::Qiaseq => (0, 0),
        }
    }

    /// Where the preset's UMI is, if it has one.
    pub fn umi(self) -> Option<UmiSpec> {
        match self {
            Self::Qiaseq => Some(UmiSpec::QIASEQ),
            Self::Nextflex => Some(UmiSpec::NEXTFLEX),
            Self::Illumina | Self::Cats => None,
        }
    }

    /// Lower-case name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Illumina => "illumina",
            Self::Qiaseq => "qiaseq",
            Self::Nextflex => "nextflex",
            Self::Cats => "cats",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Protocol {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::InvalidValue {
                what: "--protocol",
                value: s.to_string(),
                message: "expected one of illumina, qiaseq, nextflex, cats".into(),
            })
    }
}

/// Written as its name (`illumina`, `qiaseq`, ...).
impl serde::Serialize for Protocol {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Read back from its name.
impl<'de> serde::Deserialize<'de> for Protocol {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// `--protocol`: a preset, or `auto` (detected from the first reads, see
/// [`crate::prep::detect`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolChoice {
    /// Detect the protocol and adapter from the reads.
    Auto,
    /// A preset.
    Preset(Protocol),
}

impl FromStr for ProtocolChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(Self::Auto);
        }
        s.parse()
            .map(Self::Preset)
            .map_err(|_| Error::InvalidValue {
                what: "--protocol",
                value: s.to_string(),
                message: "expected one of auto, illumina, qiaseq, nextflex, cats".into(),
            })
    }
}

/// What the command line asked of trimming, before `--protocol auto` is
/// resolved: [`TrimRequest::resolve`] is the one place it becomes
/// [`TrimSettings`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrimRequest {
    /// `--protocol`.
    pub protocol: ProtocolChoice,
    /// `--adapter` (`none`: reads are trimmed already); with `auto` it
    /// replaces the detected adapter.
    pub adapter: Option<String>,
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
    /// The request for one sample: its samplesheet `protocol` and `adapter`
    /// replace the run's, an error naming the sample when they are not valid.
    pub fn for_sample(&self, sample: &Sample) -> Result<Self, Error> {
        let mut request = self.clone();
        if let Some(p) = &sample.protocol {
            request.protocol = p.parse().map_err(|e: Error| Error::InvalidValue {
                what: "samplesheet protocol",
                value: format!("{p} (sample {})", sample.name),
                message: e.to_string(),
            })?;
        }
        if let Some(a) = &sample.adapter {
            request.adapter = Some(a.clone());
        }
        request.validate().map_err(|e| Error::InvalidValue {
            what: "samplesheet trimming",
            value: format!("sample {}", sample.name),
            message: e.to_string(),
        })?;
        Ok(request)
    }

    /// Whether `sample` carries its own protocol or adapter.
    pub fn overridden_by(sample: &Sample) -> bool {
        sample.protocol.is_some() || sample.adapter.is_some()
    }

    /// Checks what can be checked before any read is seen: the adapter's
    /// letters, the length limits and, for a preset, the UMI.
    pub fn validate(&self) -> Result<(), Error> {
        match self.protocol {
            ProtocolChoice::Preset(_) => self.resolve(None).map(drop),
            ProtocolChoice::Auto => TrimSettings::resolve(
                Protocol::Illumina,
                self.adapter.as_deref(),
                self.min_length,
                self.max_length,
            )
            .map(drop),
        }
    }

    /// The settings a run starts from: a preset's; with `auto`, those of the
    /// request on the default protocol, UMI not yet resolved (each sample
    /// resolves its own with [`Self::resolve`]; whether molecules are counted
    /// is `dedup`).
    pub fn resolve_for_run(&self) -> Result<(Protocol, TrimSettings), Error> {
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
            self.adapter.as_deref(),
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
    /// (`none` for already-trimmed reads).
    pub fn resolve(
        protocol: Protocol,
        adapter: Option<&str>,
        min_length: usize,
        max_length: usize,
    ) -> Result<Self, Error> {
        let adapter = match adapter {
            None => Some(protocol.adapter().to_string()),
            Some(a) if a.eq_ignore_ascii_case("none") => None,
            Some(a) => Some(validate_adapter(a)?),
        };
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
        let spec = umi.or(protocol.umi()).filter(|u| !u.is_empty());
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

fn validate_adapter(a: &str) -> Result<String, Error> {
    let upper = a.to_ascii_uppercase().replace('U', "T");
    if upper.len() < 3
        || upper.len() > MAX_ADAPTER_LEN
        || !upper
            .bytes()
            .all(|b| matches!(b, b'A' | b'C' | b'G' | b'T' | b'N'))
    {
        return Err(Error::InvalidValue {
            what: "--adapter",
            value: a.to_string(),
            message: format!(
                "expected 3 to {MAX_ADAPTER_LEN} letters of ACGTUN, or 'none' for trimmed reads"
            ),
        });
    }
    Ok(upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_protocol_names_the_value() {
        let e = "smartseq".parse::<Protocol>().unwrap_err().to_string();
        assert!(e.contains("smartseq") && e.contains("illumina"), "{e}");
    }

    #[test]
    fn protocol_choice_parses_auto_and_presets() {
        assert_eq!(
            "AUTO".parse::<ProtocolChoice>().unwrap(),
            ProtocolChoice::Auto
        );
        assert_eq!(
            "nextflex".parse::<ProtocolChoice>().unwrap(),
            ProtocolChoice::Preset(Protocol::Nextflex)
        );
        let e = "smartseq"
            .parse::<ProtocolChoice>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("smartseq") && e.contains("auto"), "{e}");
    }

    #[test]
    fn adapter_override_and_none() {
        let s = TrimSettings::resolve(Protocol::Illumina, Some("tcgtatgccgtcttctgcttg"), 16, 40)
            .unwrap();
        assert_eq!(s.adapter.as_deref(), Some("TCGTATGCCGTCTTCTGCTTG"));
        let s = TrimSettings::resolve(Protocol::Nextflex, Some("none"), 16, 40).unwrap();
        assert_eq!(s.adapter, None);
        assert_eq!((s.cut_5p, s.cut_3p), (4, 4));
        assert!(TrimSettings::resolve(Protocol::Illumina, Some("ACXT"), 16, 40).is_err());
        let too_long = "A".repeat(MAX_ADAPTER_LEN + 1);
        assert!(TrimSettings::resolve(Protocol::Illumina, Some(&too_long), 16, 40).is_err());
        let longest = "A".repeat(MAX_ADAPTER_LEN);
        assert!(TrimSettings::resolve(Protocol::Illumina, Some(&longest), 16, 40).is_ok());
    }
}

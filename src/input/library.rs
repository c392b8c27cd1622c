//! How the sequencing library was made, as the user declares it: the
//! protocol (a kit preset, or `auto`) and the 3' adapter (`--protocol`,
//! `--adapter`, the samplesheet's `protocol` and `adapter` columns). Parsed
//! once, where the text comes in, into the typed values every later stage
//! takes.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// TruSeq small RNA 3' adapter (Illumina, NEXTflex).
pub const TRUSEQ_SMALL_RNA: &str = "TGGAATTCTCGGGTGCCAAGG";
/// QIAseq miRNA 3' adapter; a 12-nt UMI follows it.
pub const QIASEQ: &str = "AACTGTAGGCACCATCAAT";
/// CATS: the insert is followed by a poly-A tail.
pub const POLY_A: &str = "AAAAAAAAAAAAAAA";

/// Longest adapter the trimmer takes: its DP columns live on the stack.
pub const MAX_ADAPTER_LEN: usize = 200;

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
/// `prep::detect`).
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

/// A 3' adapter sequence: 3 to [`MAX_ADAPTER_LEN`] letters of ACGTN, upper
/// case (parsed from ACGTUN in any case, U read as T).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adapter(String);

impl Adapter {
    /// The sequence, upper-case ACGTN.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `--adapter`, or a samplesheet `adapter` cell: an adapter, or `none`
/// (the reads are trimmed already).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdapterChoice {
    /// `none`: no adapter is searched for; reads are inserts already.
    None,
    /// This adapter.
    Sequence(Adapter),
}

impl AdapterChoice {
    /// The adapter's sequence; None for `none`.
    pub fn sequence(&self) -> Option<&str> {
        match self {
            Self::None => None,
            Self::Sequence(a) => Some(a.as_str()),
        }
    }
}

impl FromStr for AdapterChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        if s.eq_ignore_ascii_case("none") {
            return Ok(Self::None);
        }
        let upper = s.to_ascii_uppercase().replace('U', "T");
        let letters = upper
            .bytes()
            .all(|b| matches!(b, b'A' | b'C' | b'G' | b'T' | b'N'));
        if !letters || !(3..=MAX_ADAPTER_LEN).contains(&upper.len()) {
            return Err(Error::InvalidValue {
                what: "--adapter",
                value: s.to_string(),
                message: format!(
                    "expected 3 to {MAX_ADAPTER_LEN} letters of ACGTUN, or 'none' for trimmed reads"
                ),
            });
        }
        Ok(Self::Sequence(Adapter(upper)))
    }
}

/// `none`, or the sequence as parsed (upper case, U as T).
impl fmt::Display for AdapterChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sequence().unwrap_or("none"))
    }
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
    fn adapters_are_normalised_and_checked() {
        let a: AdapterChoice = "tcguatgccg".parse().unwrap();
        assert_eq!(a.sequence(), Some("TCGTATGCCG"));
        assert_eq!(a.to_string(), "TCGTATGCCG");
        let none: AdapterChoice = "NONE".parse().unwrap();
        assert_eq!((none.sequence(), none.to_string()), (None, "none".into()));
        for bad in ["ACXT", "AC", ""] {
            let e = bad.parse::<AdapterChoice>().unwrap_err().to_string();
            assert!(
                e.contains("ACGTUN") && e.contains("--adapter"),
                "{bad}: {e}"
            );
        }
        let longest = "A".repeat(MAX_ADAPTER_LEN);
        assert!(longest.parse::<AdapterChoice>().is_ok());
        assert!(format!("{longest}A").parse::<AdapterChoice>().is_err());
    }
}

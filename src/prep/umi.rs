//! Unique molecular identifiers: where a protocol puts them in the read, and
//! how reads of one locus are deduplicated into molecules (UMI-tools'
//! "directional" rule).
//!
//! A UMI is taken from the raw read: bases right after the 3' adapter
//! (QIAseq: 12 nt), and/or the bases a protocol cuts from the insert's ends
//! (NEXTflex: 4 random nt at the 5' end and 4 before the adapter).

use std::fmt;
use std::str::FromStr;

use rustc_hash::FxHashMap;

use crate::error::Error;
use crate::prep::collapse::SortedInserts;

/// Where the UMI bases are in a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UmiSpec {
    /// Bases taken from the read's 5' end (removed from the insert).
    pub read_5p: usize,
    /// Bases taken just before the 3' adapter (removed from the insert).
    pub insert_3p: usize,
    /// Bases taken right after the 3' adapter.
    pub after_adapter: usize,
}

impl UmiSpec {
    /// QIAseq miRNA: 12 nt after the adapter.
    pub const QIASEQ: UmiSpec = UmiSpec {
        read_5p: 0,
        insert_3p: 0,
        after_adapter: 12,
    };
    /// NEXTflex small RNA v3: the 4 random nt on each side of the insert.
    pub const NEXTFLEX: UmiSpec = UmiSpec {
        read_5p: 4,
        insert_3p: 4,
        after_adapter: 0,
    };

    /// UMI length.
    pub fn len(&self) -> usize {
        self.read_5p + self.insert_3p + self.after_adapter
    }

    /// Whether the spec takes no base.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the UMI of `read` to `out`, given where the adapter starts in
    /// the read (`adapter_start`, the read's length for trimmed reads) and the
    /// adapter's length. Bases are upper-cased, anything but ACGT becomes N.
    /// Returns false (and appends nothing) when the read ends before the UMI.
    pub fn extract(
        &self,
        read: &[u8],
        adapter_start: usize,
        adapter_len: usize,
        out: &mut Vec<u8>,
    ) -> bool {
        let after = adapter_start + adapter_len;
        if self.read_5p + self.insert_3p > adapter_start
            || (self.after_adapter > 0 && after + self.after_adapter > read.len())
        {
            return false;
        }
        let parts = [
            &read[..self.read_5p],
            &read[adapter_start - self.insert_3p..adapter_start],
            &read[after.min(read.len())..(after + self.after_adapter).min(read.len())],
        ];
        for part in parts {
            out.extend(part.iter().map(|&b| crate::seq::normalize_base(b)));
        }
        true
    }
}

impl fmt::Display for UmiSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.read_5p > 0 {
            parts.push(format!("5p:{}", self.read_5p));
        }
        if self.insert_3p > 0 {
            parts.push(format!("3p:{}", self.insert_3p));
        }
        if self.after_adapter > 0 {
            parts.push(format!("adapter+{}", self.after_adapter));
        }
        if parts.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&parts.join(","))
        }
    }
}

impl FromStr for UmiSpec {
    type Err = Error;

    /// Parses `adapter+N`, `5p:N`, `3p:N`, comma-separated (e.g.
    /// `5p:4,3p:4`), `qiaseq`, `nextflex`, or `none`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = |message: String| Error::InvalidValue {
            what: "--umi",
            value: s.to_string(),
            message,
        };
        match s.to_ascii_lowercase().as_str() {
            "qiaseq" => return Ok(Self::QIASEQ),
            "nextflex" => return Ok(Self::NEXTFLEX),
            "none" => return Ok(Self::default()),
            _ => {}
        }
        let mut spec = Self::default();
        for part in s.split(',') {
            let part = part.trim().to_ascii_lowercase();
            // the part is named only when it is not the whole value
            let named = if s.contains(',') {
                format!("part '{part}': ")
            } else {
                String::new()
            };
            let (slot, n) = if let Some(n) = part.strip_prefix("adapter+") {
                (&mut spec.after_adapter, n)
            } else if let Some(n) = part.strip_prefix("5p:") {
                (&mut spec.read_5p, n)
            } else if let Some(n) = part.strip_prefix("3p:") {
                (&mut spec.insert_3p, n)
            } else {
                return Err(bad(format!(
                    "{named}expected adapter+N, 5p:N, 3p:N (comma-separated), \
                     qiaseq, nextflex or none"
                )));
            };
            let n: usize = n
                .parse()
                .ok()
                .filter(|&n| (1..=32).contains(&n))
                .ok_or_else(|| bad(format!("{named}the length must be 1 to 32")))?;
            *slot = n;
        }
        Ok(spec)
    }
}

/// One UMI of a locus, with its reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UmiCount<'a> {
    /// UMI bases.
    pub umi: &'a [u8],
    /// Reads carrying it.
    pub reads: u64,
}

/// Deduplicates the UMIs of one locus with UMI-tools' directional rule:
/// UMI `a` absorbs `b` when they differ at one position and
/// `reads(a) >= 2 * reads(b) - 1`; absorption follows chains, starting from
/// the most abundant UMI. Returns the index of each molecule's founding UMI
/// (the most abundant of its cluster), in the order found. Ties in read
/// counts are broken by the UMI's bases, so the result does not depend on
/// the input order.
pub fn directional_molecules(umis: &[UmiCount]) -> Vec<usize> {
    let index: FxHashMap<&[u8], usize> = umis.iter().enumerate().map(|(i, u)| (u.umi, i)).collect();
    let mut order: Vec<usize> = (0..umis.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        umis[b]
            .reads
            .cmp(&umis[a].reads)
            .then_with(|| umis[a].umi.cmp(umis[b].umi))
    });
    // Everything reachable from a found UMI was found with it, so one
    // `found` set serves every search (UMI-tools searches each anew and gets
    // the same clusters).
    let mut found = vec![false; umis.len()];
    let mut founders = Vec::new();
    let mut queue = Vec::new();
    let mut probe = Vec::new();
    for &start in &order {
        if found[start] {
            continue;
        }
        founders.push(start);
        found[start] = true;
        queue.push(start);
        while let Some(a) = queue.pop() {
            probe.clear();
            probe.extend_from_slice(umis[a].umi);
            for pos in 0..probe.len() {
                let original = probe[pos];
                for base in [b'A', b'C', b'G', b'T', b'N'] {
                    if base == original {
                        continue;
                    }
                    probe[pos] = base;
                    if let Some(&b) = index.get(probe.as_slice()) {
                        if !found[b] && umis[a].reads + 1 >= 2 * umis[b].reads {
                            found[b] = true;
                            queue.push(b);
                        }
                    }
                }
                probe[pos] = original;
            }
        }
    }
    founders
}

/// A deduplication key as reads are collapsed when counting molecules: the
/// insert's bases, [`UmiKey::SEPARATOR`], then the UMI's. The separator sorts
/// before every base, so sorted keys keep each insert's UMIs together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UmiKey<'a> {
    /// The insert's bases.
    pub insert: &'a [u8],
    /// The UMI's bases.
    pub umi: &'a [u8],
}

impl<'a> UmiKey<'a> {
    /// Separates the insert from the UMI in a key.
    pub const SEPARATOR: u8 = 0;

    /// Splits a collapsed key into its insert and UMI.
    pub fn parse(key: &'a [u8]) -> Self {
        let at = memchr::memchr(Self::SEPARATOR, key).unwrap_or(key.len());
        Self {
            insert: &key[..at],
            umi: &key[(at + 1).min(key.len())..],
        }
    }
}

/// Sums a sample's (insert, UMI) keys, sorted, into its inserts (sorted too).
pub fn inserts_of_keys(keys: &SortedInserts) -> SortedInserts {
    let mut inserts = SortedInserts::default();
    let mut current: Option<(&[u8], u32)> = None;
    for (key, n) in keys.iter() {
        let insert = UmiKey::parse(key).insert;
        match &mut current {
            Some((seq, c)) if *seq == insert => *c += n,
            _ => {
                if let Some((seq, c)) = current {
                    inserts.push(seq, c);
                }
                current = Some((insert, n));
            }
        }
    }
    if let Some((seq, c)) = current {
        inserts.push(seq, c);
    }
    inserts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts<'a>(umis: &[(&'a str, u64)]) -> Vec<UmiCount<'a>> {
        umis.iter()
            .map(|&(u, reads)| UmiCount {
                umi: u.as_bytes(),
                reads,
            })
            .collect()
    }

    /// UMI-tools' directional rule, pairwise as UMI-tools writes it: the
    /// oracle for the neighbour-probing version.
    fn oracle(umis: &[UmiCount]) -> usize {
        let n = umis.len();
        let close = |a: &[u8], b: &[u8]| {
            a.len() == b.len() && a.iter().zip(b).filter(|(x, y)| x != y).count() == 1
        };
        let adj: Vec<Vec<usize>> = (0..n)
            .map(|a| {
                (0..n)
                    .filter(|&b| {
                        b != a
                            && close(umis[a].umi, umis[b].umi)
                            && umis[a].reads + 1 >= 2 * umis[b].reads
                    })
                    .collect()
            })
            .collect();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| umis[b].reads.cmp(&umis[a].reads));
        let mut found = vec![false; n];
        let mut components = 0;
        for &s in &order {
            if found[s] {
                continue;
            }
            components += 1;
            let mut searched = vec![false; n];
            let mut queue = vec![s];
            searched[s] = true;
            while let Some(a) = queue.pop() {
                for &b in &adj[a] {
                    if !searched[b] {
                        searched[b] = true;
                        queue.push(b);
                    }
                }
            }
            for (f, s) in found.iter_mut().zip(searched) {
                *f |= s;
            }
        }
        components
    }

    #[test]
    fn a_pcr_error_joins_its_parent_and_distant_umis_stay_apart() {
        let u = counts(&[("AAAA", 10), ("AAAT", 2), ("CCCC", 3), ("AATT", 1)]);
        // AAAT is absorbed by AAAA (10 >= 3), AATT by AAAT (2 >= 1): a chain
        assert_eq!(directional_molecules(&u), vec![0, 2]);
    }

    #[test]
    fn similar_counts_are_two_molecules() {
        // 5 < 2*4-1: a neighbour that abundant is another molecule
        let u = counts(&[("ACGT", 5), ("ACGA", 4)]);
        assert_eq!(directional_molecules(&u).len(), 2);
        let u = counts(&[("ACGT", 1), ("ACGA", 1)]);
        assert_eq!(directional_molecules(&u).len(), 1);
    }

    #[test]
    fn matches_the_pairwise_oracle_on_random_umis() {
        let mut rng = crate::rng::Rng::new(0x2545_f491_4f6c_dd1d);
        let mut rand = move |n: u64| rng.below(n as usize) as u64;
        for round in 0..300 {
            let len = 1 + rand(5) as usize;
            let mut seen = std::collections::HashSet::new();
            let owned: Vec<(Vec<u8>, u64)> = (0..rand(40))
                .map(|_| {
                    let umi: Vec<u8> = (0..len).map(|_| b"ACGTN"[rand(5) as usize]).collect();
                    (umi, 1 + rand(20) * rand(3))
                })
                .filter(|(u, _)| seen.insert(u.clone()))
                .collect();
            let u: Vec<UmiCount> = owned
                .iter()
                .map(|(umi, reads)| UmiCount { umi, reads: *reads })
                .collect();
            assert_eq!(directional_molecules(&u).len(), oracle(&u), "round {round}");
        }
    }

    #[test]
    fn extract_takes_the_bases_around_the_insert() {
        let mut out = Vec::new();
        // 4N, insert, 4N, adapter (3 nt), 12 nt after it
        let read = b"ccggTAGCTTATCttaaAGGACGTACGTACGTtail";
        let spec = UmiSpec {
            read_5p: 4,
            insert_3p: 4,
            after_adapter: 12,
        };
        assert!(spec.extract(read, 17, 3, &mut out));
        assert_eq!(out, b"CCGGTTAAACGTACGTACGT");
        out.clear();
        assert!(!UmiSpec::QIASEQ.extract(b"TAGCAGGAAACGT", 5, 3, &mut out));
        assert!(out.is_empty());
    }

    #[test]
    fn specs_parse_and_print() {
        assert_eq!("qiaseq".parse::<UmiSpec>().unwrap(), UmiSpec::QIASEQ);
        assert_eq!("5p:4,3p:4".parse::<UmiSpec>().unwrap(), UmiSpec::NEXTFLEX);
        assert_eq!(UmiSpec::QIASEQ.to_string(), "adapter+12");
        assert!("5p:0".parse::<UmiSpec>().is_err());
        // the value is named once; a part only when it is not the whole value
        let e = "middle:3".parse::<UmiSpec>().unwrap_err().to_string();
        assert_eq!(e.matches("middle:3").count(), 1, "{e}");
        let e = "5p:4,middle:3".parse::<UmiSpec>().unwrap_err().to_string();
        assert!(e.contains("part 'middle:3': expected"), "{e}");
    }
}

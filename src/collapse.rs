//! Collapsing identical inserts: per sample, then across samples into one
//! table of unique inserts (sorted by sequence, so ids are deterministic).

use rustc_hash::FxHashMap;

/// Distinct inserts of one sample with their read counts.
#[derive(Debug, Default, Clone)]
pub struct SampleInserts {
    counts: FxHashMap<Vec<u8>, u32>,
}

impl SampleInserts {
    /// Counts one read's insert; allocates only for a new sequence.
    #[inline]
    pub fn add(&mut self, insert: &[u8]) {
        self.add_count(insert, 1);
    }

    /// Adds `n` reads of one insert.
    pub fn add_count(&mut self, insert: &[u8], n: u32) {
        if let Some(c) = self.counts.get_mut(insert) {
            *c += n;
        } else {
            self.counts.insert(insert.to_vec(), n);
        }
    }

    /// Number of distinct inserts.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether no insert was counted.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Reads counted.
    pub fn reads(&self) -> u64 {
        self.counts.values().map(|&c| c as u64).sum()
    }

    /// Inserts by decreasing count, then sequence: the collapsed FASTA order.
    pub fn by_abundance(&self) -> Vec<(&[u8], u32)> {
        let mut v: Vec<(&[u8], u32)> = self
            .counts
            .iter()
            .map(|(s, &c)| (s.as_slice(), c))
            .collect();
        v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        v
    }

    /// Iterates over (insert, count) in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], u32)> {
        self.counts.iter().map(|(s, &c)| (s.as_slice(), c))
    }
}

/// Unique inserts of all samples and each sample's counts of them.
#[derive(Debug, Default, Clone)]
pub struct InsertTable {
    /// Unique insert sequences, sorted; an insert's id is its index here.
    pub seqs: Vec<Vec<u8>>,
    /// Per sample, (insert id, reads) sorted by id.
    pub counts: Vec<Vec<(u32, u32)>>,
}

impl InsertTable {
    /// Merges per-sample inserts (in sample order) into one table.
    pub fn build(samples: &[&SampleInserts]) -> Self {
        let mut seqs: Vec<&[u8]> = samples
            .iter()
            .flat_map(|s| s.counts.keys().map(|k| k.as_slice()))
            .collect();
        seqs.sort_unstable();
        seqs.dedup();
        let ids: FxHashMap<&[u8], u32> = seqs
            .iter()
            .enumerate()
            .map(|(i, s)| (*s, i as u32))
            .collect();
        let counts = samples
            .iter()
            .map(|s| {
                let mut v: Vec<(u32, u32)> = s.iter().map(|(seq, c)| (ids[seq], c)).collect();
                v.sort_unstable();
                v
            })
            .collect();
        Self {
            seqs: seqs.into_iter().map(<[u8]>::to_vec).collect(),
            counts,
        }
    }
}

/// Writes one sample's collapsed FASTA (`>seq_<i>_x<count>`, i from 1, most
/// abundant first): the input miRDeep2, seqcluster and mirtop read.
pub fn write_collapsed_fasta(
    out: &mut impl std::io::Write,
    inserts: &SampleInserts,
) -> std::io::Result<()> {
    for (i, (seq, count)) in inserts.by_abundance().into_iter().enumerate() {
        writeln!(out, ">seq_{}_x{}", i + 1, count)?;
        out.write_all(seq)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_inserts_collapse_and_table_is_sorted() {
        let mut a = SampleInserts::default();
        for s in [&b"TTT"[..], b"AAA", b"TTT"] {
            a.add(s);
        }
        let mut b = SampleInserts::default();
        b.add(b"CCC");
        b.add(b"TTT");
        let t = InsertTable::build(&[&a, &b]);
        assert_eq!(
            t.seqs,
            vec![b"AAA".to_vec(), b"CCC".to_vec(), b"TTT".to_vec()]
        );
        assert_eq!(t.counts[0], vec![(0, 1), (2, 2)]);
        assert_eq!(t.counts[1], vec![(1, 1), (2, 1)]);
    }

    #[test]
    fn collapsed_fasta_lists_most_abundant_first() {
        let mut a = SampleInserts::default();
        for s in [&b"TTT"[..], b"AAA", b"TTT", b"GGG"] {
            a.add(s);
        }
        let mut out = Vec::new();
        write_collapsed_fasta(&mut out, &a).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            ">seq_1_x2\nTTT\n>seq_2_x1\nAAA\n>seq_3_x1\nGGG\n"
        );
    }
}

//! The inserts new to a trimming worker's table, handed on after each batch
//! of reads, so that a later stage (alignment) can start on them while
//! reading goes on.

use crate::prep::umi::UmiKey;

/// Inserts new to one worker's table in one batch, concatenated: a UMI
/// key's insert part only. One insert may come again, from another worker
/// or sample (and, from the same worker, with another UMI).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NewInserts {
    bases: Vec<u8>,
    /// One past each insert's last base.
    ends: Vec<usize>,
}

impl NewInserts {
    /// Adds the insert of a collapsed key (an insert, or a [`UmiKey`]).
    pub fn push_key(&mut self, key: &[u8]) {
        self.bases.extend_from_slice(UmiKey::parse(key).insert);
        self.ends.push(self.bases.len());
    }

    /// Number of inserts.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The inserts, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let s = &self.bases[start..end];
            start = end;
            s
        })
    }
}

/// Takes the trimming threads' new inserts, from any of them.
pub trait InsertSink: Sync {
    /// One batch's inserts new to the trimming thread's table.
    fn take(&self, inserts: NewInserts);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_give_their_inserts_in_order() {
        let mut n = NewInserts::default();
        n.push_key(b"ACGT");
        n.push_key(&[b'T', b'T', UmiKey::SEPARATOR, b'G', b'G']);
        n.push_key(b"");
        assert_eq!(n.len(), 3);
        let all: Vec<&[u8]> = n.iter().collect();
        assert_eq!(all, vec![&b"ACGT"[..], b"TT", b""]);
    }
}

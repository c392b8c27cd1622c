//! Nucleotide encoding shared by the trimmer, the reference and the engines.

/// 2-bit code of A.
pub const A: u8 = 0;
/// 2-bit code of C.
pub const C: u8 = 1;
/// 2-bit code of G.
pub const G: u8 = 2;
/// 2-bit code of T (and U).
pub const T: u8 = 3;
/// Any other base (N, IUPAC codes): mismatches everything, also another N.
pub const N: u8 = 4;
/// A reference position of unknown template (outside a mature sequence given
/// without its hairpin): neither match nor mismatch, counted as a free base.
pub const WILDCARD: u8 = 5;

/// The alphabet: the code of every byte (ACGT/U in either case to 0..=3,
/// anything else to [`N`]). Every encoder in mirq reads it.
pub static CODES: [u8; 256] = {
    let mut t = [N; 256];
    let mut i = 0;
    while i < 4 {
        t[b"ACGT"[i] as usize] = i as u8;
        t[b"acgt"[i] as usize] = i as u8;
        i += 1;
    }
    t[b'U' as usize] = T;
    t[b'u' as usize] = T;
    t
};

/// Letters of the codes 0..=4.
const LETTERS: [u8; 5] = *b"ACGTN";

/// Encodes one base: ACGT/U (any case) to 0..=3, anything else to [`N`].
#[inline]
pub fn encode_base(b: u8) -> u8 {
    CODES[b as usize]
}

/// Every byte on the inserts' alphabet ([`normalize_base`]'s table).
static NORMALIZED: [u8; 256] = {
    let mut t = [b'N'; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = LETTERS[CODES[i] as usize];
        i += 1;
    }
    t
};

/// One base on the inserts' alphabet: upper-case ACGT (U as T), anything
/// else `N`.
#[inline]
pub fn normalize_base(b: u8) -> u8 {
    NORMALIZED[b as usize]
}

/// Whether `seq` is all upper-case `ACGT`, so that [`normalize_base`]
/// leaves it as it is (one pass the compiler vectorises).
#[inline]
pub fn is_upper_acgt(seq: &[u8]) -> bool {
    seq.iter()
        .fold(true, |ok, &b| ok & matches!(b, b'A' | b'C' | b'G' | b'T'))
}

/// Encodes a sequence into base codes.
pub fn encode(seq: &[u8]) -> Vec<u8> {
    seq.iter().map(|&b| encode_base(b)).collect()
}

/// Decodes base codes back to letters (N for unknown, `.` for a wildcard).
pub fn decode(codes: &[u8]) -> String {
    codes
        .iter()
        .map(|&c| match c {
            A => 'A',
            C => 'C',
            G => 'G',
            T => 'T',
            WILDCARD => '.',
            _ => 'N',
        })
        .collect()
}

/// Upper-cases a DNA/RNA sequence and writes U as T, so that inserts and
/// references compare on one alphabet.
pub fn normalize_dna(seq: &[u8]) -> Vec<u8> {
    seq.iter()
        .map(|&b| match b.to_ascii_uppercase() {
            b'U' => b'T',
            x => x,
        })
        .collect()
}

/// Reverse complement of ASCII DNA (A↔T, C↔G; anything else becomes N).
///
/// ```
/// assert_eq!(mirq::seq::reverse_complement(b"AACGTN"), b"NACGTT".to_vec());
/// ```
pub fn reverse_complement(seq: &[u8]) -> Vec<u8> {
    seq.iter()
        .rev()
        .map(|&b| match b.to_ascii_uppercase() {
            b'A' => b'T',
            b'C' => b'G',
            b'G' => b'C',
            b'T' | b'U' => b'A',
            _ => b'N',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_maps_u_to_t_and_unknowns_to_n() {
        assert_eq!(
            encode(b"ACGTUacgtuNR"),
            vec![0, 1, 2, 3, 3, 0, 1, 2, 3, 3, N, N]
        );
    }

    #[test]
    fn normalize_base_keeps_acgt_and_makes_the_rest_n() {
        let got: Vec<u8> = b"ACGTUacgtuNRx-"
            .iter()
            .map(|&b| normalize_base(b))
            .collect();
        assert_eq!(got, b"ACGTTACGTTNNNN".to_vec());
    }

    #[test]
    fn upper_acgt_is_what_normalising_leaves_alone_but_n() {
        for b in 0..=255u8 {
            let kept = normalize_base(b) == b && b != b'N';
            assert_eq!(is_upper_acgt(&[b]), kept, "{b}");
        }
        assert!(is_upper_acgt(b""));
        assert!(is_upper_acgt(b"ACGTTGCAACGTTGCAACGTTGCAACGTTGCAACGT"));
        assert!(!is_upper_acgt(b"ACGTTGCAACGTTGCAACGTTGCAACGTTGCAACGu"));
        assert!(!is_upper_acgt(b"NCGTTGCAACGTTGCAACGTTGCAACGTTGCAACGT"));
    }

    #[test]
    fn normalize_uppercases_and_replaces_u() {
        assert_eq!(normalize_dna(b"ugAcu"), b"TGACT".to_vec());
    }

    #[test]
    fn decode_round_trips_acgt() {
        assert_eq!(decode(&encode(b"GATTACA")), "GATTACA");
    }
}

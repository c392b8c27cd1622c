//! Reproducible pseudo-random numbers (xorshift64*): the `mirq bench`
//! workload and every randomized test (unit tests, integration tests, the
//! GPU oracle, benches) draw from this one generator, so a seed means the
//! same data on every platform.

/// xorshift64*: small, fast and the same everywhere; not for cryptography.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed` (0 is replaced: xorshift never
    /// leaves 0).
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Whether an event of probability `p` happens.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// `n` random bases from `alphabet`.
    pub fn seq_from(&mut self, n: usize, alphabet: &[u8]) -> Vec<u8> {
        (0..n)
            .map(|_| alphabet[self.below(alphabet.len())])
            .collect()
    }

    /// `n` random bases of ACGT.
    pub fn bases(&mut self, n: usize) -> Vec<u8> {
        self.seq_from(n, b"ACGT")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_every_value_reached() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let xs: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
        assert!(xs.iter().all(|&x| x == b.next_u64()));
        let mut seen = [false; 4];
        for _ in 0..100 {
            seen[a.below(4)] = true;
        }
        assert_eq!(seen, [true; 4]);
        assert_ne!(Rng::new(0).next_u64(), 0);
        let bases = a.bases(1000);
        assert!(bases.iter().all(|b| b"ACGT".contains(b)));
    }
}

//! The seeded random numbers of the learning module.
//!
//! One small generator, written here so that every model is bit-identical for a seed on every platform and
//! every thread count: xoshiro256** (Blackman & Vigna, 2018) seeded through SplitMix64. Parallel work never
//! shares a generator; each task derives its own with [`derive_seed`] from the run's seed and the task's
//! indices, so the order in which threads run cannot change a result.
//!
//! ```text
//! splitmix64:  z ← s + 0x9E3779B97F4A7C15;  z ← (z ⊕ z≫30)·0xBF58476D1CE4E5B9;
//!              z ← (z ⊕ z≫27)·0x94D049BB133111EB;  return z ⊕ z≫31
//! xoshiro256**: result = rotl(s1·5, 7)·9, then the xorshift state update
//! ```

/// SplitMix64's output function: a strong 64-bit mix of `x`.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seed for a sub-task, from a parent seed and the task's indices (order matters).
pub(crate) fn derive_seed(seed: u64, parts: &[u64]) -> u64 {
    let mut s = splitmix64(seed);
    for &p in parts {
        s = splitmix64(s ^ splitmix64(p.wrapping_add(0x632B_E59B_D9B4_E019)));
    }
    s
}

/// xoshiro256**: fast, small state, good statistical quality; not cryptographic.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose state is filled from `seed` by SplitMix64.
    pub(crate) fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut s = [0u64; 4];
        for v in &mut s {
            *v = splitmix64(x);
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        }
        Rng { s }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1), with 53 random bits.
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in 0..n (n > 0), without modulo bias (Lemire's multiply-and-reject).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            let low = m as u64;
            if low >= n.wrapping_neg() % n {
                return (m >> 64) as usize;
            }
        }
    }

    /// Fisher–Yates shuffle in place.
    pub(crate) fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_published_sequence() {
        // First outputs of SplitMix64 seeded with 0 (Vigna's reference splitmix64.c).
        let mut s = 0u64;
        let mut next = || {
            let r = splitmix64(s);
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            r
        };
        assert_eq!(next(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(next(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn below_and_shuffle_stay_in_range_and_permute() {
        let mut r = Rng::new(7);
        let mut v: Vec<usize> = (0..50).collect();
        r.shuffle(&mut v);
        let mut w = v.clone();
        w.sort();
        assert_eq!(w, (0..50).collect::<Vec<_>>());
        assert_ne!(v, w);
        assert!((0..1000).all(|_| r.below(3) < 3));
        let u = r.uniform();
        assert!((0.0..1.0).contains(&u));
    }
}

//! Random numbers without a RNG dependency: backoff jitter ([`unit`]) and
//! request-id prefixes ([`bits`]).

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Instant;

/// 64 random bits, different at each call. Not for cryptography: each
/// `RandomState` is freshly keyed from the OS's randomness (per thread, then
/// stepped), so hashing anything gives a new, unpredictable-enough value.
pub(crate) fn bits() -> u64 {
    RandomState::new().hash_one(Instant::now())
}

/// A number in `[0, 1)`, different at each call. It only spreads
/// reconnection attempts of many clients apart.
pub(crate) fn unit() -> f64 {
    (bits() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    #[test]
    fn unit_is_in_range_and_varies() {
        let draws: Vec<f64> = (0..100).map(|_| super::unit()).collect();
        assert!(draws.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(draws.windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn bits_vary() {
        let draws: Vec<u64> = (0..100).map(|_| super::bits()).collect();
        assert!(draws.windows(2).all(|w| w[0] != w[1]));
    }
}

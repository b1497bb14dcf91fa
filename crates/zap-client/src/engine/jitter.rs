//! [`unit`]: a random number for backoff jitter, without a RNG dependency.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Instant;

/// A number in `[0, 1)`, different at each call. Not for cryptography: it
/// only spreads reconnection attempts of many clients apart.
pub(crate) fn unit() -> f64 {
    // Each `RandomState` is freshly keyed, so hashing anything gives a new value.
    let bits = RandomState::new().hash_one(Instant::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    #[test]
    fn unit_is_in_range_and_varies() {
        let draws: Vec<f64> = (0..100).map(|_| super::unit()).collect();
        assert!(draws.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(draws.windows(2).any(|w| w[0] != w[1]));
    }
}

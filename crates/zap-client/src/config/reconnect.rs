//! [`ReconnectPolicy`]: when and how often to reconnect after a failure.

use std::time::Duration;

/// Automatic reconnection: exponential backoff with jitter, a cap on the
/// delay and an optional maximum number of attempts.
///
/// The policy applies to `connect()` and to every connection lost later:
/// the first attempt is immediate; attempt `n ≥ 2` waits
/// `min(max_delay, initial_delay × multiplier^(n-2))`, shortened by a random
/// fraction of up to `jitter` of itself, so clients restarted together do
/// not reconnect in lockstep. The default is [`ReconnectPolicy::never`].
///
/// A connection that ends before it was online for
/// [`min_uptime`](Self::min_uptime) (5 s by default) counts as a failed
/// attempt: the next one waits its backoff delay, and `max_attempts` still
/// applies, so a server that accepts and at once drops every connection is
/// not redialled in a busy loop. A connection that lasted resets the count:
/// after it is lost, the first attempt is immediate again.
///
/// ```
/// use std::time::Duration;
/// use zap_client::ReconnectPolicy;
///
/// let policy = ReconnectPolicy::exponential()
///     .initial_delay(Duration::from_millis(100))
///     .max_delay(Duration::from_secs(5))
///     .jitter(0.0)
///     .max_attempts(4);
/// let schedule: Vec<_> = (1..=5).map(|n| policy.delay_before(n, 0.0)).collect();
/// assert_eq!(schedule, [
///     Some(Duration::ZERO),
///     Some(Duration::from_millis(100)),
///     Some(Duration::from_millis(200)),
///     Some(Duration::from_millis(400)),
///     None, // no fifth attempt
/// ]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ReconnectPolicy {
    max_attempts: Option<u32>,
    min_uptime: Duration,
    initial_delay: Duration,
    max_delay: Duration,
    multiplier: f64,
    jitter: f64,
}

impl ReconnectPolicy {
    /// No automatic reconnection: one attempt per `connect()`; a lost
    /// connection stays lost until the application calls `connect()`.
    pub fn never() -> Self {
        ReconnectPolicy {
            max_attempts: Some(1),
            ..ReconnectPolicy::exponential()
        }
    }

    /// Reconnect forever: first retry immediate, then 500 ms, doubling up to
    /// 30 s, each delay shortened by up to 30 % at random.
    pub fn exponential() -> Self {
        ReconnectPolicy {
            max_attempts: None,
            min_uptime: Duration::from_secs(5),
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            multiplier: 2.0,
            jitter: 0.3,
        }
    }

    /// Give up after `attempts` consecutive failed attempts (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts.max(1));
        self
    }

    /// Never give up (the default of [`ReconnectPolicy::exponential`]).
    pub fn unlimited_attempts(mut self) -> Self {
        self.max_attempts = None;
        self
    }

    /// How long a connection must stay online to count as a success that
    /// resets the backoff; one that ends sooner counts as a failed attempt.
    /// Default: 5 s. `Duration::ZERO` counts every connection that opened as
    /// a success (a server that drops connections at once is then redialled
    /// without delay).
    ///
    /// ```
    /// use std::time::Duration;
    /// use zap_client::ReconnectPolicy;
    ///
    /// let policy = ReconnectPolicy::exponential().min_uptime(Duration::from_secs(30));
    /// assert!(!policy.is_stable(Duration::from_secs(10)));
    /// assert!(policy.is_stable(Duration::from_secs(30)));
    /// ```
    pub fn min_uptime(mut self, uptime: Duration) -> Self {
        self.min_uptime = uptime;
        self
    }

    /// Whether a connection that was online for `online_for` counts as a
    /// success (see [`min_uptime`](Self::min_uptime)).
    pub fn is_stable(&self, online_for: Duration) -> bool {
        online_for >= self.min_uptime
    }

    /// The delay before the second attempt.
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// The longest delay between two attempts.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The factor between two consecutive delays (at least 1).
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = if multiplier.is_finite() {
            multiplier.max(1.0)
        } else {
            1.0
        };
        self
    }

    /// The largest fraction (0 to 1) by which a delay is shortened at random.
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// Whether a lost connection is retried automatically.
    pub fn is_enabled(&self) -> bool {
        self.max_attempts != Some(1)
    }

    /// The wait before attempt `attempt` (counted from 1), or `None` when
    /// the policy allows no such attempt. `random` is a number in `[0, 1)`
    /// choosing the jitter (the client draws it; pass `0.0` for none).
    pub fn delay_before(&self, attempt: u32, random: f64) -> Option<Duration> {
        if attempt == 0 || self.max_attempts.is_some_and(|max| attempt > max) {
            return None;
        }
        if attempt == 1 {
            return Some(Duration::ZERO);
        }
        let exponent = i32::try_from(attempt - 2).unwrap_or(i32::MAX);
        let base = self.initial_delay.as_secs_f64() * self.multiplier.powi(exponent);
        let capped = base.min(self.max_delay.as_secs_f64());
        let shortened = capped * (1.0 - self.jitter * random.clamp(0.0, 1.0));
        Some(Duration::try_from_secs_f64(shortened).unwrap_or(self.max_delay))
    }
}

impl Default for ReconnectPolicy {
    /// [`ReconnectPolicy::never`].
    fn default() -> Self {
        ReconnectPolicy::never()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_to_the_cap_and_never_exceed_it() {
        let policy = ReconnectPolicy::exponential()
            .initial_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(1000));
        let delays: Vec<_> = (1..=8)
            .filter_map(|n| policy.delay_before(n, 0.0))
            .map(|d| d.as_millis())
            .collect();
        assert_eq!(delays, [0, 100, 200, 400, 800, 1000, 1000, 1000]);
        for n in 2..40 {
            let jittered = policy.delay_before(n, 0.999).unwrap_or_default();
            let plain = policy.delay_before(n, 0.0).unwrap_or_default();
            assert!(jittered <= plain && jittered >= plain.mul_f64(0.69), "{n}");
        }
    }

    #[test]
    fn never_allows_exactly_one_attempt() {
        let policy = ReconnectPolicy::never();
        assert!(!policy.is_enabled());
        assert_eq!(policy.delay_before(1, 0.5), Some(Duration::ZERO));
        assert_eq!(policy.delay_before(2, 0.5), None);
    }

    #[test]
    fn huge_attempt_numbers_stay_at_the_cap() {
        let policy = ReconnectPolicy::exponential().jitter(0.0);
        assert_eq!(
            policy.delay_before(u32::MAX, 0.0),
            Some(Duration::from_secs(30))
        );
    }
}

//! Flood control: per-connection token buckets for inbound events and bytes
//! ([`RateLimit`], part of [`ConnectionConfig`](crate::ConnectionConfig)).
//!
//! A bucket holds up to `burst` tokens and refills at `per_second`; an
//! inbound event takes one token from the connection's event bucket, one
//! from its event name's bucket (when that name has its own limit), and its
//! length from the byte bucket. An event that finds a bucket short is over
//! the limit: what follows is the [`FloodPolicy`].

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

/// A token bucket's settings: a sustained rate and a burst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Tokens added per second (events, or bytes).
    pub per_second: f64,
    /// Most tokens held: what may arrive at once after a quiet spell.
    pub burst: f64,
}

impl Limit {
    /// `per_second` sustained, up to `burst` at once.
    pub fn new(per_second: f64, burst: f64) -> Self {
        Limit {
            per_second: per_second.max(0.0),
            burst: burst.max(1.0),
        }
    }
}

/// What an event over the rate limit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FloodPolicy {
    /// The event is dropped (its handler does not run) and `error` is raised
    /// with [`ErrorKind::RateLimited`](crate::ErrorKind::RateLimited); the
    /// connection stays open. The default.
    #[default]
    Drop,
    /// The connection is closed with code 1008 ("rate limit exceeded"), after
    /// `error` is raised for the event.
    Close,
}

/// The inbound rate limits of every connection.
///
/// On by default with generous limits, meant to stop floods, not to shape
/// normal traffic: 1,000 events per second with a burst of 2,000, and 8 MiB
/// per second with a burst of 16 MiB; no per-event limits; [`FloodPolicy::Drop`].
///
/// ```
/// use zap_core::{ConnectionConfig, FloodPolicy, Limit, RateLimit};
///
/// let limits = RateLimit::default()
///     .events(Some(Limit::new(200.0, 400.0)))
///     .event("say", Limit::new(5.0, 10.0)) // chat messages: 5 per second
///     .policy(FloodPolicy::Close);
/// let config = ConnectionConfig::default().rate_limit(limits);
/// # drop(config);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RateLimit {
    /// Events per second of one connection, all names together; `None`: no limit.
    pub events: Option<Limit>,
    /// Inbound bytes per second of one connection; `None`: no limit. A
    /// message larger than the burst takes the whole burst.
    pub bytes: Option<Limit>,
    /// Events per second of one connection for one event name, on top of
    /// [`Self::events`].
    pub per_event: HashMap<String, Limit>,
    /// What an event over a limit does.
    pub policy: FloodPolicy,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            events: Some(Limit::new(1_000.0, 2_000.0)),
            bytes: Some(Limit::new(8.0 * 1024.0 * 1024.0, 16.0 * 1024.0 * 1024.0)),
            per_event: HashMap::new(),
            policy: FloodPolicy::Drop,
        }
    }
}

impl RateLimit {
    /// No limits at all.
    pub fn unlimited() -> Self {
        RateLimit {
            events: None,
            bytes: None,
            per_event: HashMap::new(),
            policy: FloodPolicy::Drop,
        }
    }

    /// Sets [`Self::events`].
    pub fn events(mut self, limit: Option<Limit>) -> Self {
        self.events = limit;
        self
    }

    /// Sets [`Self::bytes`].
    pub fn bytes(mut self, limit: Option<Limit>) -> Self {
        self.bytes = limit;
        self
    }

    /// Limits the event `name` on its own (see [`Self::per_event`]).
    pub fn event(mut self, name: impl Into<String>, limit: Limit) -> Self {
        self.per_event.insert(name.into(), limit);
        self
    }

    /// Sets [`Self::policy`].
    pub fn policy(mut self, policy: FloodPolicy) -> Self {
        self.policy = policy;
        self
    }

    fn is_unlimited(&self) -> bool {
        self.events.is_none() && self.bytes.is_none() && self.per_event.is_empty()
    }
}

/// One token bucket.
#[derive(Debug)]
struct Bucket {
    limit: Limit,
    tokens: f64,
    refilled: Instant,
}

impl Bucket {
    fn new(limit: Limit, now: Instant) -> Self {
        Bucket {
            limit,
            tokens: limit.burst,
            refilled: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.limit.per_second).min(self.limit.burst);
        self.refilled = now;
    }

    fn has(&mut self, now: Instant, tokens: f64) -> bool {
        self.refill(now);
        self.tokens >= tokens.min(self.limit.burst)
    }

    fn take(&mut self, tokens: f64) {
        self.tokens -= tokens.min(self.limit.burst);
    }

    /// How long until the bucket holds half its burst (at least `tokens`):
    /// what a refused client waits before it resends, so that a resend of
    /// many events is not refused again at once.
    fn refill_time(&self, tokens: f64) -> Duration {
        let target = (self.limit.burst / 2.0).max(tokens).min(self.limit.burst);
        let missing = (target - self.tokens).max(0.0);
        match self.limit.per_second > 0.0 {
            true => Duration::from_secs_f64(missing / self.limit.per_second),
            false => Duration::from_secs(1),
        }
    }
}

/// Which limit an event exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limited {
    Events,
    Bytes,
    Event,
}

/// An event over a limit, and how long the sender should wait.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Exceeded {
    pub(crate) limit: Limited,
    pub(crate) retry_after: Duration,
}

impl Exceeded {
    pub(crate) fn describe(self, name: &str) -> String {
        match self.limit {
            Limited::Events => "event rate limit exceeded: event dropped".to_owned(),
            Limited::Bytes => "byte rate limit exceeded: event dropped".to_owned(),
            Limited::Event => format!("rate limit of event \"{name}\" exceeded: event dropped"),
        }
    }
}

/// One connection's buckets (created on its first event).
#[derive(Debug)]
pub(crate) struct Limiter {
    events: Option<Bucket>,
    bytes: Option<Bucket>,
    per_event: HashMap<String, Bucket>,
}

impl Limiter {
    /// The buckets for `limits`, or `None` when nothing is limited.
    pub(crate) fn new(limits: &RateLimit) -> Option<Box<Self>> {
        if limits.is_unlimited() {
            return None;
        }
        let now = Instant::now();
        Some(Box::new(Limiter {
            events: limits.events.map(|limit| Bucket::new(limit, now)),
            bytes: limits.bytes.map(|limit| Bucket::new(limit, now)),
            per_event: HashMap::new(),
        }))
    }

    /// Takes the tokens of one event of `len` bytes named `name`, or says
    /// which limit it exceeds (taking nothing then).
    pub(crate) fn admit(
        &mut self,
        limits: &RateLimit,
        name: &str,
        len: usize,
    ) -> Result<(), Exceeded> {
        let now = Instant::now();
        let len = len as f64;
        let exceeded = |limit, bucket: &Bucket, tokens| Exceeded {
            limit,
            retry_after: bucket.refill_time(tokens),
        };
        if let Some(bytes) = &mut self.bytes
            && !bytes.has(now, len)
        {
            return Err(exceeded(Limited::Bytes, bytes, len));
        }
        if let Some(events) = &mut self.events
            && !events.has(now, 1.0)
        {
            return Err(exceeded(Limited::Events, events, 1.0));
        }
        let named = match limits.per_event.get(name) {
            Some(limit) => {
                let bucket = self
                    .per_event
                    .entry(name.to_owned())
                    .or_insert_with(|| Bucket::new(*limit, now));
                if !bucket.has(now, 1.0) {
                    return Err(exceeded(Limited::Event, bucket, 1.0));
                }
                Some(bucket)
            }
            None => None,
        };
        if let Some(bucket) = named {
            bucket.take(1.0);
        }
        if let Some(bytes) = &mut self.bytes {
            bytes.take(len);
        }
        if let Some(events) = &mut self.events {
            events.take(1.0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(events: f64, burst: f64) -> RateLimit {
        RateLimit::unlimited().events(Some(Limit::new(events, burst)))
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_passes_then_the_sustained_rate() {
        let limits = limits(10.0, 5.0);
        let mut limiter = Limiter::new(&limits).expect("limited");
        let passed = (0..100)
            .filter(|_| limiter.admit(&limits, "e", 10).is_ok())
            .count();
        assert_eq!(passed, 5);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let passed = (0..100)
            .filter(|_| limiter.admit(&limits, "e", 10).is_ok())
            .count();
        assert_eq!(passed, 5, "refilled up to the burst, not beyond");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(limiter.admit(&limits, "e", 10), Ok(()));
        assert_eq!(limiter.admit(&limits, "e", 10), Ok(()));
        assert_eq!(limiter.admit(&limits, "e", 10), Ok(()));
        assert_eq!(
            limiter.admit(&limits, "e", 10).map_err(|e| e.limit),
            Err(Limited::Events)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_event_name_has_its_own_bucket_on_top() {
        let limits = limits(100.0, 100.0).event("say", Limit::new(1.0, 2.0));
        let mut limiter = Limiter::new(&limits).expect("limited");
        assert_eq!(limiter.admit(&limits, "say", 1), Ok(()));
        assert_eq!(limiter.admit(&limits, "say", 1), Ok(()));
        assert_eq!(
            limiter.admit(&limits, "say", 1).map_err(|e| e.limit),
            Err(Limited::Event)
        );
        assert_eq!(limiter.admit(&limits, "other", 1), Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn bytes_are_limited_and_a_huge_message_takes_the_whole_burst() {
        let limits = RateLimit::unlimited().bytes(Some(Limit::new(1000.0, 1000.0)));
        let mut limiter = Limiter::new(&limits).expect("limited");
        assert_eq!(limiter.admit(&limits, "e", 600), Ok(()));
        assert_eq!(
            limiter.admit(&limits, "e", 600).map_err(|e| e.limit),
            Err(Limited::Bytes)
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(limiter.admit(&limits, "e", 5000), Ok(()));
        assert_eq!(
            limiter.admit(&limits, "e", 1).map_err(|e| e.limit),
            Err(Limited::Bytes)
        );
    }

    #[test]
    fn no_limits_no_buckets() {
        assert!(Limiter::new(&RateLimit::unlimited()).is_none());
    }
}

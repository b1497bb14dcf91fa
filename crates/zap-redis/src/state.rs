//! [`State`]: what the backend's tasks share: identity, keys, availability,
//! the router to deliver into, and counters (also reported through the
//! `metrics` facade: `zap_redis_available` (1 or 0) and
//! `zap_redis_dropped_publishes_total`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;
use zap_core::{ConnectionRouter, WeakRouter};

use crate::RedisConfig;
use crate::conn::Commands;
use crate::keys::Keys;

/// The last event of a room delivered from Redis, and when.
struct Seen {
    epoch: String,
    offset: u64,
    at: Instant,
}

pub(crate) struct State {
    pub(crate) instance: String,
    pub(crate) keys: Keys,
    pub(crate) config: RedisConfig,
    pub(crate) commands: Commands,
    router: Mutex<Option<WeakRouter>>,
    available: AtomicBool,
    /// Whether the subscriber listens on the bus now: Redis numbers direct
    /// events and room events and publishes them for the holder to deliver,
    /// so nothing is sent through Redis while this instance would not hear
    /// it back.
    listening: AtomicBool,
    /// Bumped by every failure, so a success that started before a failure
    /// cannot mark Redis available again.
    failures: AtomicU64,
    needs_resync: AtomicBool,
    /// Set when our registration vanished: the resync that follows also
    /// announces our members to their rooms again.
    needs_announce: AtomicBool,
    pub(crate) resync: Notify,
    /// The last `(epoch, offset)` delivered of each room with history (see
    /// [`Self::delivered`]).
    delivered: Mutex<HashMap<String, Seen>>,
    /// Told when the subscriber must subscribe again (a failover or a slot
    /// migration moved channels to other nodes).
    pub(crate) resubscribe: Notify,
    pub(crate) published: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) received: AtomicU64,
}

impl State {
    pub(crate) fn new(config: RedisConfig, commands: Commands, sharded: bool) -> Self {
        State {
            instance: uuid::Uuid::new_v4().to_string(),
            keys: Keys::new(&config.prefix, sharded),
            config,
            commands,
            router: Mutex::new(None),
            available: AtomicBool::new(true),
            listening: AtomicBool::new(false),
            failures: AtomicU64::new(0),
            needs_resync: AtomicBool::new(false),
            needs_announce: AtomicBool::new(false),
            resync: Notify::new(),
            delivered: Mutex::new(HashMap::new()),
            resubscribe: Notify::new(),
            published: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            received: AtomicU64::new(0),
        }
    }

    pub(crate) fn attach(&self, router: WeakRouter) {
        *self.router.lock().unwrap_or_else(PoisonError::into_inner) = Some(router);
    }

    pub(crate) fn router(&self) -> Option<ConnectionRouter> {
        self.router
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()?
            .upgrade()
    }

    /// Redis answers and this instance listens on the bus.
    pub(crate) fn is_available(&self) -> bool {
        self.available.load(Ordering::Acquire) && self.listening.load(Ordering::Acquire)
    }

    /// Redis answered the last request (whether or not this instance
    /// listens on the bus).
    pub(crate) fn is_reachable(&self) -> bool {
        self.available.load(Ordering::Acquire)
    }

    /// The subscriber listens on the bus (`true`) or lost it (`false`).
    pub(crate) fn set_listening(&self, listening: bool) {
        self.listening.store(listening, Ordering::Release);
    }

    /// The failure generation: take it before a request to Redis, and pass it
    /// to [`Self::mark_available`] when the request succeeds.
    pub(crate) fn generation(&self) -> u64 {
        self.failures.load(Ordering::Acquire)
    }

    /// Redis answered a request started at `generation`: unless something
    /// failed since, it is available; if it was not, rewrite our membership.
    pub(crate) fn mark_available(&self, generation: u64) {
        if self.generation() != generation {
            return;
        }
        metrics::gauge!("zap_redis_available").set(1.0);
        if !self.available.swap(true, Ordering::AcqRel) {
            tracing::info!(instance = %self.instance, "redis reachable again: resynchronising");
            self.request_resync();
        }
    }

    /// Redis failed: cross-instance sends are dropped until it is back, and
    /// our membership will be rewritten then.
    pub(crate) fn mark_unavailable(&self, why: &dyn std::fmt::Display) {
        self.failures.fetch_add(1, Ordering::AcqRel);
        self.needs_resync.store(true, Ordering::Release);
        metrics::gauge!("zap_redis_available").set(0.0);
        if self.available.swap(false, Ordering::AcqRel) {
            tracing::warn!(instance = %self.instance, %why, "redis unreachable: local delivery only");
        }
    }

    pub(crate) fn request_resync(&self) {
        self.needs_resync.store(true, Ordering::Release);
        self.resync.notify_one();
    }

    /// Our registration vanished (other instances reaped us while we were
    /// stalled): rewrite our membership and announce our members again.
    pub(crate) fn reregister(&self) {
        tracing::warn!(instance = %self.instance,
            "this instance was reaped while stalled: registering again");
        self.needs_announce.store(true, Ordering::Release);
        self.request_resync();
    }

    /// Notes that Redis delivered `offset` of `room` in `epoch`.
    pub(crate) fn note_delivered(&self, room: &str, epoch: &str, offset: u64) {
        let mut delivered = self
            .delivered
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        match delivered.get_mut(room) {
            Some(seen) if seen.epoch == epoch => {
                seen.offset = seen.offset.max(offset);
                seen.at = now;
            }
            Some(seen) => {
                *seen = Seen {
                    epoch: epoch.to_owned(),
                    offset,
                    at: now,
                };
            }
            None => {
                delivered.insert(
                    room.to_owned(),
                    Seen {
                        epoch: epoch.to_owned(),
                        offset,
                        at: now,
                    },
                );
            }
        }
    }

    /// The last `(epoch, offset)` Redis delivered of `room`: the history
    /// script starts a new epoch rather than give these offsets again.
    pub(crate) fn delivered(&self, room: &str) -> Option<(String, u64)> {
        self.delivered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(room)
            .map(|seen| (seen.epoch.clone(), seen.offset))
    }

    /// Every room's last delivered `(epoch, offset)`.
    pub(crate) fn all_delivered(&self) -> Vec<(String, (String, u64))> {
        self.delivered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(room, seen)| (room.clone(), (seen.epoch.clone(), seen.offset)))
            .collect()
    }

    /// Forgets rooms with no event for `idle` (their history expires in
    /// Redis after as long: a new epoch starts anyway).
    pub(crate) fn forget_idle_rooms(&self, idle: Duration) {
        self.delivered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, seen| seen.at.elapsed() < idle);
    }

    /// The cluster's shape changed (a failover, a slot migration): listen
    /// again on every channel and rewrite our membership, part of which
    /// may have been lost with a master.
    pub(crate) fn topology_changed(&self) {
        tracing::warn!(instance = %self.instance, "redis topology changed: subscribing again and resynchronising");
        self.resubscribe.notify_one();
        self.request_resync();
    }

    /// Takes the re-announce request, if any.
    pub(crate) fn take_announce(&self) -> bool {
        self.needs_announce.swap(false, Ordering::AcqRel)
    }

    /// Takes the resync request, if any.
    pub(crate) fn take_resync(&self) -> bool {
        self.needs_resync.swap(false, Ordering::AcqRel)
    }

    pub(crate) fn count_dropped(&self) {
        self.count_dropped_many(1);
    }

    /// Counts `n` cross-instance publishes dropped (also as the
    /// `zap_redis_dropped_publishes_total` metric).
    pub(crate) fn count_dropped_many(&self, n: u64) {
        self.dropped.fetch_add(n, Ordering::Relaxed);
        metrics::counter!("zap_redis_dropped_publishes_total").increment(n);
    }
}

/// Milliseconds since the Unix epoch (heartbeat scores).
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

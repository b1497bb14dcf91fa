//! [`Recovery`]: resuming the session after a reconnect, and at-least-once sends.

/// Session recovery and at-least-once sends (the recovery extension of
/// `docs/protocol.md`). On by default; it changes nothing against a server
/// that does not offer it.
///
/// With it on, the client asks every server for recovery (`zap_recover=1`
/// in the upgrade URL). A server that offers it answers with a session:
/// the client keeps its token, the last offset it received in each room
/// and the last direct event, and hands them back on every reconnect
/// (automatic or by `connect()`), so the server replays what was missed;
/// events already seen are dropped. Each event sent gets an id (`zap-id`)
/// and stays in the client until the server acknowledges it; after a
/// reconnect the unacknowledged ones are sent again, and the server runs
/// each id once. See the crate documentation, "Delivery", for the exact
/// guarantee and its limits.
///
/// ```
/// use zap_client::{Recovery, ZapSubscriber};
///
/// let plain_v1 = ZapSubscriber::builder("ws://127.0.0.1:8000/")
///     .recovery(Recovery::off())
///     .build();
/// let bigger = ZapSubscriber::builder("ws://127.0.0.1:8000/")
///     .recovery(Recovery::on().max_unacknowledged(10_000))
///     .build();
/// # drop((plain_v1, bigger));
/// assert_eq!(Recovery::default().unacknowledged_limit(), 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovery {
    enabled: bool,
    max_unacknowledged: usize,
}

impl Recovery {
    /// Recovery on, with room for 1024 unacknowledged events.
    pub fn on() -> Self {
        Recovery {
            enabled: true,
            max_unacknowledged: 1024,
        }
    }

    /// Recovery off: the client speaks plain v1 (no query parameters, no
    /// ids, at-most-once delivery both ways).
    pub fn off() -> Self {
        Recovery {
            enabled: false,
            ..Recovery::on()
        }
    }

    /// How many sent events may wait for the server's acknowledgement (at
    /// least 1). When that many are unacknowledged, writing pauses until an
    /// acknowledgement arrives (later events wait in the send queue). While
    /// the server offers recovery, the outbox also holds at least this many
    /// events during a reconnection, whatever
    /// [`ClientBuilder::outbox`](crate::ClientBuilder::outbox) says.
    pub fn max_unacknowledged(mut self, capacity: usize) -> Self {
        self.max_unacknowledged = capacity.max(1);
        self
    }

    /// Whether recovery is asked for.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The bound set by [`max_unacknowledged`](Self::max_unacknowledged).
    pub fn unacknowledged_limit(&self) -> usize {
        self.max_unacknowledged
    }
}

impl Default for Recovery {
    /// [`Recovery::on`].
    fn default() -> Self {
        Recovery::on()
    }
}

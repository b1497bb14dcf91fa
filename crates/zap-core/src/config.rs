//! [`ConnectionConfig`]: the per-connection limits every integration applies.

use std::time::Duration;

use crate::RateLimit;

/// What happens when a connection's outbound queue is full, i.e. when its
/// peer reads slower than events are sent to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OverflowPolicy {
    /// The send fails with [`SendError::Full`](crate::SendError::Full) and the
    /// slow connection is closed with code 1008 ("outbound queue full"); its
    /// client can reconnect and resynchronise. No event is silently skipped
    /// for a connection that stays open. The default.
    #[default]
    Close,
    /// The send fails with [`SendError::Full`](crate::SendError::Full); the
    /// event is dropped for that connection only, which stays open.
    Reject,
}

/// Limits applied to every connection, with the same meaning in `zap-server`
/// and in every framework adapter.
///
/// ```
/// use std::time::Duration;
/// use zap_core::{ConnectionConfig, OverflowPolicy};
///
/// let config = ConnectionConfig::default()
///     .max_message_size(256 * 1024)
///     .outbound_queue(64)
///     .overflow_policy(OverflowPolicy::Reject)
///     .ping_interval(Some(Duration::from_secs(10)))
///     .idle_timeout(Some(Duration::from_secs(30)));
/// assert_eq!(config.max_message_size, 256 * 1024);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectionConfig {
    /// Largest accepted message, in bytes. A larger one raises `error` and
    /// closes the connection with code 1009. Default: 1 MiB.
    pub max_message_size: usize,
    /// Capacity of each connection's outbound queue, in events. Default: 1024.
    pub outbound_queue: usize,
    /// Capacity of each connection's outbound queue, in bytes of encoded
    /// events, counted for direct sends and broadcasts alike (a broadcast
    /// frame is shared, but each queue holding it counts its full length).
    /// A single event larger than this still fits an empty queue. Reaching
    /// either bound is a full queue (see [`OverflowPolicy`]). Default: 4 MiB.
    pub outbound_bytes: usize,
    /// What a full outbound queue does. Default: [`OverflowPolicy::Close`].
    pub overflow_policy: OverflowPolicy,
    /// How often the server pings an otherwise quiet peer. `None` disables
    /// pings. Default: 25 s.
    pub ping_interval: Option<Duration>,
    /// A peer that sends nothing (not even a pong) for this long, or whose
    /// socket accepts no data for this long, is considered gone: the
    /// connection ends and `disconnected` runs. `None` disables the check.
    /// Default: 60 s.
    pub idle_timeout: Option<Duration>,
    /// Most outbound events written to the socket before one flush. Default: 64.
    pub write_batch: usize,
    /// At shutdown, how long a handler still running may take to finish
    /// before it is aborted (dropped at its next `.await`); `disconnected`
    /// then still runs, bounded by the same grace. Default: 10 s.
    pub shutdown_grace: Duration,
    /// Inbound flood control (see [`RateLimit`] for the defaults).
    pub rate_limit: RateLimit,
    /// How many bytes a connection reads from its socket at a time (at least
    /// 256). With zap-server and the hyper-based adapters an idle connection
    /// holds no read buffer: the bytes are read into a chunk of this size
    /// borrowed from a per-thread pool while they wait, and given back once
    /// read. Larger chunks suit a few very busy connections. Default: 4 KiB.
    pub read_buffer_size: usize,
    /// Subprotocols accepted: the first one the client offers
    /// (`Sec-WebSocket-Protocol`, in the client's order) that is listed here
    /// is named in the upgrade response. Zaptools clients offer none; a client that offers only
    /// unlisted ones gets no subprotocol in the response. Default: none.
    pub subprotocols: Vec<String>,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            max_message_size: 1 << 20,
            outbound_queue: 1024,
            outbound_bytes: 4 << 20,
            overflow_policy: OverflowPolicy::Close,
            ping_interval: Some(Duration::from_secs(25)),
            idle_timeout: Some(Duration::from_secs(60)),
            write_batch: 64,
            shutdown_grace: Duration::from_secs(10),
            rate_limit: RateLimit::default(),
            read_buffer_size: 4 * 1024,
            subprotocols: Vec::new(),
        }
    }
}

impl ConnectionConfig {
    /// Sets [`Self::max_message_size`].
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Sets [`Self::outbound_queue`] (at least 1).
    pub fn outbound_queue(mut self, events: usize) -> Self {
        self.outbound_queue = events.max(1);
        self
    }

    /// Sets [`Self::outbound_bytes`] (at least 1).
    pub fn outbound_bytes(mut self, bytes: usize) -> Self {
        self.outbound_bytes = bytes.max(1);
        self
    }

    /// Sets [`Self::overflow_policy`].
    pub fn overflow_policy(mut self, policy: OverflowPolicy) -> Self {
        self.overflow_policy = policy;
        self
    }

    /// Sets [`Self::ping_interval`].
    pub fn ping_interval(mut self, interval: Option<Duration>) -> Self {
        self.ping_interval = interval;
        self
    }

    /// Sets [`Self::idle_timeout`].
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets [`Self::rate_limit`].
    pub fn rate_limit(mut self, limits: RateLimit) -> Self {
        self.rate_limit = limits;
        self
    }

    /// Sets [`Self::shutdown_grace`].
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Sets [`Self::write_batch`] (at least 1).
    pub fn write_batch(mut self, events: usize) -> Self {
        self.write_batch = events.max(1);
        self
    }

    /// Sets [`Self::read_buffer_size`] (at least 256).
    pub fn read_buffer_size(mut self, bytes: usize) -> Self {
        self.read_buffer_size = bytes.max(256);
        self
    }

    /// Sets [`Self::subprotocols`].
    ///
    /// ```
    /// let config = zap_core::ConnectionConfig::default().subprotocols(["zap.v1"]);
    /// assert_eq!(config.subprotocols, ["zap.v1"]);
    /// ```
    pub fn subprotocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.subprotocols = protocols.into_iter().map(Into::into).collect();
        self
    }
}

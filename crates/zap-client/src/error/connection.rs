//! [`ConnectionError`]: a problem on the connection, reported on the error stream.

use std::sync::Arc;
use std::time::Duration;

use zap_protocol::DecodeError;

use crate::ConnectError;

/// Something that went wrong on the connection without any call to return it
/// to: delivered by `errors()` (streams) or `on_error` (callbacks).
///
/// None of these ends the client: a bad frame is skipped and the next valid
/// event is delivered; a lost connection moves the state to
/// [`Error`](crate::ConnectionState::Error) and, with automatic
/// reconnection, a new attempt follows.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The server sent a text frame that is not a valid event (not JSON, no
    /// `eventName`…). The frame was skipped.
    #[error("invalid frame from the server: {error}")]
    InvalidFrame {
        /// What was wrong with it.
        #[source]
        error: Arc<DecodeError>,
        /// The start of the frame (at most 256 bytes), for logs.
        frame: String,
    },
    /// The server sent a binary frame; v1 has none. The frame was skipped.
    #[error("unexpected binary frame of {len} bytes from the server")]
    BinaryFrame {
        /// The frame's length in bytes.
        len: usize,
    },
    /// A connection attempt failed (state `Error`).
    #[error("connection attempt {attempt} failed: {error}")]
    ConnectFailed {
        /// The attempt's number, from 1, since the last connection that
        /// stayed online for the policy's
        /// [`min_uptime`](crate::ReconnectPolicy::min_uptime) (a shorter one
        /// counts as an attempt).
        attempt: u32,
        /// Why it failed.
        #[source]
        error: ConnectError,
    },
    /// The connection was lost without a close handshake (reset, EOF, I/O
    /// error, protocol violation).
    #[error("connection lost: {0}")]
    ConnectionLost(#[source] Arc<dyn std::error::Error + Send + Sync>),
    /// Nothing (no frame, no pong) arrived from the server for longer than
    /// the heartbeat timeout: the server or the network is presumed dead.
    #[error("no frame from the server for {0:?}: heartbeat timeout")]
    HeartbeatTimeout(Duration),
    /// Automatic reconnection stopped after its maximum number of attempts.
    /// Call `connect()` to try again.
    #[error("gave up reconnecting after {attempts} attempts")]
    GaveUp {
        /// How many attempts were made.
        attempts: u32,
    },
    /// Events accepted by `send_event` were dropped without being written:
    /// the connection ended first and the outbox could not keep them (it is
    /// disabled, no reconnection follows, or it is full: the newest are
    /// dropped), or `disconnect()` could not write them within the close
    /// timeout. Send them again once online if they matter.
    #[error("{count} events accepted for sending were dropped unsent")]
    EventsDropped {
        /// How many events were dropped.
        count: usize,
    },
    /// Events held in the outbox were discarded, because the client stopped
    /// reconnecting (`disconnect()`, `clean()`, or giving up).
    #[error("{count} events in the outbox were discarded")]
    OutboxDiscarded {
        /// How many events were discarded.
        count: usize,
    },
    /// The session resumed after a reconnect, but events were lost for
    /// good: the rooms' history no longer reaches the last event received
    /// (or restarted), or direct events were dropped. Reload that state
    /// from the application.
    #[error("events were lost while reconnecting (rooms {rooms:?}, direct events: {direct})")]
    Gaps {
        /// The rooms with lost events.
        rooms: Vec<String>,
        /// Whether direct events were lost.
        direct: bool,
    },
    /// The session could not be resumed (its window expired, or the server
    /// does not know it) while sent events were unacknowledged: they may or
    /// may not have been handled, and are not sent again.
    #[error("{count} sent events may not have been delivered: the session was {reason}")]
    NotDelivered {
        /// How many events were unacknowledged.
        count: usize,
        /// Why the session was not resumed.
        reason: crate::NewReason,
    },
    /// The server sent a recovery event (`zap.session`, `zap.ack`) that
    /// does not follow the protocol. It was skipped.
    #[error("invalid `{event}` from the server: {reason}")]
    InvalidExtension {
        /// The event's name.
        event: String,
        /// What was wrong.
        reason: String,
    },
}

//! [`SendError`]: why `send_event()` refused an event.

use zap_protocol::EncodeError;

use crate::ConnectionState;

/// Why a client that is not online cannot send, in words.
fn not_online(state: ConnectionState) -> &'static str {
    match state {
        ConnectionState::Connecting => "the client is still connecting",
        ConnectionState::Offline => "the client is offline (not connected, or disconnected)",
        ConnectionState::Error => "the connection failed or was lost, and is not back",
        // Refusals are decided when not online; a state read a moment later
        // may already be `Online` again.
        ConnectionState::Online => "the client was not online when the event was sent",
    }
}

/// Why an event was not accepted for sending. Returned at once: sending never
/// waits and never drops an event silently.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The client is not online (and no outbox is holding events for a
    /// reconnection under way). Call `connect()`, wait for
    /// [`ConnectionState::Online`], or enable the outbox
    /// ([`ClientBuilder::outbox`](crate::ClientBuilder::outbox)).
    #[error("cannot send: {}", not_online(*state))]
    NotOnline {
        /// The state at the time of the call.
        state: ConnectionState,
    },
    /// The send queue (while online) or the outbox (while reconnecting) is
    /// full: the network is slower than the application. The event was not
    /// queued; retry later or slow down.
    #[error("cannot send: the queue of {capacity} events is full")]
    Full {
        /// The capacity of the queue that is full.
        capacity: usize,
    },
    /// The payload could not be encoded as JSON.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The client was cleaned with `clean()`.
    #[error("cannot send: the client was cleaned")]
    Cleaned,
}

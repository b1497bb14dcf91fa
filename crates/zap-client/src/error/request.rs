//! [`RequestError`]: why `request()` got no reply.

use std::time::Duration;

use crate::SendError;

/// Why a request got no reply.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The request could not be sent (requests need the client online; they
    /// do not wait in the outbox).
    #[error(transparent)]
    Send(#[from] SendError),
    /// No reply within the timeout. A reply that comes later is delivered to
    /// subscribers as a normal event.
    #[error("no reply within {0:?}")]
    Timeout(Duration),
    /// The connection ended (lost, `disconnect()`, `clean()`) before the reply
    /// arrived. The server may or may not have handled the request.
    #[error("the connection ended before the reply arrived")]
    ConnectionLost,
}

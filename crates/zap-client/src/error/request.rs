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
    /// The server answered with an error reply (header `zap-error`,
    /// `docs/protocol.md`, "Error replies"): it could not handle the
    /// request. `kind` says why: `invalid_payload` (the payload is not what
    /// the handler takes), `handler` (the handler returned an error),
    /// `panic`, `no_handler`, `rate_limited` (the names are in
    /// `zap_protocol::ext::error_kind`; a server may send others).
    #[error("the server could not handle `{event}` ({kind}): {message}")]
    Remote {
        /// The request's event name.
        event: String,
        /// The server's error kind, e.g. `invalid_payload`.
        kind: String,
        /// The server's explanation.
        message: String,
    },
}

impl RequestError {
    /// The error an answer carrying `zap-error` stands for, if it carries one.
    pub(crate) fn from_error_reply(reply: &zap_protocol::EventData) -> Option<RequestError> {
        let error = reply.headers_opt()?.get(zap_protocol::ext::ERROR_HEADER)?;
        let field = |name: &str| error.get(name).and_then(|value| value.as_str());
        Some(RequestError::Remote {
            event: reply.event_name().to_owned(),
            kind: field("kind").unwrap_or("unknown").to_owned(),
            message: field("message").map_or_else(|| error.to_string(), str::to_owned),
        })
    }
}

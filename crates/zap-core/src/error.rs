//! Errors of zap-core: [`SendError`], [`HandlerError`] and the [`ErrorInfo`]
//! payload of the `error` lifecycle event.

use std::fmt;

use serde::{Deserialize, Serialize};
use zap_protocol::EncodeError;

use crate::ConnectionId;

/// A boxed error, as handlers may return any error type.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a handler returns when it can fail: `Ok(())` or any error.
pub type HandlerResult = Result<(), HandlerError>;

/// Why an event could not be queued for a connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The connection has ended (or is closing). Drop your handle to it.
    #[error("connection is closed")]
    Closed,
    /// The connection's outbound queue is full: its peer reads slower than
    /// events are sent. The event was not queued. Under the default
    /// [`OverflowPolicy::Close`](crate::OverflowPolicy::Close) the connection
    /// is also being closed with code 1008.
    #[error("outbound queue of connection is full ({capacity} frames or {max_bytes} bytes)")]
    Full {
        /// The queue's capacity in frames.
        capacity: usize,
        /// The queue's capacity in bytes.
        max_bytes: usize,
    },
    /// No connection with this id is connected to this router.
    #[error("no connection with id `{0}`")]
    NotFound(ConnectionId),
    /// The payload could not be encoded as JSON.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The connection is on another instance and the backend could not
    /// take the event (see [`BackendError`](crate::BackendError)).
    #[error(transparent)]
    Backend(crate::BackendError),
}

/// An error returned by a handler; it reaches the `error` handler.
///
/// Any error converts into it with `?` (including `&str`, `String`,
/// `anyhow::Error` and every `std::error::Error + Send + Sync`), so handlers
/// can end in a plain `Ok(())`:
///
/// ```
/// use zap_core::{EventContext, HandlerResult};
///
/// async fn join(ctx: EventContext) -> HandlerResult {
///     let room: String = ctx.payload_as()?;
///     if room.is_empty() {
///         return Err("room name is empty".into());
///     }
///     ctx.join(&room);
///     Ok(())
/// }
/// ```
pub struct HandlerError(BoxError);

impl HandlerError {
    /// The underlying error.
    pub fn get_ref(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0
    }

    /// The underlying boxed error.
    pub fn into_inner(self) -> BoxError {
        self.0
    }
}

impl<E: Into<BoxError>> From<E> for HandlerError {
    fn from(err: E) -> Self {
        HandlerError(err.into())
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// What went wrong, as carried by the `error` event's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// A handler returned `Err`.
    Handler,
    /// A handler panicked.
    Panic,
    /// A frame could not be decoded (not JSON, no `eventName`, …).
    InvalidFrame,
    /// A binary frame arrived; v1 carries events in text frames only.
    BinaryFrame,
    /// A frame exceeded the maximum message size; the connection is closed
    /// with code 1009.
    TooLarge,
    /// The connection's outbound queue overflowed.
    SlowConsumer,
    /// An inbound event exceeded the connection's rate limit (see
    /// [`RateLimit`](crate::RateLimit)); it was dropped.
    RateLimited,
    /// The peer broke the WebSocket protocol; the connection is closed with
    /// code 1002 (1007 for invalid UTF-8).
    Protocol,
    /// The event's payload did not decode into what the handler takes
    /// (a [`Data<T>`](crate::extract::Data) or `payload_as` failed).
    InvalidPayload,
    /// The event has no handler (and the register no fallback); raised only
    /// as an error reply to a request, never to the `error` handler.
    NoHandler,
}

impl ErrorKind {
    /// The kind's name in an error reply's `zap-error` header
    /// (`docs/protocol.md`, "Error replies").
    pub fn wire_name(self) -> &'static str {
        use zap_protocol::ext::error_kind;
        match self {
            ErrorKind::InvalidPayload => error_kind::INVALID_PAYLOAD,
            ErrorKind::Panic => error_kind::PANIC,
            ErrorKind::NoHandler => error_kind::NO_HANDLER,
            ErrorKind::RateLimited => error_kind::RATE_LIMITED,
            _ => error_kind::HANDLER,
        }
    }
}

/// The payload of the `error` lifecycle event.
///
/// On the wire it is `{"event": "say", "kind": "handler", "message": "…"}`,
/// the structured form of the Python server's
/// `An error occurred in the event "say"` text. Read it in an `error`
/// handler with [`EventContext::error`](crate::EventContext::error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorInfo {
    /// The event that failed, when there was one.
    pub event: Option<String>,
    /// What kind of failure it was.
    pub kind: ErrorKind,
    /// The error's text.
    pub message: String,
}

impl ErrorInfo {
    /// Builds an error description.
    pub fn new(event: Option<&str>, kind: ErrorKind, message: impl Into<String>) -> Self {
        ErrorInfo {
            event: event.map(str::to_owned),
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.event {
            Some(event) => write!(
                f,
                "an error occurred in the event \"{event}\": {}",
                self.message
            ),
            None => write!(f, "{}", self.message),
        }
    }
}

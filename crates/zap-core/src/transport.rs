//! The transport abstraction every integration implements: a stream of
//! [`Inbound`] messages and a sink of [`Outbound`] ones.

use std::borrow::Cow;
use std::fmt;

use futures_util::{Sink, Stream};
use zap_protocol::{Frame, Text};

use crate::BoxError;

/// WebSocket close codes used by zaptools (RFC 6455, section 7.4.1).
pub mod close_code {
    /// 1000: normal closure.
    pub const NORMAL: u16 = 1000;
    /// 1001: the server is going away (shutdown) or the peer stopped answering.
    pub const GOING_AWAY: u16 = 1001;
    /// 1002: the peer broke the WebSocket protocol (reserved bits, unknown
    /// opcode, unmasked client frame, bad control or continuation frame,
    /// invalid close code).
    pub const PROTOCOL: u16 = 1002;
    /// 1007: a text message (or close reason) was not valid UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// 1008: policy violation (outbound queue overflow, duplicate id).
    pub const POLICY: u16 = 1008;
    /// 1009: a message was larger than the maximum message size.
    pub const TOO_BIG: u16 = 1009;
    /// 1011: the server hit an unexpected condition.
    pub const INTERNAL: u16 = 1011;
}

/// A close frame: code and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The close code (see [`close_code`]).
    pub code: u16,
    /// A short human-readable reason (at most 123 bytes on the wire).
    pub reason: Cow<'static, str>,
}

impl CloseFrame {
    /// A close frame with this code and reason.
    pub fn new(code: u16, reason: impl Into<Cow<'static, str>>) -> Self {
        CloseFrame {
            code,
            reason: reason.into(),
        }
    }

    /// The reason, cut to the 123 bytes a close frame can carry (on a
    /// character boundary).
    pub fn reason_for_wire(&self) -> &str {
        let mut end = self.reason.len().min(123);
        while !self.reason.is_char_boundary(end) {
            end -= 1;
        }
        &self.reason[..end]
    }
}

/// One message received from the peer, as an integration hands it to the
/// session loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A complete text message (continuation frames already joined),
    /// checked UTF-8 by the integration (the loop does not check it again).
    Text(Text),
    /// A binary message; only its length is kept, as v1 has no binary events.
    Binary(usize),
    /// A ping. Integrations answer pings themselves (tungstenite does it
    /// automatically); the loop only notes that the peer is alive.
    Ping,
    /// A pong, answering one of the loop's pings.
    Pong,
    /// The peer's close frame.
    Close(Option<CloseFrame>),
}

/// One message the session loop asks the integration to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    /// An encoded event.
    Text(Frame),
    /// A keep-alive ping (empty payload).
    Ping,
    /// A close frame; the integration then ends the connection.
    Close(CloseFrame),
}

/// A failure of the underlying WebSocket.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// A message exceeded the integration's size limit. The loop raises
    /// `error` and closes the connection with code 1009.
    #[error("message of {size} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// The message's size (or the size seen so far).
        size: usize,
        /// The limit in force.
        max: usize,
    },
    /// The peer broke the WebSocket protocol (RFC 6455 section 7.1.7): the
    /// loop raises `error` and closes the connection with `code` (1002, or
    /// 1007 for invalid UTF-8) before dropping it.
    #[error("protocol violation (close code {code})")]
    Protocol {
        /// The close code to send: [`close_code::PROTOCOL`] or
        /// [`close_code::INVALID_DATA`].
        code: u16,
        /// What the peer did wrong.
        #[source]
        source: BoxError,
    },
    /// The connection is already closed.
    #[error("connection closed")]
    Closed,
    /// Any other I/O or protocol error; the connection ends.
    #[error("transport error: {0}")]
    Other(#[source] BoxError),
}

/// A WebSocket as the session loop sees it: a [`Stream`] of [`Inbound`]
/// messages and a [`Sink`] of [`Outbound`] ones.
///
/// Implemented for every type with those two traits; an integration adapts
/// its framework's socket with `StreamExt::map` / `SinkExt::with` or a small
/// wrapper type, and nothing else. The stream's `next()` must be
/// cancel-safe (tokio-tungstenite's and the frameworks' are).
pub trait Transport:
    Stream<Item = Result<Inbound, TransportError>> + Sink<Outbound, Error = TransportError> + Unpin
{
}

impl<T> Transport for T where
    T: Stream<Item = Result<Inbound, TransportError>>
        + Sink<Outbound, Error = TransportError>
        + Unpin
{
}

impl fmt::Display for CloseFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.reason)
    }
}

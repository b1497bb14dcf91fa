//! [`ActixTransport`]: actix-ws's aggregated message stream and our
//! [`Outgoing`] frames seen as a zap-core [`Transport`](zap_core::Transport),
//! answering the pings and close frames that actix-ws leaves to its user.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use actix_web::error::PayloadError;
use actix_ws::{AggregatedMessage, AggregatedMessageStream, ProtocolError};
use bytes::Bytes;
use futures_util::{Sink, Stream, StreamExt};
use zap_core::{CloseFrame, Inbound, Outbound, Text, TransportError, close_code};

use crate::limit::{InvalidCloseReason, TooLarge};
use crate::outgoing::{OpCode, Outgoing, Unwritable};

pub(crate) struct ActixTransport {
    out: Outgoing,
    stream: AggregatedMessageStream,
}

impl ActixTransport {
    pub(crate) fn new(out: Outgoing, stream: AggregatedMessageStream) -> Self {
        ActixTransport { out, stream }
    }

    fn inbound(&mut self, message: AggregatedMessage) -> Inbound {
        match message {
            AggregatedMessage::Text(text) => Inbound::Text(Text::from(text)),
            AggregatedMessage::Binary(data) => Inbound::Binary(data.len()),
            AggregatedMessage::Ping(payload) => {
                // A pong goes in whatever waits; none is owed once closing.
                let _ = self.out.write(OpCode::Pong, payload);
                Inbound::Ping
            }
            AggregatedMessage::Pong(_) => Inbound::Pong,
            AggregatedMessage::Close(reason) => {
                // Echo the peer's code, as RFC 6455 suggests; a code no
                // peer may send is answered 1002, as tungstenite does.
                // Nothing when our close frame went first.
                let reply = match &reason {
                    Some(reason) => {
                        let code = u16::from(reason.code);
                        let code = if close_code_allowed(code) {
                            code
                        } else {
                            close_code::PROTOCOL
                        };
                        Bytes::copy_from_slice(&code.to_be_bytes())
                    }
                    None => Bytes::new(),
                };
                let _ = self.out.write(OpCode::Close, reply);
                Inbound::Close(reason.map(|reason| {
                    let text = reason.description.unwrap_or_default();
                    CloseFrame::new(u16::from(reason.code), text)
                }))
            }
        }
    }
}

/// Whether a peer may send `code` in a close frame (RFC 6455 section 7.4).
fn close_code_allowed(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// [`FrameLimit`](crate::limit::FrameLimit)'s refusals reach us wrapped
/// twice (payload error, then protocol error): [`TooLarge`] is `TooLarge`,
/// [`InvalidCloseReason`] a violation closed with 1007. A peer's other
/// protocol violations are `Protocol`: 1007 for invalid UTF-8, 1002 otherwise.
fn transport_error(err: ProtocolError) -> TransportError {
    if let Some(code) = violation_code(&err) {
        return TransportError::Protocol {
            code,
            source: Box::new(err),
        };
    }
    let refusal = match &err {
        ProtocolError::Io(io) => io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<PayloadError>())
            .and_then(|payload| match payload {
                PayloadError::Io(io) => io.get_ref(),
                _ => None,
            }),
        _ => None,
    };
    if let Some(TooLarge { size, max }) = refusal.and_then(|inner| inner.downcast_ref()) {
        return TransportError::TooLarge {
            size: usize::try_from(*size).unwrap_or(usize::MAX),
            max: *max,
        };
    }
    if refusal.is_some_and(|inner| inner.is::<InvalidCloseReason>()) {
        return TransportError::Protocol {
            code: close_code::INVALID_DATA,
            source: Box::new(InvalidCloseReason),
        };
    }
    TransportError::Other(Box::new(err))
}

/// The close code a peer's protocol violation earns, if `err` is one.
fn violation_code(err: &ProtocolError) -> Option<u16> {
    match err {
        ProtocolError::UnmaskedFrame
        | ProtocolError::MaskedFrame
        | ProtocolError::InvalidOpcode(_)
        | ProtocolError::InvalidLength(_)
        | ProtocolError::BadOpCode
        | ProtocolError::ContinuationNotStarted
        | ProtocolError::ContinuationStarted
        | ProtocolError::ContinuationFragment(_) => Some(close_code::PROTOCOL),
        // actix-http reports reserved bits and invalid UTF-8 (text, close
        // reason) as `InvalidData` I/O errors; only their text tells them apart.
        ProtocolError::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
            if io.to_string().contains("reserved bits") {
                Some(close_code::PROTOCOL)
            } else {
                Some(close_code::INVALID_DATA)
            }
        }
        _ => None,
    }
}

fn unwritable(why: Unwritable) -> TransportError {
    match why {
        Unwritable::Gone => TransportError::Closed,
        Unwritable::Closed => TransportError::Other("a frame written after the close frame".into()),
    }
}

impl Stream for ActixTransport {
    type Item = Result<Inbound, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        Poll::Ready(match ready!(this.stream.poll_next_unpin(cx)) {
            Some(Ok(message)) => Some(Ok(this.inbound(message))),
            Some(Err(err)) => Some(Err(transport_error(err))),
            None => None,
        })
    }
}

impl Sink<Outbound> for ActixTransport {
    type Error = TransportError;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.out.poll_ready(cx).map_err(unwritable)
    }

    fn start_send(self: Pin<&mut Self>, item: Outbound) -> Result<(), Self::Error> {
        let (opcode, payload) = match item {
            Outbound::Text(frame) => (OpCode::Text, frame.into_bytes()),
            Outbound::Ping => (OpCode::Ping, Bytes::new()),
            Outbound::Close(frame) => {
                let reason = frame.reason_for_wire();
                let mut payload = Vec::with_capacity(2 + reason.len());
                payload.extend_from_slice(&frame.code.to_be_bytes());
                payload.extend_from_slice(reason.as_bytes());
                (OpCode::Close, Bytes::from(payload))
            }
        };
        self.out.write(opcode, payload).map_err(unwritable)
    }

    /// Ready once actix-http has taken every frame written (it holds at
    /// most its write buffer's worth more than what the socket accepted).
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.out.poll_taken(cx).map_err(unwritable)
    }

    /// Ends the response after the frames written. actix-http then reads
    /// and discards what the peer still sends until it closes (for the
    /// server's `client_disconnect_timeout`, 1 s by default) before closing
    /// the socket, so a peer still writing gets no reset.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.out.finish();
        match self.out.poll_taken(cx) {
            Poll::Ready(Err(Unwritable::Gone)) => Poll::Ready(Ok(())),
            other => other.map_err(unwritable),
        }
    }
}

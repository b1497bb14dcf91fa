//! [`ActixTransport`]: an actix-ws session and its aggregated message stream
//! seen as a zap-core [`Transport`](zap_core::Transport), answering the pings
//! and close frames that actix-ws leaves to its user.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use actix_web::error::PayloadError;
use actix_ws::{
    AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Message, ProtocolError,
};
use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use zap_core::{CloseFrame, Inbound, Outbound, TransportError, close_code};

use crate::limit::TooLarge;

pub(crate) struct ActixTransport {
    session: actix_ws::Session,
    stream: AggregatedMessageStream,
    /// A ping's payload still to be answered with a pong.
    pong: Option<Bytes>,
    /// The close frame owed to a peer that closed first.
    close_reply: Option<Option<CloseReason>>,
    /// Whether our close frame has been sent.
    closing: bool,
}

impl ActixTransport {
    pub(crate) fn new(session: actix_ws::Session, stream: AggregatedMessageStream) -> Self {
        ActixTransport {
            session,
            stream,
            pong: None,
            close_reply: None,
            closing: false,
        }
    }

    /// Sends the pending pong if the session can take it now; otherwise the
    /// next read tries again.
    fn answer_ping(&mut self, cx: &mut Context<'_>) {
        if self.pong.is_none() {
            return;
        }
        match self.session.poll_ready_unpin(cx) {
            Poll::Ready(Ok(())) => {
                if let Some(payload) = self.pong.take() {
                    let _ = self.session.start_send_unpin(Message::Pong(payload));
                }
            }
            // The session is gone: there is no one to answer.
            Poll::Ready(Err(_)) => self.pong = None,
            Poll::Pending => {}
        }
    }

    fn inbound(&mut self, message: AggregatedMessage, cx: &mut Context<'_>) -> Inbound {
        match message {
            AggregatedMessage::Text(text) => Inbound::Text(text.into_bytes()),
            AggregatedMessage::Binary(data) => Inbound::Binary(data.len()),
            AggregatedMessage::Ping(payload) => {
                self.pong = Some(payload);
                self.answer_ping(cx);
                Inbound::Ping
            }
            AggregatedMessage::Pong(_) => Inbound::Pong,
            AggregatedMessage::Close(reason) => {
                if !self.closing {
                    // Echo the peer's code, as RFC 6455 suggests; a code no
                    // peer may send is answered 1002, as tungstenite does.
                    self.close_reply = Some(reason.as_ref().map(|reason| {
                        let code = u16::from(reason.code);
                        CloseReason {
                            code: if close_code_allowed(code) {
                                reason.code
                            } else {
                                CloseCode::Protocol
                            },
                            description: None,
                        }
                    }));
                }
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

/// [`FrameLimit`](crate::limit::FrameLimit)'s refusal reaches us wrapped
/// twice (payload error, then protocol error): it is `TooLarge`. A peer's
/// protocol violation is `Protocol`: 1007 for invalid UTF-8, 1002 otherwise.
fn transport_error(err: ProtocolError) -> TransportError {
    if let Some(code) = violation_code(&err) {
        return TransportError::Protocol {
            code,
            source: Box::new(err),
        };
    }
    let too_large = match &err {
        ProtocolError::Io(io) => io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<PayloadError>())
            .and_then(|payload| match payload {
                PayloadError::Io(io) => io.get_ref()?.downcast_ref::<TooLarge>(),
                _ => None,
            }),
        _ => None,
    };
    match too_large {
        Some(TooLarge { size, max }) => TransportError::TooLarge {
            size: usize::try_from(*size).unwrap_or(usize::MAX),
            max: *max,
        },
        None => TransportError::Other(Box::new(err)),
    }
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

fn closed(_: actix_ws::Closed) -> TransportError {
    TransportError::Closed
}

impl Stream for ActixTransport {
    type Item = Result<Inbound, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        this.answer_ping(cx);
        Poll::Ready(match ready!(this.stream.poll_next_unpin(cx)) {
            Some(Ok(message)) => Some(Ok(this.inbound(message, cx))),
            Some(Err(err)) => Some(Err(transport_error(err))),
            None => None,
        })
    }
}

impl Sink<Outbound> for ActixTransport {
    type Error = TransportError;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.session.poll_ready_unpin(cx).map_err(closed)
    }

    fn start_send(mut self: Pin<&mut Self>, item: Outbound) -> Result<(), Self::Error> {
        let message = match item {
            Outbound::Text(frame) => Message::Text(frame.into_byte_string()),
            Outbound::Ping => Message::Ping(Bytes::new()),
            Outbound::Close(frame) => {
                self.closing = true;
                self.close_reply = None;
                Message::Close(Some(CloseReason {
                    code: frame.code.into(),
                    description: Some(frame.reason_for_wire().to_owned()),
                }))
            }
        };
        self.session.start_send_unpin(message).map_err(closed)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.session.poll_flush_unpin(cx).map_err(closed)
    }

    /// Answers a peer's close frame first, then ends the session.
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        let this = &mut *self;
        if let Some(reply) = this.close_reply.take() {
            match this.session.poll_ready_unpin(cx) {
                Poll::Pending => {
                    this.close_reply = Some(reply);
                    return Poll::Pending;
                }
                Poll::Ready(Ok(())) => {
                    this.closing = true;
                    let _ = this.session.start_send_unpin(Message::Close(reply));
                }
                Poll::Ready(Err(_)) => {}
            }
        }
        this.session.poll_close_unpin(cx).map_err(closed)
    }
}

//! [`WsTransport`]: a tokio-tungstenite socket seen as a zap-core
//! [`Transport`](zap_core::Transport), and [`transport_error`], the one
//! mapping of tungstenite's errors to the session loop's.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame as WsCloseFrame;
use tokio_tungstenite::tungstenite::{Bytes, Error as WsError, Message, Utf8Bytes};
use zap_core::{CloseFrame, Inbound, Outbound, TransportError, close_code};

/// A tokio-tungstenite WebSocket as the session loop sees it.
#[derive(Debug)]
pub struct WsTransport<S> {
    inner: WebSocketStream<S>,
}

impl<S> WsTransport<S> {
    /// Wraps an upgraded socket (configured with
    /// [`websocket_config`](crate::websocket_config)).
    pub fn new(inner: WebSocketStream<S>) -> Self {
        WsTransport { inner }
    }
}

fn inbound(message: Message) -> Option<Inbound> {
    Some(match message {
        Message::Text(text) => Inbound::Text(Bytes::from(text)),
        Message::Binary(data) => Inbound::Binary(data.len()),
        Message::Ping(_) => Inbound::Ping,
        Message::Pong(_) => Inbound::Pong,
        Message::Close(frame) => Inbound::Close(
            frame.map(|f| CloseFrame::new(u16::from(f.code), f.reason.as_str().to_owned())),
        ),
        // Raw frames are never yielded when reading.
        Message::Frame(_) => return None,
    })
}

/// What the session loop makes of a tungstenite error: an oversized
/// message is [`TransportError::TooLarge`] (closed with 1009), a peer's
/// protocol violation [`TransportError::Protocol`] (closed with 1002, or
/// 1007 for invalid UTF-8, RFC 6455 section 7.1.7), a finished connection
/// [`TransportError::Closed`].
pub fn transport_error(err: WsError) -> TransportError {
    match err {
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
            TransportError::TooLarge {
                size,
                max: max_size,
            }
        }
        WsError::ConnectionClosed | WsError::AlreadyClosed => TransportError::Closed,
        WsError::Utf8(_) => TransportError::Protocol {
            code: close_code::INVALID_DATA,
            source: Box::new(err),
        },
        WsError::Protocol(ref violation) if is_peer_violation(violation) => {
            TransportError::Protocol {
                code: close_code::PROTOCOL,
                source: Box::new(err),
            }
        }
        other => TransportError::Other(Box::new(other)),
    }
}

/// The frame-level violations a peer can commit on an open connection (not
/// handshake errors, not a peer that merely vanished).
fn is_peer_violation(violation: &ProtocolError) -> bool {
    matches!(
        violation,
        ProtocolError::NonZeroReservedBits
            | ProtocolError::UnmaskedFrameFromClient
            | ProtocolError::MaskedFrameFromServer
            | ProtocolError::FragmentedControlFrame
            | ProtocolError::ControlFrameTooBig
            | ProtocolError::UnknownControlFrameType(_)
            | ProtocolError::UnknownDataFrameType(_)
            | ProtocolError::UnexpectedContinueFrame
            | ProtocolError::ExpectedFragment(_)
            | ProtocolError::InvalidOpcode(_)
            | ProtocolError::InvalidCloseSequence
    )
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WsTransport<S> {
    type Item = Result<Inbound, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            return match Pin::new(&mut self.inner).poll_next(cx) {
                Poll::Ready(Some(Ok(message))) => match inbound(message) {
                    Some(message) => Poll::Ready(Some(Ok(message))),
                    None => continue,
                },
                // A connection that ended, cleanly or not, ends the stream.
                Poll::Ready(Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed))) => {
                    Poll::Ready(None)
                }
                Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(transport_error(err)))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            };
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Outbound> for WsTransport<S> {
    type Error = TransportError;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.inner)
            .poll_ready(cx)
            .map_err(transport_error)
    }

    fn start_send(mut self: Pin<&mut Self>, item: Outbound) -> Result<(), Self::Error> {
        let message = match item {
            Outbound::Text(frame) => {
                let text = Utf8Bytes::try_from(frame.into_bytes())
                    .map_err(|err| TransportError::Other(Box::new(err)))?;
                Message::Text(text)
            }
            Outbound::Ping => Message::Ping(Bytes::new()),
            Outbound::Close(frame) => Message::Close(Some(WsCloseFrame {
                code: frame.code.into(),
                reason: Utf8Bytes::from(frame.reason_for_wire()),
            })),
        };
        Pin::new(&mut self.inner)
            .start_send(message)
            .map_err(transport_error)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.inner)
            .poll_flush(cx)
            .map_err(transport_error)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.inner)
            .poll_close(cx)
            .map_err(transport_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_closes_with_1007_and_a_reserved_bit_with_1002() {
        let utf8 = transport_error(WsError::Utf8("bad".into()));
        assert!(matches!(utf8, TransportError::Protocol { code: 1007, .. }));
        let rsv = transport_error(WsError::Protocol(ProtocolError::NonZeroReservedBits));
        assert!(matches!(rsv, TransportError::Protocol { code: 1002, .. }));
    }

    #[test]
    fn a_peer_that_vanished_is_no_protocol_violation() {
        let reset = transport_error(WsError::Protocol(
            ProtocolError::ResetWithoutClosingHandshake,
        ));
        assert!(matches!(reset, TransportError::Other(_)));
    }
}

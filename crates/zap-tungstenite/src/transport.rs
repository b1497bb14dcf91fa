//! [`WsTransport`]: a tokio-tungstenite socket seen as a zap-core
//! [`Transport`](zap_core::Transport), and [`transport_error`], the one
//! mapping of tungstenite's errors to the session loop's.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_util::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame as WsCloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame as WsFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Bytes, Error as WsError, Message, Utf8Bytes};
use zap_core::{CloseFrame, Inbound, Outbound, Text, TransportError, close_code};

use crate::pooled::{Pooled, TUNGSTENITE_READ};

/// Asks a socket whether a read may find bytes: `Ready` when it may (or
/// when it cannot tell), `Pending` with `cx` registered when it is known to
/// be empty. For a `TcpStream`: `|s, cx| s.poll_read_ready(cx).map(|_| ())`.
/// It may read ahead (a socket of unknown type can only be asked that
/// way), provided the bytes it took are read first afterwards.
pub type ReadGate<S> = fn(&mut S, &mut Context<'_>) -> Poll<()>;

/// Bytes read at a time when discarding what a closing peer still sends.
const DRAIN_CHUNK: usize = 2048;

/// Most bytes discarded when closing, in messages of the largest size
/// allowed (the rest of a refused oversized frame is less than two), and
/// at least [`DRAIN_MIN`]: a peer that sends more is reset.
const DRAIN_MESSAGES: usize = 4;

/// The least bytes discarded when closing, whatever the message size limit.
const DRAIN_MIN: usize = 1 << 20;

/// A tokio-tungstenite WebSocket as the session loop sees it.
///
/// tungstenite zero-fills the free part of its read buffer before every
/// read, including reads that find nothing; every write wake-up of a
/// connection polls its read side too. Measured with callgrind, that
/// `memset` plus an `EAGAIN` `recvfrom` were about a third of a fan-out
/// delivery's instructions. With a [`ReadGate`], once a read has come back
/// empty the transport waits for the socket to become readable before
/// reading again.
#[derive(Debug)]
pub struct WsTransport<S> {
    inner: WebSocketStream<S>,
    gate: Option<ReadGate<S>>,
    /// The last read found the socket empty: ask the gate before reading.
    drained: bool,
    /// How far closing has gone (see [`Sink::poll_close`]).
    close: Closing,
    /// Bytes that may still be discarded while closing.
    drain_left: u32,
}

/// The steps of closing, after the close frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closing {
    /// Not closing; or the peer's close frame has not arrived.
    Open,
    /// The peer's close frame arrived: it has nothing more to send.
    PeerClosed,
    /// Our side is shut down (FIN sent): reading and discarding what the
    /// peer still sends, until it closes.
    DrainingToEnd,
    /// Our side is shut down and the close handshake is complete: reading
    /// and discarding only what is already waiting.
    DrainingWaiting,
    /// Done: every byte the peer sent was read.
    Done,
}

impl<S> WsTransport<S> {
    /// Wraps an upgraded socket (configured with
    /// [`websocket_config`](crate::websocket_config)); every poll reads.
    pub fn new(inner: WebSocketStream<S>) -> Self {
        WsTransport {
            inner,
            gate: None,
            drained: false,
            close: Closing::Open,
            drain_left: 0,
        }
    }

    /// Wraps an upgraded socket whose readiness `gate` can tell: a read
    /// that found nothing is not retried until the gate says so.
    /// `buffered` says whether bytes were read past the upgrade request
    /// (tungstenite holds them, so it is read before the socket is asked).
    pub fn with_read_gate(inner: WebSocketStream<S>, gate: ReadGate<S>, buffered: bool) -> Self {
        WsTransport {
            inner,
            gate: Some(gate),
            drained: !buffered,
            close: Closing::Open,
            drain_left: 0,
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsTransport<Pooled<S>> {
    /// The server's side of a connection whose upgrade was just answered
    /// `101`, configured with `config`
    /// ([`websocket_config`](crate::websocket_config)), `leftover` being the
    /// bytes read past the upgrade request. `readiness` tells whether `io`
    /// may have bytes to read (for a `TcpStream`:
    /// `|s, cx| s.poll_read_ready(cx).map(|_| ())`); without it, readiness
    /// is asked by reading ahead.
    ///
    /// An idle connection made this way holds no read buffer of its own:
    /// the socket is read `config.read_buffer_size` bytes at a time into a
    /// chunk borrowed from a per-thread pool while bytes are waiting (see
    /// [`Pooled`]), and tungstenite keeps only a small buffer. A read that
    /// found nothing is not retried until the socket is readable again.
    ///
    /// ```no_run
    /// # async fn demo(tcp: tokio::net::TcpStream) {
    /// use zap_core::ConnectionConfig;
    /// use zap_tungstenite::WsTransport;
    ///
    /// // After reading the upgrade request and answering it `101`:
    /// let config = zap_tungstenite::websocket_config(&ConnectionConfig::default());
    /// let transport = WsTransport::server(
    ///     tcp,
    ///     Vec::new(),
    ///     config,
    ///     Some(|tcp: &mut tokio::net::TcpStream, cx| tcp.poll_read_ready(cx).map(|_| ())),
    /// )
    /// .await;
    /// # drop(transport);
    /// # }
    /// ```
    pub async fn server(
        io: S,
        leftover: Vec<u8>,
        config: WebSocketConfig,
        readiness: Option<ReadGate<S>>,
    ) -> Self {
        let io = Pooled::new(io, leftover, config.read_buffer_size, readiness);
        let config = config.read_buffer_size(TUNGSTENITE_READ);
        let socket = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
        WsTransport::with_read_gate(socket, Pooled::poll_gate, false)
    }
}

fn inbound(message: Message) -> Option<Inbound> {
    Some(match message {
        Message::Text(text) => Inbound::Text(Text::from(text)),
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
        if self.drained {
            if let Some(gate) = self.gate {
                ready!(gate(self.inner.get_mut(), cx));
            }
            self.drained = false;
        }
        loop {
            return match Pin::new(&mut self.inner).poll_next(cx) {
                Poll::Ready(Some(Ok(message))) => match inbound(message) {
                    Some(message) => {
                        if matches!(message, Inbound::Close(_)) && self.close == Closing::Open {
                            self.close = Closing::PeerClosed;
                        }
                        Poll::Ready(Some(Ok(message)))
                    }
                    None => continue,
                },
                // A connection that ended, cleanly or not, ends the stream.
                Poll::Ready(Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed))) => {
                    Poll::Ready(None)
                }
                Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(transport_error(err)))),
                Poll::Ready(None) => Poll::Ready(None),
                // tungstenite only waits when a read found nothing.
                Poll::Pending => {
                    self.drained = self.gate.is_some();
                    Poll::Pending
                }
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
            // A frame we encoded is UTF-8 already: written as a raw text
            // frame, so tungstenite does not validate it a second time.
            Outbound::Text(frame) => Message::Frame(WsFrame::message(
                frame.into_bytes(),
                OpCode::Data(Data::Text),
                true,
            )),
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

    /// Sends our close frame (unless one was sent) and flushes, shuts our
    /// side of the socket down, then reads and discards what the peer still
    /// sends: until it closes its side when the close handshake did not
    /// complete (it may still be writing, say the rest of a frame too large
    /// to read), or only what is already waiting when it did; at most four
    /// messages of the largest size allowed (or 1 MiB) in all.
    ///
    /// Closing a TCP socket with unread bytes makes the kernel answer with a
    /// reset instead of a FIN, and a reset makes the peer's kernel discard
    /// what it has not yet handed to the peer, our close frame included: the
    /// peer would see "connection reset" instead of, say, 1009. The caller
    /// bounds how long this may wait (the session loop's close timeout).
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        loop {
            match self.close {
                Closing::Open | Closing::PeerClosed => {
                    ready!(Pin::new(&mut self.inner).poll_close(cx)).map_err(transport_error)?;
                    // A peer whose close frame was read may still have sent
                    // something after it, which is read below, but waiting for
                    // more would only keep a finished connection open.
                    let draining = if self.close == Closing::Open {
                        Closing::DrainingToEnd
                    } else {
                        Closing::DrainingWaiting
                    };
                    let max = self.inner.get_config().max_message_size;
                    let left = max
                        .unwrap_or(0)
                        .saturating_mul(DRAIN_MESSAGES)
                        .max(DRAIN_MIN);
                    self.drain_left = u32::try_from(left).unwrap_or(u32::MAX);
                    let socket = Pin::new(self.inner.get_mut());
                    if let Err(err) = ready!(socket.poll_shutdown(cx)) {
                        tracing::debug!(%err, "shutting down the WebSocket's socket failed");
                        self.close = Closing::Done;
                    } else {
                        self.close = draining;
                    }
                }
                Closing::DrainingToEnd | Closing::DrainingWaiting => {
                    let mut scratch = [0u8; DRAIN_CHUNK];
                    let mut buf = ReadBuf::new(&mut scratch);
                    let left = self.drain_left as usize;
                    match Pin::new(self.inner.get_mut()).poll_read(cx, &mut buf) {
                        Poll::Ready(Ok(())) if (1..left).contains(&buf.filled().len()) => {
                            // Less than `left`, a u32.
                            self.drain_left -= buf.filled().len() as u32;
                        }
                        Poll::Pending if self.close == Closing::DrainingToEnd => {
                            return Poll::Pending;
                        }
                        // End of stream, an error, (handshake complete)
                        // nothing more waiting, or a peer that sends too
                        // much: it gets the reset it asked for.
                        _ => self.close = Closing::Done,
                    }
                }
                Closing::Done => return Poll::Ready(Ok(())),
            }
        }
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

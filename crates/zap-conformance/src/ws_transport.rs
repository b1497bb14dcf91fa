//! [`WsTransport`]: a tokio-tungstenite socket seen as a zap-core [`Transport`](zap_core::Transport), for the in-memory integration (the same mapping as zap-server's).

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::CapacityError;
use tokio_tungstenite::tungstenite::protocol::CloseFrame as WsCloseFrame;
use tokio_tungstenite::tungstenite::{Bytes, Error as WsError, Message, Utf8Bytes};
use zap_core::{CloseFrame, Inbound, Outbound, TransportError};

/// Maps tungstenite messages to and from the session loop's types.
pub(crate) struct WsTransport<S> {
    inner: WebSocketStream<S>,
}

impl<S> WsTransport<S> {
    pub(crate) fn new(inner: WebSocketStream<S>) -> Self {
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

fn transport_error(err: WsError) -> TransportError {
    match err {
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
            TransportError::TooLarge {
                size,
                max: max_size,
            }
        }
        WsError::ConnectionClosed | WsError::AlreadyClosed => TransportError::Closed,
        other => TransportError::Other(Box::new(other)),
    }
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

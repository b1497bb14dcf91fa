//! [`WarpTransport`]: warp's WebSocket seen as a zap-core
//! [`Transport`](zap_core::Transport).

use std::error::Error as _;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tungstenite::error::{CapacityError, Error as WsError};
use warp::filters::ws::{Message, WebSocket};
use zap_core::{CloseFrame, Inbound, Outbound, TransportError};

/// Maps warp's messages and errors to and from the session loop's types.
pub(crate) struct WarpTransport(WebSocket);

impl WarpTransport {
    pub(crate) fn new(socket: WebSocket) -> Self {
        WarpTransport(socket)
    }
}

/// warp's `Message` is opaque: it is read through its predicates.
fn inbound(message: Message) -> Inbound {
    if message.is_text() {
        Inbound::Text(message.into_bytes())
    } else if message.is_binary() {
        Inbound::Binary(message.as_bytes().len())
    } else if message.is_ping() {
        Inbound::Ping
    } else if message.is_pong() {
        Inbound::Pong
    } else {
        let frame = message.close_frame();
        Inbound::Close(frame.map(|(code, reason)| CloseFrame::new(code, reason.to_owned())))
    }
}

fn message(outbound: Outbound) -> Message {
    match outbound {
        // warp builds text messages from a `String` only: one copy.
        Outbound::Text(frame) => Message::text(frame.as_str()),
        Outbound::Ping => Message::ping(Vec::new()),
        Outbound::Close(frame) => {
            Message::close_with(frame.code, frame.reason_for_wire().to_owned())
        }
    }
}

/// warp wraps tungstenite's error: an oversized message is `TooLarge`.
fn transport_error(err: warp::Error) -> TransportError {
    match err
        .source()
        .and_then(|source| source.downcast_ref::<WsError>())
    {
        Some(WsError::Capacity(CapacityError::MessageTooLong { size, max_size })) => {
            TransportError::TooLarge {
                size: *size,
                max: *max_size,
            }
        }
        Some(WsError::ConnectionClosed | WsError::AlreadyClosed) => TransportError::Closed,
        _ => TransportError::Other(Box::new(err)),
    }
}

impl Stream for WarpTransport {
    type Item = Result<Inbound, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0
            .poll_next_unpin(cx)
            .map(|next| next.map(|received| received.map(inbound).map_err(transport_error)))
    }
}

impl Sink<Outbound> for WarpTransport {
    type Error = TransportError;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready_unpin(cx).map_err(transport_error)
    }

    fn start_send(mut self: Pin<&mut Self>, item: Outbound) -> Result<(), Self::Error> {
        self.0
            .start_send_unpin(message(item))
            .map_err(transport_error)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_flush_unpin(cx).map_err(transport_error)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_close_unpin(cx).map_err(transport_error)
    }
}

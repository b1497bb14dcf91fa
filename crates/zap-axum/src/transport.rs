//! [`AxumTransport`]: axum's WebSocket seen as a zap-core
//! [`Transport`](zap_core::Transport).

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::ws::{CloseFrame as WsCloseFrame, Message, Utf8Bytes, WebSocket};
use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tungstenite::error::{CapacityError, Error as WsError};
use zap_core::{CloseFrame, Inbound, Outbound, TransportError};

/// Maps axum's messages and errors to and from the session loop's types.
pub(crate) struct AxumTransport(WebSocket);

impl AxumTransport {
    pub(crate) fn new(socket: WebSocket) -> Self {
        AxumTransport(socket)
    }
}

fn inbound(message: Message) -> Inbound {
    match message {
        Message::Text(text) => Inbound::Text(Bytes::from(text)),
        Message::Binary(data) => Inbound::Binary(data.len()),
        Message::Ping(_) => Inbound::Ping,
        Message::Pong(_) => Inbound::Pong,
        Message::Close(frame) => Inbound::Close(
            frame.map(|frame| CloseFrame::new(frame.code, frame.reason.as_str().to_owned())),
        ),
    }
}

fn message(outbound: Outbound) -> Result<Message, TransportError> {
    Ok(match outbound {
        Outbound::Text(frame) => Message::Text(
            Utf8Bytes::try_from(frame.into_bytes())
                .map_err(|err| TransportError::Other(Box::new(err)))?,
        ),
        Outbound::Ping => Message::Ping(Bytes::new()),
        Outbound::Close(frame) => Message::Close(Some(WsCloseFrame {
            code: frame.code,
            reason: Utf8Bytes::from(frame.reason_for_wire()),
        })),
    })
}

/// axum wraps tungstenite's error: an oversized message is `TooLarge`.
fn transport_error(err: axum::Error) -> TransportError {
    let err = err.into_inner();
    match err.downcast_ref::<WsError>() {
        Some(WsError::Capacity(CapacityError::MessageTooLong { size, max_size })) => {
            TransportError::TooLarge {
                size: *size,
                max: *max_size,
            }
        }
        Some(WsError::ConnectionClosed | WsError::AlreadyClosed) => TransportError::Closed,
        _ => TransportError::Other(err),
    }
}

impl Stream for AxumTransport {
    type Item = Result<Inbound, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0
            .poll_next_unpin(cx)
            .map(|next| next.map(|received| received.map(inbound).map_err(transport_error)))
    }
}

impl Sink<Outbound> for AxumTransport {
    type Error = TransportError;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready_unpin(cx).map_err(transport_error)
    }

    fn start_send(mut self: Pin<&mut Self>, item: Outbound) -> Result<(), Self::Error> {
        self.0
            .start_send_unpin(message(item)?)
            .map_err(transport_error)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_flush_unpin(cx).map_err(transport_error)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_close_unpin(cx).map_err(transport_error)
    }
}

//! [`Farewell`]: the writing half of a session's socket, which says goodbye
//! when the session is dropped mid-way instead of ending on its own.
//!
//! A program that returns from `main` without `disconnect()` drops the
//! client, then the runtime drops the connection task before it runs
//! again: the socket would close without a close frame, and a server that
//! offers recovery would keep the session parked for its whole window
//! (`disconnected` about two minutes later). Dropped while armed, the
//! guard writes a close frame (1000) without waiting: one attempt with a
//! no-op waker, so a socket that does not take the bytes at once is simply
//! dropped, as before. A session that ends by itself (closed, stopped, or
//! lost: a lost link must stay resumable) disarms it first.

use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures_util::Sink;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// The sink, and whether dropping it should write a close frame.
#[derive(Debug)]
pub(crate) struct Farewell<S>
where
    S: Sink<Message, Error = WsError> + Unpin,
{
    pub(crate) sink: S,
    armed: bool,
}

impl<S> Farewell<S>
where
    S: Sink<Message, Error = WsError> + Unpin,
{
    /// Armed: dropped now, it writes a close frame.
    pub(crate) fn new(sink: S) -> Self {
        Farewell { sink, armed: true }
    }

    /// The session ended by itself: dropping writes nothing more.
    pub(crate) fn disarm(&mut self) {
        self.armed = false;
    }
}

impl<S> Drop for Farewell<S>
where
    S: Sink<Message, Error = WsError> + Unpin,
{
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut cx = Context::from_waker(Waker::noop());
        let mut sink = Pin::new(&mut self.sink);
        if let Poll::Ready(Ok(())) = sink.as_mut().poll_ready(&mut cx) {
            let close = Message::Close(Some(CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            }));
            // A close already under way refuses a second one: its bytes
            // still go out with the flush below.
            let _second_close = sink.as_mut().start_send(close);
        }
        match sink.as_mut().poll_flush(&mut cx) {
            Poll::Ready(Ok(())) => tracing::debug!("dropped mid-session: close frame written"),
            Poll::Ready(Err(error)) => {
                tracing::debug!(%error, "dropped mid-session: no close frame");
            }
            Poll::Pending => {
                tracing::debug!("dropped mid-session: the socket is busy, no close frame")
            }
        }
    }
}

//! The in-memory link between a [`TestClient`](crate::TestClient) and the
//! session loop: channels in place of a socket, with the replies a real
//! WebSocket peer library sends by itself (pong to a ping, close to a close).

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{Sink, Stream};
use tokio::sync::{mpsc, oneshot};
use zap_core::{Inbound, Outbound, TransportError};

/// The server's end of a link, handed to the session loop as its
/// [`Transport`](zap_core::Transport).
#[derive(Debug)]
pub(crate) struct MemoryTransport {
    inbound: mpsc::UnboundedReceiver<Inbound>,
    outbound: mpsc::UnboundedSender<Outbound>,
    /// What the peer's WebSocket library answers by itself, read first.
    replies: VecDeque<Inbound>,
    answer_pings: bool,
    /// Fired on the first read: `connected` has run and the loop has started.
    reading: Option<oneshot::Sender<()>>,
}

/// The client's end of a link.
#[derive(Debug)]
pub(crate) struct PeerEnd {
    pub(crate) to_server: mpsc::UnboundedSender<Inbound>,
    pub(crate) from_server: mpsc::UnboundedReceiver<Outbound>,
    pub(crate) reading: oneshot::Receiver<()>,
}

/// A new link; with `answer_pings` false the peer never answers pings (a
/// peer gone silent).
pub(crate) fn link(answer_pings: bool) -> (MemoryTransport, PeerEnd) {
    let (to_server, inbound) = mpsc::unbounded_channel();
    let (outbound, from_server) = mpsc::unbounded_channel();
    let (started, reading) = oneshot::channel();
    let transport = MemoryTransport {
        inbound,
        outbound,
        replies: VecDeque::new(),
        answer_pings,
        reading: Some(started),
    };
    let peer = PeerEnd {
        to_server,
        from_server,
        reading,
    };
    (transport, peer)
}

impl Stream for MemoryTransport {
    type Item = Result<Inbound, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(started) = self.reading.take() {
            let _ = started.send(());
        }
        if let Some(reply) = self.replies.pop_front() {
            return Poll::Ready(Some(Ok(reply)));
        }
        self.inbound.poll_recv(cx).map(|next| next.map(Ok))
    }
}

impl Sink<Outbound> for MemoryTransport {
    type Error = TransportError;

    fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn start_send(mut self: Pin<&mut Self>, item: Outbound) -> Result<(), Self::Error> {
        match &item {
            Outbound::Ping if self.answer_pings => self.replies.push_back(Inbound::Pong),
            Outbound::Close(frame) => {
                let echo = Inbound::Close(Some(frame.clone()));
                self.replies.push_back(echo);
            }
            _ => {}
        }
        self.outbound.send(item).map_err(|_| TransportError::Closed)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }
}

//! [`StateStream`]: the connection's state changes, as a stream.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::sync::broadcast;

use crate::ConnectionState;
use crate::relay::{Relay, relay};

/// Every change of the connection's state from the moment the stream was
/// made, in order (read `current_state()` for the state before it). Ends
/// after `clean()` or when the client is dropped.
///
/// Made by `ZapSubscriber::connection_state`. The buffer holds 64 changes;
/// a stream that is not read loses the oldest ones.
///
/// ```no_run
/// use futures_util::StreamExt;
/// use zap_client::ConnectionState;
/// # async fn run(client: zap_client::ZapSubscriber) {
/// let mut states = client.connection_state();
/// while let Some(state) = states.next().await {
///     if state == ConnectionState::Online {
///         client.send_event("join", "lobby").ok();
///     }
/// }
/// # }
/// ```
pub struct StateStream {
    states: Relay<ConnectionState>,
}

impl StateStream {
    pub(crate) fn new(rx: Option<broadcast::Receiver<ConnectionState>>) -> Self {
        StateStream {
            states: relay(rx, Arc::new(AtomicU64::new(0)), "state stream"),
        }
    }
}

impl Stream for StateStream {
    type Item = ConnectionState;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ConnectionState>> {
        self.get_mut().states.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for StateStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateStream").finish_non_exhaustive()
    }
}

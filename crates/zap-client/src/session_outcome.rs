//! [`SessionOutcome`]: how each connection's session began, when the server
//! offers recovery; and [`SessionStream`], the stream of them.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::sync::broadcast;

use crate::relay::{Relay, relay};

/// How the session of a connection began, as the server's `zap.session`
/// event said. Announced once per connection to a server that offers
/// recovery (nothing is announced against a plain v1 server).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionOutcome {
    /// A fresh session: nothing of an earlier one was kept.
    New {
        /// The connection id the server gave.
        id: String,
        /// Why it is new.
        reason: NewReason,
        /// Events sent in the earlier session that the server never
        /// acknowledged: they may or may not have been handled, and are not
        /// sent again (also reported as
        /// [`ConnectionError::NotDelivered`](crate::ConnectionError::NotDelivered)).
        undelivered: usize,
    },
    /// The session resumed completely: every event missed meanwhile follows,
    /// in order, before any new one.
    Recovered {
        /// The connection id (the same as before the reconnect).
        id: String,
    },
    /// The session resumed, but some events are lost for good (also
    /// reported as [`ConnectionError::Gaps`](crate::ConnectionError::Gaps)):
    /// reload those rooms' state from the application.
    Gaps {
        /// The connection id (the same as before the reconnect).
        id: String,
        /// The rooms whose history no longer reaches the last event
        /// received, or whose history restarted (a new epoch).
        rooms: Vec<String>,
        /// Whether direct events (sent to this connection alone) were lost.
        direct: bool,
    },
}

impl SessionOutcome {
    /// The connection id the server gave.
    pub fn id(&self) -> &str {
        match self {
            SessionOutcome::New { id, .. }
            | SessionOutcome::Recovered { id }
            | SessionOutcome::Gaps { id, .. } => id,
        }
    }

    /// Whether an earlier session was resumed (with or without gaps).
    pub fn is_resumed(&self) -> bool {
        !matches!(self, SessionOutcome::New { .. })
    }
}

/// Why a session is new.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NewReason {
    /// The client had no session to resume (first connection, or after
    /// `disconnect()`).
    First,
    /// The server does not know the session (another server without shared
    /// sessions, or a restarted one).
    Unknown,
    /// The session's window expired before the client came back.
    Expired,
}

impl fmt::Display for NewReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NewReason::First => "first",
            NewReason::Unknown => "unknown",
            NewReason::Expired => "expired",
        })
    }
}

/// The latest [`SessionOutcome`] (if a session began already), then every
/// later one, in order: a stream made after `connect()` still sees how
/// the current session began. Ends after `clean()` or when the client is
/// dropped. Holds 64; a stream that is not read loses the oldest.
///
/// Made by `ZapSubscriber::sessions`.
///
/// ```no_run
/// use futures_util::StreamExt;
/// use zap_client::SessionOutcome;
/// # async fn run(client: zap_client::ZapSubscriber) {
/// let mut sessions = client.sessions();
/// while let Some(outcome) = sessions.next().await {
///     if let SessionOutcome::Gaps { rooms, .. } = outcome {
///         println!("reload {rooms:?} from the database");
///     }
/// }
/// # }
/// ```
pub struct SessionStream {
    latest: Option<SessionOutcome>,
    outcomes: Relay<SessionOutcome>,
}

impl SessionStream {
    pub(crate) fn new(
        latest: Option<SessionOutcome>,
        rx: Option<broadcast::Receiver<SessionOutcome>>,
    ) -> Self {
        SessionStream {
            latest,
            outcomes: relay(rx, Arc::new(AtomicU64::new(0)), "session stream"),
        }
    }
}

impl Stream for SessionStream {
    type Item = SessionOutcome;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SessionOutcome>> {
        let this = self.get_mut();
        if let Some(latest) = this.latest.take() {
            return Poll::Ready(Some(latest));
        }
        this.outcomes.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for SessionStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionStream").finish_non_exhaustive()
    }
}

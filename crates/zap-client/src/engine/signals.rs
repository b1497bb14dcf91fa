//! [`Signals`]: the current state, and the broadcasts of state changes,
//! errors and session outcomes.

use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::broadcast;

use crate::{
    ConnectionError, ConnectionState, ErrorStream, SessionOutcome, SessionStream, StateStream,
};

/// How many state changes, errors or outcomes a lagging stream may hold.
const CAPACITY: usize = 64;

/// The state and the three notice channels. Closing drops the senders, which
/// ends every stream made from them.
#[derive(Debug)]
pub(crate) struct Signals {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    state: ConnectionState,
    states: Option<broadcast::Sender<ConnectionState>>,
    errors: Option<broadcast::Sender<ConnectionError>>,
    sessions: Option<broadcast::Sender<SessionOutcome>>,
    /// The last outcome announced: a stream made later starts with it.
    latest_session: Option<SessionOutcome>,
}

impl Signals {
    pub(crate) fn new() -> Self {
        Signals {
            inner: Mutex::new(Inner {
                state: ConnectionState::Offline,
                states: Some(broadcast::channel(CAPACITY).0),
                errors: Some(broadcast::channel(CAPACITY).0),
                sessions: Some(broadcast::channel(CAPACITY).0),
                latest_session: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn state(&self) -> ConnectionState {
        self.lock().state
    }

    /// Records and announces `state`, unless it is already the current one.
    pub(crate) fn set_state(&self, state: ConnectionState) {
        let mut inner = self.lock();
        if inner.state == state {
            return;
        }
        tracing::debug!(from = %inner.state, to = %state, "connection state");
        inner.state = state;
        if let Some(tx) = &inner.states {
            let _no_listener = tx.send(state);
        }
    }

    /// Logs and announces a problem.
    pub(crate) fn report(&self, error: ConnectionError) {
        tracing::warn!(%error, "zap-client");
        if let Some(tx) = &self.lock().errors {
            let _no_listener = tx.send(error);
        }
    }

    /// Logs, keeps and announces how a session began.
    pub(crate) fn announce(&self, outcome: SessionOutcome) {
        tracing::debug!(?outcome, "session");
        let mut inner = self.lock();
        inner.latest_session = Some(outcome.clone());
        if let Some(tx) = &inner.sessions {
            let _no_listener = tx.send(outcome);
        }
    }

    /// The latest outcome, if any, then every later one: subscribed under
    /// the same lock as `announce`, so none is missed or seen twice.
    pub(crate) fn sessions(&self) -> SessionStream {
        let inner = self.lock();
        let rx = inner.sessions.as_ref().map(broadcast::Sender::subscribe);
        let latest = rx.as_ref().and(inner.latest_session.clone());
        SessionStream::new(latest, rx)
    }

    pub(crate) fn states(&self) -> StateStream {
        StateStream::new(
            self.lock()
                .states
                .as_ref()
                .map(broadcast::Sender::subscribe),
        )
    }

    pub(crate) fn errors(&self) -> ErrorStream {
        ErrorStream::new(
            self.lock()
                .errors
                .as_ref()
                .map(broadcast::Sender::subscribe),
        )
    }

    /// Ends every state, error and session stream, for good.
    pub(crate) fn close(&self) {
        let mut inner = self.lock();
        inner.states = None;
        inner.errors = None;
        inner.sessions = None;
    }
}

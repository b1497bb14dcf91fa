//! [`Signals`]: the current state, and the broadcasts of state changes and errors.

use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::broadcast;

use crate::{ConnectionError, ConnectionState, ErrorStream, StateStream};

/// How many state changes or errors a lagging stream may hold.
const CAPACITY: usize = 64;

/// The state and the two notice channels. Closing drops the senders, which
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
}

impl Signals {
    pub(crate) fn new() -> Self {
        Signals {
            inner: Mutex::new(Inner {
                state: ConnectionState::Offline,
                states: Some(broadcast::channel(CAPACITY).0),
                errors: Some(broadcast::channel(CAPACITY).0),
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

    /// Ends every state and error stream, for good.
    pub(crate) fn close(&self) {
        let mut inner = self.lock();
        inner.states = None;
        inner.errors = None;
    }
}

//! [`Control`]: which supervisor runs the connection, and how to stop it.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::clock::after;
use crate::ConnectError;

/// Where the current (or last) connection effort stands, as `connect()`
/// callers wait for it.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Attempts are under way.
    Pending,
    /// Online.
    Online,
    /// The supervisor gave up with this error, or was stopped (`Aborted`).
    Failed(ConnectError),
    /// The supervisor ended with its connection, after `online_for` online,
    /// making no further attempt (no automatic reconnection).
    Ended {
        /// How long the connection was online.
        online_for: Duration,
    },
}

/// At most one supervisor task runs per client.
#[derive(Debug, Default)]
pub(crate) struct Control {
    inner: Mutex<ControlState>,
    /// Serializes starting and stopping, so a `connect()` that follows a
    /// `disconnect()` starts only once the old connection is closed.
    pub(crate) lifecycle: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
pub(crate) struct ControlState {
    pub(crate) cleaned: bool,
    pub(crate) generation: u64,
    pub(crate) running: Option<Running>,
}

/// The handle on a running supervisor.
#[derive(Debug)]
pub(crate) struct Running {
    pub(crate) generation: u64,
    /// Set to the instant by which the connection must be closed, to stop;
    /// dropping it stops too.
    pub(crate) stop: watch::Sender<Option<Instant>>,
    /// Cuts a backoff wait short (a `connect()` call during reconnection);
    /// `notify_one`, so a call made while dialing still cuts the next wait.
    pub(crate) kick: Arc<Notify>,
    pub(crate) outcome: watch::Receiver<Outcome>,
    pub(crate) task: JoinHandle<()>,
}

impl Control {
    pub(crate) fn lock(&self) -> MutexGuard<'_, ControlState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks the running supervisor, if any, to stop within `close_timeout`,
    /// without waiting.
    pub(crate) fn abandon(&self, close_timeout: Duration) {
        if let Some(running) = self.lock().running.take() {
            let _already_stopped = running.stop.send(Some(after(close_timeout)));
        }
    }
}

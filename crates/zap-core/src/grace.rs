//! The shutdown grace period: how long handlers still running at shutdown
//! may take before they are aborted
//! ([`ConnectionConfig::shutdown_grace`](crate::ConnectionConfig::shutdown_grace)).

use std::time::Duration;

use std::pin::Pin;

use tokio::time::Sleep;
use tokio_util::sync::CancellationToken;

use crate::ConnectionId;

/// Completes `grace` after `shutdown` is cancelled (measured from when this
/// future is first polled if it already was).
pub(crate) async fn after_shutdown(shutdown: &CancellationToken, grace: Duration) {
    shutdown.cancelled().await;
    tokio::time::sleep(grace).await;
}

/// The grace of a session that saw the shutdown: boxed, so that sessions
/// that never see one do not carry a timer.
pub(crate) struct Timer(Pin<Box<Sleep>>);

impl Timer {
    /// A grace that ends `grace` from now.
    pub(crate) fn start(grace: Duration) -> Self {
        Timer(Box::pin(tokio::time::sleep(grace)))
    }

    /// Completes when the grace is over (never without one).
    pub(crate) async fn over(timer: &mut Option<Timer>) {
        match timer {
            Some(Timer(sleep)) => sleep.as_mut().await,
            None => std::future::pending().await,
        }
    }
}

/// Records that a handler of `id` was aborted at the end of the grace.
pub(crate) fn aborted(id: &ConnectionId) {
    crate::telemetry::handler_failed("aborted");
    tracing::warn!(%id, "handler still running after the shutdown grace period: aborted");
}

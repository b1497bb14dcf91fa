//! The shutdown grace period: how long handlers still running at shutdown
//! may take before they are aborted
//! ([`ConnectionConfig::shutdown_grace`](crate::ConnectionConfig::shutdown_grace)).

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::ConnectionId;

/// Completes `grace` after `shutdown` is cancelled (measured from when this
/// future is first polled if it already was).
pub(crate) async fn after_shutdown(shutdown: &CancellationToken, grace: Duration) {
    shutdown.cancelled().await;
    tokio::time::sleep(grace).await;
}

/// Completes at `deadline` when the grace already started, else `grace`
/// after `shutdown` is cancelled.
pub(crate) async fn over(shutdown: &CancellationToken, deadline: Option<Instant>, grace: Duration) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => after_shutdown(shutdown, grace).await,
    }
}

/// Records that a handler of `id` was aborted at the end of the grace.
pub(crate) fn aborted(id: &ConnectionId) {
    crate::telemetry::handler_failed("aborted");
    tracing::warn!(%id, "handler still running after the shutdown grace period: aborted");
}

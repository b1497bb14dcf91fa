//! The accept loop: survives accept errors (EMFILE and the like), logs them,
//! and spawns one tracked task per socket.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::shared::Shared;
use crate::upgrade::serve_socket;

/// How long to wait after an error such as EMFILE before accepting again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Errors that concern one incoming connection only, not the listener.
fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.cancelled() => break,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) if is_connection_error(&err) => continue,
            Err(err) => {
                tracing::error!(%err, "accept failed; retrying");
                tokio::select! {
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                    () = shutdown.cancelled() => break,
                }
            }
        };
        let _ = tcp.set_nodelay(true);
        let shared = shared.clone();
        let shutdown = shutdown.clone();
        #[cfg(feature = "tls")]
        if let Some(acceptor) = shared.tls.clone() {
            tracker.spawn(async move {
                let timeout = shared.handshake_timeout;
                match tokio::time::timeout(timeout, acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => serve_socket(tls, peer, shared, shutdown).await,
                    Ok(Err(err)) => tracing::debug!(%peer, %err, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                }
            });
            continue;
        }
        tracker.spawn(serve_socket(tcp, peer, shared, shutdown));
    }
    tracing::debug!("accept loop stopped");
}

//! [`ZapServer`]: the handle of a running server.

use std::future::Future;
use std::net::SocketAddr;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use zap_core::{ConnectionRouter, Endpoint};

use crate::ZapServerBuilder;

/// A running zaptools server (the Dart `ZapServer`).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use zap_core::EventRegister;
/// use zap_server::ZapServer;
///
/// let register = EventRegister::new().on_event("hello", |ctx| async move {
///     ctx.connection().send("hello", "HELLO FROM SERVER !!!")?;
///     Ok(())
/// });
/// let server = ZapServer::builder().port(8000).register(register).start().await?;
/// println!("listening on {}", server.url());
/// server.run_until(tokio::signal::ctrl_c()).await;
/// # Ok(()) }
/// ```
///
/// Dropping the handle leaves the server running; call
/// [`shutdown`](Self::shutdown) to stop it.
#[derive(Debug)]
pub struct ZapServer {
    local_addr: SocketAddr,
    url: String,
    router: ConnectionRouter,
    endpoint: Endpoint,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    accept: JoinHandle<()>,
}

impl ZapServer {
    /// A builder with the defaults (127.0.0.1:8000, path `/`).
    pub fn builder() -> ZapServerBuilder {
        ZapServerBuilder::default()
    }

    pub(crate) fn new(
        local_addr: SocketAddr,
        url: String,
        endpoint: Endpoint,
        shutdown: CancellationToken,
        tracker: TaskTracker,
        accept: JoinHandle<()>,
    ) -> Self {
        ZapServer {
            local_addr,
            url,
            router: endpoint.register().router().clone(),
            endpoint,
            shutdown,
            tracker,
            accept,
        }
    }

    /// The address the server is bound to (with the real port when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The URL clients connect to, such as `ws://127.0.0.1:8000/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The router of the server's register: its connections and rooms.
    pub fn router(&self) -> &ConnectionRouter {
        &self.router
    }

    /// Stops accepting, closes every connection with code 1001 ("server
    /// shutting down") after writing what is already queued to it, and
    /// returns once every `disconnected` handler has run.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        let _ = self.accept.await;
        self.tracker.close();
        self.tracker.wait().await;
        // Sessions parked for a resume: ended (`disconnected` ran), or left
        // in a shared store for another instance.
        self.endpoint.closed().await;
        tracing::info!(local_addr = %self.local_addr, "zaptools server stopped");
    }

    /// Serves until `signal` completes (for example `tokio::signal::ctrl_c()`),
    /// then shuts down gracefully.
    pub async fn run_until<F: Future>(self, signal: F) {
        tokio::select! {
            _ = signal => {}
            _ = self.shutdown.cancelled() => {}
        }
        self.shutdown().await;
    }
}

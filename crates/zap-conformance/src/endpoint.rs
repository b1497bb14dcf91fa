//! [`Endpoint`], what a check asks an integration to serve, and
//! [`Running`], the served endpoint's URL.

use std::any::Any;
use std::future::Future;
use std::net::SocketAddr;

use zap_core::{CancellationToken, ConnectionConfig, EventRegister};

/// What a check asks an integration to serve: a register, the connection
/// limits, and the token whose cancellation shuts every session down.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The handlers to run.
    pub register: EventRegister,
    /// The per-connection limits, applied to the framework's own limits too.
    pub config: ConnectionConfig,
    /// Cancelled by the shutdown check: every session must close with 1001.
    pub shutdown: CancellationToken,
}

impl Endpoint {
    /// An endpoint with the default limits.
    pub fn new(register: EventRegister) -> Self {
        Endpoint {
            register,
            config: ConnectionConfig::default(),
            shutdown: CancellationToken::new(),
        }
    }

    /// Sets the connection limits.
    pub fn config(mut self, config: ConnectionConfig) -> Self {
        self.config = config;
        self
    }
}

/// A served endpoint: its `ws://127.0.0.1:PORT/path` URL, and whatever keeps
/// the server alive until the check ends.
pub struct Running {
    url: String,
    _guard: Box<dyn Any>,
}

impl Running {
    /// `url` is the WebSocket URL; `guard` is dropped when the check ends.
    pub fn new(url: impl Into<String>, guard: impl Any) -> Self {
        Running {
            url: url.into(),
            _guard: Box::new(guard),
        }
    }

    /// A server running as `task` on the test's runtime, aborted when the
    /// check ends.
    pub fn task<T: 'static>(url: impl Into<String>, task: tokio::task::JoinHandle<T>) -> Self {
        Running::new(url, AbortOnDrop(task))
    }

    /// The WebSocket URL, such as `ws://127.0.0.1:41234/ws`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The request path of the URL (`/ws`).
    pub fn path(&self) -> &str {
        let rest = self.url.trim_start_matches("ws://");
        rest.find('/').map_or("/", |at| &rest[at..])
    }

    /// The server's socket address.
    pub fn addr(&self) -> SocketAddr {
        let rest = self.url.trim_start_matches("ws://");
        let host = rest.split('/').next().unwrap_or(rest);
        host.parse()
            .unwrap_or_else(|err| panic!("{} is not ws://IP:PORT/…: {err}", self.url))
    }
}

/// Aborts a server task when dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running").field("url", &self.url).finish()
    }
}

/// One integration under test: serves an [`Endpoint`] on `127.0.0.1:0`.
///
/// Implemented for every `Fn(Endpoint) -> impl Future<Output = Running>`,
/// so an integration's test file only writes an async function.
pub trait Integration {
    /// Starts a server for `endpoint` and returns once it accepts connections.
    fn serve(&self, endpoint: Endpoint) -> impl Future<Output = Running>;
}

impl<F, Fut> Integration for F
where
    F: Fn(Endpoint) -> Fut,
    Fut: Future<Output = Running>,
{
    fn serve(&self, endpoint: Endpoint) -> impl Future<Output = Running> {
        self(endpoint)
    }
}

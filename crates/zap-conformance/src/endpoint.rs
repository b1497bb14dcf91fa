//! [`Endpoint`], what a check asks an integration to serve, and
//! [`Running`], the served endpoint's URL.

use std::any::Any;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use zap_core::{CancellationToken, ConnectionConfig, DEFAULT_MAX_CONNECTIONS, EventRegister};

/// What a check asks an integration to serve: a register, the connection
/// settings, the connection cap, the token whose cancellation shuts every
/// session down, and how long the server waits for a request head.
///
/// An integration serves [`core`](Self::core), the `zap_core::Endpoint`
/// every integration takes, and applies
/// [`handshake_timeout`](Self::handshake_timeout) to its HTTP server.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The handlers to run.
    pub register: EventRegister,
    /// The per-connection settings, applied to the framework's own limits too.
    pub config: ConnectionConfig,
    /// Most simultaneous connections; more are answered 503.
    pub max_connections: usize,
    /// Cancelled by the shutdown check: every session must close with 1001.
    pub shutdown: CancellationToken,
    /// How long a client may take to send its upgrade request before the
    /// server drops it (zap-server's `handshake_timeout`, hyper's header
    /// read timeout, actix's client request timeout). Default: 10 s.
    pub handshake_timeout: Duration,
}

impl Endpoint {
    /// An endpoint with the default settings.
    pub fn new(register: EventRegister) -> Self {
        Endpoint {
            register,
            config: ConnectionConfig::default(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown: CancellationToken::new(),
            handshake_timeout: Duration::from_secs(10),
        }
    }

    /// Sets the connection settings.
    pub fn config(mut self, config: ConnectionConfig) -> Self {
        self.config = config;
        self
    }

    /// Sets the connection cap.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// Sets the handshake timeout.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The `zap_core::Endpoint` to serve: register, settings, cap and
    /// shutdown token.
    pub fn core(&self) -> zap_core::Endpoint {
        zap_core::Endpoint::new(self.register.clone())
            .config(self.config.clone())
            .max_connections(self.max_connections)
            .shutdown_token(self.shutdown.clone())
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

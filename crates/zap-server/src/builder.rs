//! [`ZapServerBuilder`]: address, port, path, limits and the register of a server.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;
use zap_core::{ConnectionConfig, DEFAULT_MAX_CONNECTIONS, Endpoint, EventRegister};

use crate::accept::accept_loop;
use crate::shared::Shared;
use crate::{HttpFallback, ServerError, ZapServer};

/// Configures and starts a [`ZapServer`].
///
/// | setting | default |
/// | --- | --- |
/// | [`address`](Self::address) | `127.0.0.1` |
/// | [`port`](Self::port) | `8000` (`0`: any free port) |
/// | [`path`](Self::path) | `/` |
/// | [`config`](Self::config) | [`ConnectionConfig::default`]: 1 MiB messages, 1024-event outbound queue, ping 25 s, idle 60 s, 4 KiB read buffer, no subprotocol |
/// | [`max_connections`](Self::max_connections) | 10 000 (more are answered 503) |
/// | [`handshake_timeout`](Self::handshake_timeout) | 10 s |
///
/// The register, the [`ConnectionConfig`] and the connection cap can also
/// come as one [`Endpoint`] ([`endpoint`](Self::endpoint)), the value every
/// zaptools integration serves: the same endpoint behaves the same here
/// and in the framework adapters.
///
/// ```no_run
/// # async fn demo() -> Result<(), zap_server::ServerError> {
/// use zap_core::{ConnectionConfig, EventRegister};
/// let server = zap_server::ZapServer::builder()
///     .address("0.0.0.0")
///     .port(9000)
///     .path("/ws")
///     .config(ConnectionConfig::default().max_message_size(64 * 1024))
///     .max_connections(50_000)
///     .register(EventRegister::new())
///     .start()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a builder does nothing until `start` is called"]
pub struct ZapServerBuilder {
    address: String,
    port: u16,
    path: String,
    register: EventRegister,
    config: ConnectionConfig,
    max_connections: usize,
    endpoint: Option<Endpoint>,
    handshake_timeout: Duration,
    http_fallback: Option<HttpFallback>,
    #[cfg(feature = "tls")]
    tls: Option<crate::TlsConfig>,
}

impl Default for ZapServerBuilder {
    fn default() -> Self {
        ZapServerBuilder {
            address: "127.0.0.1".to_owned(),
            port: 8000,
            path: "/".to_owned(),
            register: EventRegister::new(),
            config: ConnectionConfig::default(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            endpoint: None,
            handshake_timeout: Duration::from_secs(10),
            http_fallback: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl std::fmt::Debug for ZapServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZapServerBuilder")
            .field("address", &self.address)
            .field("port", &self.port)
            .field("path", &self.path)
            .field("config", &self.config)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

impl ZapServerBuilder {
    /// The host or IP address to listen on.
    pub fn address(mut self, address: impl Into<String>) -> Self {
        self.address = address.into();
        self
    }

    /// The port to listen on; `0` picks a free one (see [`ZapServer::local_addr`]).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The path of the WebSocket endpoint. Requests to other paths are
    /// answered 400 (or by the [`http_fallback`](Self::http_fallback)).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The handlers to run.
    pub fn register(mut self, register: EventRegister) -> Self {
        self.register = register;
        self
    }

    /// Per-connection settings: limits, read buffer size, subprotocols.
    pub fn config(mut self, config: ConnectionConfig) -> Self {
        self.config = config;
        self
    }

    /// Most simultaneous WebSocket connections; further upgrades get 503.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// Serves `endpoint`: its register, [`ConnectionConfig`] and connection
    /// cap replace [`register`](Self::register), [`config`](Self::config)
    /// and [`max_connections`](Self::max_connections). Cancelling its
    /// shutdown token shuts the server down.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), zap_server::ServerError> {
    /// use zap_core::{ConnectionConfig, Endpoint, EventRegister};
    /// let endpoint = Endpoint::new(EventRegister::new())
    ///     .config(ConnectionConfig::default().subprotocols(["zap.v1"]))
    ///     .max_connections(5_000);
    /// let server = zap_server::ZapServer::builder().port(0).endpoint(endpoint).start().await?;
    /// # Ok(()) }
    /// ```
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = Some(endpoint);
        self
    }

    /// Longest time a client may take to send its upgrade request (and to
    /// finish the TLS handshake) before the socket is dropped.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Answers plain HTTP requests (no upgrade, or another path) instead of
    /// the default 400: a health check, a page. Return `None` to fall back
    /// to 400.
    ///
    /// ```
    /// let builder = zap_server::ZapServer::builder().path("/ws").http_fallback(|request| {
    ///     (request.uri().path() == "/health").then(|| http::Response::new("ok".to_owned()))
    /// });
    /// ```
    pub fn http_fallback<F>(mut self, fallback: F) -> Self
    where
        F: Fn(&http::Request<()>) -> Option<http::Response<String>> + Send + Sync + 'static,
    {
        self.http_fallback = Some(Arc::new(fallback));
        self
    }

    /// Serves `wss://` with this certificate and key.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: crate::TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Binds the address and starts accepting connections.
    pub async fn start(self) -> Result<ZapServer, ServerError> {
        if !self.path.starts_with('/') {
            return Err(ServerError::InvalidPath(self.path));
        }
        let address = format!("{}:{}", self.address, self.port);
        let listener = TcpListener::bind(&address)
            .await
            .map_err(|source| ServerError::Bind {
                address: address.clone(),
                source,
            })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| ServerError::Bind { address, source })?;
        let endpoint = self.endpoint.unwrap_or_else(|| {
            Endpoint::new(self.register)
                .config(self.config)
                .max_connections(self.max_connections)
        });
        // The server's own token: cancelled by `shutdown`, and with the
        // endpoint's token.
        let shutdown = endpoint.shutdown().child_token();
        let endpoint = endpoint.shutdown_token(shutdown.clone());
        let ws_config = zap_tungstenite::websocket_config(endpoint.connection_config());
        #[cfg(feature = "tls")]
        let scheme = if self.tls.is_some() { "wss" } else { "ws" };
        #[cfg(not(feature = "tls"))]
        let scheme = "ws";
        let shared = Arc::new(Shared {
            endpoint: endpoint.clone(),
            path: self.path.clone(),
            ws_config,
            handshake_timeout: self.handshake_timeout,
            http_fallback: self.http_fallback,
            #[cfg(feature = "tls")]
            tls: self.tls.map(|tls| tls.acceptor()),
        });
        let tracker = TaskTracker::new();
        let accept = tokio::spawn(accept_loop(
            listener,
            shared,
            shutdown.clone(),
            tracker.clone(),
        ));
        tracing::info!(%local_addr, path = %self.path, "zaptools server listening");
        Ok(ZapServer::new(
            local_addr,
            format!("{scheme}://{local_addr}{}", self.path),
            endpoint,
            shutdown,
            tracker,
            accept,
        ))
    }
}

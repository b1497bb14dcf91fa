//! [`ZapHandler`]: the axum handler that upgrades a request and runs an
//! [`Endpoint`] on the WebSocket, through zap-tungstenite's hyper upgrade
//! path (the transport zap-server uses).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, OriginalUri, Request};
use axum::handler::Handler;
use axum::response::Response;
use zap_core::{CancellationToken, ConnectionConfig, Endpoint, EventRegister};
use zap_tungstenite::PeerAddr;

/// An axum handler serving `register` with the default
/// [`ConnectionConfig`].
///
/// ```
/// # let register = zap_core::EventRegister::new();
/// let app: axum::Router = axum::Router::new()
///     .route("/ws", axum::routing::get(zap_axum::handler(register)));
/// ```
pub fn handler(register: EventRegister) -> ZapHandler {
    handler_with_config(register, ConnectionConfig::default())
}

/// An axum handler serving `register` with these connection settings.
///
/// ```
/// # let register = zap_core::EventRegister::new();
/// use zap_core::ConnectionConfig;
/// let ws = zap_axum::handler_with_config(register, ConnectionConfig::default().max_message_size(64 * 1024));
/// let app: axum::Router = axum::Router::new().route("/ws", axum::routing::get(ws));
/// ```
pub fn handler_with_config(register: EventRegister, config: ConnectionConfig) -> ZapHandler {
    ZapHandler::new(Endpoint::new(register).config(config))
}

/// The axum [`Handler`] made by [`handler`], [`handler_with_config`] and
/// [`ZapHandler::new`]: route it with `get(…)`; it works with any router
/// state.
#[derive(Debug, Clone)]
#[must_use = "a handler does nothing until it is routed"]
pub struct ZapHandler {
    /// Shared by every request: the session tasks hold a pointer, not a copy.
    endpoint: Arc<Endpoint>,
}

impl ZapHandler {
    /// A handler serving `endpoint`: its register, [`ConnectionConfig`],
    /// connection cap and shutdown token.
    ///
    /// ```
    /// use zap_core::{Endpoint, EventRegister};
    /// let endpoint = Endpoint::new(EventRegister::new()).max_connections(5_000);
    /// let app: axum::Router =
    ///     axum::Router::new().route("/ws", axum::routing::get(zap_axum::ZapHandler::new(endpoint)));
    /// ```
    pub fn new(endpoint: Endpoint) -> Self {
        ZapHandler {
            endpoint: Arc::new(endpoint),
        }
    }

    /// Closes every session of this handler with code 1001 when `token` is
    /// cancelled (see [graceful shutdown](crate#graceful-shutdown)).
    pub fn shutdown_token(mut self, token: CancellationToken) -> Self {
        let endpoint = Arc::unwrap_or_clone(self.endpoint);
        self.endpoint = Arc::new(endpoint.shutdown_token(token));
        self
    }

    async fn upgrade(self, request: Request) -> Response {
        let (parts, _body) = request.into_parts();
        let uri = match parts.extensions.get::<OriginalUri>() {
            Some(OriginalUri(uri)) => uri.clone(),
            None => parts.uri.clone(),
        };
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| *peer)
            .or_else(|| {
                parts
                    .extensions
                    .get::<PeerAddr>()
                    .map(|PeerAddr(peer)| *peer)
            });
        zap_tungstenite::upgrade(self.endpoint, parts, &uri, peer)
            .await
            .map(Body::from)
    }
}

impl From<Endpoint> for ZapHandler {
    fn from(endpoint: Endpoint) -> Self {
        ZapHandler::new(endpoint)
    }
}

impl<S: Clone + Send + Sync + 'static> Handler<(), S> for ZapHandler {
    type Future = Pin<Box<dyn Future<Output = Response> + Send>>;

    fn call(self, request: Request, _state: S) -> Self::Future {
        Box::pin(self.upgrade(request))
    }
}

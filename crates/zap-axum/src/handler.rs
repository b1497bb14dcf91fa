//! [`ZapHandler`]: the axum handler that upgrades a request and runs an
//! [`EventRegister`] on the WebSocket.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use axum::extract::{ConnectInfo, FromRequestParts, OriginalUri, Request, WebSocketUpgrade};
use axum::handler::Handler;
use axum::response::{IntoResponse, Response};
use zap_core::{CancellationToken, ConnectionConfig, Endpoint, EventRegister, Handshake};

use crate::transport::AxumTransport;

/// Read buffer per connection, the same as zap-server's default.
const READ_BUFFER: usize = 4 * 1024;

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

/// An axum handler serving `register` with these connection limits.
///
/// ```
/// # let register = zap_core::EventRegister::new();
/// use zap_core::ConnectionConfig;
/// let ws = zap_axum::handler_with_config(register, ConnectionConfig::default().max_message_size(64 * 1024));
/// let app: axum::Router = axum::Router::new().route("/ws", axum::routing::get(ws));
/// ```
pub fn handler_with_config(register: EventRegister, config: ConnectionConfig) -> ZapHandler {
    ZapHandler {
        endpoint: Endpoint::new(register).config(config),
    }
}

/// The axum [`Handler`] made by [`handler`] and [`handler_with_config`]:
/// route it with `get(…)`; it works with any router state.
#[derive(Debug, Clone)]
#[must_use = "a handler does nothing until it is routed"]
pub struct ZapHandler {
    endpoint: Endpoint,
}

impl ZapHandler {
    /// Closes every session of this handler with code 1001 when `token` is
    /// cancelled (see [graceful shutdown](crate#graceful-shutdown)).
    pub fn shutdown_token(mut self, token: CancellationToken) -> Self {
        self.endpoint = self.endpoint.shutdown_token(token);
        self
    }

    async fn upgrade<S: Send + Sync>(self, request: Request, state: S) -> Response {
        let (mut parts, _body) = request.into_parts();
        let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
            Ok(upgrade) => upgrade,
            Err(rejection) => return rejection.into_response(),
        };
        let uri = match parts.extensions.get::<OriginalUri>() {
            Some(OriginalUri(uri)) => uri.clone(),
            None => parts.uri,
        };
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| *peer);
        let query = uri.query().map(str::to_owned);
        let handshake = Handshake::new(uri.path(), query, parts.headers, peer);
        if let Err(rejection) = self.endpoint.authorize(&handshake).await {
            let body = format!("{}\n", rejection.reason());
            return (rejection.status_code(), body).into_response();
        }
        let max = self.endpoint.connection_config().max_message_size;
        // Small read buffers keep idle connections cheap (tungstenite's
        // default 128 KiB is allocated up front), as in zap-server.
        upgrade
            .read_buffer_size(READ_BUFFER)
            .max_message_size(max)
            .max_frame_size(max)
            .on_upgrade(move |socket| async move {
                self.endpoint
                    .serve(handshake, AxumTransport::new(socket))
                    .await;
            })
    }
}

impl<S: Clone + Send + Sync + 'static> Handler<(), S> for ZapHandler {
    type Future = Pin<Box<dyn Future<Output = Response> + Send>>;

    fn call(self, request: Request, state: S) -> Self::Future {
        Box::pin(self.upgrade(request, state))
    }
}

//! [`filter`]: the warp filter that upgrades a request and runs an
//! [`EventRegister`] on the WebSocket.

use std::net::SocketAddr;
use std::sync::Arc;

use http::HeaderMap;
use warp::filters::path::FullPath;
use warp::filters::ws::Ws;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};
use zap_core::{CancellationToken, ConnectionConfig, EventRegister, Handshake, Session};

use crate::transport::WarpTransport;

/// A warp filter serving `register` with the default [`ConnectionConfig`].
///
/// It extracts a reply, so it ends a route: `warp::path("ws").and(filter(register))`.
///
/// ```
/// use warp::Filter;
/// # let register = zap_core::EventRegister::new();
/// let routes = warp::path("ws").and(zap_warp::filter(register));
/// # drop(routes);
/// ```
pub fn filter(
    register: EventRegister,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    filter_with_config(register, ConnectionConfig::default())
}

/// A warp filter serving `register` with these connection limits.
///
/// ```
/// use warp::Filter;
/// use zap_core::ConnectionConfig;
/// # let register = zap_core::EventRegister::new();
/// let config = ConnectionConfig::default().max_message_size(64 * 1024);
/// let routes = warp::path("ws").and(zap_warp::filter_with_config(register, config));
/// # drop(routes);
/// ```
pub fn filter_with_config(
    register: EventRegister,
    config: ConnectionConfig,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    filter_with_shutdown(register, config, CancellationToken::new())
}

/// A warp filter serving `register` with these limits, whose sessions close
/// with code 1001 when `shutdown` is cancelled (see
/// [graceful shutdown](crate#graceful-shutdown)).
pub fn filter_with_shutdown(
    register: EventRegister,
    config: ConnectionConfig,
    shutdown: CancellationToken,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let endpoint = Arc::new(Endpoint {
        register,
        config,
        shutdown,
    });
    let query = warp::query::raw()
        .map(Some)
        .or(warp::any().map(|| None))
        .unify();
    warp::ws()
        .and(warp::path::full())
        .and(query)
        .and(warp::header::headers_cloned())
        .and(warp::addr::remote())
        .then(
            move |ws: Ws,
                  path: FullPath,
                  query: Option<String>,
                  headers: HeaderMap,
                  peer: Option<SocketAddr>| {
                let handshake = Handshake::new(path.as_str(), query, headers, peer);
                Arc::clone(&endpoint).upgrade(ws, handshake)
            },
        )
}

/// What every upgrade of one filter shares.
struct Endpoint {
    register: EventRegister,
    config: ConnectionConfig,
    shutdown: CancellationToken,
}

impl Endpoint {
    async fn upgrade(self: Arc<Self>, ws: Ws, handshake: Handshake) -> Response {
        if let Err(rejection) = self.register.check_handshake(&handshake).await {
            let peer = handshake.peer_addr();
            tracing::debug!(?peer, %rejection, "upgrade refused by the authorization hook");
            let body = format!("{}\n", rejection.reason());
            return warp::reply::with_status(body, rejection.status_code()).into_response();
        }
        let max = self.config.max_message_size;
        ws.max_message_size(max)
            .max_frame_size(max)
            .on_upgrade(move |socket| async move {
                let end = Session::new(self.register.clone(), handshake)
                    .config(self.config.clone())
                    .shutdown_token(self.shutdown.clone())
                    .run(WarpTransport::new(socket))
                    .await;
                tracing::debug!(?end, "websocket session ended");
            })
            .into_response()
    }
}

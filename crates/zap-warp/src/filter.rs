//! [`filter`]: the warp filter that upgrades a request and runs an
//! [`EventRegister`] on the WebSocket.

use std::net::SocketAddr;

use http::HeaderMap;
use warp::filters::path::FullPath;
use warp::filters::ws::Ws;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};
use zap_core::{CancellationToken, ConnectionConfig, Endpoint, EventRegister, Handshake};

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
    let endpoint = Endpoint::new(register)
        .config(config)
        .shutdown_token(shutdown);
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
                upgrade(endpoint.clone(), ws, handshake)
            },
        )
}

/// Authorizes one upgrade, then serves the socket.
async fn upgrade(endpoint: Endpoint, ws: Ws, handshake: Handshake) -> Response {
    if let Err(rejection) = endpoint.authorize(&handshake).await {
        let body = format!("{}\n", rejection.reason());
        return warp::reply::with_status(body, rejection.status_code()).into_response();
    }
    let max = endpoint.connection_config().max_message_size;
    ws.max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| async move {
            endpoint.serve(handshake, WarpTransport::new(socket)).await;
        })
        .into_response()
}

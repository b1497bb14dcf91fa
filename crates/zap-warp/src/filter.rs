//! [`filter`]: the warp filter that upgrades a request and runs an
//! [`Endpoint`] on the WebSocket, through zap-tungstenite's hyper upgrade
//! path (the transport zap-server uses), not warp's own WebSocket.

use std::net::SocketAddr;
use std::sync::Arc;

use http::{HeaderMap, Method, Uri};
use hyper::upgrade::OnUpgrade;
use warp::filters::path::FullPath;
use warp::reply::Response;
use warp::{Filter, Rejection};
use zap_core::{CancellationToken, ConnectionConfig, Endpoint, EventRegister};
use zap_tungstenite::PeerAddr;

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

/// A warp filter serving `register` with these connection settings.
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

/// A warp filter serving `register` with these settings, whose sessions
/// close with code 1001 when `shutdown` is cancelled (see
/// [graceful shutdown](crate#graceful-shutdown)).
pub fn filter_with_shutdown(
    register: EventRegister,
    config: ConnectionConfig,
    shutdown: CancellationToken,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    endpoint(
        Endpoint::new(register)
            .config(config)
            .shutdown_token(shutdown),
    )
}

/// A warp filter serving `endpoint`: its register, [`ConnectionConfig`],
/// connection cap and shutdown token.
///
/// A request without `Upgrade: websocket` is rejected (so other routes may
/// answer it); an upgrade request is answered here: 400 when it is
/// malformed, 503 past the endpoint's `max_connections`, 401/403 when the
/// authorization hook refuses it, 101 otherwise.
///
/// ```
/// use warp::Filter;
/// use zap_core::{Endpoint, EventRegister};
/// let endpoint = Endpoint::new(EventRegister::new()).max_connections(5_000);
/// let routes = warp::path("ws").and(zap_warp::endpoint(endpoint));
/// # drop(routes);
/// ```
pub fn endpoint(
    endpoint: Endpoint,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    // Shared by every request: the session tasks hold a pointer, not a copy.
    let endpoint = Arc::new(endpoint);
    let query = warp::query::raw()
        .map(Some)
        .or(warp::any().map(|| None))
        .unify();
    let peer = warp::addr::remote()
        .and(warp::ext::optional::<PeerAddr>())
        .map(|warp: Option<SocketAddr>, ours: Option<PeerAddr>| {
            warp.or(ours.map(|PeerAddr(peer)| peer))
        });
    warp::header::exact_ignore_case("upgrade", "websocket")
        .and(warp::method())
        .and(warp::path::full())
        .and(query)
        .and(warp::header::headers_cloned())
        .and(peer)
        .and(warp::ext::optional::<OnUpgrade>())
        .then(
            move |method: Method,
                  path: FullPath,
                  query: Option<String>,
                  headers: HeaderMap,
                  peer: Option<SocketAddr>,
                  on_upgrade: Option<OnUpgrade>| {
                let endpoint = endpoint.clone();
                async move {
                    let uri = match query {
                        Some(query) => format!("{}?{query}", path.as_str()),
                        None => path.as_str().to_owned(),
                    };
                    let uri = uri.parse::<Uri>().unwrap_or_default();
                    let mut request = http::Request::new(());
                    *request.method_mut() = method;
                    *request.headers_mut() = headers;
                    if let Some(on_upgrade) = on_upgrade {
                        request.extensions_mut().insert(on_upgrade);
                    }
                    let (parts, ()) = request.into_parts();
                    let response = zap_tungstenite::upgrade(endpoint, parts, &uri, peer).await;
                    reply(response)
                }
            },
        )
}

/// warp's response type, from zap-tungstenite's.
fn reply(response: http::Response<String>) -> Response {
    response.map(Into::into)
}

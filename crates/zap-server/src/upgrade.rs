//! One accepted socket: read the upgrade request, route or refuse it, then
//! run the zap-core session on the WebSocket.

use std::net::SocketAddr;
use std::sync::Arc;

use http::header::{self, SEC_WEBSOCKET_PROTOCOL};
use http::{HeaderMap, HeaderValue, Request, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::OwnedSemaphorePermit;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::create_response;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_util::sync::CancellationToken;
use zap_core::{Handshake, Session};

use crate::http::{HeadError, read_request, write_custom, write_plain, write_switching};
use crate::ready::ReadReady;
use crate::shared::Shared;
use crate::transport::WsTransport;

/// Serves one socket from its first byte to its last.
pub(crate) async fn serve_socket<S>(
    mut stream: S,
    peer: SocketAddr,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) where
    S: AsyncRead + AsyncWrite + ReadReady + Unpin + Send + 'static,
{
    // The upgrade's temporaries (request, response, buffers) live in their
    // own future and are gone before the session: an idle connection keeps
    // only what the session needs.
    let Some((handshake, leftover, permit)) = upgrade(&mut stream, peer, &shared, &shutdown).await
    else {
        return;
    };
    let buffered = !leftover.is_empty();
    let socket = WebSocketStream::from_partially_read(
        stream,
        leftover,
        Role::Server,
        Some(shared.ws_config),
    )
    .await;
    Session::new(shared.register.clone(), handshake)
        .config(shared.config.clone())
        .shutdown_token(shutdown)
        .run(WsTransport::new(socket, buffered))
        .await;
    drop(permit);
}

/// Reads the upgrade request and answers it: `Some` once the `101` is
/// written, with the handshake, the bytes read past the request, and the
/// connection's slot; `None` when a response refused it (or the peer left).
async fn upgrade<S>(
    stream: &mut S,
    peer: SocketAddr,
    shared: &Shared,
    shutdown: &CancellationToken,
) -> Option<(Handshake, Vec<u8>, OwnedSemaphorePermit)>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let head = tokio::select! {
        head = tokio::time::timeout(shared.handshake_timeout, read_request(stream)) => head,
        () = shutdown.cancelled() => return None,
    };
    let (request, leftover) = match head {
        Ok(Ok(parsed)) => parsed,
        Ok(Err(HeadError::Io)) => return None,
        Ok(Err(HeadError::Malformed(why))) => {
            tracing::debug!(%peer, %why, "malformed HTTP request");
            let _ = write_plain(stream, StatusCode::BAD_REQUEST, "malformed HTTP request\n").await;
            return None;
        }
        Ok(Err(HeadError::TooLarge)) => {
            let _ = write_plain(
                stream,
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "request head too large\n",
            )
            .await;
            return None;
        }
        Err(_elapsed) => {
            tracing::debug!(%peer, "handshake timed out");
            return None;
        }
    };

    let on_path = request.uri().path() == shared.path;
    let response = match create_response(&request) {
        Ok(mut response) if on_path => {
            if let Some(chosen) = choose_subprotocol(&request, &shared.subprotocols) {
                response
                    .headers_mut()
                    .insert(SEC_WEBSOCKET_PROTOCOL, chosen);
            }
            response
        }
        _ => {
            if let Some(custom) = shared.http_fallback.as_ref().and_then(|f| f(&request)) {
                let _ = write_custom(stream, custom).await;
                return None;
            }
            let why = if on_path {
                "this is a zaptools WebSocket endpoint: connect with a WebSocket client\n"
            } else {
                "no WebSocket endpoint at this path\n"
            };
            tracing::debug!(%peer, path = request.uri().path(), "refusing non-upgrade request");
            let _ = write_plain(stream, StatusCode::BAD_REQUEST, why).await;
            return None;
        }
    };

    let Ok(permit) = shared.permits.clone().try_acquire_owned() else {
        tracing::warn!(%peer, "max connections reached: refusing upgrade");
        let _ = write_plain(
            stream,
            StatusCode::SERVICE_UNAVAILABLE,
            "too many connections\n",
        )
        .await;
        return None;
    };

    let (parts, ()) = request.into_parts();
    let handshake = Handshake::new(
        parts.uri.path(),
        parts.uri.query().map(str::to_owned),
        application_headers(parts.headers),
        Some(peer),
    );
    if let Err(rejection) = shared.register.check_handshake(&handshake).await {
        tracing::debug!(%peer, %rejection, "upgrade refused by the authorization hook");
        let body = format!("{}\n", rejection.reason());
        let _ = write_plain(stream, rejection.status_code(), &body).await;
        return None;
    }
    write_switching(stream, &response).await.ok()?;
    Some((handshake, leftover, permit))
}

/// The request headers handlers may care about: the WebSocket handshake's
/// own mechanics (`Sec-WebSocket-Key`, `Upgrade`, …) are dropped once the
/// upgrade is validated, which keeps idle connections small.
fn application_headers(mut headers: HeaderMap) -> HeaderMap {
    for mechanics in [
        header::CONNECTION,
        header::UPGRADE,
        header::SEC_WEBSOCKET_KEY,
        header::SEC_WEBSOCKET_VERSION,
        header::SEC_WEBSOCKET_EXTENSIONS,
    ] {
        headers.remove(mechanics);
    }
    let mut kept = HeaderMap::with_capacity(headers.len());
    kept.extend(headers);
    kept
}

/// The first subprotocol the client offers that the server supports.
fn choose_subprotocol(request: &Request<()>, supported: &[String]) -> Option<HeaderValue> {
    request
        .headers()
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .find(|offered| supported.iter().any(|ours| ours == offered))
        .and_then(|chosen| HeaderValue::from_str(chosen).ok())
}

#[cfg(test)]
mod tests {
    /// An idle connection's task holds this future: guard its size (2.2 KiB
    /// with rustc 1.95, down from 3.2 KiB when the upgrade's temporaries
    /// stayed alive for the whole session).
    #[tokio::test]
    #[allow(clippy::unwrap_used)]
    async fn a_socket_future_stays_small() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let shared = std::sync::Arc::new(crate::shared::Shared {
            register: zap_core::EventRegister::new(),
            path: "/".into(),
            config: Default::default(),
            ws_config: Default::default(),
            handshake_timeout: std::time::Duration::from_secs(1),
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
            http_fallback: None,
            subprotocols: Vec::new(),
            #[cfg(feature = "tls")]
            tls: None,
        });
        let peer = client.local_addr().unwrap();
        let future = super::serve_socket(client, peer, shared, Default::default());
        let size = std::mem::size_of_val(&future);
        assert!(size <= 3072, "the socket future grew to {size} bytes");
    }
}

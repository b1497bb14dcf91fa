//! One accepted socket: read the upgrade request, route or refuse it, then
//! run the zap-core session on the WebSocket.

use std::net::SocketAddr;
use std::sync::Arc;

use http::header::SEC_WEBSOCKET_PROTOCOL;
use http::{HeaderValue, Request, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::create_response;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_util::sync::CancellationToken;
use zap_core::{Handshake, Session};

use crate::http::{HeadError, read_request, write_custom, write_plain, write_switching};
use crate::shared::Shared;
use crate::transport::WsTransport;

/// Serves one socket from its first byte to its last.
pub(crate) async fn serve_socket<S>(
    mut stream: S,
    peer: SocketAddr,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let head = tokio::select! {
        head = tokio::time::timeout(shared.handshake_timeout, read_request(&mut stream)) => head,
        () = shutdown.cancelled() => return,
    };
    let (request, leftover) = match head {
        Ok(Ok(parsed)) => parsed,
        Ok(Err(HeadError::Io)) => return,
        Ok(Err(HeadError::Malformed(why))) => {
            tracing::debug!(%peer, %why, "malformed HTTP request");
            let _ = write_plain(
                &mut stream,
                StatusCode::BAD_REQUEST,
                "malformed HTTP request\n",
            )
            .await;
            return;
        }
        Ok(Err(HeadError::TooLarge)) => {
            let _ = write_plain(
                &mut stream,
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "request head too large\n",
            )
            .await;
            return;
        }
        Err(_elapsed) => {
            tracing::debug!(%peer, "handshake timed out");
            return;
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
                let _ = write_custom(&mut stream, custom).await;
                return;
            }
            let why = if on_path {
                "this is a zaptools WebSocket endpoint: connect with a WebSocket client\n"
            } else {
                "no WebSocket endpoint at this path\n"
            };
            tracing::debug!(%peer, path = request.uri().path(), "refusing non-upgrade request");
            let _ = write_plain(&mut stream, StatusCode::BAD_REQUEST, why).await;
            return;
        }
    };

    let Ok(permit) = shared.permits.clone().try_acquire_owned() else {
        tracing::warn!(%peer, "max connections reached: refusing upgrade");
        let _ = write_plain(
            &mut stream,
            StatusCode::SERVICE_UNAVAILABLE,
            "too many connections\n",
        )
        .await;
        return;
    };

    let (parts, ()) = request.into_parts();
    let handshake = Handshake::new(
        parts.uri.path(),
        parts.uri.query().map(str::to_owned),
        parts.headers,
        Some(peer),
    );
    if let Err(rejection) = shared.register.check_handshake(&handshake).await {
        tracing::debug!(%peer, %rejection, "upgrade refused by the authorization hook");
        let body = format!("{}\n", rejection.reason());
        let _ = write_plain(&mut stream, rejection.status_code(), &body).await;
        return;
    }
    if write_switching(&mut stream, &response).await.is_err() {
        return;
    }
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
        .run(WsTransport::new(socket))
        .await;
    drop(permit);
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

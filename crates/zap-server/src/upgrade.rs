//! One accepted socket: read the upgrade request, route or refuse it, then
//! run the endpoint's session on the WebSocket.

use std::net::SocketAddr;
use std::sync::Arc;

use http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;
use zap_core::{Admission, Handshake};
use zap_tungstenite::{WsTransport, accept_response, application_headers};

use crate::http::{HeadError, read_request, write_custom, write_plain, write_switching};
use crate::ready::ReadReady;
use crate::shared::Shared;

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
    let Some((admission, leftover)) = upgrade(&mut stream, peer, &shared, &shutdown).await else {
        return;
    };
    let transport = WsTransport::server(
        stream,
        leftover,
        shared.ws_config,
        Some(|s: &mut S, cx| s.poll_read_ready(cx)),
    )
    .await;
    // Boxed: the session's future keeps its transport once per async fn it
    // passes through (their arguments are not overlapped with their later
    // states): 2,368 bytes of future with a box instead of 3,472 without.
    shared.endpoint.serve(admission, Box::new(transport)).await;
}

/// Reads the upgrade request and answers it: `Some` once the `101` is
/// written, with the admitted connection and the bytes read past the
/// request; `None` when a response refused it (or the peer left).
async fn upgrade<S>(
    stream: &mut S,
    peer: SocketAddr,
    shared: &Shared,
    shutdown: &CancellationToken,
) -> Option<(Admission, Vec<u8>)>
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
    let accepted = accept_response(request.method(), request.headers(), &shared.endpoint);
    let response = match accepted {
        Ok(response) if on_path => response,
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

    let (parts, ()) = request.into_parts();
    let handshake = Handshake::new(
        parts.uri.path(),
        parts.uri.query().map(str::to_owned),
        application_headers(parts.headers),
        Some(peer),
    );
    let admission = match shared.endpoint.admit(handshake).await {
        Ok(admission) => admission,
        Err(rejection) => {
            let _ = write_custom(stream, rejection.to_response()).await;
            return None;
        }
    };
    write_switching(stream, &response).await.ok()?;
    Some((admission, leftover))
}

#[cfg(test)]
mod tests {
    /// An idle connection's task holds this future: guard its size (2,368
    /// bytes with rustc 1.95, the transport boxed; since a resumable session's opening, its
    /// attach and the first frame of a resume are boxed: only a recoverable
    /// connection pays for them).
    #[tokio::test]
    #[allow(clippy::unwrap_used)]
    async fn a_socket_future_stays_small() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let shared = std::sync::Arc::new(crate::shared::Shared {
            endpoint: zap_core::Endpoint::new(zap_core::EventRegister::new()),
            path: "/".into(),
            ws_config: Default::default(),
            handshake_timeout: std::time::Duration::from_secs(1),
            http_fallback: None,
            #[cfg(feature = "tls")]
            tls: None,
        });
        let peer = client.local_addr().unwrap();
        let future = super::serve_socket(client, peer, shared, Default::default());
        let size = std::mem::size_of_val(&future);
        assert!(size <= 2368, "the socket future grew to {size} bytes");
    }
}

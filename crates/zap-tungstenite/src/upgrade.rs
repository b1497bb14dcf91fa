//! [`upgrade`]: the one upgrade path of hyper-based frameworks (axum,
//! warp): validate, admit, answer `101`, then hand hyper's upgraded I/O to
//! tokio-tungstenite with the endpoint's configuration.

use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Context;

use http::request::Parts;
use http::{Response, StatusCode, Uri};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::Role;
use zap_core::{Admission, Endpoint, Handshake, Rejection};

use crate::read_ahead::ReadAhead;
use crate::{WsTransport, accept_response, application_headers, websocket_config};

/// Answers one upgrade request whose head is `parts` (with hyper's
/// [`OnUpgrade`] in its extensions), for a client that asked for `uri` from
/// `peer`.
///
/// A request that is no valid upgrade is answered 400 (426 for another
/// WebSocket version), past [`Endpoint::max_connections`] 503, and a
/// refusal of the authorization hook with its status; the body is
/// [`Rejection::to_response`]'s. Otherwise the answer is `101`, and once
/// hyper hands over the connection, the endpoint's session runs on it in a
/// task of its own.
pub async fn upgrade(
    endpoint: impl Into<Arc<Endpoint>>,
    mut parts: Parts,
    uri: &Uri,
    peer: Option<SocketAddr>,
) -> Response<String> {
    let endpoint = endpoint.into();
    let accepted = match accept_response(&parts.method, &parts.headers, &endpoint) {
        Ok(accepted) => accepted,
        Err(not_an_upgrade) => return not_an_upgrade.rejection().to_response(),
    };
    let Some(on_upgrade) = parts.extensions.remove::<OnUpgrade>() else {
        tracing::warn!("the server gives no upgradable connection (HTTP/2, or no `with_upgrades`)");
        let refusal = Rejection::with_status(StatusCode::UPGRADE_REQUIRED)
            .with_reason("this connection cannot be upgraded");
        return refusal.to_response();
    };
    let handshake = Handshake::new(
        uri.path(),
        uri.query().map(str::to_owned),
        application_headers(parts.headers),
        peer,
    );
    let admission = match endpoint.admit(handshake).await {
        Ok(admission) => admission,
        Err(rejection) => return rejection.to_response(),
    };
    tokio::spawn(run(endpoint, admission, on_upgrade));
    accepted.map(|()| String::new())
}

/// Waits for hyper to hand the connection over, then runs the session on
/// it in a task of its own (this task's state, sized for the wait, is gone
/// before the session starts), with a read gate
/// ([`WsTransport::with_read_gate`]): on the TCP socket itself when hyper
/// upgraded one directly ([`serve`](crate::serve), zap-axum's and
/// zap-warp's `serve`), otherwise through [`ReadAhead`] (`axum::serve`,
/// `warp::serve`: hyper-util's `auto` builder wraps the socket in a type of
/// its own). Nothing of hyper's connection stays: its read buffer is
/// dropped once the bytes read past the request are copied.
async fn run(endpoint: Arc<Endpoint>, admission: Admission, on_upgrade: OnUpgrade) {
    let upgraded = match on_upgrade.await {
        Ok(upgraded) => upgraded,
        Err(err) => {
            tracing::debug!(%err, "the upgrade did not complete");
            return;
        }
    };
    let config = websocket_config(endpoint.connection_config());
    match upgraded.downcast::<TokioIo<TcpStream>>() {
        Ok(parts) => {
            let leftover = parts.read_buf.to_vec();
            drop(parts.read_buf);
            let buffered = !leftover.is_empty();
            let tcp = parts.io.into_inner();
            let socket =
                WebSocketStream::from_partially_read(tcp, leftover, Role::Server, Some(config))
                    .await;
            let gate =
                |tcp: &mut TcpStream, cx: &mut Context<'_>| tcp.poll_read_ready(cx).map(|_| ());
            let transport = WsTransport::with_read_gate(socket, gate, buffered);
            tokio::spawn(async move { endpoint.serve(admission, transport).await });
        }
        Err(upgraded) => {
            let io = ReadAhead::new(TokioIo::new(upgraded));
            let socket = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
            // The gate reads what hyper read past the request first.
            let transport = WsTransport::with_read_gate(socket, ReadAhead::poll_gate, false);
            tokio::spawn(async move { endpoint.serve(admission, transport).await });
        }
    }
}

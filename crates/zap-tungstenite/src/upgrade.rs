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
use zap_core::{Admission, Endpoint, Handshake, Rejection};

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
/// before the session starts), through [`WsTransport::server`]: readiness
/// asked of the TCP socket itself when hyper upgraded one directly
/// ([`serve`](crate::serve), zap-axum's and zap-warp's `serve`), by reading
/// ahead otherwise (`axum::serve`, `warp::serve`: hyper-util's `auto`
/// builder wraps the socket in a type of its own). Nothing of hyper's
/// connection stays: its read buffer is dropped once the bytes read past
/// the request are copied.
async fn run(endpoint: Arc<Endpoint>, admission: Admission, on_upgrade: OnUpgrade) {
    let upgraded = match on_upgrade.await {
        Ok(upgraded) => upgraded,
        Err(err) => {
            tracing::debug!(%err, "the upgrade did not complete");
            return;
        }
    };
    let config = websocket_config(endpoint.connection_config());
    // The transport is made in the session's task: tokio-tungstenite keeps
    // the waker of the task that makes a WebSocket until the first read or
    // write through it, which would keep this task's memory alive for as
    // long as the connection stays idle. It is boxed: the session's future
    // keeps its transport once per async fn it passes through (their
    // arguments are not overlapped with their later states), and a box is 8
    // bytes there instead of the transport's 376.
    match upgraded.downcast::<TokioIo<TcpStream>>() {
        Ok(parts) => {
            let leftover = parts.read_buf.to_vec();
            drop(parts.read_buf);
            let tcp = parts.io.into_inner();
            let readiness =
                |tcp: &mut TcpStream, cx: &mut Context<'_>| tcp.poll_read_ready(cx).map(|_| ());
            tokio::spawn(async move {
                let transport = WsTransport::server(tcp, leftover, config, Some(readiness)).await;
                endpoint.serve(admission, Box::new(transport)).await;
            });
        }
        Err(upgraded) => {
            // hyper's `Upgraded` reads what it read past the request first.
            let io = TokioIo::new(upgraded);
            tokio::spawn(async move {
                let transport = WsTransport::server(io, Vec::new(), config, None).await;
                endpoint.serve(admission, Box::new(transport)).await;
            });
        }
    }
}

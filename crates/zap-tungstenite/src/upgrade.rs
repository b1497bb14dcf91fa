//! [`upgrade`]: the one upgrade path of hyper-based frameworks (axum,
//! warp): validate, admit, answer `101`, then hand hyper's upgraded I/O to
//! tokio-tungstenite with the endpoint's configuration.

use std::net::SocketAddr;

use http::request::Parts;
use http::{Response, StatusCode, Uri};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::Role;
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
    endpoint: Endpoint,
    mut parts: Parts,
    uri: &Uri,
    peer: Option<SocketAddr>,
) -> Response<String> {
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

/// Waits for hyper to hand the connection over, then runs the session.
async fn run(endpoint: Endpoint, admission: Admission, on_upgrade: OnUpgrade) {
    let upgraded = match on_upgrade.await {
        Ok(upgraded) => upgraded,
        Err(err) => {
            tracing::debug!(%err, "the upgrade did not complete");
            return;
        }
    };
    let config = websocket_config(endpoint.connection_config());
    let socket =
        WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
    endpoint.serve(admission, WsTransport::new(socket)).await;
}

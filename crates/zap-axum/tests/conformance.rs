//! The conformance suite against zap-axum, served by `zap_axum::serve`
//! (axum's router on hyper with a header read timeout, `ConnectInfo`
//! given) on 127.0.0.1:0.

use axum::Router;
use axum::routing::get;
use zap_conformance::{Endpoint, Running};

async fn serve(endpoint: Endpoint) -> Running {
    let ws = zap_axum::ZapHandler::new(endpoint.core());
    let app = Router::new().route("/ws", get(ws));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("a bound address");
    let server = zap_axum::serve(listener, app).header_read_timeout(endpoint.handshake_timeout);
    Running::task(
        format!("ws://{addr}/ws"),
        tokio::spawn(server.into_future()),
    )
}

zap_conformance::conformance_tests!(serve);

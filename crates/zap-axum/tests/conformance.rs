//! The conformance suite against zap-axum, served by `axum::serve` with
//! `ConnectInfo` on 127.0.0.1:0.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use zap_conformance::{Endpoint, Running};

async fn serve(endpoint: Endpoint) -> Running {
    let ws = zap_axum::handler_with_config(endpoint.register, endpoint.config)
        .shutdown_token(endpoint.shutdown);
    let app = Router::new().route("/ws", get(ws));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("a bound address");
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, service).await });
    Running::task(format!("ws://{addr}/ws"), server)
}

zap_conformance::conformance_tests!(serve);

//! The conformance suite against zap-warp, served by `zap_warp::serve`
//! (warp's filters on hyper with a header read timeout) on 127.0.0.1:0.

use warp::Filter;
use zap_conformance::{Endpoint, Running};

async fn serve(endpoint: Endpoint) -> Running {
    let ws = zap_warp::endpoint(endpoint.core());
    let routes = warp::path("ws").and(warp::path::end()).and(ws);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("a bound address");
    let server = zap_warp::serve(listener, routes).header_read_timeout(endpoint.handshake_timeout);
    Running::task(
        format!("ws://{addr}/ws"),
        tokio::spawn(server.into_future()),
    )
}

zap_conformance::conformance_tests!(serve);

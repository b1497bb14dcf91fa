//! The conformance suite against zap-warp, served by `warp::serve` on
//! 127.0.0.1:0.

use warp::Filter;
use zap_conformance::{Endpoint, Running};

async fn serve(endpoint: Endpoint) -> Running {
    let ws = zap_warp::filter_with_shutdown(endpoint.register, endpoint.config, endpoint.shutdown);
    let routes = warp::path("ws").and(warp::path::end()).and(ws);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("a bound address");
    let task = tokio::spawn(warp::serve(routes).incoming(listener).run());
    Running::task(format!("ws://{addr}/ws"), task)
}

zap_conformance::conformance_tests!(serve);

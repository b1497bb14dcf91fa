//! The conformance suite against zap-actix, served by an actix-web
//! `HttpServer` (one worker) on 127.0.0.1:0 in a thread of its own.

#[path = "support/thread_server.rs"]
mod thread_server;

use actix_web::{App, HttpServer, web};
use zap_conformance::{Endpoint, Running};

async fn serve(endpoint: Endpoint) -> Running {
    thread_server::start(move |listener| {
        let ws = zap_actix::ZapHandler::new(endpoint.core());
        HttpServer::new(move || App::new().route("/ws", web::get().to(ws.clone())))
            .workers(1)
            .client_request_timeout(endpoint.handshake_timeout)
            .disable_signals()
            .listen(listener)
            .expect("listen")
            .run()
    })
    .await
}

zap_conformance::conformance_tests!(serve);

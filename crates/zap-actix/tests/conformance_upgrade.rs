//! The conformance suite against zap-actix's upgrade service: an actix-http
//! `HttpService` (one worker) whose WebSocket upgrades go to
//! `zap_actix::upgrade`, and whose other requests go to an actix-web app
//! routing the same path to a `ZapHandler`, on 127.0.0.1:0 in a thread of
//! its own.

#[path = "support/thread_server.rs"]
mod thread_server;

use actix_http::HttpService;
use actix_web::dev::{AppConfig, Server};
use actix_web::{App, web};
use zap_conformance::{Endpoint, Running};

async fn serve(endpoint: Endpoint) -> Running {
    thread_server::start(move |listener| {
        let core = endpoint.core();
        let ws = zap_actix::ZapHandler::new(core.clone());
        let timeout = endpoint.handshake_timeout;
        Server::build()
            .workers(1)
            .disable_signals()
            .listen("zap", listener, move || {
                let app = App::new().route("/ws", web::get().to(ws.clone()));
                HttpService::build()
                    .client_request_timeout(timeout)
                    .upgrade(zap_actix::upgrade(core.clone(), "/ws"))
                    .finish(actix_service::map_config(app, |_| AppConfig::default()))
                    .tcp()
            })
            .expect("listen")
            .run()
    })
    .await
}

zap_conformance::conformance_tests!(serve);

/// An upgrade for another path is answered by the upgrade service (404,
/// with its reason), not by the app: the upgrade really is taken out of
/// actix-http's dispatcher.
#[tokio::test]
async fn an_upgrade_for_another_path_is_answered_404_by_the_upgrade_service() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (register, _probe) = zap_conformance::conformance_register();
    let server = serve(Endpoint::new(register)).await;
    let authority = server
        .url()
        .trim_start_matches("ws://")
        .trim_end_matches("/ws")
        .to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&authority)
        .await
        .expect("connect");
    let request = format!(
        "GET /other HTTP/1.1\r\nHost: {authority}\r\nConnection: Upgrade\r\n\
         Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.expect("send");
    let mut answer = String::new();
    zap_conformance::within("the refusal", tcp.read_to_string(&mut answer))
        .await
        .expect("the whole answer, then the end of the connection");
    assert!(answer.starts_with("HTTP/1.1 404 "), "{answer}");
    assert!(
        answer.contains("no WebSocket endpoint at this path"),
        "{answer}"
    );
}

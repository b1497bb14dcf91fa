//! The conformance suite against zap-actix, served by an actix-web
//! `HttpServer` (one worker) on 127.0.0.1:0 in a thread of its own.

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use zap_conformance::{Endpoint, Running};

async fn serve(endpoint: Endpoint) -> Running {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let ws = zap_actix::ZapHandler::new(endpoint.core());
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
            let addr = listener.local_addr().expect("a bound address");
            let server =
                HttpServer::new(move || App::new().route("/ws", web::get().to(ws.clone())))
                    .workers(1)
                    .client_request_timeout(endpoint.handshake_timeout)
                    .disable_signals()
                    .listen(listener)
                    .expect("listen")
                    .run();
            let _ = tx.send((addr, server.handle()));
            server.await
        })
    });
    let (addr, handle) = zap_conformance::within("actix to start", rx)
        .await
        .expect("actix started");
    Running::new(format!("ws://{addr}/ws"), StopOnDrop(handle))
}

/// Stops the server when the check ends.
struct StopOnDrop(ServerHandle);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        // Sends the stop command at once; completion is not awaited.
        drop(self.0.stop(false));
    }
}

zap_conformance::conformance_tests!(serve);

//! The conformance suite against the standalone `zap-server`.

use zap_conformance::{Endpoint, Running};
use zap_server::ZapServer;

async fn serve(endpoint: Endpoint) -> Running {
    let server = ZapServer::builder()
        .port(0)
        .path("/ws")
        .endpoint(endpoint.core())
        .handshake_timeout(endpoint.handshake_timeout)
        .start()
        .await
        .expect("bind 127.0.0.1:0");
    let url = server.url().to_owned();
    // zap-server owns its shutdown; the endpoint's token triggers it.
    tokio::spawn(server.run_until(endpoint.shutdown.cancelled_owned()));
    Running::new(url, ())
}

zap_conformance::conformance_tests!(serve);

//! Graceful shutdown: cancelling the endpoint's token closes every session
//! with 1001 and runs every `disconnected` handler.

use crate::{Client, Endpoint, Integration, conformance_register};

/// Every client gets a 1001 "server shutting down" close frame, and
/// `disconnected` runs for each.
pub async fn cancelling_the_shutdown_token_closes_every_session_with_1001(it: &impl Integration) {
    let (register, mut probe) = conformance_register();
    let endpoint = Endpoint::new(register);
    let shutdown = endpoint.shutdown.clone();
    let server = it.serve(endpoint).await;
    let mut clients = Vec::new();
    for _ in 0..5 {
        clients.push(Client::connect(server.url()).await);
    }
    shutdown.cancel();
    for client in &mut clients {
        let frame = client.recv_close().await.expect("a close frame");
        assert_eq!(u16::from(frame.code), 1001);
        assert_eq!(frame.reason.as_str(), "server shutting down");
    }
    let ids: Vec<&str> = clients.iter().map(|client| client.id.as_str()).collect();
    probe.wait_disconnected(&ids).await;
}

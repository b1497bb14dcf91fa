//! Shutdown with a handler that never finishes: it gets the shutdown grace
//! period, is then aborted, and `disconnected` still runs exactly once.

use std::time::Duration;

use serde_json::json;
use zap_core::ConnectionConfig;

use crate::{Client, Endpoint, Integration, conformance_register};

/// A `hang` handler never finishes; the shutdown token is cancelled while it
/// runs: after the grace the client reads 1001 and `disconnected` runs once.
pub async fn a_handler_that_never_finishes_is_aborted_after_the_shutdown_grace(
    it: &impl Integration,
) {
    let (register, mut probe) = conformance_register();
    let register = register.on_event("hang", |_ctx| std::future::pending::<()>());
    let config = ConnectionConfig::default().shutdown_grace(Duration::from_millis(200));
    let endpoint = Endpoint::new(register).config(config);
    let shutdown = endpoint.shutdown.clone();
    let server = it.serve(endpoint).await;
    let mut client = Client::connect(server.url()).await;
    let mut other = Client::connect(server.url()).await;
    client.send("hang", json!(null)).await;
    // The hanging handler holds no other connection back.
    other.assert_echoes("still served").await;
    shutdown.cancel();
    for peer in [&mut client, &mut other] {
        let frame = peer.recv_close().await.expect("a close frame");
        assert_eq!(u16::from(frame.code), 1001);
    }
    probe.wait_disconnected(&[&client.id, &other.id]).await;
    let again = probe.drain();
    assert!(
        !again.iter().any(|entry| entry.starts_with("disconnected")),
        "disconnected ran more than once: {again:?}"
    );
}

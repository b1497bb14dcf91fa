//! Lifecycle: `connected` runs before any other handler; `disconnected` runs
//! exactly once whether the peer closes, the network drops or the server
//! closes; queued events are written before the close frame.

use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::{standard, until};
use crate::{Client, Integration, Probe, Running};

/// Waits for `disconnected:<id>`, then proves through a fresh connection's
/// round trip that nothing about `id` follows and its sends failed.
async fn expect_single_disconnect(server: &Running, probe: &mut Probe, id: &str) {
    let gone = format!("disconnected:{id}");
    let before = probe
        .wait_for(|entry| entry.ends_with(id) && entry.starts_with("disconnected"))
        .await;
    assert_eq!(before, gone, "sends must fail once `disconnected` runs");
    let mut witness = Client::connect(server.url()).await;
    witness.assert_echoes("after").await;
    let later: Vec<String> = probe
        .drain()
        .into_iter()
        .filter(|e| e.ends_with(id))
        .collect();
    assert!(later.is_empty(), "after `disconnected` came {later:?}");
}

/// `connected` finishes before the first event's handler starts, even when
/// the event arrives while `connected` is still running.
pub async fn connected_runs_before_any_other_handler(it: &impl Integration) {
    let (server, mut probe) = standard(it).await;
    let url = format!("{}?slow=1", server.url());
    let mut ws = Client::open(&url).await;
    // Sent while `connected` is still sleeping.
    ws.send(tokio_tungstenite::tungstenite::Message::text(
        r#"{"eventName":"first"}"#,
    ))
    .await
    .unwrap();
    assert!(probe.next().await.starts_with("connected:"));
    probe.expect("event:first").await;
    let client = Client::greeted(ws).await;
    assert!(client.id.starts_with("zpt-"), "default ids are zpt-<uuid>");
}

/// A close frame from the peer is answered with its code; `disconnected` once.
pub async fn disconnected_runs_once_when_the_peer_closes(it: &impl Integration) {
    let (server, mut probe) = standard(it).await;
    let mut client = Client::connect(server.url()).await;
    let bye = CloseFrame {
        code: CloseCode::Away,
        reason: "bye".into(),
    };
    client.ws.close(Some(bye)).await.unwrap();
    let reply = client.recv_close().await.expect("the server's close reply");
    assert_eq!(reply.code, CloseCode::Away);
    expect_single_disconnect(&server, &mut probe, &client.id).await;
}

/// A TCP reset, no close frame: `disconnected` once.
pub async fn disconnected_runs_once_when_the_network_drops(it: &impl Integration) {
    let (server, mut probe) = standard(it).await;
    let client = Client::connect(server.url()).await;
    let id = client.id.clone();
    client.reset();
    expect_single_disconnect(&server, &mut probe, &id).await;
}

/// `Connection::close` from a handler: close code 1000, `disconnected` once.
pub async fn disconnected_runs_once_when_the_server_closes(it: &impl Integration) {
    let (server, mut probe) = standard(it).await;
    let mut client = Client::connect(server.url()).await;
    client.send("close-me", json!(null)).await;
    let frame = client.recv_close().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), 1000);
    expect_single_disconnect(&server, &mut probe, &client.id).await;
}

/// Events queued before `close_with` reach the peer before the close frame,
/// which carries the given code and reason.
pub async fn queued_events_are_written_before_the_close_frame(it: &impl Integration) {
    let (server, _probe) = standard(it).await;
    let mut client = Client::connect(server.url()).await;
    client.send("bye", json!(null)).await;
    for n in 0..10 {
        assert_eq!(client.expect("n").await, json!(n));
    }
    let frame = client.recv_close().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), 4000);
    assert_eq!(frame.reason.as_str(), "done");
}

/// Connections that come and go leave nothing behind in the router.
pub async fn connections_that_leave_are_removed_from_the_router(it: &impl Integration) {
    let (register, mut probe) = crate::conformance_register();
    let router = register.router().clone();
    let server = it.serve(crate::Endpoint::new(register)).await;
    let mut clients = Vec::new();
    for _ in 0..20 {
        clients.push(Client::connect(server.url()).await);
    }
    assert_eq!(router.count(), 20);
    let ids: Vec<String> = clients.iter().map(|c| c.id.clone()).collect();
    for client in &mut clients {
        client.ws.close(None).await.unwrap();
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    probe.wait_disconnected(&ids).await;
    until("every connection to leave the router", || {
        router.count() == 0
    })
    .await;
}

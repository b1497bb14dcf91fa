//! TestServer and TestClient: one behaviour per test, under tokio's paused
//! clock unless the behaviour is about a real-time wait.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::json;
use zap_core::{ConnectionConfig, EndReason, EventRegister, Rejection, close_code};
use zap_test::{Connect, TestServer};

fn echo() -> EventRegister {
    EventRegister::new()
        .on_event("echo", |ctx| async move {
            ctx.connection().send("echo", ctx.payload())?;
            Ok(())
        })
        .on_event("join", |ctx| async move {
            let room: String = ctx.payload_as()?;
            ctx.join(&room);
            ctx.connection().send("joined", &room)?;
            Ok(())
        })
        .on_event("say", |ctx| async move {
            ctx.router()
                .to("lobby")
                .except(ctx.connection().id())
                .send("said", ctx.payload())?;
            Ok(())
        })
        .on_event("bye", |ctx| async move {
            ctx.connection().close_with(4000, "bye");
            Ok(())
        })
}

#[tokio::test(start_paused = true)]
async fn an_event_reaches_its_handler_and_the_answer_arrives() {
    let server = TestServer::new(echo());
    let mut client = server.connect().await;
    client.send("echo", json!({"n": 1}));
    let got = client.expect("echo").await;
    assert_eq!(got.payload, json!({"n": 1}));
    assert_eq!(got.headers, None);
}

#[tokio::test(start_paused = true)]
async fn the_handshake_carries_the_chosen_path_query_and_headers() {
    let register = EventRegister::new().on_connected(|ctx| async move {
        let hs = ctx.handshake();
        let seen = json!({
            "path": hs.path(),
            "room": hs.query_param("room"),
            "agent": hs.header("user-agent"),
            "token": hs.bearer_token(),
        });
        ctx.connection().send("seen", seen)?;
        Ok(())
    });
    let server = TestServer::new(register);
    let options = Connect::new()
        .path("/ws")
        .query("room", "the lobby")
        .header("user-agent", "tests")
        .bearer("s3cret");
    let mut client = server.connect_with(options).await.unwrap();
    client
        .expect_payload(
            "seen",
            json!({"path": "/ws", "room": "the lobby", "agent": "tests", "token": "s3cret"}),
        )
        .await;
}

#[tokio::test(start_paused = true)]
async fn the_authorization_hook_refuses_with_its_status() {
    let register = EventRegister::new().authorize(|hs| async move {
        match hs.bearer_token() {
            Some("ok") => Ok(()),
            _ => Err(Rejection::unauthorized()),
        }
    });
    let server = TestServer::new(register);
    let refused = server.connect_with(Connect::new()).await.unwrap_err();
    assert_eq!(refused.status(), 401);
    assert!(
        server
            .connect_with(Connect::new().bearer("ok"))
            .await
            .is_ok()
    );
}

#[tokio::test(start_paused = true)]
async fn a_request_gets_the_answer_carrying_its_id() {
    let register = EventRegister::new().on_event("add", |ctx| async move {
        let [a, b]: [i64; 2] = ctx.payload_as()?;
        ctx.connection().send("noise", ())?;
        ctx.reply(a + b)?;
        Ok(())
    });
    let server = TestServer::new(register);
    let mut client = server.connect().await;
    let answer = client.request("add", [2, 3]).await;
    assert_eq!(answer.payload, json!(5));
    // The unrelated event stays in the mailbox.
    client.expect("noise").await;
}

#[tokio::test(start_paused = true)]
#[should_panic(
    expected = "expected `missing` within 10s; arrived instead:\n  - `echo` \"a\"\n  - `echo` \"b\""
)]
async fn a_failed_expect_lists_what_arrived_instead() {
    let server = TestServer::new(echo());
    let mut client = server.connect().await;
    client.send("echo", "a");
    client.send("echo", "b");
    client.expect("missing").await;
}

#[tokio::test(start_paused = true)]
async fn expect_takes_the_first_match_and_leaves_the_rest() {
    let server = TestServer::new(echo());
    let mut client = server.connect().await;
    client.send("echo", 1);
    client.send("join", "lobby");
    client.expect("joined").await;
    client.expect_payload("echo", 1).await;
    client.expect_nothing().await;
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "expected nothing; arrived:\n  - `echo` 7")]
async fn expect_nothing_fails_when_an_event_arrives() {
    let server = TestServer::new(echo());
    let mut client = server.connect().await;
    client.send("echo", 7);
    client.expect_nothing().await;
}

#[tokio::test(start_paused = true)]
async fn a_close_by_the_server_is_seen_with_its_code() {
    let server = TestServer::new(echo());
    let mut client = server.connect().await;
    client.send("bye", ());
    let frame = client.expect_closed(4000).await;
    assert_eq!(frame.reason, "bye");
}

#[tokio::test(start_paused = true)]
#[should_panic(
    expected = "expected `echo` within 10s; arrived instead: nothing\nthen the server closed the connection (4000 bye)"
)]
async fn an_expect_on_a_closed_connection_fails_at_once_saying_so() {
    let server = TestServer::new(echo());
    let mut client = server.connect().await;
    client.send("bye", ());
    client.expect("echo").await;
}

#[tokio::test(start_paused = true)]
async fn a_silent_peer_is_dropped_after_the_idle_timeout_in_virtual_time() {
    let config = ConnectionConfig::default()
        .ping_interval(Some(Duration::from_secs(2)))
        .idle_timeout(Some(Duration::from_secs(6)));
    let server = TestServer::with_config(echo(), config);
    let mut silent = server.connect_with(Connect::new().silent()).await.unwrap();
    let mut alive = server.connect().await;
    silent.expect_closed(close_code::GOING_AWAY).await;
    alive.send("echo", "still here");
    alive.expect_payload("echo", "still here").await;
}

#[tokio::test(start_paused = true)]
async fn a_room_view_sees_a_broadcast_reach_every_member_but_the_sender() {
    let server = TestServer::new(echo());
    let mut clients = Vec::new();
    for _ in 0..3 {
        let mut client = server.connect().await;
        client.send("join", "lobby");
        client.expect("joined").await;
        clients.push(client);
    }
    let outsider = server.connect().await;
    let lobby = server.room("lobby");
    assert_eq!(lobby.members().len(), 3);
    clients[0].send("say", "hi");
    let lobby = lobby.except(clients[0].id());
    assert_eq!(lobby.expect_payload("said", "hi").await.len(), 2);
    assert!(outsider.received().is_empty());
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "did not receive `said`")]
async fn a_room_view_names_the_member_that_missed_a_broadcast() {
    let server = TestServer::new(echo());
    let mut ada = server.connect().await;
    ada.send("join", "lobby");
    ada.expect("joined").await;
    // The sender is excluded by the handler but not by the view.
    let lobby = server.room("lobby");
    ada.send("say", "hi");
    lobby.expect("said").await;
}

#[tokio::test(start_paused = true)]
async fn closing_runs_disconnected_before_returning() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let register = EventRegister::new().on_disconnected(move |ctx| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(ctx.connection().id().clone());
        }
    });
    let server = TestServer::new(register);
    let client = server.connect().await;
    let id = client.id().clone();
    let end = client.close().await;
    assert!(
        matches!(end, EndReason::PeerClosed(Some(ref f)) if f.code == 1000),
        "{end:?}"
    );
    assert_eq!(rx.try_recv().unwrap(), id);
    assert_eq!(server.router().count(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_cut_link_is_a_network_drop_for_the_server() {
    let server = TestServer::new(echo());
    let client = server.connect().await;
    let cut = client.cut().await;
    assert_eq!(cut.end_reason(), Some(&EndReason::PeerGone));
    assert_eq!(server.router().count(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_resumed_client_keeps_what_it_received() {
    let server = TestServer::new(echo());
    let client = server.connect().await;
    client.send("echo", 1);
    let mut client = server
        .resume(client_after_echo(client).await)
        .await
        .unwrap();
    client.send("echo", 2);
    client.expect_payload("echo", 2).await;
    let names: Vec<_> = client.received().into_iter().map(|e| e.payload).collect();
    assert_eq!(names, [json!(1), json!(2)]);
}

async fn client_after_echo(mut client: zap_test::TestClient) -> zap_test::CutClient {
    client.expect("echo").await;
    client.cut().await
}

#[tokio::test(start_paused = true)]
async fn shutdown_closes_every_connection_with_1001() {
    let server = TestServer::new(echo());
    let mut a = server.connect().await;
    let mut b = server.connect().await;
    server.shutdown().await;
    a.expect_closed(close_code::GOING_AWAY).await;
    b.expect_closed(close_code::GOING_AWAY).await;
}

#[tokio::test(start_paused = true)]
async fn a_taken_id_is_refused_with_1008() {
    let register = EventRegister::new().id_strategy(|_| "same".into());
    let server = TestServer::new(register);
    let first = server.connect().await;
    let mut second = server.connect().await;
    second.expect_closed(close_code::POLICY).await;
    assert_eq!(first.id().as_str(), "same");
}

#[tokio::test(start_paused = true)]
async fn invalid_and_binary_frames_reach_the_error_handler() {
    let register = EventRegister::new().on_error(|ctx| async move {
        let kind = ctx
            .error()
            .map(|e| format!("{:?}", e.kind))
            .unwrap_or_default();
        let _ = ctx.connection().send("failed", kind);
    });
    let server = TestServer::new(register);
    let mut client = server.connect().await;
    client.send_text("{not json");
    client.expect_payload("failed", "InvalidFrame").await;
    client.send_binary(3);
    client.expect_payload("failed", "BinaryFrame").await;
}

//! A cut link resumed with the recovery extension: the test client names
//! its session and offsets, the server replays what it missed, and
//! duplicates and resends are handled, over zap-core's recovery.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use zap_core::{EventRegister, History};
use zap_test::{Connect, TestCluster, TestServer};

fn app() -> EventRegister {
    EventRegister::new()
        .history("*", History::last(100))
        .on_event("join", |ctx| async move {
            let room: String = ctx.payload_as()?;
            ctx.join(&room);
            ctx.reply(&room)?;
            Ok(())
        })
        .on_event("say", |ctx| async move {
            let text: String = ctx.payload_as()?;
            ctx.router().to("lobby").send("said", text)?;
            Ok(())
        })
        .on_event("count", |ctx| async move {
            let n: u64 = ctx.payload_as()?;
            ctx.connection().send("counted", n)?;
            Ok(())
        })
}

#[tokio::test(start_paused = true)]
async fn a_resumed_session_gets_the_room_events_it_missed_once_in_order() {
    let server = TestServer::new(app());
    let mut ada = server.connect_with(Connect::new().recover()).await.unwrap();
    let session = ada.expect("zap.session").await;
    assert_eq!(session.payload["status"], "new");
    ada.request("join", "lobby").await;
    let mut bob = server.connect().await;
    bob.request("join", "lobby").await;

    bob.send("say", "one");
    ada.expect_payload("said", "one").await;
    let cut = ada.cut().await;
    bob.send("say", "two");
    bob.send("say", "three");
    bob.expect_payload("said", "three").await;

    let mut ada = server.resume(cut).await.unwrap();
    let session = ada.expect("zap.session").await;
    assert_eq!(session.payload["status"], "recovered", "{session}");
    ada.expect_payload("said", "two").await;
    ada.expect_payload("said", "three").await;
    ada.expect_nothing().await;
    let said: Vec<_> = ada
        .received()
        .into_iter()
        .filter(|e| e.name == "said")
        .map(|e| e.payload)
        .collect();
    assert_eq!(said, [json!("one"), json!("two"), json!("three")]);
}

#[tokio::test(start_paused = true)]
async fn a_v1_client_sees_no_recovery_frames_or_stamps() {
    let server = TestServer::new(app());
    let mut v1 = server.connect().await;
    v1.request("join", "lobby").await;
    v1.send("say", "plain");
    let said = v1.expect_payload("said", "plain").await;
    assert_eq!(said.headers, None);
    assert!(v1.received().iter().all(|e| !e.name.starts_with("zap.")));
}

#[tokio::test(start_paused = true)]
async fn client_events_are_stamped_and_acknowledged() {
    let server = TestServer::new(app());
    let mut ada = server.connect_with(Connect::new().recover()).await.unwrap();
    ada.expect("zap.session").await;
    for n in 0..5 {
        ada.send("count", n);
    }
    for n in 0..5 {
        ada.expect_payload("counted", n).await;
    }
    let cut = ada.cut().await;
    let mut ada = server.resume(cut).await.unwrap();
    let session = ada.expect("zap.session").await;
    assert_eq!(session.payload["ack"], 5, "{session}");
    ada.expect_nothing().await; // nothing resent, nothing handled twice
    assert!(ada.undelivered().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_session_resumes_on_another_node_of_the_cluster() {
    let cluster = TestCluster::new(2, app());
    let mut ada = cluster
        .node(0)
        .connect_with(Connect::new().recover())
        .await
        .unwrap();
    ada.expect("zap.session").await;
    ada.send("count", 1);
    ada.expect_payload("counted", 1).await;
    let cut = ada.cut().await;
    let mut ada = cluster.node(1).resume(cut).await.unwrap();
    let session = ada.expect("zap.session").await;
    assert_eq!(session.payload["status"], "recovered", "{session}");
    assert_eq!(session.payload["ack"], 1, "{session}");
}

#[tokio::test(start_paused = true)]
async fn events_refused_by_flood_control_are_resent_and_all_handled_once() {
    // The default flood control: 1,000 events/s, a burst of 2,000.
    let server = TestServer::new(app());
    let mut ada = server.connect_with(Connect::new().recover()).await.unwrap();
    ada.expect("zap.session").await;
    for n in 0..3_000u64 {
        ada.send("count", n);
    }
    for n in 0..3_000u64 {
        ada.expect_payload("counted", n).await;
    }
    ada.expect_nothing().await;
}

//! The router's membership rules, through zap-test's in-memory
//! connections: a join racing the connection's removal never leaves a
//! member behind, and an ending connection leaves every room it joined.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use zap_core::EventRegister;
use zap_test::TestServer;

fn rooms_app() -> EventRegister {
    EventRegister::new()
        .presence_event("presence")
        .on_event("join", |ctx| async move {
            let rooms: Vec<String> = ctx.payload_as()?;
            for room in &rooms {
                ctx.join(room);
            }
            ctx.reply(rooms.len())?;
            Ok(())
        })
}

#[tokio::test(start_paused = true)]
async fn joining_twice_counts_once_and_leaving_a_room_not_joined_is_false() {
    let server = TestServer::new(EventRegister::new());
    let client = server.connect().await;
    let router = server.router();
    assert!(router.join("r", client.connection()));
    assert!(!router.join("r", client.connection()));
    assert_eq!(router.room_size("r"), 1);
    assert!(!router.leave("elsewhere", client.connection()));
    assert!(router.leave("r", client.connection()));
    assert!(router.room_names().is_empty(), "an empty room disappears");
}

#[tokio::test(start_paused = true)]
async fn a_connection_that_ended_cannot_join() {
    let server = TestServer::new(EventRegister::new());
    let client = server.connect().await;
    let connection = client.connection().clone();
    client.close().await;
    assert!(!server.router().join("late", &connection));
    assert!(server.router().room_names().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_racing_the_removal_never_leaves_a_member_behind() {
    let server = TestServer::new(EventRegister::new());
    for round in 0..200 {
        let client = server.connect().await;
        let connection = client.connection().clone();
        let router = server.router().clone();
        let joiner = tokio::spawn(async move {
            let mut n = 0;
            while router.join(&format!("room-{round}-{n}"), &connection) {
                n += 1;
                tokio::task::yield_now().await;
            }
        });
        client.close().await;
        joiner.await.unwrap();
        assert!(
            server.router().room_names().is_empty(),
            "round {round}: a closed connection stayed in {:?}",
            server.router().room_names()
        );
    }
}

#[tokio::test(start_paused = true)]
async fn an_ending_connection_leaves_every_room_and_each_is_told() {
    let server = TestServer::new(rooms_app());
    let mut stays = server.connect().await;
    let mut goes = server.connect().await;
    let rooms: Vec<String> = (0..20).map(|n| format!("room-{n}")).collect();
    stays.request("join", &rooms[..10]).await;
    goes.request("join", &rooms).await;
    let goes_id = goes.id().clone();
    stays.take_all();
    goes.close().await;

    let mut left = Vec::new();
    for _ in 0..10 {
        let presence = stays.expect("presence").await;
        assert_eq!(presence.payload["action"], "leave");
        assert_eq!(presence.payload["id"], json!(goes_id.as_str()));
        left.push(presence.payload["room"].as_str().unwrap().to_owned());
    }
    left.sort();
    let mut shared = rooms[..10].to_vec();
    shared.sort();
    assert_eq!(left, shared);
    stays.expect_nothing().await;
    let mut remaining = server.router().room_names();
    remaining.sort();
    assert_eq!(remaining, shared, "the rooms only it was in are gone");
}

//! Two and three server instances in one process, each its own zap-server on
//! port 0 with the Redis backend, clients on each: rooms, excludes,
//! `send_to`, cluster queries and presence span every instance.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn a_room_broadcast_reaches_members_on_every_instance_exactly_once() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("fanout");
    let nodes = [
        instance(&redis, &prefix).await,
        instance(&redis, &prefix).await,
        instance(&redis, &prefix).await,
    ];
    let mut clients = Vec::new();
    for node in &nodes {
        for _ in 0..2 {
            let c = client(node.server.url()).await;
            assert_eq!(ask(&c, "join", json!("lobby")).await, json!(true));
            clients.push(c);
        }
    }
    let mut streams: Vec<_> = clients
        .iter()
        .map(|c| c.subscribe_to_event("said"))
        .collect();
    // Every instance's membership is visible before we broadcast.
    until_members("6 members cluster-wide", &clients[0], "lobby", 6).await;

    let remote = ask(&clients[0], "say", json!(["lobby", "hello all"])).await;
    assert_eq!(remote, json!("Published"));
    for stream in &mut streams[1..] {
        assert_eq!(next(stream).await.payload().as_json(), "\"hello all\"");
    }
    // The sender is excluded, and nobody gets it twice (not even members on
    // the publishing instance, which delivered it locally).
    for stream in &mut streams {
        silent(stream).await;
    }
}

#[tokio::test]
async fn an_exclude_is_honoured_on_other_instances() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("exclude");
    let (a, b) = (
        instance(&redis, &prefix).await,
        instance(&redis, &prefix).await,
    );
    let (a1, b1, b2) = (
        client(a.server.url()).await,
        client(b.server.url()).await,
        client(b.server.url()).await,
    );
    for c in [&a1, &b1, &b2] {
        ask(c, "join", json!("r")).await;
    }
    let b1_id = ask(&b1, "whoami", json!(null)).await;
    let (mut b1_said, mut b2_said) = (b1.subscribe_to_event("said"), b2.subscribe_to_event("said"));
    until_members("3 members", &a1, "r", 3).await;
    ask(&a1, "say-except", json!(["r", "not for b1", b1_id])).await;
    assert_eq!(
        next(&mut b2_said).await.payload().as_json(),
        "\"not for b1\""
    );
    silent(&mut b1_said).await;
}

#[tokio::test]
async fn send_to_reaches_a_connection_held_by_another_instance() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("sendto");
    let (a, b) = (
        instance(&redis, &prefix).await,
        instance(&redis, &prefix).await,
    );
    let (a1, b1) = (client(a.server.url()).await, client(b.server.url()).await);
    let b1_id = ask(&b1, "whoami", json!(null)).await;
    let mut direct = b1.subscribe_to_event("direct");
    ask(&a1, "direct", json!([b1_id, "psst"])).await;
    assert_eq!(next(&mut direct).await.payload().as_json(), "\"psst\"");
    silent(&mut direct).await;
}

#[tokio::test]
async fn cluster_queries_span_every_instance() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("queries");
    let (a, b) = (
        instance(&redis, &prefix).await,
        instance(&redis, &prefix).await,
    );
    let a1 = client(a.server.url()).await;
    let b_clients = [client(b.server.url()).await, client(b.server.url()).await];
    ask(&a1, "join", json!("room")).await;
    ask(&b_clients[0], "join", json!("room")).await;
    let a1_id = ask(&a1, "whoami", json!(null)).await;
    let b0_id = ask(&b_clients[0], "whoami", json!(null)).await;

    eventually("3 connections cluster-wide", || async {
        ask(&a1, "count", json!(null)).await == json!(3)
    })
    .await;
    let mut expected = vec![json!([a1_id, true]), json!([b0_id, false])];
    expected.sort_by_key(|v| v[0].as_str().unwrap().to_owned());
    eventually("both members listed", || async {
        ask(&a1, "members", json!("room")).await == json!(expected)
    })
    .await;
    assert_eq!(a.server.router().count(), 1, "local count stays local");

    b_clients[1].disconnect().await;
    eventually("the count drops", || async {
        ask(&a1, "count", json!(null)).await == json!(2)
    })
    .await;
}

#[tokio::test]
async fn presence_events_tell_members_on_other_instances() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("presence");
    let a = instance_with(&redis, &prefix, register().presence_event("presence")).await;
    let b = instance_with(&redis, &prefix, register().presence_event("presence")).await;
    let a1 = client(a.server.url()).await;
    ask(&a1, "join", json!("room")).await;
    let mut presence = a1.subscribe_to_event("presence");

    let b1 = client(b.server.url()).await;
    let b1_id = ask(&b1, "whoami", json!(null)).await;
    ask(&b1, "join", json!("room")).await;
    let joined = next(&mut presence).await.payload().to_value().unwrap();
    assert_eq!(
        joined,
        json!({"room": "room", "id": b1_id, "action": "join", "meta": null})
    );

    b1.disconnect().await;
    let left = next(&mut presence).await.payload().to_value().unwrap();
    assert_eq!(
        left,
        json!({"room": "room", "id": b1_id, "action": "leave", "meta": null})
    );
}

#[tokio::test]
async fn prefixes_keep_applications_apart() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let (a, b) = (
        instance(&redis, &prefix("app-one")).await,
        instance(&redis, &prefix("app-two")).await,
    );
    let (a1, b1) = (client(a.server.url()).await, client(b.server.url()).await);
    ask(&a1, "join", json!("lobby")).await;
    ask(&b1, "join", json!("lobby")).await;
    let mut said = b1.subscribe_to_event("said");
    // Membership reaches Redis asynchronously: wait until each app sees its
    // own member, then check neither sees the other's.
    for c in [&a1, &b1] {
        eventually("the member to be recorded", || async {
            ask(c, "members", json!("lobby"))
                .await
                .as_array()
                .is_some_and(|m| !m.is_empty())
        })
        .await;
        assert_eq!(
            ask(c, "members", json!("lobby"))
                .await
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
    ask(&a1, "say", json!(["lobby", "app one only"])).await;
    silent(&mut said).await;
}

#[tokio::test]
async fn a_backend_cannot_start_without_redis() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let mut config = config(&redis, "nowhere");
    config.url = "redis://127.0.0.1:1/".to_owned();
    let err = zap_redis::RedisBackend::connect_with_config(config)
        .await
        .unwrap_err();
    assert!(
        matches!(err, zap_redis::ConnectError::Unreachable { .. }),
        "{err}"
    );
    let said = err.to_string();
    assert!(
        said.starts_with("cannot reach Redis at redis://127.0.0.1:1/: "),
        "{said}"
    );
    let err = zap_redis::RedisBackend::connect("not a url")
        .await
        .unwrap_err();
    assert!(
        matches!(err, zap_redis::ConnectError::InvalidUrl { .. }),
        "{err}"
    );
}

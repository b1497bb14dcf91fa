//! Rooms and routing: join, leave, metadata, broadcast with exclude, to
//! everyone, leave on disconnect, many connections.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use zap_core::{EventRegister, MetaTag};

fn chat_register() -> EventRegister {
    EventRegister::new()
        .on_event("join", |ctx| async move {
            let room: String = ctx.payload_as()?;
            let joined = ctx.join_with_meta(
                &room,
                MetaTag::new(ctx.connection().id().as_str()).value("n", 1),
            );
            ctx.reply(joined)?;
            Ok(())
        })
        .on_event("leave", |ctx| async move {
            let room: String = ctx.payload_as()?;
            ctx.reply(ctx.leave(&room))?;
            Ok(())
        })
        .on_event("say", |ctx| async move {
            let (room, text): (String, String) = ctx.payload_as()?;
            let delivery = ctx
                .router()
                .to(&room)
                .except(ctx.connection().id())
                .send("said", &text)?;
            ctx.reply(delivery.delivered)?;
            Ok(())
        })
        .on_event("shout", |ctx| async move {
            let text: String = ctx.payload_as()?;
            ctx.router().all().send("shouted", &text)?;
            Ok(())
        })
        .on_event("members", |ctx| async move {
            let room: String = ctx.payload_as()?;
            let mut names: Vec<String> = ctx
                .router()
                .members(&room)
                .into_iter()
                .map(|m| m.meta.map(|meta| meta.name).unwrap_or_default())
                .collect();
            names.sort();
            ctx.reply(names)?;
            Ok(())
        })
        .on_event("whoami", |ctx| async move {
            ctx.reply(ctx.connection().id().as_str())?;
            Ok(())
        })
}

async fn call(ws: &mut Ws, event: &str, payload: serde_json::Value) -> serde_json::Value {
    send_text(
        ws,
        &json!({"eventName": event, "payload": payload}).to_string(),
    )
    .await;
    let reply = recv_event(ws).await;
    assert_eq!(reply.event_name(), event);
    reply.payload().to_value().unwrap()
}

async fn assert_silent(ws: &mut Ws) {
    let next = tokio::time::timeout(Duration::from_millis(150), recv_raw(ws)).await;
    assert!(next.is_err(), "expected no event, got {next:?}");
}

async fn recv_raw(ws: &mut Ws) -> Option<String> {
    use futures_util::StreamExt;
    match ws.next().await {
        Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => Some(t.as_str().to_owned()),
        _ => None,
    }
}

#[tokio::test]
async fn a_room_broadcast_reaches_members_except_the_sender() {
    let server = start(chat_register()).await;
    let (mut a, mut b, mut c, mut outsider) = (
        connect(&server).await,
        connect(&server).await,
        connect(&server).await,
        connect(&server).await,
    );
    for ws in [&mut a, &mut b, &mut c] {
        assert_eq!(call(ws, "join", json!("lobby")).await, json!(true));
    }
    assert_eq!(call(&mut a, "say", json!(["lobby", "hi"])).await, json!(2));
    for ws in [&mut b, &mut c] {
        let said = recv_event(ws).await;
        assert_eq!(
            (said.event_name(), said.payload().as_json()),
            ("said", "\"hi\"")
        );
    }
    assert_silent(&mut a).await;
    assert_silent(&mut outsider).await;
}

#[tokio::test]
async fn joining_twice_is_reported_and_counted_once() {
    let server = start(chat_register()).await;
    let mut a = connect(&server).await;
    assert_eq!(call(&mut a, "join", json!("r")).await, json!(true));
    assert_eq!(call(&mut a, "join", json!("r")).await, json!(false));
    assert_eq!(server.router().room_size("r"), 1);
}

#[tokio::test]
async fn leaving_stops_delivery_and_empty_rooms_disappear() {
    let server = start(chat_register()).await;
    let (mut a, mut b) = (connect(&server).await, connect(&server).await);
    call(&mut a, "join", json!("r")).await;
    call(&mut b, "join", json!("r")).await;
    assert_eq!(call(&mut b, "leave", json!("r")).await, json!(true));
    assert_eq!(call(&mut b, "leave", json!("r")).await, json!(false));
    assert_eq!(call(&mut a, "say", json!(["r", "anyone?"])).await, json!(0));
    assert_silent(&mut b).await;
    call(&mut a, "leave", json!("r")).await;
    assert!(server.router().room_names().is_empty());
}

#[tokio::test]
async fn members_carry_their_metadata() {
    let server = start(chat_register()).await;
    let (mut a, mut b) = (connect(&server).await, connect(&server).await);
    let a_id = call(&mut a, "whoami", json!(null)).await;
    let b_id = call(&mut b, "whoami", json!(null)).await;
    call(&mut a, "join", json!("r")).await;
    call(&mut b, "join", json!("r")).await;
    let mut expected = vec![a_id, b_id];
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(call(&mut a, "members", json!("r")).await, json!(expected));
    let member = &server.router().members("r")[0];
    assert_eq!(member.meta.as_ref().unwrap().values["n"], 1);
}

#[tokio::test]
async fn a_connection_leaves_every_room_when_it_disconnects() {
    let server = start(chat_register()).await;
    let (mut a, mut b) = (connect(&server).await, connect(&server).await);
    for room in ["r1", "r2", "r3"] {
        call(&mut a, "join", json!(room)).await;
    }
    call(&mut b, "join", json!("r1")).await;
    a.close(None).await.unwrap();
    within("a leaves its rooms", async {
        while server.router().room_size("r1") != 1 || !server.router().room_names().eq(&["r1"]) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert_eq!(call(&mut b, "say", json!(["r1", "x"])).await, json!(0));
}

#[tokio::test]
async fn a_broadcast_to_everyone_reaches_every_connection() {
    let server = start(chat_register()).await;
    let mut clients = Vec::new();
    for _ in 0..5 {
        clients.push(connect(&server).await);
    }
    within("registration", async {
        while server.router().count() < 5 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    send_text(&mut clients[0], r#"{"eventName":"shout","payload":"hey"}"#).await;
    for ws in &mut clients {
        assert_eq!(recv_event(ws).await.event_name(), "shouted");
    }
}

#[tokio::test]
async fn a_room_of_many_gets_each_broadcast_exactly_once() {
    const N: usize = 200;
    let server = start(chat_register()).await;
    let mut clients = Vec::new();
    for _ in 0..N {
        let mut ws = connect(&server).await;
        call(&mut ws, "join", json!("big")).await;
        clients.push(ws);
    }
    let (sender, receivers) = clients.split_first_mut().unwrap();
    for round in 0..3 {
        let delivered = call(sender, "say", json!(["big", format!("m{round}")])).await;
        assert_eq!(delivered, json!(N - 1));
    }
    for ws in receivers.iter_mut() {
        for round in 0..3 {
            assert_eq!(
                recv_event(ws).await.payload().as_json(),
                format!("\"m{round}\"")
            );
        }
    }
    for ws in receivers.iter_mut().take(10) {
        assert_silent(ws).await;
    }
}

#[tokio::test]
async fn the_router_is_usable_from_outside_handlers() {
    let server = start(chat_register()).await;
    let mut a = connect(&server).await;
    let id = call(&mut a, "whoami", json!(null)).await;
    let id = id.as_str().unwrap();
    server
        .router()
        .send_to(id, "from-outside", json!({"ok": true}))
        .unwrap();
    assert_eq!(recv_event(&mut a).await.event_name(), "from-outside");
    let err = server.router().send_to("zpt-nobody", "x", ()).unwrap_err();
    assert!(matches!(err, zap_core::SendError::NotFound(_)));
    let conn = server.router().connection(id).unwrap();
    assert_eq!(conn.id().as_str(), id);
}

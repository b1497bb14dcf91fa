//! zap-server's own routing case: the router is usable from outside any
//! handler. (Rooms, broadcasts and leaving on disconnect are conformance
//! checks, run against zap-server in zap-conformance's `tests/zap_server.rs`.)
#![allow(clippy::unwrap_used)]

mod common;

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

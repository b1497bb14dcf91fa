//! zap-server's own lifecycle cases: `disconnected` once on shutdown, and
//! connections stored by handlers. (`connected` first and `disconnected`
//! once per end are conformance checks, run against zap-server in
//! zap-conformance's `tests/zap_server.rs`.)
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use zap_core::EventRegister;

/// Logs `connected:<id>`, `event:<name>` and `disconnected:<id>`; the
/// `connected` handler is slow so that a race would show.
fn logging_register(log: Log) -> EventRegister {
    let (l1, l2, l3) = (log.clone(), log.clone(), log);
    EventRegister::new()
        .on_connected(move |ctx| {
            let log = l1.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                log.push(format!("connected:{}", ctx.connection().id()));
            }
        })
        .on_event("close-me", |ctx| async move { ctx.connection().close() })
        .fallback(move |ctx| {
            let log = l2.clone();
            async move { log.push(format!("event:{}", ctx.event_name())) }
        })
        .on_disconnected(move |ctx| {
            let log = l3.clone();
            async move {
                // Sends fail once the connection has ended.
                let send = ctx.connection().send("late", ());
                assert!(matches!(send, Err(zap_core::SendError::Closed)));
                log.push(format!("disconnected:{}", ctx.connection().id()));
            }
        })
}

#[tokio::test]
async fn disconnected_runs_once_on_shutdown() {
    let (log, mut reader) = log();
    let server = start(logging_register(log)).await;
    let mut ws = connect(&server).await;
    let id = reader.next().await.replace("connected:", "");
    let closing = tokio::spawn(async move { recv_close(&mut ws).await });
    within("shutdown", server.shutdown()).await;
    // `shutdown` returned: `disconnected` has already run.
    assert_eq!(reader.drain(), vec![format!("disconnected:{id}")]);
    let frame = closing.await.unwrap().unwrap();
    assert_eq!(u16::from(frame.code), 1001);
}

#[tokio::test]
async fn a_connection_stored_by_one_handler_is_sent_to_from_another() {
    let register = EventRegister::new()
        .on_event("poke", |ctx| async move {
            let target: String = ctx.payload_as()?;
            ctx.router()
                .send_to(&target, "poked", ctx.connection().id().as_str())?;
            Ok(())
        })
        .on_event("whoami", |ctx| async move {
            ctx.reply(ctx.connection().id().as_str())?;
            Ok(())
        });
    let server = start(register).await;
    let mut a = connect(&server).await;
    let mut b = connect(&server).await;
    send_text(&mut b, r#"{"eventName":"whoami"}"#).await;
    let b_id = recv_event(&mut b)
        .await
        .payload()
        .parse::<String>()
        .unwrap();
    send_text(
        &mut a,
        &format!(r#"{{"eventName":"poke","payload":"{b_id}"}}"#),
    )
    .await;
    let poked = recv_event(&mut b).await;
    assert_eq!(poked.event_name(), "poked");
    assert!(
        poked
            .payload()
            .parse::<String>()
            .unwrap()
            .starts_with("zpt-")
    );
}

#[tokio::test]
async fn a_connection_outlives_nothing_after_the_peer_leaves() {
    let server = start(echo_register()).await;
    let mut clients = Vec::new();
    for _ in 0..50 {
        clients.push(connect(&server).await);
    }
    within("all registered", async {
        while server.router().count() < 50 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    for mut ws in clients {
        ws.send(Message::Close(None)).await.unwrap();
    }
    within("all removed", async {
        while server.router().count() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

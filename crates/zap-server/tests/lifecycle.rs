//! Lifecycle: `connected` before any other handler; `disconnected` exactly
//! once for peer close, network drop, server close and shutdown.
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

/// Waits for `disconnected`, then checks that nothing else follows.
async fn expect_single_disconnect(reader: &mut LogReader, id: &str) {
    reader.expect(&format!("disconnected:{id}")).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        reader.drain().is_empty(),
        "nothing may follow `disconnected`"
    );
}

#[tokio::test]
async fn connected_runs_before_any_other_handler() {
    let (log, mut reader) = log();
    let server = start(logging_register(log)).await;
    let mut ws = connect(&server).await;
    // Sent while `connected` is still sleeping.
    send_text(&mut ws, r#"{"eventName":"first"}"#).await;
    assert!(reader.next().await.starts_with("connected:zpt-"));
    reader.expect("event:first").await;
}

#[tokio::test]
async fn disconnected_runs_once_when_the_peer_closes() {
    let (log, mut reader) = log();
    let server = start(logging_register(log)).await;
    let mut ws = connect(&server).await;
    let id = reader.next().await.replace("connected:", "");
    ws.close(None).await.unwrap();
    expect_single_disconnect(&mut reader, &id).await;
    assert_eq!(server.router().count(), 0);
}

#[tokio::test]
async fn disconnected_runs_once_when_the_network_drops() {
    let (log, mut reader) = log();
    let server = start(logging_register(log)).await;
    let ws = connect(&server).await;
    let id = reader.next().await.replace("connected:", "");
    // Abort the TCP stream: RST, no close frame.
    let tcp = match ws.into_inner() {
        tokio_tungstenite::MaybeTlsStream::Plain(tcp) => tcp,
        _ => unreachable!("plain ws"),
    };
    // SO_LINGER 0 makes the drop send RST; it cannot block with a zero linger.
    #[allow(deprecated)]
    tcp.set_linger(Some(Duration::ZERO)).unwrap();
    drop(tcp);
    expect_single_disconnect(&mut reader, &id).await;
}

#[tokio::test]
async fn disconnected_runs_once_when_the_server_closes() {
    let (log, mut reader) = log();
    let server = start(logging_register(log)).await;
    let mut ws = connect(&server).await;
    let id = reader.next().await.replace("connected:", "");
    send_text(&mut ws, r#"{"eventName":"close-me"}"#).await;
    let frame = recv_close(&mut ws).await.unwrap();
    assert_eq!(u16::from(frame.code), 1000);
    expect_single_disconnect(&mut reader, &id).await;
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
async fn queued_events_are_written_before_the_close_frame() {
    let register = EventRegister::new().on_event("bye", |ctx| async move {
        for i in 0..10 {
            ctx.connection().send("n", i)?;
        }
        ctx.connection().close_with(4000, "done");
        Ok(())
    });
    let server = start(register).await;
    let mut ws = connect(&server).await;
    send_text(&mut ws, r#"{"eventName":"bye"}"#).await;
    for i in 0..10 {
        assert_eq!(recv_event(&mut ws).await.payload().as_json(), i.to_string());
    }
    let frame = recv_close(&mut ws).await.unwrap();
    assert_eq!(u16::from(frame.code), 4000);
    assert_eq!(frame.reason.as_str(), "done");
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

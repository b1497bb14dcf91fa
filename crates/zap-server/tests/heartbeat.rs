//! Ping interval and idle timeout: a peer that stops answering is detected
//! and `disconnected` runs; a peer that answers pings stays connected.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use zap_core::{ConnectionConfig, EventRegister};

fn quick_heartbeat() -> ConnectionConfig {
    ConnectionConfig::default()
        .ping_interval(Some(Duration::from_millis(50)))
        .idle_timeout(Some(Duration::from_millis(400)))
}

fn register(log: Log) -> EventRegister {
    echo_register().on_disconnected(move |_| {
        let log = log.clone();
        async move { log.push("disconnected") }
    })
}

#[tokio::test]
async fn a_peer_that_never_answers_is_disconnected_after_the_idle_timeout() {
    let (log, mut reader) = log();
    let server = builder(register(log))
        .config(quick_heartbeat())
        .start()
        .await
        .unwrap();
    let _silent = connect(&server).await; // never read: never answers pings
    reader.expect("disconnected").await;
    assert_eq!(server.router().count(), 0);
}

#[tokio::test]
async fn a_peer_that_answers_pings_stays_connected() {
    let (log, mut reader) = log();
    let server = builder(register(log))
        .config(quick_heartbeat())
        .start()
        .await
        .unwrap();
    let mut ws = connect(&server).await;
    let mut pings = 0;
    // Reading makes tungstenite answer each ping with a pong.
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1200);
    while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, ws.next()).await {
        if message.is_ping() {
            pings += 1;
        }
    }
    assert!(pings >= 3, "expected pings, saw {pings}");
    assert!(
        reader.drain().is_empty(),
        "the answering peer was disconnected"
    );
    assert_eq!(server.router().count(), 1);
    assert_echoes(&mut ws, "alive").await;
}

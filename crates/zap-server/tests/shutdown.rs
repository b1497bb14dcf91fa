//! Graceful shutdown: every client gets a 1001 close frame, every
//! `disconnected` handler has run when `shutdown` returns, and no new
//! connection is accepted.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use zap_core::EventRegister;

#[tokio::test]
async fn shutdown_closes_everyone_and_waits_for_every_disconnected_handler() {
    let disconnected = Arc::new(AtomicUsize::new(0));
    let counter = disconnected.clone();
    let register = EventRegister::new().on_disconnected(move |_| {
        let counter = counter.clone();
        async move {
            // A slow handler: shutdown must still wait for it.
            tokio::time::sleep(Duration::from_millis(20)).await;
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let server = start(register).await;
    let addr = server.local_addr();
    let mut readers = Vec::new();
    for _ in 0..20 {
        let mut ws = connect(&server).await;
        readers.push(tokio::spawn(async move { recv_close(&mut ws).await }));
    }
    within("registration", async {
        while server.router().count() < 20 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await;
    within("shutdown", server.shutdown()).await;
    assert_eq!(disconnected.load(Ordering::SeqCst), 20);
    for reader in readers {
        let frame = reader.await.unwrap().unwrap();
        assert_eq!(u16::from(frame.code), 1001);
        assert_eq!(frame.reason.as_str(), "server shutting down");
    }
    assert!(
        tokio_tungstenite::connect_async(format!("ws://{addr}/"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn run_until_shuts_down_when_the_signal_fires() {
    let server = start(echo_register()).await;
    let mut ws = connect(&server).await;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(rx));
    assert_echoes(&mut ws, "before").await;
    tx.send(()).unwrap();
    assert_eq!(u16::from(recv_close(&mut ws).await.unwrap().code), 1001);
    within("run_until to return", running).await.unwrap();
}

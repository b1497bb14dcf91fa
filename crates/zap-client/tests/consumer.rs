//! The callback client: plain and async callbacks for events, states and
//! errors, panicking callbacks, and the end of callbacks on `clean()`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{RawServer, server, within};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use zap_client::ConnectionState::{Connecting, Offline, Online};
use zap_client::{ConnectionError, ZapConsumer};

async fn recv<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> T {
    within("a callback", rx.recv())
        .await
        .expect("callback alive")
}

#[tokio::test]
async fn plain_and_async_event_callbacks_both_run_in_order() {
    let server = server().await;
    let consumer = ZapConsumer::new(server.url());
    let (tx, mut plain) = mpsc::unbounded_channel();
    consumer.on_event("tick", move |event| {
        let _ = tx.send(event.payload().to_value().expect("json"));
    });
    let (tx, mut deferred) = mpsc::unbounded_channel();
    consumer.on_event("tick", move |event| {
        let tx = tx.clone();
        async move {
            tokio::task::yield_now().await;
            let _ = tx.send(event.payload().to_value().expect("json"));
        }
    });
    within("connect", consumer.connect())
        .await
        .expect("connects");
    consumer.send_event("burst", 50).expect("sent");
    for want in 0..50 {
        assert_eq!(recv(&mut plain).await, json!(want));
        assert_eq!(recv(&mut deferred).await, json!(want));
    }
}

#[tokio::test]
async fn on_any_event_sees_every_event() {
    let server = server().await;
    let consumer = ZapConsumer::new(server.url());
    let (tx, mut names) = mpsc::unbounded_channel();
    consumer.on_any_event(move |event| {
        let _ = tx.send(event.event_name().to_owned());
    });
    within("connect", consumer.connect())
        .await
        .expect("connects");
    consumer.send_event("echo", 1).expect("sent");
    consumer.send_event("burst", 1).expect("sent");
    assert_eq!(recv(&mut names).await, "echo");
    assert_eq!(recv(&mut names).await, "tick");
}

#[tokio::test]
async fn state_callbacks_run_on_every_transition() {
    let server = server().await;
    let consumer = ZapConsumer::new(server.url());
    let (tx, mut seen) = mpsc::unbounded_channel();
    let on_connected = tx.clone();
    let on_disconnected = tx.clone();
    consumer
        .on_connected(move || {
            let _ = on_connected.send("connected".to_owned());
        })
        .on_disconnected(move || {
            let _ = on_disconnected.send("disconnected".to_owned());
        })
        .on_connection_state_changed(move |state| {
            let _ = tx.send(state.to_string());
        });
    within("connect", consumer.connect())
        .await
        .expect("connects");
    within("disconnect", consumer.disconnect()).await;
    let mut log = Vec::new();
    while log.len() < 5 {
        log.push(recv(&mut seen).await);
    }
    // The three callbacks run on separate tasks: compare per callback.
    let states: Vec<_> = log
        .iter()
        .filter(|s| !s.ends_with("connected"))
        .cloned()
        .collect();
    let expected: Vec<String> = [Connecting, Online, Offline]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(states, expected);
    let transitions: Vec<_> = log
        .iter()
        .filter(|s| s.ends_with("connected"))
        .cloned()
        .collect();
    assert_eq!(transitions, ["connected", "disconnected"]);
}

#[tokio::test]
async fn on_error_reports_bad_frames() {
    let mut raw = RawServer::start().await;
    let consumer = ZapConsumer::new(&raw.url);
    let (tx, mut errors) = mpsc::unbounded_channel();
    consumer.on_error(move |error| {
        let _ = tx.send(error);
    });
    let (connected, mut socket) = tokio::join!(consumer.connect(), raw.accept());
    connected.expect("connects");
    socket.send(Message::text("nope")).await.expect("sends");
    assert!(matches!(
        recv(&mut errors).await,
        ConnectionError::InvalidFrame { .. }
    ));
}

#[tokio::test]
async fn a_panicking_callback_keeps_receiving() {
    let server = server().await;
    let consumer = ZapConsumer::new(server.url());
    let (tx, mut survived) = mpsc::unbounded_channel();
    consumer.on_event("tick", move |event| {
        let n: u32 = event.payload().parse().expect("number");
        assert!(n != 0, "callback panics on the first event");
        let _ = tx.send(n);
    });
    within("connect", consumer.connect())
        .await
        .expect("connects");
    consumer.send_event("burst", 3).expect("sent");
    assert_eq!(recv(&mut survived).await, 1);
    assert_eq!(recv(&mut survived).await, 2);
}

/// Sends on drop: tells when a callback (and its task) is gone.
struct DropSignal(mpsc::UnboundedSender<()>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

#[tokio::test]
async fn clean_ends_every_callback() {
    let server = server().await;
    let consumer = ZapConsumer::new(server.url());
    let (tx, mut ended) = mpsc::unbounded_channel();
    let guard = DropSignal(tx.clone());
    consumer.on_event("e", move |_| {
        let _keep = &guard;
    });
    let guard = DropSignal(tx);
    consumer.on_connection_state_changed(move |_| {
        let _keep = &guard;
    });
    within("connect", consumer.connect())
        .await
        .expect("connects");
    within("clean", consumer.clean()).await;
    recv(&mut ended).await;
    recv(&mut ended).await;
    let error = consumer.send_event("e", ()).expect_err("cleaned");
    assert!(matches!(error, zap_client::SendError::Cleaned), "{error:?}");
    // Registering after clean is harmless: the callback ends at once,
    // without being called.
    let (tx, mut dropped) = mpsc::unbounded_channel();
    let guard = DropSignal(tx);
    let called = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&called);
    consumer.on_event("e", move |_| {
        let _keep = &guard;
        flag.store(true, Ordering::SeqCst);
    });
    recv(&mut dropped).await;
    assert!(
        !called.load(Ordering::SeqCst),
        "a callback ran after clean()"
    );
}

#[tokio::test]
async fn a_callback_holding_a_weak_consumer_does_not_keep_it_alive() {
    let mut raw = RawServer::start().await;
    let consumer = ZapConsumer::new(&raw.url);
    let weak = consumer.downgrade();
    let (tx, mut ended) = mpsc::unbounded_channel();
    let guard = DropSignal(tx);
    consumer.on_event("ping", move |_| {
        let _keep = &guard;
        if let Some(consumer) = weak.upgrade() {
            consumer.send_event("pong", ()).expect("sent");
        }
    });
    let (connected, mut socket) = tokio::join!(consumer.connect(), raw.accept());
    connected.expect("connects");
    socket
        .send(Message::text(r#"{"eventName":"ping","payload":null}"#))
        .await
        .expect("sends");
    // The callback reaches the client through its weak handle.
    let pong = loop {
        match within("the pong", socket.next()).await {
            Some(Ok(Message::Text(text))) => break text.to_string(),
            Some(Ok(_)) => {}
            other => panic!("socket ended: {other:?}"),
        }
    };
    assert!(pong.contains("pong"), "{pong}");

    // Dropping the last handle closes the connection and ends the callback.
    // (Reading on after the close frame sends the server's answer.)
    drop(consumer);
    loop {
        match within("the close", socket.next()).await {
            None | Some(Err(_)) => break,
            Some(Ok(_)) => {}
        }
    }
    drop(socket); // the server ends the TCP connection
    recv(&mut ended).await;
}

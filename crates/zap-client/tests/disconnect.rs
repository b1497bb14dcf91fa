//! `disconnect()`: what was accepted is written before the close frame, and
//! a server that stops reading (TCP backpressure) cannot keep it from
//! returning.

mod common;

use std::time::{Duration, Instant};

use common::{RawServer, flood, within};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use zap_client::{ConnectionError, ConnectionState, Heartbeat, ZapSubscriber};

#[tokio::test]
async fn disconnect_returns_within_the_close_timeout_when_the_server_stops_reading() {
    let mut raw = RawServer::start().await;
    let close_timeout = Duration::from_millis(500);
    let client = ZapSubscriber::builder(&raw.url)
        .heartbeat(Heartbeat::disabled())
        .close_timeout(close_timeout)
        .build();
    let (connected, _not_reading) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");
    let mut errors = client.errors();
    flood(&client, 32);

    let start = Instant::now();
    within("disconnect", client.disconnect()).await;
    let took = start.elapsed();
    // The close timeout, plus generous slack for a loaded machine.
    assert!(
        took < close_timeout + Duration::from_secs(2),
        "took {took:?}"
    );
    assert_eq!(client.current_state(), ConnectionState::Offline);
    // What could not be written in time is counted.
    let error = within("the report", errors.next()).await.expect("open");
    assert!(
        matches!(error, ConnectionError::EventsDropped { count } if count > 0),
        "{error:?}"
    );
}

#[tokio::test]
async fn events_sent_before_disconnect_all_reach_the_server_before_the_close_frame() {
    let mut raw = RawServer::start().await;
    let client = ZapSubscriber::new(&raw.url);
    let (connected, mut socket) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");
    for n in 0..5 {
        client.send_event("bye", n).expect("queued");
    }
    let reader = tokio::spawn(async move {
        let mut received = Vec::new();
        while let Some(Ok(message)) = socket.next().await {
            match message {
                Message::Text(text) => received.push(text.to_string()),
                Message::Close(_) => received.push("close".to_owned()),
                _ => {}
            }
        }
        received
    });
    within("disconnect", client.disconnect()).await;
    let received = within("the server side", reader).await.expect("reader");
    let names: Vec<_> = received
        .iter()
        .map(|text| match zap_protocol::decode(text) {
            Ok(event) => event.payload().to_string(),
            Err(_) => text.clone(),
        })
        .collect();
    assert_eq!(names, ["0", "1", "2", "3", "4", "close"]);
}

#[tokio::test]
async fn sending_during_disconnect_fails_as_offline() {
    let mut raw = RawServer::start().await;
    let client = ZapSubscriber::builder(&raw.url)
        .close_timeout(Duration::from_millis(300))
        .build();
    let (connected, _not_answering) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");
    let disconnecting = tokio::spawn({
        let client = client.clone();
        async move { client.disconnect().await }
    });
    let mut states = client.connection_state();
    if client.current_state() != ConnectionState::Offline {
        common::wait_for_state(&mut states, ConnectionState::Offline).await;
    }
    let error = client.send_event("late", 1).expect_err("offline");
    assert!(
        matches!(
            error,
            zap_client::SendError::NotOnline {
                state: ConnectionState::Offline
            }
        ),
        "{error:?}"
    );
    within("disconnect", disconnecting).await.expect("task");
}

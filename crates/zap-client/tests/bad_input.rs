//! Bad input from the server is reported on the error stream and skipped;
//! the connection stays up and the next valid event is delivered.

mod common;

use common::{RawServer, next_payload, within};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use zap_client::{ConnectionError, ConnectionState, ZapSubscriber};
use zap_protocol::DecodeError;

#[tokio::test]
async fn invalid_frames_are_reported_and_the_next_valid_event_is_delivered() {
    let mut raw = RawServer::start().await;
    let client = ZapSubscriber::new(&raw.url);
    let mut all = client.subscribe_to_all_events();
    let mut errors = client.errors();
    let (connected, mut socket) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");

    for frame in [
        Message::text("{not json"),
        Message::text(r#"{"payload":1}"#),
        Message::text(r#"{"eventName":5}"#),
        Message::binary(vec![1, 2, 3]),
        Message::text(r#"{"eventName":"ok","payload":"fine"}"#),
    ] {
        socket.send(frame).await.expect("server sends");
    }

    assert_eq!(next_payload(&mut all).await, json!("fine"));
    let mut reported = Vec::new();
    for _ in 0..4 {
        reported.push(within("an error", errors.next()).await.expect("open"));
    }
    assert!(
        matches!(&reported[0], ConnectionError::InvalidFrame { error, frame }
            if matches!(**error, DecodeError::NotJson(_)) && frame == "{not json"),
        "{:?}",
        reported[0]
    );
    assert!(
        matches!(&reported[1], ConnectionError::InvalidFrame { error, .. }
        if matches!(**error, DecodeError::MissingEventName))
    );
    assert!(
        matches!(&reported[2], ConnectionError::InvalidFrame { error, .. }
        if matches!(**error, DecodeError::EventNameNotString { .. }))
    );
    assert!(matches!(
        &reported[3],
        ConnectionError::BinaryFrame { len: 3 }
    ));
    assert_eq!(client.current_state(), ConnectionState::Online);
}

#[tokio::test]
async fn events_from_python_and_dart_servers_are_all_accepted() {
    let mut raw = RawServer::start().await;
    let client = ZapSubscriber::new(&raw.url);
    let mut all = client.subscribe_to_all_events();
    let (connected, mut socket) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");
    for frame in [
        r#"{"eventName":"connected","payload":"hi"}"#,
        r#"{"eventName":"e","payload":1,"headers":null}"#,
        r#"{"eventName":"e","payload":2,"headers":{}}"#,
        r#"{"eventName":"e"}"#,
    ] {
        socket.send(Message::text(frame)).await.expect("sends");
    }
    for want in [json!("hi"), json!(1), json!(2), json!(null)] {
        assert_eq!(next_payload(&mut all).await, want);
    }
}

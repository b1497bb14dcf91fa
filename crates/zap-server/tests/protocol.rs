//! PROTOCOL.md end to end: frames shaped as Python and Dart peers send them
//! reach handlers with the right name, payload and headers, and what the
//! server sends follows the sending rules.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::json;
use zap_core::{EventRegister, Headers};

/// Echoes what the handler saw: name, payload and headers, as a JSON payload.
fn inspecting_register() -> EventRegister {
    EventRegister::new().fallback(|ctx| async move {
        let seen = json!({
            "name": ctx.event_name(),
            "payload": ctx.payload().to_value()?,
            "headers": ctx.headers(),
        });
        ctx.connection().send("seen", seen)?;
        Ok(())
    })
}

async fn seen_for(frame: &str) -> serde_json::Value {
    let server = start(inspecting_register()).await;
    let mut ws = connect(&server).await;
    send_text(&mut ws, frame).await;
    let event = recv_event(&mut ws).await;
    assert_eq!(event.event_name(), "seen");
    event.payload().to_value().unwrap()
}

#[tokio::test]
async fn python_client_frame_is_handled() {
    let seen =
        seen_for(r#"{"eventName": "event1", "payload": {"hello": "from client"}, "headers": {}}"#)
            .await;
    assert_eq!(
        seen,
        json!({"name": "event1", "payload": {"hello": "from client"}, "headers": {}})
    );
}

#[tokio::test]
async fn dart_client_frame_without_headers_is_handled() {
    let seen = seen_for(r#"{"eventName":"myEvent","payload":"payload"}"#).await;
    assert_eq!(
        seen,
        json!({"name": "myEvent", "payload": "payload", "headers": {}})
    );
}

#[tokio::test]
async fn null_headers_reach_the_handler_as_an_empty_map() {
    let seen = seen_for(r#"{"eventName":"e","payload":1,"headers":null}"#).await;
    assert_eq!(seen["headers"], json!({}));
}

#[tokio::test]
async fn non_object_headers_reach_the_handler_as_an_empty_map() {
    let seen = seen_for(r#"{"eventName":"e","payload":1,"headers":[1,2]}"#).await;
    assert_eq!(seen["headers"], json!({}));
}

#[tokio::test]
async fn header_values_reach_the_handler() {
    let seen = seen_for(r#"{"eventName":"e","payload":1,"headers":{"room":"lobby"}}"#).await;
    assert_eq!(seen["headers"], json!({"room": "lobby"}));
}

#[tokio::test]
async fn missing_payload_reaches_the_handler_as_null() {
    let seen = seen_for(r#"{"eventName":"e"}"#).await;
    assert_eq!(seen["payload"], json!(null));
}

#[tokio::test]
async fn other_keys_are_ignored() {
    let seen = seen_for(r#"{"eventName":"e","payload":[1],"id":5,"meta":{"x":1}}"#).await;
    assert_eq!(seen, json!({"name": "e", "payload": [1], "headers": {}}));
}

#[tokio::test]
async fn sent_events_omit_headers_when_none_were_given() {
    let server = start(echo_register()).await;
    let mut ws = connect(&server).await;
    send_text(
        &mut ws,
        r#"{"eventName":"echo","payload":{"a":1},"headers":{}}"#,
    )
    .await;
    assert_eq!(
        recv_text(&mut ws).await,
        r#"{"eventName":"echo","payload":{"a":1}}"#
    );
}

#[tokio::test]
async fn sent_events_carry_headers_when_given_even_empty() {
    let register = EventRegister::new()
        .on_event("empty", |ctx| async move {
            ctx.connection()
                .send_with_headers("empty", (), Headers::new())?;
            Ok(())
        })
        .on_event("full", |ctx| async move {
            let mut headers = Headers::new();
            headers.insert("room".into(), json!("lobby"));
            ctx.connection().send_with_headers("full", "x", headers)?;
            Ok(())
        });
    let server = start(register).await;
    let mut ws = connect(&server).await;
    send_text(&mut ws, r#"{"eventName":"empty"}"#).await;
    assert_eq!(
        recv_text(&mut ws).await,
        r#"{"eventName":"empty","payload":null,"headers":{}}"#
    );
    send_text(&mut ws, r#"{"eventName":"full"}"#).await;
    assert_eq!(
        recv_text(&mut ws).await,
        r#"{"eventName":"full","payload":"x","headers":{"room":"lobby"}}"#
    );
}

#[tokio::test]
async fn a_greeting_named_connected_reaches_the_client_as_an_event() {
    // The Python reference server's tests greet clients this way.
    let register = EventRegister::new().on_connected(|ctx| async move {
        ctx.connection().send("connected", "welcome")?;
        Ok(())
    });
    let server = start(register).await;
    let mut ws = connect(&server).await;
    assert_eq!(
        recv_text(&mut ws).await,
        r#"{"eventName":"connected","payload":"welcome"}"#
    );
}

#[tokio::test]
async fn events_of_one_connection_are_handled_in_order() {
    let server = start(echo_register()).await;
    let mut ws = connect(&server).await;
    for i in 0..200 {
        send_text(&mut ws, &format!(r#"{{"eventName":"echo","payload":{i}}}"#)).await;
    }
    for i in 0..200 {
        let event = recv_event(&mut ws).await;
        assert_eq!(event.payload().as_json(), i.to_string());
    }
}

#[tokio::test]
async fn peer_sent_lifecycle_names_do_not_trigger_lifecycle_handlers() {
    let (log, mut reader) = log();
    let (l1, l2) = (log.clone(), log.clone());
    let register = EventRegister::new()
        .on_connected(move |_| {
            let log = l1.clone();
            async move { log.push("connected") }
        })
        .on_error(move |_| {
            let log = l2.clone();
            async move { log.push("error") }
        })
        .fallback(move |ctx| {
            let log = log.clone();
            async move { log.push(format!("fallback:{}", ctx.event_name())) }
        });
    let server = start(register).await;
    let mut ws = connect(&server).await;
    reader.expect("connected").await;
    send_text(&mut ws, r#"{"eventName":"connected"}"#).await;
    send_text(
        &mut ws,
        r#"{"eventName":"error","payload":{"event":"x","kind":"panic","message":"spoof"}}"#,
    )
    .await;
    reader.expect("fallback:connected").await;
    reader.expect("fallback:error").await;
}

//! Failure isolation: handler errors and panics, invalid and binary frames
//! raise `error` with an `{event, kind, message}` payload, and the connection
//! keeps working.

use serde_json::{Value, json};

use super::standard;
use crate::register::FAIL_THE_ERROR_HANDLER;
use crate::{Client, Integration};

/// Reads the `error-seen` event and checks its payload's shape; returns the message.
async fn expect_error(client: &mut Client, event: Option<&str>, kind: &str) -> String {
    let info = client.expect("error-seen").await;
    let Value::Object(fields) = &info else {
        panic!("the error payload is not an object: {info}");
    };
    let mut keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["event", "kind", "message"], "{info}");
    assert_eq!(info["event"], json!(event), "{info}");
    assert_eq!(info["kind"], kind, "{info}");
    info["message"].as_str().unwrap().to_owned()
}

/// A handler's `Err` reaches `error`; the connection survives.
pub async fn a_handler_error_reaches_the_error_handler_and_the_connection_survives(
    it: &impl Integration,
) {
    let (server, mut probe) = standard(it).await;
    let mut client = Client::connect(server.url()).await;
    client.send("fail", json!("the database is on fire")).await;
    let message = expect_error(&mut client, Some("fail"), "handler").await;
    assert_eq!(message, "the database is on fire");
    probe.wait_for(|entry| entry == "error:handler").await;
    client.assert_echoes("still here").await;
}

/// A handler's panic reaches `error`; the connection survives.
pub async fn a_handler_panic_reaches_the_error_handler_and_the_connection_survives(
    it: &impl Integration,
) {
    let (server, _probe) = standard(it).await;
    let mut client = Client::connect(server.url()).await;
    client.send("panic", json!(null)).await;
    let message = expect_error(&mut client, Some("panic"), "panic").await;
    assert_eq!(message, "handler exploded");
    client.assert_echoes("still here").await;
}

/// A payload of the wrong type for a typed handler reaches `error`.
pub async fn a_bad_typed_payload_reaches_the_error_handler(it: &impl Integration) {
    let (server, _probe) = standard(it).await;
    let mut client = Client::connect(server.url()).await;
    assert_eq!(client.call("typed", json!(41)).await, json!(42));
    client.send("typed", json!("forty")).await;
    let message = expect_error(&mut client, Some("typed"), "invalid_payload").await;
    assert!(message.contains("u32"), "{message}");
    client.assert_echoes("ok").await;
}

/// Not JSON, no `eventName`, a non-string `eventName`, not an object: each
/// raises `error` (no event name); the connection survives.
pub async fn invalid_frames_raise_error_and_the_connection_survives(it: &impl Integration) {
    let (server, _probe) = standard(it).await;
    let mut client = Client::connect(server.url()).await;
    for (frame, needle) in [
        ("not json at all", "not valid JSON"),
        (r#"{"payload":1}"#, "no `eventName`"),
        (r#"{"eventName":7}"#, "`eventName` is a number"),
        ("[1,2,3]", "an array, not a JSON object"),
    ] {
        client.send_text(frame).await;
        let message = expect_error(&mut client, None, "invalid_frame").await;
        assert!(message.contains(needle), "{frame}: {message}");
    }
    client.assert_echoes("after invalid frames").await;
}

/// A binary frame raises `error`; the connection survives.
pub async fn a_binary_frame_raises_error_and_the_connection_survives(it: &impl Integration) {
    use futures_util::SinkExt;
    let (server, _probe) = standard(it).await;
    let mut client = Client::connect(server.url()).await;
    let binary = tokio_tungstenite::tungstenite::Message::binary(vec![1u8, 2, 3]);
    client.ws.send(binary).await.unwrap();
    let message = expect_error(&mut client, None, "binary_frame").await;
    assert!(message.contains("3 bytes"), "{message}");
    client.assert_echoes("after binary").await;
}

/// An `error` handler that fails is logged and goes no further.
pub async fn a_failing_error_handler_is_contained(it: &impl Integration) {
    let (server, mut probe) = standard(it).await;
    let mut client = Client::connect(server.url()).await;
    client.send("fail", json!(FAIL_THE_ERROR_HANDLER)).await;
    probe.wait_for(|entry| entry == "error:handler").await;
    client.assert_echoes("survived").await;
}

/// A client sending garbage, panics and failures never disturbs another.
pub async fn one_bad_client_never_harms_another(it: &impl Integration) {
    let (server, _probe) = standard(it).await;
    let mut good = Client::connect(server.url()).await;
    let mut bad = Client::connect(server.url()).await;
    for n in 0..60 {
        let frame = match n % 4 {
            0 => "{".to_owned(),
            1 => r#"{"eventName":"panic"}"#.to_owned(),
            2 => r#"{"eventName":"fail","payload":"no"}"#.to_owned(),
            _ => json!({"eventName": null}).to_string(),
        };
        bad.send_text(&frame).await;
        good.assert_echoes(&format!("good-{n}")).await;
    }
    for _ in 0..60 {
        bad.expect("error-seen").await;
    }
    bad.assert_echoes("bad survives too").await;
}

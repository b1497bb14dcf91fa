//! docs/protocol.md end to end: frames shaped as Python and Dart peers send them
//! reach handlers with the right name, payload and headers; what the server
//! sends follows the sending rules; events of a connection keep their order.

use serde_json::{Value, json};

use super::standard;
use crate::{Client, Integration};

/// What the fallback handler saw of `frame`: `{name, payload, headers}`.
async fn seen_for(it: &impl Integration, frame: &str) -> Value {
    let (server, _probe) = standard(it).await;
    let mut client = Client::connect(server.url()).await;
    client.send_text(frame).await;
    client.expect("seen").await
}

/// `{"eventName": …, "payload": …, "headers": {}}`, as the Python client sends.
pub async fn python_client_frame_is_handled(it: &impl Integration) {
    let frame = r#"{"eventName": "event1", "payload": {"hello": "from client"}, "headers": {}}"#;
    assert_eq!(
        seen_for(it, frame).await,
        json!({"name": "event1", "payload": {"hello": "from client"}, "headers": {}})
    );
}

/// No `headers` key, as the Dart client sends.
pub async fn dart_client_frame_without_headers_is_handled(it: &impl Integration) {
    let frame = r#"{"eventName":"myEvent","payload":"payload"}"#;
    assert_eq!(
        seen_for(it, frame).await,
        json!({"name": "myEvent", "payload": "payload", "headers": {}})
    );
}

/// `"headers": null` is an empty map.
pub async fn null_headers_reach_the_handler_as_an_empty_map(it: &impl Integration) {
    let seen = seen_for(it, r#"{"eventName":"e","payload":1,"headers":null}"#).await;
    assert_eq!(seen["headers"], json!({}));
}

/// Headers of another JSON type are an empty map, as in the Python server.
pub async fn non_object_headers_reach_the_handler_as_an_empty_map(it: &impl Integration) {
    let seen = seen_for(it, r#"{"eventName":"e","payload":1,"headers":[1,2]}"#).await;
    assert_eq!(seen["headers"], json!({}));
}

/// Header values reach the handler unchanged.
pub async fn header_values_reach_the_handler(it: &impl Integration) {
    let frame = r#"{"eventName":"e","payload":1,"headers":{"room":"lobby","n":2}}"#;
    assert_eq!(
        seen_for(it, frame).await["headers"],
        json!({"room": "lobby", "n": 2})
    );
}

/// A missing payload is `null`.
pub async fn missing_payload_reaches_the_handler_as_null(it: &impl Integration) {
    let seen = seen_for(it, r#"{"eventName":"e"}"#).await;
    assert_eq!(seen["payload"], json!(null));
}

/// Keys other than the three are ignored.
pub async fn other_keys_are_ignored(it: &impl Integration) {
    let seen = seen_for(
        it,
        r#"{"eventName":"e","payload":[1],"id":5,"meta":{"x":1}}"#,
    )
    .await;
    assert_eq!(seen, json!({"name": "e", "payload": [1], "headers": {}}));
}

/// An event sent without headers has no `headers` key on the wire.
pub async fn sent_events_omit_headers_when_none_were_given(it: &impl Integration) {
    let (server, _probe) = standard(it).await;
    let mut client = Client::connect(server.url()).await;
    client
        .send_text(r#"{"eventName":"echo","payload":{"a":1},"headers":{}}"#)
        .await;
    assert_eq!(
        client.recv_text().await,
        r#"{"eventName":"echo","payload":{"a":1}}"#
    );
}

/// An event sent with headers carries them, even when empty.
pub async fn sent_events_carry_headers_when_given_even_empty(it: &impl Integration) {
    let (server, _probe) = standard(it).await;
    let mut client = Client::connect(server.url()).await;
    client.send_text(r#"{"eventName":"headers-empty"}"#).await;
    assert_eq!(
        client.recv_text().await,
        r#"{"eventName":"headers-empty","payload":null,"headers":{}}"#
    );
    client.send_text(r#"{"eventName":"headers-full"}"#).await;
    assert_eq!(
        client.recv_text().await,
        r#"{"eventName":"headers-full","payload":"x","headers":{"room":"lobby"}}"#
    );
}

/// A server-sent event named `connected` (the Python tests' greeting) is a
/// plain event on the wire.
pub async fn a_greeting_named_connected_reaches_the_client_as_an_event(it: &impl Integration) {
    let (server, _probe) = standard(it).await;
    let mut client = Client {
        ws: Client::open(server.url()).await,
        id: String::new(),
        greeting: Value::Null,
    };
    let text = client.recv_text().await;
    assert!(
        text.starts_with(r#"{"eventName":"connected","payload":{"#) && !text.contains("headers"),
        "{text}"
    );
}

/// Events of one connection are handled one at a time, in arrival order.
pub async fn events_of_one_connection_are_handled_in_order(it: &impl Integration) {
    let (server, _probe) = standard(it).await;
    let mut client = Client::connect(server.url()).await;
    for n in 0..200 {
        client.send("echo", json!(n)).await;
    }
    for n in 0..200 {
        assert_eq!(client.expect("echo").await, json!(n));
    }
}

/// A text message split into continuation frames is one event.
pub async fn a_fragmented_message_is_one_event(it: &impl Integration) {
    let (server, _probe) = standard(it).await;
    let mut client = Client::connect(server.url()).await;
    let text = "fragmented ".repeat(50);
    let frame = json!({"eventName": "echo", "payload": text}).to_string();
    client.send_fragmented(&frame, 64).await;
    assert_eq!(client.expect("echo").await, json!(text));
}

/// Frames a peer sends under lifecycle names go to the fallback handler,
/// never to the lifecycle handlers.
pub async fn peer_sent_lifecycle_names_do_not_trigger_lifecycle_handlers(it: &impl Integration) {
    let (server, mut probe) = standard(it).await;
    let mut client = Client::connect(server.url()).await;
    probe.expect(&format!("connected:{}", client.id)).await;
    client.send_text(r#"{"eventName":"connected"}"#).await;
    assert_eq!(client.expect("seen").await["name"], "connected");
    let spoof = r#"{"eventName":"error","payload":{"event":"x","kind":"panic","message":"spoof"}}"#;
    client.send_text(spoof).await;
    assert_eq!(client.expect("seen").await["name"], "error");
    client.send_text(r#"{"eventName":"disconnected"}"#).await;
    assert_eq!(client.expect("seen").await["name"], "disconnected");
    assert_eq!(
        probe.drain(),
        ["event:connected", "event:error", "event:disconnected"]
    );
}

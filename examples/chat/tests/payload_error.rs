//! What the page shows for a malformed request: the event and the problem,
//! said once, with no Rust type names in it.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_malformed_join_is_refused_with_a_readable_reason() {
    let server = example_chat::start("127.0.0.1", 0).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(server.url())
        .await
        .unwrap();
    let frame = json!({"eventName": "join", "payload": {"room": 7, "name": "ada"}});
    ws.send(Message::text(frame.to_string())).await.unwrap();
    let text = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(Ok(Message::Text(text))) = ws.next().await {
                return text;
            }
        }
    })
    .await
    .expect("timed out waiting for chat-error");
    let event: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(event["eventName"], "chat-error");
    assert_eq!(
        event["payload"]["message"],
        "invalid payload for event \"join\": invalid type: integer `7`, expected a string at line 1 column 22"
    );
}

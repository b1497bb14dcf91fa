//! The chat example over real sockets: join, message with exclude, who
//! joined and left, refusals, and the page.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn send(ws: &mut Ws, event: &str, payload: Value) {
    let frame = json!({"eventName": event, "payload": payload}).to_string();
    ws.send(Message::text(frame)).await.unwrap();
}

async fn recv(ws: &mut Ws) -> (String, Value) {
    let message = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => return text,
                Some(Ok(_)) => continue,
                other => panic!("expected an event, got {other:?}"),
            }
        }
    })
    .await
    .expect("timed out waiting for an event");
    let event = zap_protocol_free_decode(&message);
    (
        event["eventName"].as_str().unwrap().to_owned(),
        event["payload"].clone(),
    )
}

/// The page's view of a frame: plain JSON, as the JavaScript client sees it.
fn zap_protocol_free_decode(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

async fn client(url: &str) -> Ws {
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

#[tokio::test]
async fn two_people_chat_in_a_room() {
    let server = example_chat::start("127.0.0.1", 0).await.unwrap();
    let (mut ada, mut bob) = (client(server.url()).await, client(server.url()).await);

    send(&mut ada, "join", json!({"room": "lobby", "name": "ada"})).await;
    assert_eq!(
        recv(&mut ada).await,
        (
            "joined".into(),
            json!({"room": "lobby", "members": ["ada"]})
        )
    );

    send(&mut bob, "join", json!({"room": "lobby", "name": "bob"})).await;
    assert_eq!(recv(&mut bob).await.0, "joined");
    assert_eq!(
        recv(&mut ada).await,
        (
            "user-joined".into(),
            json!({"room": "lobby", "name": "bob", "members": ["ada", "bob"]})
        )
    );

    send(&mut bob, "message", json!({"text": "hi ada"})).await;
    assert_eq!(
        recv(&mut ada).await,
        (
            "message".into(),
            json!({"room": "lobby", "name": "bob", "text": "hi ada"})
        )
    );

    // The sender is excluded: its next event is the answer to its own leave.
    send(&mut bob, "leave", Value::Null).await;
    assert_eq!(
        recv(&mut bob).await,
        ("left".into(), json!({"room": "lobby"}))
    );
    assert_eq!(
        recv(&mut ada).await,
        (
            "user-left".into(),
            json!({"room": "lobby", "name": "bob", "members": ["ada"]})
        )
    );
}

#[tokio::test]
async fn leaving_by_disconnecting_is_announced() {
    let server = example_chat::start("127.0.0.1", 0).await.unwrap();
    let (mut ada, mut bob) = (client(server.url()).await, client(server.url()).await);
    send(&mut ada, "join", json!({"room": "r", "name": "ada"})).await;
    recv(&mut ada).await;
    send(&mut bob, "join", json!({"room": "r", "name": "bob"})).await;
    recv(&mut bob).await;
    recv(&mut ada).await;
    bob.close(None).await.unwrap();
    assert_eq!(
        recv(&mut ada).await,
        (
            "user-left".into(),
            json!({"room": "r", "name": "bob", "members": ["ada"]})
        )
    );
}

#[tokio::test]
async fn bad_requests_are_refused_with_a_reason() {
    let server = example_chat::start("127.0.0.1", 0).await.unwrap();
    let mut ws = client(server.url()).await;
    send(&mut ws, "message", json!({"text": "hello?"})).await;
    assert_eq!(
        recv(&mut ws).await,
        (
            "chat-error".into(),
            json!({"message": "join a room before sending messages"})
        )
    );
    send(&mut ws, "join", json!({"room": "  ", "name": "ada"})).await;
    assert_eq!(
        recv(&mut ws).await,
        ("chat-error".into(), json!({"message": "room is empty"}))
    );
    send(&mut ws, "join", json!("lobby")).await;
    assert_eq!(recv(&mut ws).await.0, "chat-error");
}

#[tokio::test]
async fn the_page_is_served_at_the_root() {
    let server = example_chat::start("127.0.0.1", 0).await.unwrap();
    let mut tcp = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut page = String::new();
    tcp.read_to_string(&mut page).await.unwrap();
    assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
    assert!(page.contains("text/html"), "{page}");
    assert!(page.contains("<title>zaptools chat</title>"), "{page}");
}

#[tokio::test]
async fn a_name_taken_in_the_room_is_refused() {
    let server = example_chat::start("127.0.0.1", 0).await.unwrap();
    let (mut ada, mut other) = (client(server.url()).await, client(server.url()).await);
    send(&mut ada, "join", json!({"room": "lobby", "name": "ada"})).await;
    assert_eq!(recv(&mut ada).await.0, "joined");
    send(&mut other, "join", json!({"room": "lobby", "name": "ADA"})).await;
    assert_eq!(
        recv(&mut other).await,
        (
            "chat-error".into(),
            json!({"message": "the name ADA is taken in lobby"})
        )
    );
    // The same name in another room is fine.
    send(&mut other, "join", json!({"room": "hall", "name": "ada"})).await;
    assert_eq!(recv(&mut other).await.0, "joined");
}

#[tokio::test]
async fn the_browser_module_is_served_next_to_the_page() {
    let server = example_chat::start("127.0.0.1", 0).await.unwrap();
    let mut tcp = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    tcp.write_all(b"GET /zaptools.js HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut module = String::new();
    tcp.read_to_string(&mut module).await.unwrap();
    assert!(module.starts_with("HTTP/1.1 200 OK"), "{module}");
    assert!(module.contains("text/javascript"), "{module}");
    assert!(module.contains("export class ZapClient"), "{module}");
}

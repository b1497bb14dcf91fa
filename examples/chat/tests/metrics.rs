//! `/metrics`: a real HTTP client scrapes the running chat, and the numbers
//! move as events flow. (Its own test binary: the recorder is process-wide.)
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

/// `GET /metrics` over HTTP/1.1: the status line and the body.
async fn scrape(addr: std::net::SocketAddr) -> (String, String) {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /metrics HTTP/1.1\r\nHost: chat\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_string(&mut answer))
        .await
        .expect("the scrape answered in time")
        .unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

/// The value of the sample `name` (with its labels, as rendered), 0 if absent.
fn sample(body: &str, name: &str) -> f64 {
    body.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (key, value) = line.rsplit_once(' ')?;
            (key == name).then(|| value.parse().unwrap())
        })
        .unwrap_or(0.0)
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The name of the next event on `ws`.
async fn next_event(ws: &mut Ws) -> String {
    let text = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => return text,
                Some(Ok(_)) => continue,
                other => panic!("expected an event, got {other:?}"),
            }
        }
    })
    .await
    .expect("an event in time");
    let event: serde_json::Value = serde_json::from_str(&text).unwrap();
    event["eventName"].as_str().unwrap().to_owned()
}

async fn join(url: &str, name: &str) -> Ws {
    let mut ws = tokio_tungstenite::connect_async(url).await.unwrap().0;
    let join = json!({"eventName": "join", "payload": {"room": "lobby", "name": name}});
    ws.send(Message::text(join.to_string())).await.unwrap();
    assert_eq!(next_event(&mut ws).await, "joined");
    ws
}

#[tokio::test]
async fn metrics_are_scraped_and_move_as_events_flow() {
    let server = example_chat::start("127.0.0.1", 0).await.unwrap();
    let addr = server.local_addr();
    let (status, before) = scrape(addr).await;
    assert!(status.contains("200"), "{status}");

    let mut ada = join(server.url(), "ada").await;
    let mut bob = join(server.url(), "bob").await;
    assert_eq!(next_event(&mut ada).await, "user-joined");
    let say = json!({"eventName": "message", "payload": {"text": "hi"}});
    ada.send(Message::text(say.to_string())).await.unwrap();
    assert_eq!(next_event(&mut bob).await, "message");

    let (_, during) = scrape(addr).await;
    for (name, grew_by) in [
        (r#"zap_events_in_total{event="join"}"#, 2.0),
        (r#"zap_events_in_total{event="message"}"#, 1.0),
        (r#"zap_events_out_total{event="joined"}"#, 2.0),
        (r#"zap_events_out_total{event="user-joined"}"#, 1.0),
        (r#"zap_events_out_total{event="message"}"#, 1.0),
    ] {
        let grown = sample(&during, name) - sample(&before, name);
        assert_eq!(grown, grew_by, "{name}\n{during}");
    }
    assert_eq!(sample(&during, "zap_connections_open"), 2.0, "{during}");
    assert_eq!(sample(&during, "zap_rooms"), 1.0, "{during}");
    assert!(during.contains("zap_handler_duration_seconds"), "{during}");

    for mut ws in [ada, bob] {
        ws.close(None).await.unwrap();
        while ws.next().await.is_some() {}
    }
    server.router().until_empty().await;
    let (_, after) = scrape(addr).await;
    assert_eq!(sample(&after, "zap_connections_open"), 0.0, "{after}");
    assert_eq!(sample(&after, "zap_rooms"), 0.0, "{after}");
    let closed = sample(&after, r#"zap_closes_total{reason="peer_closed"}"#)
        - sample(&before, r#"zap_closes_total{reason="peer_closed"}"#);
    assert_eq!(closed, 2.0, "{after}");
}

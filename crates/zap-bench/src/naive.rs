//! The first, naive reference server, kept only to show that the honest
//! baseline ([`crate::baseline`]) is at least as fast: it decodes every event
//! into a `serde_json::Value` tree, builds replies with `json!`, and flushes
//! the socket once per message. No zaptools figure is a ratio to it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "eventName")]
    event_name: String,
    #[serde(default)]
    payload: serde_json::Value,
}

/// Members of the one room: connection id -> its outbound channel.
type Room = Arc<Mutex<HashMap<u64, mpsc::UnboundedSender<Message>>>>;

pub(crate) async fn serve(listener: TcpListener) {
    let room: Room = Arc::default();
    let ids = AtomicU64::new(0);
    while let Ok((tcp, _)) = listener.accept().await {
        let _ = tcp.set_nodelay(true);
        let id = ids.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(connection(tcp, id, room.clone()));
    }
}

async fn connection(tcp: TcpStream, id: u64, room: Room) {
    // Tuned like zap-server (4 KiB read buffer) so memory compares like with
    // like: tungstenite's default 128 KiB buffer is allocated eagerly.
    let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await else {
        return;
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    loop {
        tokio::select! {
            message = ws.next() => {
                let Some(Ok(Message::Text(text))) = message else {
                    if matches!(message, Some(Ok(_))) { continue }
                    break;
                };
                let Ok(envelope) = serde_json::from_str::<Envelope>(&text) else { continue };
                match envelope.event_name.as_str() {
                    "echo" => {
                        let reply = serde_json::json!({"eventName": "echo", "payload": envelope.payload});
                        if ws.send(Message::text(reply.to_string())).await.is_err() {
                            break;
                        }
                    }
                    "join" => {
                        room.lock().map(|mut r| r.insert(id, tx.clone())).ok();
                        let reply = r#"{"eventName":"join","payload":null}"#;
                        if ws.send(Message::text(reply)).await.is_err() {
                            break;
                        }
                    }
                    "fanout" => {
                        let frame = serde_json::json!({"eventName": "tick", "payload": envelope.payload});
                        let message = Message::Text(Utf8Bytes::from(frame.to_string()));
                        if let Ok(members) = room.lock() {
                            for (member, sender) in members.iter() {
                                if *member != id {
                                    let _ = sender.send(message.clone());
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            Some(message) = rx.recv() => {
                if ws.send(message).await.is_err() {
                    break;
                }
            }
        }
    }
    room.lock().map(|mut r| r.remove(&id)).ok();
}

//! [`Scripted`]: a WebSocket server on a real socket that the test plays by
//! hand, speaking the recovery extension of `docs/protocol.md` as written:
//! it sees each upgrade's query, sends `zap.session`, stamped events and
//! `zap.ack`, and cuts links without a close handshake.

use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

use super::within;

/// The listening side: hands each accepted connection to the test.
pub struct Scripted {
    pub url: String,
    links: mpsc::Receiver<Link>,
    accept: AbortHandle,
}

/// One accepted connection and the query of its upgrade URL.
pub struct Link {
    pub query: Vec<(String, String)>,
    ws: WebSocketStream<TcpStream>,
}

impl Scripted {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (tx, links) = mpsc::channel(16);
        let accept = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let seen = Arc::new(Mutex::new(String::new()));
                let into = Arc::clone(&seen);
                // The callback's type is tungstenite's, error type included.
                #[allow(clippy::result_large_err)]
                let callback = move |request: &Request, response: Response| {
                    let query = request.uri().query().unwrap_or_default().to_owned();
                    *into.lock().expect("lock") = query;
                    Ok(response)
                };
                let Ok(ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else {
                    continue;
                };
                let query = seen.lock().expect("lock").clone();
                let query = form_urlencoded::parse(query.as_bytes())
                    .into_owned()
                    .collect();
                if tx.send(Link { query, ws }).await.is_err() {
                    break;
                }
            }
        })
        .abort_handle();
        Scripted {
            url: format!("ws://{addr}/ws"),
            links,
            accept,
        }
    }

    /// The next connection a client opened.
    pub async fn accept(&mut self) -> Link {
        within("a client connection", self.links.recv())
            .await
            .expect("accept loop ended")
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Link {
    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params(name).into_iter().next()
    }

    /// Every value of query parameter `name`, in order.
    pub fn params(&self, name: &str) -> Vec<&str> {
        let matching = self.query.iter().filter(|(key, _)| key == name);
        matching.map(|(_, value)| value.as_str()).collect()
    }

    /// Sends one event.
    pub async fn send(&mut self, event: Value) {
        let text = event.to_string();
        within("a send", self.ws.send(Message::text(text)))
            .await
            .expect("sent");
    }

    /// Sends `zap.session` with `status` (`new`, `recovered`, `gaps`) and
    /// the other fields of `extra` (`reason`, `gaps`, `directGap`, `ack`).
    pub async fn session(&mut self, token: &str, status: &str, extra: Value) {
        let mut payload = json!({"id": "zpt-scripted", "token": token, "window": 120,
            "status": status, "reason": null, "gaps": [], "directGap": false, "ack": 0});
        if let (Some(payload), Some(extra)) = (payload.as_object_mut(), extra.as_object()) {
            payload.extend(extra.clone());
        }
        self.send(json!({"eventName": "zap.session", "payload": payload}))
            .await;
    }

    /// Sends an event of `room` with its history stamps.
    pub async fn room_event(&mut self, room: &str, epoch: &str, offset: u64, payload: Value) {
        let headers = json!({"zap-room": room, "zap-epoch": epoch, "zap-offset": offset});
        self.send(json!({"eventName": "said", "payload": payload, "headers": headers}))
            .await;
    }

    /// Sends a direct event with its `zap-seq`.
    pub async fn direct(&mut self, seq: u64, payload: Value) {
        let headers = json!({"zap-seq": seq});
        self.send(json!({"eventName": "direct", "payload": payload, "headers": headers}))
            .await;
    }

    /// Acknowledges client events up to `id`.
    pub async fn ack(&mut self, id: u64) {
        self.send(json!({"eventName": "zap.ack", "payload": {"id": id}}))
            .await;
    }

    /// The next frame that is not a ping or a pong.
    pub async fn next_frame(&mut self) -> Message {
        loop {
            match within("a frame from the client", self.ws.next()).await {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(message)) => return message,
                other => panic!("the link ended: {other:?}"),
            }
        }
    }

    /// The next event from the client, as JSON.
    pub async fn next_event(&mut self) -> Value {
        match self.next_frame().await {
            Message::Text(text) => serde_json::from_str(text.as_str()).expect("JSON"),
            other => panic!("not an event: {other:?}"),
        }
    }

    /// The next control or data frame, pings and pongs included.
    pub async fn next_any(&mut self) -> Message {
        within("a frame from the client", self.ws.next())
            .await
            .expect("open")
            .expect("frame")
    }

    /// Sends a ping.
    pub async fn ping(&mut self, data: &'static str) {
        within("a ping", self.ws.send(Message::Ping(data.into())))
            .await
            .expect("pinged");
    }

    /// Drops the connection without a close handshake, like a network
    /// failure.
    pub fn cut(self) {
        drop(self.ws);
    }
}

//! The hand-written reference server: what a careful engineer writes with
//! tokio and tokio-tungstenite alone, and the baseline of every figure.
//!
//! - One task per connection, tungstenite given a 4 KiB read buffer (its
//!   128 KiB default is zero-filled on the first read): what zap-server
//!   reads at a time too, though zap-server borrows its 4 KiB from a
//!   per-thread pool only while bytes are waiting (zap-tungstenite's
//!   `Pooled`), which tungstenite's public API does not offer.
//! - Borrowed decode: the envelope's fields are `&str` / `&RawValue` slices
//!   of the received text, no `serde_json::Value` tree.
//! - Replies written by hand into a `String` of the exact length (no
//!   `json!`, no second allocation when it becomes `Bytes`).
//! - Batched writes: every reply is fed, and the socket is flushed once when
//!   nothing more is ready (no read and no queued broadcast).
//! - `join` gives the connection a channel (idle connections have none);
//!   `fanout` encodes its frame once and hands every member a shared
//!   reference to the same bytes.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::{FutureExt, SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

/// Read buffer given to tungstenite: the size zap-server reads at a time.
const READ_BUFFER: usize = 4 * 1024;

/// Most messages handled before flushing, so one busy peer cannot starve the
/// flush of its own replies.
const BUDGET: usize = 64;

/// The envelope, borrowed from the received text.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "eventName", borrow)]
    event_name: Cow<'a, str>,
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
}

/// Members of the one room: connection id -> its outbound channel.
type Room = Arc<Mutex<HashMap<u64, mpsc::UnboundedSender<Utf8Bytes>>>>;

/// Accepts connections until the listener fails.
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
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await else {
        return;
    };
    let mut peer = Peer {
        ws,
        id,
        room,
        inbox: None,
    };
    let _ = peer.run().await;
    if peer.inbox.is_some() {
        lock(&peer.room).remove(&id);
    }
}

fn lock(room: &Room) -> std::sync::MutexGuard<'_, HashMap<u64, mpsc::UnboundedSender<Utf8Bytes>>> {
    room.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Something ready to be done.
enum Ready {
    Read(Option<Result<Message, WsError>>),
    Write(Utf8Bytes),
}

struct Peer {
    ws: WebSocketStream<TcpStream>,
    id: u64,
    room: Room,
    inbox: Option<mpsc::UnboundedReceiver<Utf8Bytes>>,
}

impl Peer {
    async fn run(&mut self) -> Result<(), WsError> {
        loop {
            let first = match &mut self.inbox {
                Some(inbox) => tokio::select! {
                    message = self.ws.next() => Ready::Read(message),
                    Some(frame) = inbox.recv() => Ready::Write(frame),
                },
                None => Ready::Read(self.ws.next().await),
            };
            if !self.handle(first).await? {
                return Ok(());
            }
            for _ in 0..BUDGET {
                let ready = match self.inbox.as_mut().and_then(|inbox| inbox.try_recv().ok()) {
                    Some(frame) => Ready::Write(frame),
                    None => match self.ws.next().now_or_never() {
                        Some(message) => Ready::Read(message),
                        None => break,
                    },
                };
                if !self.handle(ready).await? {
                    return Ok(());
                }
            }
            self.ws.flush().await?;
        }
    }

    /// Handles one ready thing; `false` once the peer is gone.
    async fn handle(&mut self, ready: Ready) -> Result<bool, WsError> {
        let text = match ready {
            Ready::Write(frame) => {
                self.ws.feed(Message::Text(frame)).await?;
                return Ok(true);
            }
            Ready::Read(Some(Ok(Message::Text(text)))) => text,
            Ready::Read(Some(Ok(_))) => return Ok(true),
            Ready::Read(Some(Err(err))) => return Err(err),
            Ready::Read(None) => return Ok(false),
        };
        let Ok(envelope) = serde_json::from_str::<Envelope<'_>>(&text) else {
            return Ok(true);
        };
        match &*envelope.event_name {
            "echo" => {
                let reply = frame("echo", envelope.payload);
                self.ws.feed(Message::Text(reply)).await?;
            }
            "join" => {
                if self.inbox.is_none() {
                    let (tx, rx) = mpsc::unbounded_channel();
                    lock(&self.room).insert(self.id, tx);
                    self.inbox = Some(rx);
                }
                let reply = Utf8Bytes::from_static(r#"{"eventName":"join","payload":null}"#);
                self.ws.feed(Message::Text(reply)).await?;
            }
            "fanout" => {
                let tick = frame("tick", envelope.payload);
                for (member, sender) in lock(&self.room).iter() {
                    if *member != self.id {
                        let _ = sender.send(tick.clone());
                    }
                }
            }
            _ => {}
        }
        Ok(true)
    }
}

/// `{"eventName":NAME,"payload":PAYLOAD}` in a string of exactly that length
/// (so turning it into shared bytes allocates nothing more). `name` is one
/// of this file's constants and needs no escaping.
fn frame(name: &str, payload: Option<&RawValue>) -> Utf8Bytes {
    const HEAD: &str = r#"{"eventName":""#;
    const MIDDLE: &str = r#"","payload":"#;
    let payload = payload.map_or("null", RawValue::get);
    let mut text =
        String::with_capacity(HEAD.len() + name.len() + MIDDLE.len() + payload.len() + 1);
    text.push_str(HEAD);
    text.push_str(name);
    text.push_str(MIDDLE);
    text.push_str(payload);
    text.push('}');
    Utf8Bytes::from(text)
}

//! Shared test fixtures: servers on 127.0.0.1:0, a raw tokio-tungstenite
//! client, and an event log that handlers write and tests wait on.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::future::Future;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};
use zap_core::{EventData, EventRegister};
use zap_server::{ZapServer, ZapServerBuilder};

/// Upper bound for anything a test waits on; a bug fails the test, never hangs CI.
pub const WAIT: Duration = Duration::from_secs(10);

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub async fn within<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(WAIT, future).await {
        Ok(output) => output,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}

pub fn builder(register: EventRegister) -> ZapServerBuilder {
    ZapServer::builder().port(0).register(register)
}

pub async fn start(register: EventRegister) -> ZapServer {
    builder(register).start().await.unwrap()
}

pub async fn connect(server: &ZapServer) -> Ws {
    connect_url(server.url()).await
}

pub async fn connect_url(url: &str) -> Ws {
    within("connect", connect_async(url)).await.unwrap().0
}

pub async fn send_text(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

/// The next text frame, skipping pings and pongs.
pub async fn recv_text(ws: &mut Ws) -> String {
    within("a text frame", async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => return text.as_str().to_owned(),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    })
    .await
}

pub async fn recv_event(ws: &mut Ws) -> EventData {
    let text = recv_text(ws).await;
    zap_protocol::decode(&text)
        .unwrap_or_else(|err| panic!("server sent an invalid frame {text}: {err}"))
}

/// Reads until the server's close frame (or the end of the stream), then
/// completes the closing handshake as a well-behaved client does.
pub async fn recv_close(ws: &mut Ws) -> Option<CloseFrame> {
    within("a close frame", async {
        let frame = loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => break frame,
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        };
        // Reading on sends tungstenite's close reply and sees the end.
        while let Some(Ok(_)) = ws.next().await {}
        frame
    })
    .await
}

/// Sends `{"eventName":"echo",...}` and expects it back: the connection works.
pub async fn assert_echoes(ws: &mut Ws, marker: &str) {
    send_text(
        ws,
        &format!(r#"{{"eventName":"echo","payload":"{marker}"}}"#),
    )
    .await;
    let event = recv_event(ws).await;
    assert_eq!(event.event_name(), "echo");
    assert_eq!(event.payload().as_json(), format!("\"{marker}\""));
}

/// A register whose `echo` handler sends the payload back.
pub fn echo_register() -> EventRegister {
    EventRegister::new().on_event("echo", |ctx| async move {
        ctx.connection().send("echo", ctx.payload())?;
        Ok(())
    })
}

/// Writes a raw HTTP request and returns the whole response text.
pub async fn http(server: &ZapServer, request: &str) -> String {
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    within("an HTTP response", tcp.read_to_end(&mut response))
        .await
        .unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

/// A log of what handlers saw, in order.
#[derive(Clone)]
pub struct Log(mpsc::UnboundedSender<String>);

pub struct LogReader(mpsc::UnboundedReceiver<String>);

pub fn log() -> (Log, LogReader) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Log(tx), LogReader(rx))
}

impl Log {
    pub fn push(&self, entry: impl Into<String>) {
        let _ = self.0.send(entry.into());
    }
}

impl LogReader {
    pub async fn next(&mut self) -> String {
        within("a log entry", self.0.recv()).await.unwrap()
    }

    /// Waits for the next entry, which must be `expected`.
    pub async fn expect(&mut self, expected: &str) {
        assert_eq!(self.next().await, expected);
    }

    /// Waits until an entry satisfying `pred` shows up; returns it.
    pub async fn wait_for(&mut self, pred: impl Fn(&str) -> bool) -> String {
        loop {
            let entry = self.next().await;
            if pred(&entry) {
                return entry;
            }
        }
    }

    /// Everything logged so far, without waiting.
    pub fn drain(&mut self) -> Vec<String> {
        let mut entries = Vec::new();
        while let Ok(entry) = self.0.try_recv() {
            entries.push(entry);
        }
        entries
    }
}

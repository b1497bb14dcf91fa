//! [`Client`]: a raw tokio-tungstenite peer that speaks the wire protocol by
//! hand, as Python and Dart clients do, plus plain-HTTP helpers.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Response;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::{Bytes, Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, client_async};

use crate::{Link, memory, within};

/// The client's WebSocket: over TCP, or over a pipe to the in-memory
/// integration.
pub type Ws = WebSocketStream<Link>;

/// Opens the byte stream to the server a request names: a pipe when it
/// is served in memory, TCP otherwise.
async fn dial(request: &http::Request<()>) -> Result<Link, WsError> {
    let uri = request.uri();
    let host = uri.host().unwrap_or("127.0.0.1");
    let port = uri.port_u16().unwrap_or(80);
    let in_memory = format!("{host}:{port}").parse().ok().and_then(memory::dial);
    if let Some(pipe) = in_memory {
        return Ok(Link::Memory(pipe));
    }
    let tcp = TcpStream::connect((host, port)).await?;
    Ok(Link::Tcp(MaybeTlsStream::Plain(tcp)))
}

/// A raw byte stream to the server at `addr` (a pipe when it is served in
/// memory, TCP otherwise), for checks that write bytes by hand.
pub async fn connect_raw(addr: std::net::SocketAddr) -> Link {
    match memory::dial(addr) {
        Some(pipe) => Link::Memory(pipe),
        None => Link::Tcp(MaybeTlsStream::Plain(
            TcpStream::connect(addr).await.unwrap(),
        )),
    }
}

/// `connect_async`, through [`dial`].
pub(crate) async fn connect_async(
    request: impl IntoClientRequest + Unpin,
) -> Result<(Ws, Response), WsError> {
    let request = request.into_client_request()?;
    let link = dial(&request).await?;
    client_async(request, link).await
}

/// One connection to the server under test, past its `connected` greeting.
#[derive(Debug)]
pub struct Client {
    /// The socket, for checks that need raw frames.
    pub ws: Ws,
    /// The connection id the server announced.
    pub id: String,
    /// The greeting's payload: `{id, path, query, agent, peer_ip}`.
    pub greeting: Value,
}

impl Client {
    /// Connects to `url` and waits for the greeting.
    pub async fn connect(url: &str) -> Client {
        Client::greeted(Client::open(url).await).await
    }

    /// Connects like [`Client::connect`], over a TCP socket whose receive
    /// buffer is `bytes` (or the kernel's minimum): a peer whose window the
    /// server fills quickly. Over the in-memory integration, a plain pipe.
    pub async fn connect_with_receive_buffer(url: &str, bytes: u32) -> Client {
        let request = url.into_client_request().unwrap();
        let uri = request.uri();
        let addr = format!(
            "{}:{}",
            uri.host().unwrap_or("127.0.0.1"),
            uri.port_u16().unwrap_or(80)
        );
        let addr: std::net::SocketAddr = addr.parse().unwrap();
        let link = match memory::dial(addr) {
            Some(pipe) => Link::Memory(pipe),
            None => {
                let socket = tokio::net::TcpSocket::new_v4().unwrap();
                socket.set_recv_buffer_size(bytes).unwrap();
                let tcp = within("connect", socket.connect(addr)).await.unwrap();
                Link::Tcp(MaybeTlsStream::Plain(tcp))
            }
        };
        let (ws, _) = within("the upgrade", client_async(request, link))
            .await
            .unwrap();
        Client::greeted(ws).await
    }

    /// Connects with a custom request (headers) and waits for the greeting.
    pub async fn connect_request(request: http::Request<()>) -> Client {
        let (ws, _) = within("connect", connect_async(request)).await.unwrap();
        Client::greeted(ws).await
    }

    /// Connects without waiting for anything.
    pub async fn open(url: &str) -> Ws {
        within("connect", connect_async(url)).await.unwrap().0
    }

    /// Reads the `connected` greeting of a fresh socket.
    pub async fn greeted(ws: Ws) -> Client {
        let mut client = Client {
            ws,
            id: String::new(),
            greeting: Value::Null,
        };
        let (name, greeting) = client.recv().await;
        assert_eq!(name, "connected", "the greeting comes first");
        client.id = greeting["id"].as_str().unwrap().to_owned();
        client.greeting = greeting;
        client
    }

    /// Sends one text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.unwrap();
    }

    /// Sends `{"eventName": event, "payload": payload}`.
    pub async fn send(&mut self, event: &str, payload: Value) {
        let frame = json!({"eventName": event, "payload": payload}).to_string();
        self.send_text(&frame).await;
    }

    /// Sends `text` as one text message split into frames of `chunk` bytes.
    pub async fn send_fragmented(&mut self, text: &str, chunk: usize) {
        let bytes = text.as_bytes();
        let pieces: Vec<&[u8]> = bytes.chunks(chunk).collect();
        for (n, piece) in pieces.iter().enumerate() {
            let opcode = if n == 0 { Data::Text } else { Data::Continue };
            let last = n + 1 == pieces.len();
            let frame = Frame::message(Bytes::copy_from_slice(piece), OpCode::Data(opcode), last);
            self.ws.feed(Message::Frame(frame)).await.unwrap();
        }
        self.ws.flush().await.unwrap();
    }

    /// The next text frame, skipping pings and pongs.
    pub async fn recv_text(&mut self) -> String {
        within("a text frame", async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Message::Text(text))) => return text.as_str().to_owned(),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    other => panic!("expected a text frame, got {other:?}"),
                }
            }
        })
        .await
    }

    /// The next event: its name and payload.
    pub async fn recv(&mut self) -> (String, Value) {
        let text = self.recv_text().await;
        let event: Value = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("the server sent {text}, not JSON: {err}"));
        let name = event["eventName"]
            .as_str()
            .unwrap_or_else(|| panic!("the server sent {text}, without eventName"));
        (name.to_owned(), event["payload"].clone())
    }

    /// The next event, which must be named `name`: its payload.
    pub async fn expect(&mut self, name: &str) -> Value {
        let (got, payload) = self.recv().await;
        assert_eq!(got, name, "unexpected event with payload {payload}");
        payload
    }

    /// Sends `event` and returns the payload of the reply of the same name.
    pub async fn call(&mut self, event: &str, payload: Value) -> Value {
        self.send(event, payload).await;
        self.expect(event).await
    }

    /// Sends an `echo` and expects it back: the connection works, and no
    /// other event was queued for it before the echo.
    pub async fn assert_echoes(&mut self, marker: &str) {
        assert_eq!(self.call("echo", json!(marker)).await, json!(marker));
    }

    /// Reads until the server's close frame, then completes the closing
    /// handshake; `None` if the stream ended without one.
    pub async fn recv_close(&mut self) -> Option<CloseFrame> {
        recv_close(&mut self.ws).await
    }

    /// Aborts the TCP connection: RST, no close frame.
    pub fn reset(self) {
        let tcp = match self.ws.into_inner() {
            Link::Tcp(MaybeTlsStream::Plain(tcp)) => tcp,
            // The pipe's end: the server reads no close frame, only the end.
            Link::Memory(pipe) => return drop(pipe),
            Link::Tcp(_) => unreachable!("the suite connects over plain ws://"),
        };
        // SO_LINGER 0 makes the drop send RST; it cannot block with a zero linger.
        #[allow(deprecated)]
        tcp.set_linger(Some(std::time::Duration::ZERO)).unwrap();
        drop(tcp);
    }
}

/// Reads `ws` until the server's close frame, then completes the closing handshake.
pub(crate) async fn recv_close(ws: &mut Ws) -> Option<CloseFrame> {
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

/// The HTTP status of a refused upgrade (panics if the upgrade succeeds).
pub async fn refused_status(request: impl IntoClientRequest + Unpin) -> u16 {
    match within("the upgrade answer", connect_async(request)).await {
        Err(WsError::Http(response)) => response.status().as_u16(),
        other => panic!(
            "expected an HTTP refusal, got {:?}",
            other.map(|(_, response)| response.status())
        ),
    }
}

/// Writes a raw HTTP/1.1 request to `addr` and returns the response head
/// and as much of the body as the server sent before closing or within the
/// first read burst.
pub async fn http_request(addr: std::net::SocketAddr, request: &str) -> String {
    let mut tcp = match memory::dial(addr) {
        Some(pipe) => Link::Memory(pipe),
        None => Link::Tcp(MaybeTlsStream::Plain(
            TcpStream::connect(addr).await.unwrap(),
        )),
    };
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    within("an HTTP response", async {
        let mut buf = [0u8; 4096];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(read) => response.extend_from_slice(&buf[..read]),
            }
            if complete(&response) {
                break;
            }
        }
    })
    .await;
    String::from_utf8_lossy(&response).into_owned()
}

/// Whether `response` holds a full head and the `content-length` body.
fn complete(response: &[u8]) -> bool {
    let text = String::from_utf8_lossy(response);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())
            .flatten()
    });
    length.is_some_and(|length| body.len() >= length)
}

//! [`serve_in_memory`]: the fifth integration. zap-core's [`Endpoint`](zap_core::Endpoint)
//! served over in-memory pipes (`tokio::io::duplex`), with tungstenite
//! speaking WebSocket on both ends: the suite's checks run unchanged, with
//! no socket and no port.
//!
//! A served endpoint gets an address in 192.0.2.0/24 (TEST-NET-1, reserved
//! for documentation: never routed), and the suite's client dials such an
//! address through [`dial`] instead of the network.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use crate::ws_transport::WsTransport;
use crate::{Endpoint, Running};

/// Largest request head read before the upgrade.
const MAX_HEAD: usize = 16 * 1024;

/// Endpoints served in memory, by the address their URL names.
fn servers() -> &'static Mutex<HashMap<SocketAddr, zap_core::Endpoint>> {
    static SERVERS: OnceLock<Mutex<HashMap<SocketAddr, zap_core::Endpoint>>> = OnceLock::new();
    SERVERS.get_or_init(Mutex::default)
}

/// Serves `endpoint` in memory at `ws://192.0.2.1:N/ws`, until the returned
/// [`Running`] is dropped.
///
/// ```no_run
/// // crates/zap-conformance/tests/in_memory.rs
/// zap_conformance::conformance_tests!(serve);
/// async fn serve(endpoint: zap_conformance::Endpoint) -> zap_conformance::Running {
///     zap_conformance::serve_in_memory(endpoint).await
/// }
/// # fn main() {}
/// ```
pub async fn serve_in_memory(endpoint: Endpoint) -> Running {
    static NEXT_PORT: AtomicU16 = AtomicU16::new(1);
    let port = NEXT_PORT.fetch_add(1, Ordering::Relaxed);
    let addr = SocketAddr::from((Ipv4Addr::new(192, 0, 2, 1), port));
    let served = zap_core::Endpoint::new(endpoint.register)
        .config(endpoint.config)
        .shutdown_token(endpoint.shutdown);
    servers()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(addr, served);
    Running::new(format!("ws://{addr}/ws"), Unserve(addr))
}

/// Takes an endpoint out of the registry when its check ends.
struct Unserve(SocketAddr);

impl Drop for Unserve {
    fn drop(&mut self) {
        servers()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.0);
    }
}

/// A pipe to the in-memory endpoint at `addr`, or `None` when nothing is
/// served in memory there.
pub(crate) fn dial(addr: SocketAddr) -> Option<DuplexStream> {
    let endpoint = servers()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&addr)?
        .clone();
    let (client, server) = tokio::io::duplex(64 * 1024);
    tokio::spawn(accept(endpoint, server));
    Some(client)
}

/// One connection: the HTTP upgrade (with the authorization hook), then the
/// session loop over the WebSocket.
async fn accept(endpoint: zap_core::Endpoint, mut pipe: DuplexStream) {
    let Some(head) = read_head(&mut pipe).await else {
        return;
    };
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    if !matches!(request.parse(&head), Ok(httparse::Status::Complete(_))) {
        let _ = respond(&mut pipe, 400, "Bad Request", "").await;
        return;
    }
    let target = request.path.unwrap_or("/");
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query.to_owned())),
        None => (target, None),
    };
    let mut map = http::HeaderMap::new();
    for header in request.headers.iter() {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::try_from(header.name),
            http::HeaderValue::from_bytes(header.value),
        ) {
            map.append(name, value);
        }
    }
    let upgrade = map
        .get("upgrade")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let key = map.get("sec-websocket-key").map(|k| k.as_bytes().to_vec());
    let (true, Some(key)) = (upgrade, key) else {
        let _ = respond(&mut pipe, 426, "Upgrade Required", "a WebSocket endpoint").await;
        return;
    };
    // A pipe has no peer address; it stands for a local client, as in the
    // other integrations' tests.
    let peer = SocketAddr::from((Ipv4Addr::LOCALHOST, 40000));
    let handshake = zap_core::Handshake::new(path, query, map, Some(peer));
    if let Err(rejection) = endpoint.authorize(&handshake).await {
        let status = rejection.status_code();
        let reason = status.canonical_reason().unwrap_or("Refused");
        let _ = respond(&mut pipe, status.as_u16(), reason, rejection.reason()).await;
        return;
    }
    let switching = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(&key)
    );
    if pipe.write_all(switching.as_bytes()).await.is_err() {
        return;
    }
    let max = endpoint.connection_config().max_message_size;
    let config = WebSocketConfig::default()
        .max_message_size(Some(max))
        .max_frame_size(Some(max));
    let ws = WebSocketStream::from_raw_socket(pipe, Role::Server, Some(config)).await;
    endpoint.serve(handshake, WsTransport::new(ws)).await;
}

/// Reads up to the end of the request head (the client sends nothing more
/// before the 101).
async fn read_head(pipe: &mut DuplexStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_HEAD || pipe.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    Some(head)
}

/// A plain-text answer (one line, as zap-server writes it) and the end.
async fn respond(
    pipe: &mut DuplexStream,
    status: u16,
    reason: &str,
    body: &str,
) -> std::io::Result<()> {
    let body = format!("{body}\n");
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    pipe.write_all(response.as_bytes()).await?;
    pipe.shutdown().await
}

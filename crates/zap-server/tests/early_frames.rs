//! A client may send its first frames in the same packet as the upgrade
//! request: the server reads them from what it buffered past the request
//! before it waits for the socket to become readable.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::Role;

/// A masked text frame (zero mask: the payload is unchanged), under 126 bytes.
fn client_text_frame(text: &str) -> Vec<u8> {
    let len = u8::try_from(text.len()).unwrap();
    assert!(len < 126);
    let mut frame = vec![0x81, 0x80 | len, 0, 0, 0, 0];
    frame.extend_from_slice(text.as_bytes());
    frame
}

#[tokio::test]
async fn an_event_sent_with_the_upgrade_request_is_answered() {
    let server = start(echo_register()).await;
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let mut bytes = b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Version: 13\r\n\r\n"
        .to_vec();
    bytes.extend(client_text_frame(
        r#"{"eventName":"echo","payload":"early"}"#,
    ));
    tcp.write_all(&bytes).await.unwrap();

    // The 101 response, then whatever frames came with it.
    let mut received = Vec::new();
    let end = within("the 101 response", async {
        loop {
            let mut chunk = [0u8; 1024];
            let n = tcp.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the server closed before answering");
            received.extend_from_slice(&chunk[..n]);
            if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
        }
    })
    .await;
    let head = String::from_utf8_lossy(&received[..end]).into_owned();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let after = received[end..].to_vec();
    let stream: MaybeTlsStream = tokio_tungstenite::MaybeTlsStream::Plain(tcp);
    let mut ws = WebSocketStream::from_partially_read(stream, after, Role::Client, None).await;

    let event = recv_event(&mut ws).await;
    assert_eq!(event.event_name(), "echo");
    assert_eq!(event.payload().as_json(), r#""early""#);
}

type MaybeTlsStream = tokio_tungstenite::MaybeTlsStream<TcpStream>;

//! Hostile clients: frames that break RFC 6455, written raw on the TCP
//! socket of an open connection, each closed with its code (section
//! 7.1.7: 1002, or 1007 for invalid UTF-8) after `error` is raised; and
//! clients that send half an upgrade request and stall.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::standard;
use crate::{Client, Endpoint, Integration, conformance_register, within};

/// A client frame: `first` byte (FIN, RSV, opcode), masked with the zero
/// key (valid, and the payload stays readable), short `payload`.
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![first];
    match payload.len() {
        len @ 0..=125 => bytes.push(0x80 | len as u8),
        len => {
            bytes.push(0x80 | 126);
            bytes.extend_from_slice(&u16::try_from(len).unwrap().to_be_bytes());
        }
    }
    bytes.extend_from_slice(&[0, 0, 0, 0]);
    bytes.extend_from_slice(payload);
    bytes
}

/// Writes `bytes` raw on a fresh connection; returns the `error` report the
/// client was sent (when `reported`) and the close code it then received.
/// A bystander connected meanwhile still echoes.
async fn violate(it: &impl Integration, bytes: &[u8], reported: bool) -> (Option<String>, u16) {
    let (server, _probe) = standard(it).await;
    let mut bystander = Client::connect(server.url()).await;
    let mut offender = Client::connect(server.url()).await;
    // The raw byte stream under the WebSocket (TCP, or the in-memory pipe).
    let tcp = offender.ws.get_mut();
    tcp.write_all(bytes).await.unwrap();
    let kind = if reported {
        let info = offender.expect("error-seen").await;
        Some(info["kind"].as_str().unwrap_or_default().to_owned())
    } else {
        None
    };
    let close = offender.recv_close().await.expect("a close frame");
    bystander.assert_echoes("the bystander is unaffected").await;
    (kind, u16::from(close.code))
}

/// A violation that raises `error` (kind `protocol`) and closes with `code`.
async fn expect_close(it: &impl Integration, bytes: &[u8], code: u16) {
    let (kind, close) = violate(it, bytes, true).await;
    assert_eq!(kind.as_deref(), Some("protocol"));
    assert_eq!(close, code);
}

/// RSV1 set with no extension negotiated: 1002.
pub async fn reserved_bits_close_with_1002(it: &impl Integration) {
    expect_close(it, &frame(0xC1, b"hi"), 1002).await;
}

/// Data opcode 3 (reserved): 1002.
pub async fn an_unknown_opcode_closes_with_1002(it: &impl Integration) {
    expect_close(it, &frame(0x83, b""), 1002).await;
}

/// A text message that is not UTF-8: 1007.
pub async fn invalid_utf8_closes_with_1007(it: &impl Integration) {
    expect_close(it, &frame(0x81, &[0xFF, 0xFE, 0xFD]), 1007).await;
}

/// A client frame without a mask: 1002.
pub async fn an_unmasked_client_frame_closes_with_1002(it: &impl Integration) {
    expect_close(it, &[0x81, 0x02, b'h', b'i'], 1002).await;
}

/// A ping of 126 bytes (control frames carry at most 125): 1002.
pub async fn an_oversized_control_frame_closes_with_1002(it: &impl Integration) {
    expect_close(it, &frame(0x89, &[b'p'; 126]), 1002).await;
}

/// A ping without FIN (control frames cannot be fragmented): 1002.
pub async fn a_fragmented_control_frame_closes_with_1002(it: &impl Integration) {
    expect_close(it, &frame(0x09, b""), 1002).await;
}

/// A final continuation frame with no message started: 1002.
pub async fn a_continuation_without_a_start_closes_with_1002(it: &impl Integration) {
    expect_close(it, &frame(0x80, b"x"), 1002).await;
}

/// A close frame with code 1005 (which no peer may send) is answered with
/// 1002 instead of an echo of the code.
pub async fn an_invalid_close_code_is_answered_with_1002(it: &impl Integration) {
    let (_, close) = violate(it, &frame(0x88, &1005u16.to_be_bytes()), false).await;
    assert_eq!(close, 1002);
}

/// Clients that send half an upgrade request and stall are disconnected
/// after the handshake timeout (500 of them, 500 ms), and a new client
/// still connects.
pub async fn half_sent_upgrade_requests_are_dropped_after_the_handshake_timeout(
    it: &impl Integration,
) {
    const STALLED: usize = 500;
    let (register, _probe) = conformance_register();
    let endpoint = Endpoint::new(register).handshake_timeout(Duration::from_millis(500));
    let server = it.serve(endpoint).await;
    let half = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n",
        server.path(),
        server.addr()
    );
    let mut stalled = Vec::with_capacity(STALLED);
    for _ in 0..STALLED {
        let mut tcp = crate::connect_raw(server.addr()).await;
        tcp.write_all(half.as_bytes()).await.unwrap();
        stalled.push(tcp);
    }
    within("every stalled request to be dropped", async {
        let mut buf = [0u8; 512];
        for tcp in &mut stalled {
            // A 408 response may come first; the end of the stream must follow.
            while let Ok(1..) = tcp.read(&mut buf).await {}
        }
    })
    .await;
    let mut client = Client::connect(server.url()).await;
    assert_eq!(client.call("echo", json!("after")).await, json!("after"));
}

/// A close frame whose reason is not UTF-8 is answered with 1007 (RFC 6455
/// sections 5.5.1 and 8.1), after `error` (kind `protocol`).
pub async fn an_invalid_utf8_close_reason_is_answered_with_1007(it: &impl Integration) {
    let mut payload = 1000u16.to_be_bytes().to_vec();
    payload.extend_from_slice(&[b'b', b'y', 0xFF, 0xFE]);
    expect_close(it, &frame(0x88, &payload), 1007).await;
}

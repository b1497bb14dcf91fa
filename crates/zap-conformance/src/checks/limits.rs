//! Limits: the maximum message size (applied to the framework's own frame
//! and message limits), pings both ways, the idle timeout and the bounded
//! outbound queue.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::{Bytes, Message};
use zap_core::{ConnectionConfig, OverflowPolicy, SendError};

use super::{standard, until};
use crate::{Client, Endpoint, Integration, Probe, Running, conformance_register};

async fn serve_with(it: &impl Integration, config: ConnectionConfig) -> (Running, Probe) {
    let (register, probe) = conformance_register();
    (
        it.serve(Endpoint::new(register).config(config)).await,
        probe,
    )
}

/// Reads the `too_large` error report, then the 1009 close frame.
async fn expect_too_large(offender: &mut Client) {
    let info = offender.expect("error-seen").await;
    assert_eq!(info["kind"], "too_large", "{info}");
    assert_eq!(info["event"], json!(null), "{info}");
    let message = info["message"].as_str().unwrap();
    assert!(message.contains("1024"), "{message}");
    let frame = offender.recv_close().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), 1009);
}

/// A message over `max_message_size` raises `error` and closes that
/// connection with 1009; others carry on.
pub async fn an_oversized_message_closes_that_connection_with_1009_and_no_other(
    it: &impl Integration,
) {
    let (server, _probe) = serve_with(it, ConnectionConfig::default().max_message_size(1024)).await;
    let mut bystander = Client::connect(server.url()).await;
    let mut offender = Client::connect(server.url()).await;
    offender.send("echo", json!("x".repeat(4096))).await;
    expect_too_large(&mut offender).await;
    bystander.assert_echoes("unaffected").await;
}

/// The limit holds for a message split into frames that are each small.
pub async fn an_oversized_fragmented_message_closes_with_1009(it: &impl Integration) {
    let (server, _probe) = serve_with(it, ConnectionConfig::default().max_message_size(1024)).await;
    let mut offender = Client::connect(server.url()).await;
    let frame = json!({"eventName": "echo", "payload": "y".repeat(4096)}).to_string();
    offender.send_fragmented(&frame, 512).await;
    expect_too_large(&mut offender).await;
}

/// The framework itself enforces the limit: a frame whose header announces
/// 1 GiB is refused from the header, without waiting for (or buffering) the
/// payload.
pub async fn an_oversized_frame_is_refused_from_its_header(it: &impl Integration) {
    use tokio::io::AsyncWriteExt;
    let (server, _probe) = serve_with(it, ConnectionConfig::default().max_message_size(1024)).await;
    let mut offender = Client::connect(server.url()).await;
    // The raw byte stream under the WebSocket (TCP, or the in-memory pipe).
    let tcp = offender.ws.get_mut();
    // FIN + text, masked, 64-bit length of 1 GiB, mask key, a few payload bytes.
    let mut header = vec![0x81, 0xFF];
    header.extend_from_slice(&(1u64 << 30).to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4, b'{' ^ 1, b'"' ^ 2]);
    tcp.write_all(&header).await.unwrap();
    expect_too_large(&mut offender).await;
}

/// A message far above the frameworks' own defaults (64 KiB in actix-ws)
/// but within the default 1 MiB limit is accepted, whole or fragmented.
pub async fn a_large_message_within_the_limit_is_accepted(it: &impl Integration) {
    let (server, _probe) = standard(it).await;
    let mut client = Client::connect(server.url()).await;
    let text = "z".repeat(300 * 1024);
    client.send("echo", json!(text)).await;
    assert_eq!(client.expect("echo").await, json!(text));
    let frame = json!({"eventName": "echo", "payload": text}).to_string();
    client.send_fragmented(&frame, 100 * 1024).await;
    assert_eq!(client.expect("echo").await, json!(text));
}

/// A client's ping is answered with a pong carrying the same payload.
pub async fn client_pings_are_answered(it: &impl Integration) {
    let (server, _probe) = standard(it).await;
    let mut client = Client::connect(server.url()).await;
    for n in 0..3u8 {
        let payload = Bytes::from(vec![b'p', n]);
        client
            .ws
            .send(Message::Ping(payload.clone()))
            .await
            .unwrap();
        let pong = crate::within("a pong", async {
            loop {
                match client.ws.next().await {
                    Some(Ok(Message::Pong(data))) => return data,
                    Some(Ok(Message::Ping(_))) => continue,
                    other => panic!("expected a pong, got {other:?}"),
                }
            }
        })
        .await;
        assert_eq!(pong, payload);
    }
    client.assert_echoes("after pings").await;
}

fn quick_heartbeat() -> ConnectionConfig {
    ConnectionConfig::default()
        .ping_interval(Some(Duration::from_millis(50)))
        .idle_timeout(Some(Duration::from_millis(400)))
}

/// A peer that never reads (so never answers pings) is disconnected after
/// the idle timeout.
pub async fn a_peer_that_never_answers_is_disconnected_after_the_idle_timeout(
    it: &impl Integration,
) {
    let (server, mut probe) = serve_with(it, quick_heartbeat()).await;
    let silent = Client::connect(server.url()).await;
    probe.wait_disconnected(&[&silent.id]).await;
}

/// A peer that reads (tungstenite answers each ping) stays connected.
pub async fn a_peer_that_answers_pings_stays_connected(it: &impl Integration) {
    let (server, mut probe) = serve_with(it, quick_heartbeat()).await;
    let mut client = Client::connect(server.url()).await;
    // Twelve pings at 50 ms span more than the 400 ms idle timeout.
    let mut pings = 0;
    crate::within("twelve pings", async {
        while pings < 12 {
            match client.ws.next().await {
                Some(Ok(Message::Ping(_))) => pings += 1,
                Some(Ok(_)) => continue,
                other => panic!("the answering peer lost its connection: {other:?}"),
            }
        }
    })
    .await;
    client.assert_echoes("alive").await;
    let ended: Vec<String> = probe
        .drain()
        .into_iter()
        .filter(|e| e.starts_with("disconnected"))
        .collect();
    assert!(ended.is_empty(), "{ended:?}");
}

/// A peer that stops reading fills its bounded outbound queue: sends to it
/// fail with `Full`, never queue more than the capacity, and (default
/// policy) it is disconnected.
pub async fn a_slow_reader_is_disconnected_when_its_outbound_queue_overflows(
    it: &impl Integration,
) {
    const QUEUE: usize = 8;
    let (register, mut probe) = conformance_register();
    let router = register.router().clone();
    let config = ConnectionConfig::default()
        .outbound_queue(QUEUE)
        .overflow_policy(OverflowPolicy::Close);
    let server = it.serve(Endpoint::new(register).config(config)).await;
    let slow = Client::connect(server.url()).await; // never read from again
    let connection = router.connection(&slow.id).expect("a live connection");
    let payload = "f".repeat(64 * 1024);
    let mut full = false;
    for _ in 0..4000 {
        match connection.send("flood", &payload) {
            Ok(_) => {}
            Err(SendError::Full { capacity, .. }) => {
                assert_eq!(capacity, QUEUE);
                full = true;
                break;
            }
            Err(other) => panic!("unexpected send error: {other}"),
        }
        assert!(connection.queued() <= QUEUE);
        // Let the session write, so only a jammed socket fills the queue.
        tokio::task::yield_now().await;
    }
    assert!(
        full,
        "the queue of a peer that stopped reading never filled"
    );
    probe.wait_disconnected(&[&slow.id]).await;
    assert!(matches!(
        connection.send("late", ()),
        Err(SendError::Closed)
    ));
    until("the slow reader to leave the router", || {
        router.count() == 0
    })
    .await;
    drop(slow);
}

/// A client frame with a masking key of zeros (the payload stays as
/// written): FIN + `opcode`, and a 64-bit length whatever the size.
fn raw_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x80 | opcode, 0xFF];
    frame.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    frame.extend_from_slice(&[0, 0, 0, 0]);
    frame.extend_from_slice(payload);
    frame
}

/// The server frames in `bytes` (unmasked), as (opcode, payload), up to
/// the first incomplete one.
fn server_frames(mut bytes: &[u8]) -> Vec<(u8, &[u8])> {
    let mut frames = Vec::new();
    while bytes.len() >= 2 {
        let (extended, short) = match bytes[1] & 0x7F {
            126 => (2, None),
            127 => (8, None),
            len => (0, Some(usize::from(len))),
        };
        let Some(length_bytes) = bytes.get(2..2 + extended) else {
            break;
        };
        let len = short.unwrap_or_else(|| {
            length_bytes
                .iter()
                .fold(0usize, |len, &byte| len << 8 | usize::from(byte))
        });
        let Some(payload) = bytes.get(2 + extended..2 + extended + len) else {
            break;
        };
        frames.push((bytes[0] & 0x0F, payload));
        bytes = &bytes[2 + extended + len..];
    }
    frames
}

/// Rounds of [`a_peer_still_writing_an_oversized_frame_reads_its_1009_not_a_reset`].
const RESET_ROUNDS: usize = 3;

/// A client that asks for a 64 KiB echo and at once writes a 2 MiB frame
/// (over the default 1 MiB limit), reading slowly through a small receive
/// window meanwhile, reads the echo, the `error` report and the 1009 close
/// frame, then the end of the stream: not a reset. The server refuses the
/// frame from its header while the client is still writing it; closing a
/// socket with unread bytes would send a TCP reset, which discards what
/// the server's kernel has not yet delivered (the end of the echo and the
/// close frame, waiting for the client's window). So the server must read
/// and discard what the peer still sends before closing its socket.
pub async fn a_peer_still_writing_an_oversized_frame_reads_its_1009_not_a_reset(
    it: &impl Integration,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const ECHO: usize = 64 << 10;
    const OVERSIZED: usize = 2 << 20;
    let (server, _probe) = standard(it).await;
    let echo = json!({"eventName": "echo", "payload": "e".repeat(ECHO)}).to_string();
    let mut writes = raw_frame(0x1, echo.as_bytes());
    writes.extend(raw_frame(0x1, &vec![b'x'; OVERSIZED]));
    let writes = std::sync::Arc::new(writes);
    for round in 1..=RESET_ROUNDS {
        let offender = Client::connect_with_receive_buffer(server.url(), 4096).await;
        let (mut reader, mut writer) = tokio::io::split(offender.ws.into_inner());
        let writes = writes.clone();
        // A write refused by a reset shows as the missing close frame below.
        let writing = tokio::spawn(async move {
            let _ = writer.write_all(&writes).await;
            writer
        });
        let mut received = Vec::new();
        let end = crate::within("the end of the server's stream", async {
            let mut buf = [0u8; 4096];
            loop {
                match reader.read(&mut buf).await {
                    Ok(0) => return Ok(()),
                    Ok(read) => received.extend_from_slice(&buf[..read]),
                    Err(err) => return Err(err),
                }
                // A slow reader: the server's writes wait for its window.
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
        .await;
        let frames = server_frames(&received);
        let close = frames.iter().find(|(opcode, _)| *opcode == 0x8);
        let Some((_, close)) = close else {
            panic!(
                "round {round}: no close frame in {} bytes ({} frames), then {end:?}",
                received.len(),
                frames.len()
            );
        };
        assert_eq!(
            close.get(..2),
            Some(&1009u16.to_be_bytes()[..]),
            "round {round}"
        );
        let texts: Vec<String> = frames
            .iter()
            .filter(|(opcode, _)| *opcode == 0x1)
            .map(|(_, text)| String::from_utf8_lossy(text).into_owned())
            .collect();
        assert_eq!(
            texts.len(),
            2,
            "round {round}: the echo and the error report"
        );
        assert!(texts[0].len() > ECHO, "round {round}: the echo first");
        assert!(
            texts[1].contains("too_large"),
            "round {round}: {}",
            texts[1]
        );
        assert!(end.is_ok(), "round {round}: {end:?} after the close frame");
        drop(writing.await);
    }
}

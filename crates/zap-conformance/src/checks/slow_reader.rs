//! A reader that stops reading: its outbound queue stays bounded in bytes
//! while 1 MB events are broadcast to it, the process's memory stays
//! bounded and comes back, and an overflow closes it with a real 1008 close
//! frame (not a vanished TCP connection).

use zap_core::{ConnectionConfig, OverflowPolicy, SendError};

use crate::checks::until;
use crate::{Client, Endpoint, Integration, conformance_register};

/// One broadcast event: a little over 1 MB on the wire.
const EVENT_BYTES: usize = 1 << 20;
/// Events broadcast: 256 MB in all, what an unbounded queue would hold.
const EVENTS: usize = 256;
/// The per-connection byte bound under test.
const QUEUE_BYTES: usize = 4 << 20;
/// Most the process may grow while the slow reader is connected, and keep
/// after it is gone: the bound plus socket, framework and allocator slack
/// (other checks run in the same process at the same time, so this is
/// generous). Measured: zap-server +12 MB peak / +5 MB after, warp +12 /
/// +12, actix +11 / +4 (+45 / +6 when actix-ws's 32-message channel held
/// 1 MB events between the session and the socket, +83 / +69 once).
const RSS_BOUND: u64 = 48 << 20;

/// The process's resident set, in bytes (Linux), or `None` elsewhere.
fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// 1 MB events broadcast to a room with a reader that never reads (under
/// the `Reject` policy, so it stays connected): its queue never holds more
/// than the byte bound, the process grows by less than 48 MiB, and
/// less than that remains once the slow reader is gone.
pub async fn a_slow_reader_of_1mb_broadcasts_holds_bounded_memory(it: &impl Integration) {
    let _heavy = super::heavy::exclusive().await;
    let (register, mut probe) = conformance_register();
    let router = register.router().clone();
    let config = ConnectionConfig::default()
        .outbound_bytes(QUEUE_BYTES)
        .overflow_policy(OverflowPolicy::Reject);
    let server = it.serve(Endpoint::new(register).config(config)).await;
    let mut fast = Client::connect(server.url()).await;
    let slow = Client::connect(server.url()).await; // never read from again
    for id in [&fast.id, &slow.id] {
        let connection = router.connection(id).expect("a live connection");
        assert!(router.join("storm", &connection));
    }
    let slow_connection = router.connection(&slow.id).expect("a live connection");
    let before = rss();
    let mut peak = 0;
    let mut rejected = 0;
    let blob = "m".repeat(EVENT_BYTES);
    for n in 0..EVENTS {
        rejected += router.to("storm").send("storm", (n, &blob)).unwrap().full;
        assert!(slow_connection.queued_bytes() <= QUEUE_BYTES);
        let (name, payload) = fast.recv().await;
        assert_eq!(
            (name.as_str(), payload[0].as_u64()),
            ("storm", Some(n as u64))
        );
        peak = peak.max(rss().unwrap_or(0));
    }
    assert!(rejected > 0, "the slow reader's queue never filled");
    assert!(!slow_connection.is_closed(), "Reject keeps the connection");
    slow.reset();
    probe
        .wait_disconnected(&[slow_connection.id().as_str()])
        .await;
    until("the slow reader to leave the router", || {
        router.count() == 1
    })
    .await;
    fast.assert_echoes("after the storm").await;
    if let (Some(before), Some(after)) = (before, rss()) {
        let grown = peak.saturating_sub(before);
        let kept = after.saturating_sub(before);
        assert!(
            grown < RSS_BOUND,
            "grew by {grown} bytes with a slow reader"
        );
        assert!(
            kept < RSS_BOUND,
            "kept {kept} bytes after the slow reader left"
        );
    }
}

/// A reader that stops reading while 1 MB events are sent to it is closed
/// (under the default `Close` policy) with a 1008 close frame that it reads
/// after the events already on their way, within the close timeout.
pub async fn an_overflowing_slow_reader_reads_a_1008_close_frame(it: &impl Integration) {
    let _heavy = super::heavy::exclusive().await;
    let (register, mut probe) = conformance_register();
    let router = register.router().clone();
    let config = ConnectionConfig::default().outbound_bytes(QUEUE_BYTES);
    let server = it.serve(Endpoint::new(register).config(config)).await;
    let mut slow = Client::connect(server.url()).await;
    let connection = router.connection(&slow.id).expect("a live connection");
    let payload = "f".repeat(EVENT_BYTES);
    let mut full = false;
    for _ in 0..EVENTS {
        match connection.send("flood", &payload) {
            Ok(_) => tokio::task::yield_now().await,
            Err(SendError::Full { max_bytes, .. }) => {
                assert_eq!(max_bytes, QUEUE_BYTES);
                full = true;
                break;
            }
            Err(other) => panic!("unexpected send error: {other}"),
        }
    }
    assert!(
        full,
        "the queue of a peer that stopped reading never filled"
    );
    assert!(connection.is_closed());
    let close = slow
        .recv_close()
        .await
        .expect("a close frame, not a dropped connection");
    assert_eq!(u16::from(close.code), 1008);
    assert_eq!(close.reason.as_str(), "outbound queue full");
    probe.wait_disconnected(&[&slow.id]).await;
}

/// Most a slow reader may have to read, once its queue overflowed, before
/// its close frame: what the socket buffers hold plus the transport's own
/// write buffer (a frame or two), far from the 32 events (32 MB) a buffer of
/// 32 messages between the session and the socket would add.
const BACKLOG_BOUND: usize = 16 << 20;

/// In a room where 1 MB events are broadcast, a member that stops reading
/// (the other reads every event) is closed under the default `Close` policy
/// when its queue overflows, with a 1008 "outbound queue full" close frame
/// that comes after a bounded backlog: what was queued is dropped, not
/// written first, so even a reader that reads slowly gets the close frame
/// within the close timeout.
pub async fn a_slow_reader_in_a_broadcast_room_reads_its_1008_after_a_bounded_backlog(
    it: &impl Integration,
) {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;

    let _heavy = super::heavy::exclusive().await;
    let (register, mut probe) = conformance_register();
    let router = register.router().clone();
    let config = ConnectionConfig::default().outbound_bytes(QUEUE_BYTES);
    let server = it.serve(Endpoint::new(register).config(config)).await;
    let mut fast = Client::connect(server.url()).await;
    let mut slow = Client::connect(server.url()).await;
    for id in [&fast.id, &slow.id] {
        let connection = router.connection(id).expect("a live connection");
        assert!(router.join("storm", &connection));
    }
    let slow_connection = router.connection(&slow.id).expect("a live connection");
    let blob = "m".repeat(EVENT_BYTES);
    for n in 0..EVENTS {
        router.to("storm").send("storm", (n, &blob)).unwrap();
        let (name, _) = fast.recv().await;
        assert_eq!(name, "storm");
        if slow_connection.is_closed() {
            break;
        }
    }
    assert!(
        slow_connection.is_closed(),
        "the queue of a member that stopped reading never overflowed"
    );
    let mut backlog = 0;
    let close = crate::within("the slow reader's close frame", async {
        loop {
            match slow.ws.next().await {
                Some(Ok(Message::Text(text))) => backlog += text.len(),
                Some(Ok(Message::Close(frame))) => break frame,
                Some(Ok(_)) => continue,
                other => panic!("no close frame after {backlog} bytes: {other:?}"),
            }
        }
    })
    .await
    .expect("a close frame with a code");
    assert_eq!(u16::from(close.code), 1008);
    assert_eq!(close.reason.as_str(), "outbound queue full");
    assert!(
        backlog <= BACKLOG_BOUND,
        "{backlog} bytes came before the close frame"
    );
    probe.wait_disconnected(&[&slow.id]).await;
    fast.assert_echoes("after the slow reader left").await;
}

//! A slow reader: its outbound queue stays bounded, fast readers are not
//! slowed down, and the documented overflow policy holds.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use zap_core::{ConnectionConfig, EventRegister, OverflowPolicy};

const QUEUE: usize = 16;
const FRAME_BYTES: usize = 32 * 1024;
/// Enough to fill the loopback socket buffers many times over.
const MAX_FRAMES: usize = 4000;

fn joining_register() -> EventRegister {
    EventRegister::new().on_connected(|ctx| async move {
        ctx.join("storm");
        ctx.connection()
            .send("ready", ctx.connection().id().as_str())?;
        Ok(())
    })
}

async fn storm_server(policy: OverflowPolicy) -> zap_server::ZapServer {
    builder(joining_register())
        .config(
            ConnectionConfig::default()
                .outbound_queue(QUEUE)
                .overflow_policy(policy),
        )
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_slow_reader_is_closed_when_its_queue_overflows_and_fast_readers_are_unaffected() {
    let server = storm_server(OverflowPolicy::Close).await;
    let mut fast = connect(&server).await;
    let fast_id: String = recv_event(&mut fast).await.payload().parse().unwrap();
    let slow = connect(&server).await; // never read from
    within("both joined", async {
        while server.router().room_size("storm") < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let slow_conn = server
        .router()
        .connections()
        .into_iter()
        .find(|c| c.id() != fast_id.as_str())
        .unwrap();
    let payload = "x".repeat(FRAME_BYTES);
    let mut sent = 0;
    let mut overflowed = false;
    while sent < MAX_FRAMES {
        let delivery = server
            .router()
            .to("storm")
            .send("storm", (sent, &payload))
            .unwrap();
        overflowed |= delivery.full > 0;
        // Memory stays bounded: never more than QUEUE frames wait per connection.
        for member in server.router().members("storm") {
            assert!(member.connection.queued() <= QUEUE);
        }
        let got = recv_event(&mut fast).await;
        assert_eq!(got.payload().parse::<(usize, String)>().unwrap().0, sent);
        sent += 1;
        if server.router().room_size("storm") == 1 {
            break;
        }
    }
    assert!(
        overflowed,
        "the slow reader's queue never filled in {sent} frames"
    );
    within("the slow reader is dropped", async {
        while server.router().count() != 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(slow_conn.is_closed());
    assert!(matches!(
        slow_conn.send("late", ()),
        Err(zap_core::SendError::Closed)
    ));
    assert_echoes_after_storm(&server, &mut fast).await;
    drop(slow);
}

async fn assert_echoes_after_storm(server: &zap_server::ZapServer, fast: &mut Ws) {
    let id = server.router().connections()[0].id().clone();
    server.router().send_to(id.as_str(), "after", 1).unwrap();
    assert_eq!(recv_event(fast).await.event_name(), "after");
}

#[tokio::test]
async fn with_the_reject_policy_a_slow_reader_stays_connected_and_misses_frames() {
    let server = storm_server(OverflowPolicy::Reject).await;
    let mut fast = connect(&server).await;
    assert_eq!(recv_event(&mut fast).await.event_name(), "ready");
    let mut slow = connect(&server).await;
    within("both joined", async {
        while server.router().room_size("storm") < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let payload = "y".repeat(FRAME_BYTES);
    let mut full = 0;
    for sent in 0..MAX_FRAMES {
        let delivery = server
            .router()
            .to("storm")
            .send("storm", (sent, &payload))
            .unwrap();
        full += delivery.full;
        for member in server.router().members("storm") {
            assert!(member.connection.queued() <= QUEUE);
        }
        recv_event(&mut fast).await;
        if full >= 50 {
            break;
        }
    }
    assert!(full >= 50, "the slow reader's queue never filled");
    assert_eq!(
        server.router().count(),
        2,
        "Reject keeps the slow reader connected"
    );
    // The slow reader finally reads: it gets the frames that fit, in order.
    assert_eq!(recv_event(&mut slow).await.event_name(), "ready");
    let mut last = None;
    for _ in 0..QUEUE {
        let (n, _): (usize, String) = recv_event(&mut slow).await.payload().parse().unwrap();
        assert!(last.is_none_or(|l| n > l), "frames stay in order");
        last = Some(n);
    }
}

//! How the session loop runs handlers, tested through zap-test's in-memory
//! connections under tokio's paused clock: order, independence from slow
//! handlers, `disconnected` after the handler in flight, and heartbeats.
//! (`session.rs` drives a hand-made transport for what needs one: stalled
//! writes, transport errors, ping timing.)
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use zap_core::{ConnectionConfig, EndReason, EventRegister};
use zap_test::TestServer;

fn quiet() -> ConnectionConfig {
    ConnectionConfig::default()
        .ping_interval(None)
        .idle_timeout(None)
}

#[tokio::test(start_paused = true)]
async fn handlers_of_one_connection_run_one_at_a_time_in_order() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let flight = in_flight.clone();
    let register = EventRegister::new().on_event("work", move |ctx| {
        let flight = flight.clone();
        async move {
            assert_eq!(
                flight.fetch_add(1, Ordering::SeqCst),
                0,
                "two handlers at once"
            );
            let n: u64 = ctx.payload_as()?;
            tokio::time::sleep(Duration::from_millis(100 - n)).await;
            flight.fetch_sub(1, Ordering::SeqCst);
            ctx.reply(n)?;
            Ok(())
        }
    });
    let server = TestServer::with_config(register, quiet());
    let mut client = server.connect().await;
    for n in 0..50 {
        client.send("work", n);
    }
    for _ in 0..50 {
        client.expect("work").await;
    }
    let order: Vec<_> = client.received().into_iter().map(|e| e.payload).collect();
    assert_eq!(
        order,
        (0..50).map(serde_json::Value::from).collect::<Vec<_>>()
    );
}

#[tokio::test(start_paused = true)]
async fn a_slow_handler_does_not_hold_back_events_sent_to_its_connection() {
    let register = EventRegister::new()
        .on_event("slow", |_ctx| async move {
            tokio::time::sleep(Duration::from_secs(60)).await
        })
        .on_connected(|ctx| async move {
            let conn = ctx.connection().clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let _ = conn.send("tick", 1);
            });
        });
    let server = TestServer::with_config(register, quiet());
    let started = Instant::now();
    let mut client = server.connect().await;
    client.send("slow", ());
    client.expect_payload("tick", 1).await;
    assert_eq!(
        started.elapsed().as_secs(),
        1,
        "written while the slow handler still ran"
    );
}

#[tokio::test(start_paused = true)]
async fn disconnected_runs_after_the_handler_in_flight() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let (o1, o2) = (order.clone(), order.clone());
    let register = EventRegister::new()
        .on_event("long", move |ctx| {
            let order = o1.clone();
            async move {
                // The connection is closed from outside while this runs.
                ctx.connection().close();
                tokio::time::sleep(Duration::from_secs(5)).await;
                order.lock().unwrap().push("long done");
            }
        })
        .on_disconnected(move |_ctx| {
            let order = o2.clone();
            async move { order.lock().unwrap().push("disconnected") }
        });
    let server = TestServer::with_config(register, quiet());
    let mut client = server.connect().await;
    client.send("long", ());
    client.expect_closed(1000).await;
    server.router().until_empty().await;
    assert_eq!(*order.lock().unwrap(), ["long done", "disconnected"]);
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_answers_pings_is_kept_past_the_idle_timeout() {
    let config = ConnectionConfig::default()
        .ping_interval(Some(Duration::from_secs(10)))
        .idle_timeout(Some(Duration::from_secs(30)));
    let register = EventRegister::new().on_event("echo", |ctx| async move {
        ctx.connection().send("echo", ctx.payload())?;
        Ok(())
    });
    let server = TestServer::with_config(register, config);
    let mut client = server.connect().await;
    // Ten idle timeouts of virtual time, answering pings only.
    client.expect_nothing_for(Duration::from_secs(300)).await;
    client.send("echo", "alive");
    client.expect_payload("echo", "alive").await;
    assert_eq!(
        client.close().await,
        EndReason::PeerClosed(Some(zap_core::CloseFrame::new(1000, "")))
    );
}

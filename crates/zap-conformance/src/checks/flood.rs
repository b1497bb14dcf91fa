//! Flood control: one client floods 100,000 events while others echo; the
//! flooder is throttled to its rate limit (every event over it is dropped
//! and raises `error` with `rate_limited`), and the others' latency stays
//! near what it is without the flood.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use zap_core::{ConnectionConfig, ErrorKind, EventRegister, Limit, RateLimit};

use crate::{Client, Endpoint, Integration};

const FLOOD: usize = 100_000;
const RATE: f64 = 1_000.0;
const BURST: f64 = 500.0;
/// Echo round trips measured per client, with and without the flood.
const ROUNDS: usize = 100;
const ECHOERS: usize = 3;
/// Bound of the whole flood (a debug build on a busy machine).
const FLOOD_WAIT: Duration = Duration::from_secs(120);

#[derive(Default)]
struct Counts {
    handled: AtomicUsize,
    limited: AtomicUsize,
}

fn flood_register(counts: Arc<Counts>) -> EventRegister {
    let (handled, limited) = (counts.clone(), counts);
    EventRegister::new()
        .on_connected(|ctx| async move {
            let id = ctx.connection().id().as_str().to_owned();
            ctx.connection().send("connected", json!({ "id": id }))?;
            Ok(())
        })
        .on_event("echo", |ctx| async move {
            ctx.connection().send("echo", ctx.payload())?;
            Ok(())
        })
        .on_event("flood", move |_ctx| {
            handled.handled.fetch_add(1, Ordering::Relaxed);
            std::future::ready(())
        })
        .on_error(move |ctx| {
            if ctx
                .error()
                .is_some_and(|e| e.kind == ErrorKind::RateLimited)
            {
                limited.limited.fetch_add(1, Ordering::Relaxed);
            }
            std::future::ready(())
        })
}

/// The 99th percentile of `samples`.
fn p99(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[(samples.len() * 99 / 100).min(samples.len() - 1)]
}

/// `ROUNDS` echo round trips on each client, one client after the other.
async fn echo_latencies(clients: &mut [Client]) -> Vec<Duration> {
    let mut samples = Vec::new();
    for client in clients.iter_mut() {
        for n in 0..ROUNDS {
            let started = Instant::now();
            assert_eq!(client.call("echo", json!(n)).await, json!(n));
            samples.push(started.elapsed());
        }
    }
    samples
}

/// 100,000 events from one client, at most 1,000/s with a burst of 500
/// allowed: every event is either handled or dropped with `rate_limited`,
/// at most the burst plus the rate over the flood's duration are handled,
/// and the p99 echo latency of three other clients stays within 20 × its
/// value without the flood (or 1 s, for a noisy machine: other checks run
/// at the same time in the same process).
pub async fn a_flooder_is_throttled_and_others_are_not_slowed(it: &impl Integration) {
    let _heavy = super::heavy::exclusive().await;
    let counts = Arc::new(Counts::default());
    let limits = RateLimit::default().events(Some(Limit::new(RATE, BURST)));
    let config = ConnectionConfig::default().rate_limit(limits);
    let server = it
        .serve(Endpoint::new(flood_register(counts.clone())).config(config))
        .await;
    let mut echoers = Vec::new();
    for _ in 0..ECHOERS {
        echoers.push(Client::connect(server.url()).await);
    }
    let calm = p99(echo_latencies(&mut echoers).await);

    // The flooding client gets its own thread and runtime: its cost (a
    // debug build masking 100,000 frames) is not the server's.
    let url = server.url().to_owned();
    let started = Instant::now();
    let (done, stop) = tokio::sync::oneshot::channel::<()>();
    let flood = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let mut flooder = Client::connect(&url).await;
            let frame = json!({"eventName": "flood", "payload": null}).to_string();
            for _ in 0..FLOOD {
                flooder
                    .ws
                    .feed(Message::text(frame.as_str()))
                    .await
                    .unwrap();
            }
            flooder.ws.flush().await.unwrap();
            // Stay connected until every event was read by the server.
            let _ = stop.await;
        })
    });
    let seen = || counts.handled.load(Ordering::Relaxed) + counts.limited.load(Ordering::Relaxed);
    let mut busy = Vec::new();
    let flooding = async {
        while seen() < FLOOD {
            busy.extend(echo_latencies(&mut echoers).await);
        }
    };
    match tokio::time::timeout(FLOOD_WAIT, flooding).await {
        Ok(()) => {}
        Err(_) => panic!(
            "only {} of {FLOOD} flood events arrived in {FLOOD_WAIT:?}",
            seen()
        ),
    }
    let elapsed = started.elapsed();

    let handled = counts.handled.load(Ordering::Relaxed);
    let allowed = BURST + RATE * elapsed.as_secs_f64();
    assert!(
        (handled as f64) <= allowed + 1.0,
        "{handled} events handled in {elapsed:?}: more than the {allowed} allowed"
    );
    assert!(handled >= BURST as usize, "the burst is let through");
    assert!(counts.limited.load(Ordering::Relaxed) > 0);
    let flooded = p99(busy);
    let _ = done.send(());
    let joined = tokio::task::spawn_blocking(move || flood.join()).await;
    assert!(
        joined.is_ok_and(|thread| thread.is_ok()),
        "the flooder failed"
    );
    let bound = (calm * 20).max(Duration::from_secs(1));
    assert!(
        flooded <= bound,
        "echo p99 {flooded:?} during the flood, {calm:?} without it"
    );
}

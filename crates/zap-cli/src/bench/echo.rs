//! Echo mode: one connection keeps `window` probes in flight until the run
//! ends, then waits for the last answers.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::probe::{Probe, Ws, stamp};
use super::stats::{Counters, Latencies};

/// When a connection stops sending, and when it stops waiting.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadlines {
    pub(crate) stop_sending: Instant,
    pub(crate) give_up: Instant,
}

/// Runs one echo connection; returns its latencies.
pub(crate) async fn connection(
    ws: Ws,
    probe: Arc<Probe>,
    window: usize,
    deadlines: Deadlines,
    counters: Arc<Counters>,
) -> Latencies {
    let mut latencies = Latencies::new();
    let (mut sink, mut stream) = ws.split();
    let mut next_seq = 0u64;
    let mut in_flight = 0usize;
    let mut sending = true;
    loop {
        if sending && in_flight < window {
            while in_flight < window {
                if sink
                    .feed(Message::text(probe.frame(next_seq)))
                    .await
                    .is_err()
                {
                    counters.error();
                    return latencies;
                }
                next_seq += 1;
                in_flight += 1;
                counters.sent();
            }
            if sink.flush().await.is_err() {
                counters.error();
                return latencies;
            }
        }
        if !sending && in_flight == 0 {
            break;
        }
        tokio::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    // Only this connection's own probes count.
                    if let Some(stamp) = stamp(text.as_str()).filter(|s| s.seq < next_seq) {
                        latencies.record(probe.now().saturating_sub(stamp.t));
                        in_flight = in_flight.saturating_sub(1);
                        counters.received();
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    counters.error();
                    return latencies;
                }
            },
            () = tokio::time::sleep_until(deadlines.stop_sending), if sending => sending = false,
            () = tokio::time::sleep_until(deadlines.give_up), if !sending => break,
        }
    }
    let _ = sink.close().await;
    latencies
}

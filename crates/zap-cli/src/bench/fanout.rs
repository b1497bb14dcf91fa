//! Fan-out mode: a publisher keeps `window` probes in flight, where a probe
//! is in flight until every receiver has it; receivers time each delivery.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Notify, Semaphore, watch};
use tokio_tungstenite::tungstenite::Message;

use super::echo::Deadlines;
use super::probe::{Probe, Ws, stamp};
use super::stats::{Counters, Latencies};

/// Which probes are still on their way, and to how many receivers.
#[derive(Debug)]
pub(crate) struct Tracker {
    remaining: Mutex<HashMap<u64, usize>>,
    window: Semaphore,
    drained: Notify,
}

impl Tracker {
    pub(crate) fn new(window: usize) -> Self {
        Tracker {
            remaining: Mutex::new(HashMap::new()),
            window: Semaphore::new(window),
            drained: Notify::new(),
        }
    }

    fn sent(&self, seq: u64, receivers: usize) {
        self.lock().insert(seq, receivers);
    }

    fn delivered(&self, seq: u64) {
        let mut remaining = self.lock();
        let Some(count) = remaining.get_mut(&seq) else {
            return;
        };
        *count = count.saturating_sub(1);
        if *count == 0 {
            remaining.remove(&seq);
            self.window.add_permits(1);
            if remaining.is_empty() {
                self.drained.notify_waiters();
            }
        }
    }

    /// Waits until no probe is in flight.
    pub(crate) async fn drained(&self) {
        loop {
            let notified = self.drained.notified();
            if self.lock().is_empty() {
                return;
            }
            notified.await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, usize>> {
        self.remaining
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Sends probes within the window until `stop_sending`.
pub(crate) async fn publisher(
    ws: Ws,
    probe: Arc<Probe>,
    receivers: usize,
    deadlines: Deadlines,
    tracker: Arc<Tracker>,
    counters: Arc<Counters>,
) -> Latencies {
    let (mut sink, mut stream) = ws.split();
    // Whatever the server sends the publisher is read and dropped.
    let reader = tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
    let mut seq = 0u64;
    loop {
        let permit = tokio::select! {
            permit = tracker.window.acquire() => permit,
            () = tokio::time::sleep_until(deadlines.stop_sending) => break,
        };
        let Ok(permit) = permit else { break };
        permit.forget();
        tracker.sent(seq, receivers);
        if sink.send(Message::text(probe.frame(seq))).await.is_err() {
            counters.error();
            break;
        }
        counters.sent();
        seq += 1;
    }
    let _ = tokio::time::timeout_at(deadlines.give_up, tracker.drained()).await;
    let _ = sink.close().await;
    reader.abort();
    Latencies::new()
}

/// Times every probe delivered to one receiver until `done` turns true.
pub(crate) async fn receiver(
    ws: Ws,
    probe: Arc<Probe>,
    tracker: Arc<Tracker>,
    counters: Arc<Counters>,
    mut done: watch::Receiver<bool>,
) -> Latencies {
    let mut latencies = Latencies::new();
    let (mut sink, mut stream) = ws.split();
    loop {
        tokio::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    if let Some(stamp) = stamp(text.as_str()) {
                        latencies.record(probe.now().saturating_sub(stamp.t));
                        counters.received();
                        tracker.delivered(stamp.seq);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    counters.error();
                    break;
                }
            },
            _ = done.wait_for(|done| *done) => break,
        }
    }
    let _ = sink.close().await;
    latencies
}

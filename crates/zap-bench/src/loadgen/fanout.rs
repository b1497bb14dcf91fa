//! Room fan-out load: one sender, N receivers in one room, messages sent in
//! windows so bounded outbound queues never overflow; deliveries per second.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// Shape of a fan-out run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fanout {
    pub(crate) receivers: usize,
    pub(crate) messages: usize,
    pub(crate) payload: usize,
}

/// Messages sent before waiting for every receiver to catch up.
pub(crate) const WINDOW: usize = 50;

/// What a fan-out run measured.
#[derive(Debug)]
pub(crate) struct FanoutResult {
    pub(crate) deliveries: u64,
    pub(crate) elapsed: Duration,
    /// The receivers, still open: they close when the result is dropped,
    /// after the server's cost was read, so that the teardown of a
    /// thousand connections is not counted as delivery.
    _receivers: Vec<super::Ws>,
}

impl FanoutResult {
    pub(crate) fn per_second(&self) -> f64 {
        self.deliveries as f64 / self.elapsed.as_secs_f64()
    }
}

/// Receivers spread round-robin over `urls`; the sender on the first.
pub(crate) async fn run(urls: &[String], shape: Fanout) -> anyhow::Result<FanoutResult> {
    prepare(urls, shape).await?.send_all().await
}

/// Receivers joined and reading, a sender connected: ready to send.
pub(crate) struct Prepared {
    shape: Fanout,
    sender: super::Ws,
    received: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<(u64, super::Ws)>>,
}

/// Connects and joins the receivers (round-robin over `urls`) and the sender.
pub(crate) async fn prepare(urls: &[String], shape: Fanout) -> anyhow::Result<Prepared> {
    let received = Arc::new(AtomicU64::new(0));
    let mut receivers = Vec::with_capacity(shape.receivers);
    for i in 0..shape.receivers {
        receivers.push(super::join(&urls[i % urls.len()]).await?);
    }
    let sender = super::connect(&urls[0]).await?;
    let expected = u64::try_from(shape.messages)?;
    let tasks = receivers
        .into_iter()
        .map(|mut ws| {
            let received = received.clone();
            tokio::spawn(async move {
                let mut got = 0u64;
                while got < expected {
                    match ws.next().await {
                        Some(Ok(Message::Text(_))) => {
                            got += 1;
                            received.fetch_add(1, Ordering::Relaxed);
                        }
                        Some(Ok(_)) => {}
                        _ => break,
                    }
                }
                (got, ws)
            })
        })
        .collect();
    Ok(Prepared {
        shape,
        sender,
        received,
        tasks,
    })
}

impl Prepared {
    /// Sends every message in windows and waits for every delivery.
    pub(crate) async fn send_all(mut self) -> anyhow::Result<FanoutResult> {
        let shape = self.shape;
        let frame = super::event("fanout", shape.payload);
        let receivers = u64::try_from(shape.receivers)?;
        let received = self.received;
        let started = Instant::now();
        for sent in 1..=shape.messages {
            self.sender.send(Message::text(frame.as_str())).await?;
            if sent % WINDOW == 0 || sent == shape.messages {
                let target = u64::try_from(sent)? * receivers;
                tokio::time::timeout(Duration::from_secs(60), async {
                    while received.load(Ordering::Relaxed) < target {
                        tokio::time::sleep(Duration::from_micros(200)).await;
                    }
                })
                .await
                .context("receivers stopped receiving")?;
            }
        }
        let elapsed = started.elapsed();
        let expected = u64::try_from(shape.messages)?;
        let mut receivers = Vec::with_capacity(self.tasks.len());
        for task in self.tasks {
            let (got, ws) = task.await?;
            if got != expected {
                bail!("a receiver missed messages");
            }
            receivers.push(ws);
        }
        Ok(FanoutResult {
            deliveries: received.load(Ordering::Relaxed),
            elapsed,
            _receivers: receivers,
        })
    }
}

//! Echo load: connections each keeping a window of events in flight, for a
//! duration; throughput and latency percentiles.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use tokio_tungstenite::tungstenite::Message;

/// Shape of an echo run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Echo {
    pub(crate) connections: usize,
    pub(crate) window: usize,
    pub(crate) duration: Duration,
    pub(crate) payload: usize,
}

/// What an echo run measured.
#[derive(Debug)]
pub(crate) struct EchoResult {
    pub(crate) messages: u64,
    pub(crate) elapsed: Duration,
    pub(crate) latency: Histogram<u64>,
}

impl EchoResult {
    pub(crate) fn per_second(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64()
    }
}

pub(crate) async fn run(url: &str, shape: Echo) -> anyhow::Result<EchoResult> {
    let mut sockets = Vec::with_capacity(shape.connections);
    for _ in 0..shape.connections {
        sockets.push(super::connect(url).await?);
    }
    let frame = super::event("echo", shape.payload);
    let started = Instant::now();
    let deadline = started + shape.duration;
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|ws| tokio::spawn(one_connection(ws, frame.clone(), shape.window, deadline)))
        .collect();
    let mut latency = Histogram::<u64>::new(3)?;
    let mut messages = 0;
    for task in tasks {
        let (count, histogram) = task.await??;
        messages += count;
        latency.add(histogram)?;
    }
    Ok(EchoResult {
        messages,
        elapsed: started.elapsed(),
        latency,
    })
}

async fn one_connection(
    mut ws: super::Ws,
    frame: String,
    window: usize,
    deadline: Instant,
) -> anyhow::Result<(u64, Histogram<u64>)> {
    let mut latency = Histogram::<u64>::new(3)?;
    let mut in_flight = VecDeque::with_capacity(window);
    for _ in 0..window {
        in_flight.push_back(Instant::now());
        ws.feed(Message::text(frame.as_str())).await?;
    }
    ws.flush().await?;
    let mut received = 0;
    while let Some(sent) = in_flight.pop_front() {
        loop {
            match ws.next().await.context("server closed during the run")?? {
                Message::Text(_) => break,
                _ => continue,
            }
        }
        received += 1;
        latency.record(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX))?;
        if Instant::now() < deadline {
            in_flight.push_back(Instant::now());
            ws.send(Message::text(frame.as_str())).await?;
        }
    }
    let _ = ws.close(None).await;
    Ok((received, latency))
}

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
    /// The clients ask for recovery (`zap_recover=1`): every event they send
    /// carries its `zap-id`, and they skip `zap.session` and `zap.ack`.
    pub(crate) recover: bool,
}

impl Echo {
    /// The load for server `kind`: the `recovery` kind's clients ask for
    /// recovery.
    pub(crate) fn for_kind(self, kind: &str) -> Echo {
        Echo {
            recover: kind == "recovery",
            ..self
        }
    }
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
    let url = match shape.recover {
        true => {
            let join = if url.contains('?') {
                "&"
            } else if url.ends_with('/') {
                "?"
            } else {
                "/?"
            };
            format!("{url}{join}{}=1", zap_protocol::ext::RECOVER_PARAM)
        }
        false => url.to_owned(),
    };
    for _ in 0..shape.connections {
        let mut ws = super::connect(&url).await?;
        if shape.recover {
            // The server's first frame: `zap.session`.
            ws.next().await.context("no zap.session")??;
        }
        sockets.push(ws);
    }
    let frame = super::event("echo", shape.payload);
    let started = Instant::now();
    let deadline = started + shape.duration;
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|ws| {
            let frames = Frames {
                plain: frame.clone(),
                recover: shape.recover,
                next_id: 0,
            };
            tokio::spawn(one_connection(ws, frames, shape.window, deadline))
        })
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

/// The echo events one connection sends.
struct Frames {
    plain: String,
    recover: bool,
    next_id: u64,
}

impl Frames {
    /// The next event: the plain frame, or with its `zap-id` header.
    fn next(&mut self) -> Message {
        if !self.recover {
            return Message::text(self.plain.as_str());
        }
        self.next_id += 1;
        let body = self.plain.strip_suffix('}').unwrap_or(&self.plain);
        let id = zap_protocol::ext::ID_HEADER;
        Message::text(format!(r#"{body},"headers":{{"{id}":{}}}}}"#, self.next_id))
    }
}

/// Whether a received frame is an echo (not `zap.ack`).
fn is_echo(text: &str) -> bool {
    text.starts_with(r#"{"eventName":"echo""#)
}

async fn one_connection(
    mut ws: super::Ws,
    mut frames: Frames,
    window: usize,
    deadline: Instant,
) -> anyhow::Result<(u64, Histogram<u64>)> {
    let mut latency = Histogram::<u64>::new(3)?;
    let mut in_flight = VecDeque::with_capacity(window);
    for _ in 0..window {
        in_flight.push_back(Instant::now());
        ws.feed(frames.next()).await?;
    }
    ws.flush().await?;
    let mut received = 0;
    while let Some(sent) = in_flight.pop_front() {
        loop {
            match ws.next().await.context("server closed during the run")?? {
                Message::Text(text) if is_echo(&text) => break,
                _ => continue,
            }
        }
        received += 1;
        latency.record(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX))?;
        if Instant::now() < deadline {
            in_flight.push_back(Instant::now());
            ws.send(frames.next()).await?;
        }
    }
    let _ = ws.close(None).await;
    Ok((received, latency))
}

//! Many idle connections in one server process (19,000 by default: the hard
//! limit on open files here is 20,000): resident memory per connection, then
//! the server CPU of a broadcast to all of them once they joined one room.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::loadgen::{self, idle};
use crate::procstat::{cpu_seconds, settled_rss};
use crate::server_process::ServerProcess;

/// Shape of the many-connections run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Many {
    /// Connections opened in total (one of them sends the broadcasts).
    pub(crate) connections: usize,
    /// Broadcasts sent; the CPU figure is their average.
    pub(crate) broadcasts: usize,
}

/// What the run measured.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ManyResult {
    pub(crate) bytes_per_connection: f64,
    pub(crate) cpu_ms_per_broadcast: f64,
}

pub(crate) async fn run(kind: &str, shape: Many) -> anyhow::Result<ManyResult> {
    let server = ServerProcess::spawn(kind)?;
    let before = settled_rss(server.pid()).await?;
    let mut sockets = idle::open(server.url(), shape.connections).await?;
    let after = settled_rss(server.pid()).await?;
    let bytes_per_connection = after.saturating_sub(before) as f64 / shape.connections as f64;

    let mut sender = sockets.pop().context("no connections")?;
    let receivers = join_all(sockets).await?;
    let expected = u64::try_from(receivers.len())?;
    let received = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = receivers
        .into_iter()
        .map(|ws| tokio::spawn(count(ws, received.clone())))
        .collect();
    let frame = loadgen::event("fanout", 64);
    let cpu_before = cpu_seconds(server.pid())?;
    for sent in 1..=u64::try_from(shape.broadcasts)? {
        sender.send(Message::text(frame.as_str())).await?;
        tokio::time::timeout(Duration::from_secs(120), async {
            while received.load(Ordering::Relaxed) < sent * expected {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await
        .context("receivers stopped receiving")?;
    }
    let cpu = cpu_seconds(server.pid())? - cpu_before;
    if received.load(Ordering::Relaxed) != u64::try_from(shape.broadcasts)? * expected {
        bail!("receivers got more broadcasts than were sent");
    }
    for task in tasks {
        task.abort();
    }
    Ok(ManyResult {
        bytes_per_connection,
        cpu_ms_per_broadcast: cpu * 1e3 / shape.broadcasts as f64,
    })
}

/// Joins every socket to the benchmark room, a few at a time.
async fn join_all(sockets: Vec<loadgen::Ws>) -> anyhow::Result<Vec<loadgen::Ws>> {
    let mut joined = Vec::with_capacity(sockets.len());
    let mut sockets = sockets.into_iter().peekable();
    while sockets.peek().is_some() {
        let batch: Vec<_> = sockets.by_ref().take(256).map(loadgen::join_open).collect();
        for socket in futures_util::future::join_all(batch).await {
            joined.push(socket?);
        }
    }
    Ok(joined)
}

/// Counts the text messages one receiver gets.
async fn count(mut ws: loadgen::Ws, received: Arc<AtomicU64>) {
    while let Some(Ok(message)) = ws.next().await {
        if matches!(message, Message::Text(_)) {
            received.fetch_add(1, Ordering::Relaxed);
        }
    }
}

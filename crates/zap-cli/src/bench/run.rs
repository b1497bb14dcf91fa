//! [`run`]: opens the connections, drives a run to its end, reports.

use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{Duration, Instant};

use super::echo::{self, Deadlines};
use super::fanout::{self, Tracker};
use super::probe::{Probe, Ws, connect};
use super::stats::{Counters, Latencies};
use super::{BenchConfig, BenchError, Latency, Mode, Progress, Report};

/// How many connections are opened at the same time.
const CONNECT_BATCH: usize = 64;

/// Runs the benchmark `config` describes, calling `on_progress` about ten
/// times a second, and reports.
///
/// Every connection is opened before the first probe; a connection that
/// fails to open fails the run ([`BenchError`]), one lost later is counted
/// in [`Report::errors`]. The run lasts `duration` plus at most
/// `drain_timeout`. Tasks are spawned on the current tokio runtime (use a
/// multi-threaded one to load a server hard).
pub async fn run(
    config: &BenchConfig,
    mut on_progress: impl FnMut(&Progress),
) -> Result<Report, BenchError> {
    check(config)?;
    let receivers = open(config, config.connections).await?;
    let publisher = match config.mode {
        Mode::Echo => None,
        Mode::FanOut => open(config, 1).await?.pop(),
    };

    let started = Instant::now();
    let deadlines = Deadlines {
        stop_sending: started + config.duration,
        give_up: started + config.duration + config.drain_timeout,
    };
    let probe = Arc::new(Probe::new(
        &config.event,
        config.payload_bytes,
        started.into_std(),
    ));
    let counters = Arc::new(Counters::default());
    let (done_tx, done_rx) = watch::channel(false);
    // Each task says whether it was the publisher: when the publisher has
    // seen its probes home (or given up), the receivers stop.
    let mut tasks = JoinSet::new();
    match publisher {
        None => {
            for ws in receivers {
                let connection = echo::connection(
                    ws,
                    Arc::clone(&probe),
                    config.window,
                    deadlines,
                    Arc::clone(&counters),
                );
                tasks.spawn(async move { (false, connection.await) });
            }
        }
        Some(publisher) => {
            let tracker = Arc::new(Tracker::new(config.window));
            for ws in receivers {
                let receiver = fanout::receiver(
                    ws,
                    Arc::clone(&probe),
                    Arc::clone(&tracker),
                    Arc::clone(&counters),
                    done_rx.clone(),
                );
                tasks.spawn(async move { (false, receiver.await) });
            }
            let publisher = fanout::publisher(
                publisher,
                Arc::clone(&probe),
                config.connections,
                deadlines,
                tracker,
                Arc::clone(&counters),
            );
            tasks.spawn(async move { (true, publisher.await) });
        }
    }

    let mut latencies = Latencies::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                Some(Ok((is_publisher, connection))) => {
                    latencies.merge(&connection);
                    if is_publisher {
                        let _ = done_tx.send(true);
                    }
                }
                Some(Err(error)) => {
                    tracing::warn!(%error, "a benchmark connection task failed");
                    counters.error();
                    let _ = done_tx.send(true);
                }
                None => break,
            },
            _ = ticker.tick() => on_progress(&progress(config, started, &counters)),
        }
    }
    let elapsed = started.elapsed();
    on_progress(&progress(config, started, &counters));
    let (sent, received, errors) = counters.read();
    Ok(Report {
        mode: config.mode,
        url: config.url.clone(),
        connections: config.connections,
        window: config.window,
        payload_bytes: config.payload_bytes,
        elapsed_secs: elapsed.as_secs_f64(),
        sent,
        received,
        errors,
        throughput: received as f64 / elapsed.as_secs_f64().max(f64::EPSILON),
        latency_us: Latency::of(&latencies),
    })
}

fn check(config: &BenchConfig) -> Result<(), BenchError> {
    if config.connections == 0 {
        return Err(BenchError::InvalidConfig("connections must be at least 1"));
    }
    if config.window == 0 {
        return Err(BenchError::InvalidConfig("window must be at least 1"));
    }
    if config.duration.is_zero() {
        return Err(BenchError::InvalidConfig("duration must be more than 0"));
    }
    Ok(())
}

/// Opens `count` connections, `CONNECT_BATCH` at a time.
async fn open(config: &BenchConfig, count: usize) -> Result<Vec<Ws>, BenchError> {
    let mut connections = Vec::with_capacity(count);
    while connections.len() < count {
        let batch = CONNECT_BATCH.min(count - connections.len());
        let opening = (0..batch).map(|_| connect(&config.url, config.connect_timeout));
        connections.extend(futures_util::future::try_join_all(opening).await?);
    }
    Ok(connections)
}

fn progress(config: &BenchConfig, started: Instant, counters: &Counters) -> Progress {
    let (sent, received, errors) = counters.read();
    Progress {
        elapsed: started.elapsed(),
        duration: config.duration,
        sent,
        received,
        errors,
    }
}

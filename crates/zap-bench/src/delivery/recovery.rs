//! Recovery time: N `zap-client` subscribers (recovery on, the default) in
//! the benchmark room of a `history` server process, through a proxy that
//! cuts every link at once; the time from the cut until every client has
//! reported [`SessionOutcome::Recovered`].

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use zap_client::{ReconnectPolicy, SessionOutcome, ZapSubscriber};

use super::proxy::Proxy;
use crate::server_process::ServerProcess;

/// First retry after 10 ms, then doubling up to 200 ms, no jitter.
fn policy() -> ReconnectPolicy {
    ReconnectPolicy::exponential()
        .initial_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(200))
        .jitter(0.0)
        .min_uptime(Duration::ZERO)
}

/// Connects one client, waits for its new session, joins the room.
async fn joined(url: String) -> anyhow::Result<(ZapSubscriber, zap_client::SessionStream)> {
    let client = ZapSubscriber::builder(url).reconnect(policy()).build();
    let mut sessions = client.sessions();
    let mut answers = client.subscribe_to_event("join");
    client.connect().await?;
    match tokio::time::timeout(Duration::from_secs(30), sessions.next()).await {
        Ok(Some(SessionOutcome::New { .. })) => {}
        other => bail!("expected a new session, got {other:?}"),
    }
    client.send_event("join", ())?;
    tokio::time::timeout(Duration::from_secs(30), answers.next())
        .await
        .context("no answer to join")?
        .context("client closed")?;
    Ok((client, sessions))
}

#[allow(clippy::print_stdout)]
pub(crate) async fn run(clients: usize) -> anyhow::Result<()> {
    let server = ServerProcess::spawn("history")?;
    let upstream = server
        .url()
        .trim_start_matches("ws://")
        .trim_end_matches('/')
        .parse()?;
    let proxy = Proxy::start(upstream).await?;
    let mut connected = Vec::with_capacity(clients);
    while connected.len() < clients {
        let batch = (clients - connected.len()).min(100);
        let joins = (0..batch).map(|_| joined(proxy.url()));
        for client in futures_util::future::join_all(joins).await {
            connected.push(client?);
        }
    }
    let (clients_kept, streams): (Vec<_>, Vec<_>) = connected.into_iter().unzip();
    let started = Instant::now();
    let cut = proxy.cut();
    let waits = streams.into_iter().map(|mut sessions| async move {
        match tokio::time::timeout(Duration::from_secs(120), sessions.next()).await {
            Ok(Some(SessionOutcome::Recovered { .. })) => Ok(started.elapsed()),
            other => bail!("expected a recovered session, got {other:?}"),
        }
    });
    let mut times = Vec::with_capacity(clients);
    for time in futures_util::future::join_all(waits).await {
        times.push(time?.as_secs_f64() * 1e3);
    }
    let all = started.elapsed().as_secs_f64() * 1e3;
    times.sort_by(f64::total_cmp);
    drop(clients_kept);
    println!(
        "recovery: {clients} zap-client subscribers (recovery on) in one room of a `history` server process, {cut} links cut at once by a proxy; reconnect policy: first retry after 10 ms"
    );
    println!("| clients recovered | median | p99 | all |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| {} | {:.0} ms | {:.0} ms | {all:.0} ms |",
        times.len(),
        crate::stats::median(&times),
        times[(times.len() * 99 / 100).min(times.len().saturating_sub(1))],
    );
    Ok(())
}

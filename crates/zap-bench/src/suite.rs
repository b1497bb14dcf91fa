//! The comparison suite: each server kind in a process of its own pinned to
//! core 0 (the load generator runs on core 1), measured in rounds that take
//! every kind in turn (so drift of the shared machine hits all alike): echo
//! throughput, latency and server CPU per event, fan-out deliveries/s, and
//! memory per idle connection. The table gives the median of the rounds and
//! every figure as a ratio to the baseline and to zap-server.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::bail;

use crate::loadgen::echo::{self, Echo};
use crate::loadgen::fanout::{self, Fanout};
use crate::loadgen::idle;
use crate::many::{self, Many};
use crate::procstat::{cpu_seconds, settled_rss};
use crate::report::{self, Figures, Round};
use crate::server_process::ServerProcess;

/// Sizes of one suite run.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) kinds: Vec<String>,
    pub(crate) rounds: usize,
    pub(crate) echo: Echo,
    pub(crate) fanout: Fanout,
    pub(crate) idle: usize,
    pub(crate) many: Many,
    /// The kinds measured with `many` connections (the largest runs).
    pub(crate) many_kinds: Vec<String>,
}

/// One round of echo and fan-out for one server kind, in a fresh process.
async fn round(kind: &str, plan: &Plan) -> anyhow::Result<Round> {
    let server = ServerProcess::spawn(kind)?;
    let echo = plan.echo.for_kind(kind);
    let warmup = Echo {
        duration: Duration::from_secs(1),
        ..echo
    };
    echo::run(server.url(), warmup).await?;
    let before = cpu_seconds(server.pid())?;
    let result = echo::run(server.url(), echo).await?;
    let cpu = cpu_seconds(server.pid())? - before;
    let echo_per_second = result.per_second();
    let p50_us = result.latency.value_at_quantile(0.50) as f64;
    let p99_us = result.latency.value_at_quantile(0.99) as f64;
    let cpu_us_per_echo = cpu * 1e6 / result.messages as f64;

    let prepared = fanout::prepare(&[server.url().to_owned()], plan.fanout).await?;
    let before = cpu_seconds(server.pid())?;
    let result = prepared.send_all().await?;
    let cpu = cpu_seconds(server.pid())? - before;
    Ok(Round {
        echo_per_second,
        p50_us,
        p99_us,
        cpu_us_per_echo,
        fanout_per_second: result.per_second(),
        cpu_us_per_delivery: cpu * 1e6 / result.deliveries as f64,
    })
}

/// Resident memory per idle connection, in a fresh process.
pub(crate) async fn idle_bytes(kind: &str, count: usize) -> anyhow::Result<f64> {
    let server = ServerProcess::spawn(kind)?;
    let before = settled_rss(server.pid()).await?;
    let sockets = idle::open(server.url(), count).await?;
    let after = settled_rss(server.pid()).await?;
    drop(sockets);
    Ok(after.saturating_sub(before) as f64 / count as f64)
}

#[allow(clippy::print_stderr)]
pub(crate) async fn run(plan: Plan) -> anyhow::Result<()> {
    if plan.kinds.first().map(String::as_str) != Some("baseline") {
        bail!("the first server kind must be `baseline`: every figure is a ratio to it");
    }
    let mut figures: BTreeMap<&str, Figures> = BTreeMap::new();
    for number in 1..=plan.rounds {
        for kind in &plan.kinds {
            let measured = round(kind, &plan).await?;
            eprintln!("round {number}/{} {kind}: {measured}", plan.rounds);
            figures.entry(kind).or_default().rounds.push(measured);
        }
    }
    for kind in &plan.kinds {
        let bytes = idle_bytes(kind, plan.idle).await?;
        eprintln!("idle {kind}: {bytes:.0} B per connection ({})", plan.idle);
        figures.entry(kind).or_default().bytes_per_idle = bytes;
    }
    for kind in &plan.many_kinds {
        let measured = many::run(kind, plan.many).await?;
        eprintln!("{} connections {kind}: {measured:?}", plan.many.connections);
        figures.entry(kind).or_default().many = Some(measured);
    }
    let ordered: Vec<(&str, &Figures)> = plan
        .kinds
        .iter()
        .filter_map(|kind| Some((kind.as_str(), figures.get(kind.as_str())?)))
        .collect();
    report::print(&plan, &ordered);
    Ok(())
}

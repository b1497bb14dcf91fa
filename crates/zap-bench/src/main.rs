//! Benchmark binary, normally run through `cargo xtask bench`. Every figure
//! is reported beside a baseline measured in the same run, as a ratio.
//!
//! - `zap-bench suite`: each server kind in its own process pinned to core 0,
//!   the load generator (this process) on core 1, in repeated rounds
//!   (medians): echo msg/s, latency, server CPU per event, fan-out
//!   deliveries/s, RSS per idle connection; then 19,000 connections in one
//!   process (RSS per connection, CPU of a broadcast to all).
//! - `zap-bench profile`: instructions and malloc calls per echoed event and
//!   per fan-out delivery, each server under valgrind's callgrind (stable
//!   when other work shares the machine).
//! - `zap-bench idle`: only the RSS per idle connection, against zap-server.
//! - `zap-bench redis-fanout`: room fan-out, 2 instances through Redis vs 1
//!   in-process instance.
//! - `zap-bench delivery`: memory per room of history (vs the same rooms
//!   without history) and room fan-out with history in Redis Streams (vs
//!   plain Redis pub/sub).
//! - `zap-bench all`: profile, suite, redis-fanout, delivery (what `cargo
//!   xtask bench` runs).
//! - `zap-bench serve KIND`: one server under test (used by `suite`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod baseline;
mod delivery;
mod idle;
mod loadgen;
mod many;
mod naive;
mod procstat;
mod profile;
mod redis_fanout;
mod redis_server;
mod report;
mod server_process;
mod servers;
mod stats;
mod suite;

use std::time::Duration;

use anyhow::{Context, bail};

use crate::loadgen::echo::Echo;
use crate::loadgen::fanout::Fanout;
use crate::many::Many;

const USAGE: &str = "usage: zap-bench <command> [options]

  suite [--kinds baseline,zap-server,...] [--rounds N] [--connections N] [--quick]
      compare servers in rounds (medians): echo msg/s, latency, CPU/event,
      fan-out, RSS per idle connection; then N connections in one process
      (RSS per connection, CPU of a broadcast to all) for baseline and zap-server
  idle [--kinds baseline,zap-server,axum,...] [--connections N] [--rounds N]
      only the suite's RSS per idle connection (5,000 connections, medians
      of 3 rounds by default), each kind against zap-server and the baseline
  redis-fanout [--receivers N] [--messages M] [--payload BYTES]
      room fan-out: 2 instances through Redis vs 1 in-process instance
  delivery [--rooms N] [--events N] [--receivers N] [--messages M] [--clients N]
      memory per room of history (RSS growth, N rooms keeping their last
      N events vs the same broadcasts without history) and room fan-out over
      Redis with history in Redis Streams vs plain Redis pub/sub; time for
      N clients to recover after a proxy cuts all their links at once
  profile [--kinds baseline,zap-server,...] [--out DIR]
      instructions and malloc calls per echoed event and per fan-out delivery,
      each server under valgrind's callgrind (stable on a busy machine)
  all [suite options]
      profile (baseline, zap-server, prometheus, recovery), suite, redis-fanout, then delivery
  serve KIND
      run one server under test (prints `PORT n`)

Server kinds: baseline (hand-written, the reference), naive (the first,
naive hand-written server), zap-server, history (zap-server with the
benchmark room keeping its last 1,000 events), prometheus (zap-server with
a Prometheus recorder installed, the production case), recovery (history,
and the echo clients ask for recovery: `zap-id` on every event, acks,
`zap-seq` on every reply), axum, actix, warp.";

fn option(args: &[String], name: &str, default: usize) -> anyhow::Result<usize> {
    match args.iter().position(|arg| arg == name) {
        None => Ok(default),
        Some(index) => args
            .get(index + 1)
            .with_context(|| format!("{name} needs a value"))?
            .parse()
            .with_context(|| format!("{name} takes a whole number")),
    }
}

fn plan(args: &[String]) -> anyhow::Result<suite::Plan> {
    let quick = args.iter().any(|arg| arg == "--quick");
    let kinds: Vec<String> = args
        .iter()
        .position(|arg| arg == "--kinds")
        .and_then(|i| args.get(i + 1))
        .map_or_else(
            || servers::KINDS.iter().map(|k| (*k).to_owned()).collect(),
            |list| list.split(',').map(str::to_owned).collect(),
        );
    let many_kinds = kinds
        .iter()
        .filter(|kind| matches!(kind.as_str(), "baseline" | "zap-server"))
        .cloned()
        .collect();
    Ok(suite::Plan {
        kinds,
        rounds: option(args, "--rounds", if quick { 1 } else { 5 })?,
        echo: Echo {
            connections: 50,
            window: 8,
            duration: Duration::from_secs(if quick { 1 } else { 3 }),
            payload: 64,
            recover: false,
        },
        fanout: Fanout {
            receivers: if quick { 100 } else { 1000 },
            messages: if quick { 50 } else { 200 },
            payload: 64,
        },
        idle: if quick { 500 } else { 5_000 },
        many: Many {
            connections: option(args, "--connections", if quick { 1_000 } else { 19_000 })?,
            broadcasts: 10,
        },
        many_kinds,
    })
}

/// Echo load under callgrind (about 50 times slower than native).
fn profile_echo() -> Echo {
    Echo {
        connections: 50,
        window: 8,
        duration: Duration::from_secs(5),
        payload: 64,
        recover: false,
    }
}

fn profile_fanout() -> Fanout {
    Fanout {
        receivers: 1000,
        messages: 50,
        payload: 64,
    }
}

async fn profile(args: &[String]) -> anyhow::Result<()> {
    let kinds = plan(args)?.kinds;
    let keep = args
        .iter()
        .position(|arg| arg == "--out")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from);
    profile::run(&kinds, profile_echo(), profile_fanout(), keep.as_deref()).await
}

fn fanout_shape(args: &[String]) -> anyhow::Result<Fanout> {
    Ok(Fanout {
        receivers: option(args, "--receivers", 1000)?,
        messages: option(args, "--messages", 200)?,
        payload: option(args, "--payload", 64)?,
    })
}

fn delivery_plan(args: &[String]) -> anyhow::Result<delivery::Plan> {
    Ok(delivery::Plan {
        memory: delivery::memory::Rooms {
            rooms: option(args, "--rooms", 1_000)?,
            events: option(args, "--events", 500)?,
            payload: 64,
        },
        fanout: fanout_shape(args)?,
        clients: option(args, "--clients", 1_000)?,
    })
}

/// `rooms-child history|plain ROOMS EVENTS PAYLOAD` (used by `delivery`).
async fn rooms_child(args: &[String]) -> anyhow::Result<()> {
    let number = |index: usize| -> anyhow::Result<usize> {
        Ok(args
            .get(index)
            .context("rooms-child history|plain ROOMS EVENTS PAYLOAD")?
            .parse()?)
    };
    let shape = delivery::memory::Rooms {
        rooms: number(2)?,
        events: number(3)?,
        payload: number(4)?,
    };
    delivery::memory::child(args.get(1).map(String::as_str) == Some("history"), shape).await
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Thousands of sockets: lift the soft descriptor limit to the hard one.
    if let Ok((_, hard)) = rlimit::Resource::NOFILE.get() {
        let _ = rlimit::Resource::NOFILE.set(hard, hard);
    }
    let command = args.first().map(String::as_str);
    if command == Some("serve") && args.get(1).map(String::as_str) == Some("actix") {
        return servers::serve_actix();
    }
    if command == Some("serve") && args.get(1).map(String::as_str) == Some("actix-upgrade") {
        return servers::serve_actix_upgrade();
    }
    // The load generator and each server get one core each: one thread.
    let runtime = match command {
        Some("serve") => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?,
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
    };
    match command {
        Some("serve") => runtime.block_on(servers::serve(args.get(1).map_or("", String::as_str))),
        Some("suite") => runtime.block_on(suite::run(plan(&args)?)),
        Some("idle") => runtime.block_on(async {
            let kinds = plan(&args)?.kinds;
            let connections = option(&args, "--connections", 5_000)?;
            idle::run(&kinds, connections, option(&args, "--rounds", 3)?).await
        }),
        Some("redis-fanout") => runtime.block_on(redis_fanout::compare(fanout_shape(&args)?)),
        Some("profile") => runtime.block_on(profile(&args)),
        Some("delivery") => runtime.block_on(delivery::run(delivery_plan(&args)?)),
        Some("rooms-child") => runtime.block_on(rooms_child(&args)),
        Some("all") => runtime.block_on(async {
            let plan = plan(&args)?;
            let kinds = ["baseline", "zap-server", "prometheus", "recovery"].map(str::to_owned);
            profile::run(&kinds, profile_echo(), profile_fanout(), None).await?;
            suite::run(plan).await?;
            let quick = args.iter().any(|arg| arg == "--quick");
            let shape = Fanout {
                receivers: if quick { 100 } else { 1000 },
                messages: if quick { 50 } else { 200 },
                payload: 64,
            };
            redis_fanout::compare(shape).await?;
            delivery::run(delivery::Plan {
                memory: delivery::memory::Rooms {
                    rooms: if quick { 100 } else { 1_000 },
                    events: 500,
                    payload: 64,
                },
                fanout: shape,
                clients: if quick { 100 } else { 1_000 },
            })
            .await
        }),
        _ => bail!("{USAGE}"),
    }
}

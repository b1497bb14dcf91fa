//! `zap-bench delivery`: what delivery you can trust (issue 10) costs, each
//! figure beside its baseline from the same run: memory per room of history
//! (versus the same broadcasts without history) and room fan-out through
//! Redis with history in Redis Streams (versus plain Redis pub/sub); then
//! the time N clients take to recover after every link is cut at once.

pub(crate) mod memory;
mod proxy;
pub(crate) mod recovery;
pub(crate) mod streams;

use crate::loadgen::fanout::Fanout;

/// Shape of a `delivery` run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// The memory run: rooms, events kept per room, payload bytes.
    pub(crate) memory: memory::Rooms,
    /// The fan-out through Redis.
    pub(crate) fanout: Fanout,
    /// Clients resuming at once in the recovery run.
    pub(crate) clients: usize,
}

/// Runs every delivery figure once and prints them as tables.
pub(crate) async fn run(plan: Plan) -> anyhow::Result<()> {
    memory::compare(plan.memory).await?;
    streams::compare(plan.fanout).await?;
    recovery::run(plan.clients).await
}

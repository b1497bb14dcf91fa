//! The heartbeat task: says this instance is alive, and reaps instances that
//! stopped saying so (their members leave every room, cluster-wide).
//!
//! An instance that stalls longer than the TTL (a long GC-like pause, a
//! stopped process) is reaped by the others while it lives on. Its next
//! heartbeat sees it: the `ZADD` adds it afresh instead of updating it. It
//! then rewrites its membership and announces its members again.

use std::sync::Arc;

use redis::RedisResult;
use zap_core::ConnectionId;

use crate::state::{State, now_ms};
use crate::writer::{DELETE_CONNECTION_IF_OURS, DELETE_MEMBER_IF_OURS};

pub(crate) async fn run(state: Arc<State>) {
    let mut ticker = tokio::time::interval(state.config.heartbeat);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut registered = false;
    loop {
        ticker.tick().await;
        let generation = state.generation();
        match beat(&state).await {
            Ok(added) => {
                // Added afresh while Redis stayed reachable: we were reaped.
                // (After an outage the resync that follows rewrites us anyway.)
                let was_available = state.is_available();
                state.mark_available(generation);
                if added && registered && was_available {
                    state.reregister();
                }
                registered = true;
            }
            Err(err) => {
                state.mark_unavailable(&err);
                continue;
            }
        }
        if let Err(err) = reap(&state).await {
            tracing::debug!(%err, "reaping dead instances failed; retrying next beat");
        }
    }
}

/// Refreshes our heartbeat; `true` when it was missing (added afresh).
async fn beat(state: &State) -> RedisResult<bool> {
    let mut conn = state.commands.clone();
    let added: i64 = redis::cmd("ZADD")
        .arg(state.keys.alive())
        .arg(now_ms())
        .arg(&state.instance)
        .query_async(&mut conn)
        .await?;
    Ok(added == 1)
}

/// Removes every instance whose heartbeat is older than the TTL. Only the
/// instance whose `ZREM` succeeds reaps a given dead instance.
async fn reap(state: &State) -> RedisResult<()> {
    let keys = &state.keys;
    let mut conn = state.commands.clone();
    let ttl = i64::try_from(state.config.instance_ttl.as_millis()).unwrap_or(i64::MAX);
    let deadline = now_ms().saturating_sub(ttl);
    let dead: Vec<String> = redis::cmd("ZRANGEBYSCORE")
        .arg(keys.alive())
        .arg("-inf")
        .arg(format!("({deadline}"))
        .query_async(&mut conn)
        .await?;
    for instance in dead.iter().filter(|i| **i != state.instance) {
        let won: i64 = redis::cmd("ZREM")
            .arg(keys.alive())
            .arg(instance)
            .query_async(&mut conn)
            .await?;
        if won == 1 {
            forget(state, instance).await?;
        }
    }
    Ok(())
}

/// Deletes everything an instance had in Redis; with presence events on,
/// tells its rooms that its members left.
pub(crate) async fn forget(state: &State, instance: &str) -> RedisResult<()> {
    let keys = &state.keys;
    let mut conn = state.commands.clone();
    let (pairs, connections): (Vec<String>, Vec<String>) = redis::pipe()
        .cmd("SMEMBERS")
        .arg(keys.instance_memberships(instance))
        .cmd("SMEMBERS")
        .arg(keys.instance_connections(instance))
        .query_async(&mut conn)
        .await?;
    let memberships: Vec<(String, String)> = pairs
        .iter()
        .filter_map(|pair| serde_json::from_str(pair).ok())
        .collect();
    // Only what the instance still holds: a session that resumed on
    // another instance keeps its id and rooms there.
    let mut pipe = redis::pipe();
    for (room, id) in &memberships {
        pipe.cmd("EVAL")
            .arg(DELETE_MEMBER_IF_OURS)
            .arg(1)
            .arg(keys.room(room))
            .arg(id)
            .arg(instance);
    }
    for id in &connections {
        pipe.cmd("EVAL")
            .arg(DELETE_CONNECTION_IF_OURS)
            .arg(1)
            .arg(keys.connections())
            .arg(id)
            .arg(instance)
            .ignore();
    }
    pipe.cmd("HDEL").arg(keys.counts()).arg(instance).ignore();
    pipe.cmd("ZREM").arg(keys.alive()).arg(instance).ignore();
    pipe.cmd("DEL")
        .arg(keys.instance_memberships(instance))
        .arg(keys.instance_connections(instance))
        .ignore();
    let removed: Vec<i64> = pipe.query_async(&mut conn).await?;
    let memberships: Vec<(String, String)> = memberships
        .into_iter()
        .zip(removed)
        .filter(|(_, removed)| *removed == 1)
        .map(|(membership, _)| membership)
        .collect();
    if instance != state.instance {
        tracing::warn!(%instance, connections = connections.len(), "reaped a dead instance");
        if let Some(router) = state.router() {
            for (room, id) in &memberships {
                router.announce(room, &ConnectionId::from(id.as_str()), "leave", None);
            }
        }
    }
    Ok(())
}

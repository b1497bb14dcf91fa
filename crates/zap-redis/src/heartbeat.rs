//! The heartbeat task: says this instance is alive, and reaps instances that
//! stopped saying so (their members leave every room, cluster-wide).
//!
//! An instance that stalls longer than the TTL (a long GC-like pause, a
//! stopped process) is reaped by the others while it lives on. Its next
//! heartbeat sees it: the `ZADD` adds it afresh instead of updating it. It
//! then rewrites its membership and announces its members again.

use std::collections::BTreeSet;
use std::sync::Arc;

use redis::RedisResult;
use zap_core::ConnectionId;

use crate::batch::Batch;
use crate::state::{State, now_ms};
use crate::writer::{DELETE_CONNECTION_IF_OURS, DELETE_MEMBER_IF_OURS};

pub(crate) async fn run(state: Arc<State>) {
    let mut ticker = tokio::time::interval(state.config.heartbeat);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut registered = false;
    // The masters last acted on, and a different set seen once since.
    let mut masters: (Option<Masters>, Option<Masters>) = (None, None);
    loop {
        ticker.tick().await;
        if state.keys.sharded() {
            watch_masters(&state, &mut masters).await;
        }
        state.forget_idle_rooms(crate::history::IDLE_TTL);
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

/// Compares the cluster's serving masters with the last ones seen: a
/// replica promoted (its master died or was failed over), a master added
/// or gone, means subscriptions may have to move and the writes of a dead
/// master may be lost: subscribe again and rewrite our membership.
async fn watch_masters(state: &State, last: &mut (Option<Masters>, Option<Masters>)) {
    let mut conn = state.commands.clone();
    let mut cmd = redis::cmd("CLUSTER");
    cmd.arg("NODES");
    let query = cmd.query_async::<String>(&mut conn);
    let Ok(Ok(nodes)) = tokio::time::timeout(state.config.query_timeout, query).await else {
        return; // asked again at the next beat
    };
    let now = serving_masters(&nodes);
    // A change counts once two beats in a row see it: nodes learn of a
    // failover one after the other, and a lagging node's view would make
    // the instances subscribe again back and forth.
    match (&last.0, &last.1) {
        (Some(before), Some(candidate)) if *before != now && *candidate == now => {
            tracing::warn!(instance = %state.instance, ?before, ?now, "the cluster's masters changed");
            state.topology_changed();
            *last = (Some(now), None);
        }
        (Some(before), _) if *before != now => last.1 = Some(now),
        (Some(_), _) => last.1 = None,
        (None, _) => last.0 = Some(now),
    }
}

type Masters = BTreeSet<String>;

/// The ids of the masters that serve slots and are not failed, from a
/// `CLUSTER NODES` reply.
fn serving_masters(nodes: &str) -> BTreeSet<String> {
    nodes
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let flags = fields.get(2)?;
            let serving = flags.split(',').any(|f| f == "master")
                && !flags.split(',').any(|f| f == "fail")
                && fields.len() > 8;
            serving.then(|| fields[0].to_owned())
        })
        .collect()
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
    let mut batch = Batch::new(keys);
    let mut positions = Vec::with_capacity(memberships.len());
    for (room, id) in &memberships {
        let (group, pipe) = batch.group(&keys.room(room));
        positions.push((group, pipe.len()));
        pipe.cmd("EVAL")
            .arg(DELETE_MEMBER_IF_OURS)
            .arg(1)
            .arg(keys.room(room))
            .arg(id)
            .arg(instance);
    }
    let registry = batch.on(&keys.alive());
    for id in &connections {
        registry
            .cmd("EVAL")
            .arg(DELETE_CONNECTION_IF_OURS)
            .arg(1)
            .arg(keys.connections())
            .arg(id)
            .arg(instance)
            .ignore();
    }
    registry
        .cmd("HDEL")
        .arg(keys.counts())
        .arg(instance)
        .ignore();
    registry
        .cmd("ZREM")
        .arg(keys.alive())
        .arg(instance)
        .ignore();
    registry
        .cmd("DEL")
        .arg(keys.instance_memberships(instance))
        .arg(keys.instance_connections(instance))
        .ignore();
    let replies = batch.run_values(&state.commands).await;
    let mut removed_in = Vec::with_capacity(replies.len());
    for reply in replies {
        removed_in.push(reply?);
    }
    // The room scripts come first in their groups and are not ignored: the
    // n-th one of a group is its n-th reply.
    let memberships: Vec<(String, String)> = memberships
        .into_iter()
        .zip(positions)
        .filter(|(_, (group, n))| {
            removed_in
                .get(*group)
                .and_then(|replies| replies.get(*n))
                .is_some_and(|reply| matches!(reply, redis::Value::Int(1)))
        })
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

#[cfg(test)]
mod tests {
    use super::serving_masters;

    #[test]
    fn only_masters_serving_slots_and_not_failed_count() {
        let nodes = "\
a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460
b2 127.0.0.1:7001@17001 master,fail - 0 0 2 disconnected
c3 127.0.0.1:7002@17002 slave a1 0 0 1 connected
d4 127.0.0.1:7003@17003 master - 0 0 3 connected 5461-16383
e5 127.0.0.1:7004@17004 master - 0 0 0 connected
";
        let masters: Vec<String> = serving_masters(nodes).into_iter().collect();
        assert_eq!(masters, ["a1", "d4"]);
    }
}

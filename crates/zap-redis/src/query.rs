//! Cluster-wide queries: the members of a room and the number of
//! connections on every live instance.

use std::collections::{HashMap, HashSet};

use redis::RedisResult;
use serde::Deserialize;
use zap_core::{BackendError, ConnectionId, MemberInfo, MetaTag};

use crate::state::{State, now_ms};

#[derive(Deserialize)]
struct Stored {
    i: String,
    m: Option<MetaTag>,
}

/// Instances that sent a heartbeat within the TTL (always including us).
fn live_since(state: &State) -> String {
    let ttl = i64::try_from(state.config.instance_ttl.as_millis()).unwrap_or(i64::MAX);
    now_ms().saturating_sub(ttl).to_string()
}

/// Runs a query within the query timeout; fails at once while Redis is
/// known to be unreachable.
async fn bounded<T>(
    state: &State,
    query: impl Future<Output = RedisResult<T>>,
) -> Result<T, BackendError> {
    if !state.is_reachable() {
        return Err(BackendError::Unavailable("redis unreachable".into()));
    }
    match tokio::time::timeout(state.config.query_timeout, query).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => {
            state.mark_unavailable(&err);
            Err(BackendError::Unavailable(err.to_string()))
        }
        Err(_) => Err(BackendError::Timeout),
    }
}

pub(crate) async fn members(state: &State, room: &str) -> Result<Vec<MemberInfo>, BackendError> {
    // The room's hash and the registry are in different slots (on a
    // cluster, maybe on different shards): two commands, at once.
    let (mut conn, mut conn2) = (state.commands.clone(), state.commands.clone());
    let mut entries = redis::cmd("HGETALL");
    entries.arg(state.keys.room(room));
    let mut alive = redis::cmd("ZRANGEBYSCORE");
    alive
        .arg(state.keys.alive())
        .arg(live_since(state))
        .arg("+inf");
    let query = async {
        futures_util::try_join!(
            entries.query_async::<HashMap<String, String>>(&mut conn),
            alive.query_async::<Vec<String>>(&mut conn2)
        )
    };
    let (entries, alive) = bounded(state, query).await?;
    let alive: HashSet<&str> = alive.iter().map(String::as_str).collect();
    let mut members = Vec::with_capacity(entries.len());
    for (id, value) in entries {
        let stored: Stored = serde_json::from_str(&value)
            .map_err(|err| BackendError::Protocol(format!("member {id}: {err}")))?;
        let local = stored.i == state.instance;
        if local || alive.contains(stored.i.as_str()) {
            members.push(MemberInfo::new(ConnectionId::from(id), stored.m, local));
        }
    }
    members.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(members)
}

pub(crate) async fn connection_count(state: &State) -> Result<usize, BackendError> {
    let mut conn = state.commands.clone();
    let mut pipe = redis::pipe();
    pipe.cmd("HGETALL").arg(state.keys.counts());
    pipe.cmd("ZRANGEBYSCORE")
        .arg(state.keys.alive())
        .arg(live_since(state))
        .arg("+inf");
    let query = pipe.query_async::<(HashMap<String, i64>, Vec<String>)>(&mut conn);
    let (counts, alive) = bounded(state, query).await?;
    let total = counts
        .iter()
        .filter(|(instance, _)| **instance == state.instance || alive.contains(instance))
        .map(|(_, count)| (*count).max(0))
        .sum::<i64>();
    Ok(usize::try_from(total).unwrap_or(0))
}

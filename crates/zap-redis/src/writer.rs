//! The writer task: applies publishes and membership changes to Redis in the
//! order they happened, and rewrites this instance's membership after an
//! outage.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use redis::RedisResult;
use tokio::sync::mpsc;
use zap_core::Membership;

use crate::batch::Batch;
use crate::state::{State, now_ms};

/// One write, queued by the backend.
pub(crate) enum Command {
    /// A bus message and its channel.
    Publish(String, Vec<u8>),
    Membership(Membership),
    /// An event of a room with history (see [`crate::history`]).
    Sequenced(crate::history::Append),
    /// A direct event by connection id (see [`crate::sessions`]).
    Direct(crate::sessions::Direct),
    /// A direct event of a recoverable session, to number (see [`crate::sessions`]).
    Sequence(crate::sessions::Sequence),
    /// A checkpoint of a live session.
    Checkpoint(crate::sessions::Checkpoint),
}

/// Most queued writes sent to Redis in one pipeline (one round trip).
const BATCH: usize = 128;

pub(crate) async fn run(state: Arc<State>, mut commands: mpsc::Receiver<Command>) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        tokio::select! {
            biased;
            () = state.resync.notified() => {}
            received = commands.recv_many(&mut batch, BATCH) => {
                if received == 0 {
                    return;
                }
                apply(&state, std::mem::take(&mut batch)).await;
            }
        }
        if state.is_available() && state.take_resync() {
            match resync(&state).await {
                Ok(()) => {
                    if state.take_announce() {
                        announce_members(&state);
                    }
                }
                Err(err) => state.mark_unavailable(&err),
            }
        }
    }
}

/// Applies queued writes in order, in one pipeline. While Redis is down,
/// publishes are dropped (and counted) and membership changes are left to
/// the resync that follows the outage.
async fn apply(state: &State, commands: Vec<Command>) {
    let reachable = state.is_reachable();
    let mut batch = Batch::new(&state.keys);
    let mut publishes = 0u64;
    for command in commands {
        match command {
            Command::Publish(..)
            | Command::Sequenced(_)
            | Command::Direct(_)
            | Command::Sequence(_)
                if !reachable =>
            {
                state.count_dropped();
                continue;
            }
            Command::Membership(_) if !reachable => {
                state.request_resync();
                continue;
            }
            Command::Checkpoint(_) if !reachable => continue,
            _ => {}
        }
        match command {
            Command::Publish(channel, bytes) => {
                batch
                    .on(&channel)
                    .cmd(state.keys.publish())
                    .arg(&channel)
                    .arg(bytes)
                    .ignore();
                publishes += 1;
            }
            Command::Membership(change) => record(state, &mut batch, change),
            Command::Sequenced(append) => {
                append.add_to(state, &mut batch);
                publishes += 1;
            }
            Command::Direct(direct) => {
                direct.add_to(state, &mut batch);
                publishes += 1;
            }
            Command::Sequence(sequence) => {
                sequence.add_to(state, &mut batch);
                publishes += 1;
            }
            Command::Checkpoint(checkpoint) => checkpoint.add_to(state, &mut batch),
        }
    }
    match bounded(state, batch.run(&state.commands)).await {
        Ok(()) => {
            state.published.fetch_add(publishes, Ordering::Relaxed);
        }
        Err(err) => {
            state.count_dropped_many(publishes);
            state.mark_unavailable(&err);
        }
    }
}

/// KEYS: connections hash. ARGV: id, instance. Deletes the id's entry only
/// when that instance holds it.
pub(crate) const DELETE_CONNECTION_IF_OURS: &str = "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then \
    return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0";

/// KEYS: room hash. ARGV: id, instance. Deletes the id's membership only
/// when that instance recorded it (a member value is `{"i": instance, …}`).
pub(crate) const DELETE_MEMBER_IF_OURS: &str = "local v = redis.call('HGET', KEYS[1], ARGV[1]) \
    if not v then return 0 end \
    local ok, member = pcall(cjson.decode, v) \
    if ok and member.i == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0";

/// KEYS: connections hash. ARGV: id, instance. Records the instance as the
/// id's holder unless another instance holds it.
const SET_CONNECTION_UNLESS_HELD: &str = "local v = redis.call('HGET', KEYS[1], ARGV[1]) \
    if v and v ~= ARGV[2] then return 0 end return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])";

/// KEYS: room hash. ARGV: id, member value, instance. Records the
/// membership unless another instance recorded it.
const SET_MEMBER_UNLESS_HELD: &str = "local v = redis.call('HGET', KEYS[1], ARGV[1]) \
    if v then local ok, member = pcall(cjson.decode, v) \
    if ok and member.i ~= ARGV[3] then return 0 end end \
    return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])";

/// Decrements a count field, never below zero.
const DECREMENT_TO_ZERO: &str = "local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1) \
    if n < 0 then redis.call('HSET', KEYS[1], ARGV[1], 0) end return 0";

/// Tells every room we are in that our members are back (after other
/// instances reaped us and announced them gone).
fn announce_members(state: &State) {
    let Some(router) = state.router() else {
        return;
    };
    let memberships = router.memberships();
    for (room, id, meta) in &memberships {
        router.announce(room, id, "join", meta.as_ref());
    }
    tracing::info!(instance = %state.instance, memberships = memberships.len(),
        "members announced again after re-registering");
}

/// The `[room, id]` member of an instance's membership set.
pub(crate) fn pair(room: &str, id: &str) -> String {
    serde_json::json!([room, id]).to_string()
}

/// The value stored for a member in a room hash.
fn member_value(instance: &str, meta: Option<&zap_core::MetaTag>) -> String {
    serde_json::json!({"i": instance, "m": meta}).to_string()
}

/// Adds the commands of one membership change to `pipe`.
fn record(state: &State, batch: &mut Batch, change: Membership) {
    let keys = &state.keys;
    let me = state.instance.as_str();
    match change {
        Membership::Connected(id) => {
            let pipe = batch.on(&keys.connections());
            pipe.cmd("HSET")
                .arg(keys.connections())
                .arg(id.as_str())
                .arg(me)
                .ignore();
            pipe.cmd("HINCRBY")
                .arg(keys.counts())
                .arg(me)
                .arg(1)
                .ignore();
            pipe.cmd("SADD")
                .arg(keys.instance_connections(me))
                .arg(id.as_str())
                .ignore();
        }
        Membership::Disconnected(id) => {
            // Only if still ours: a session resumed on another instance
            // keeps its id there.
            let pipe = batch.on(&keys.connections());
            pipe.cmd("EVAL")
                .arg(DELETE_CONNECTION_IF_OURS)
                .arg(1)
                .arg(keys.connections())
                .arg(id.as_str())
                .arg(me)
                .ignore();
            // Never below zero (our count may have been reaped meanwhile).
            pipe.cmd("EVAL")
                .arg(DECREMENT_TO_ZERO)
                .arg(1)
                .arg(keys.counts())
                .arg(me)
                .ignore();
            pipe.cmd("SREM")
                .arg(keys.instance_connections(me))
                .arg(id.as_str())
                .ignore();
        }
        Membership::Joined { room, id, meta } => {
            batch
                .on(&keys.room(&room))
                .cmd("HSET")
                .arg(keys.room(&room))
                .arg(id.as_str())
                .arg(member_value(me, meta.as_ref()))
                .ignore();
            batch
                .on(&keys.instance_memberships(me))
                .cmd("SADD")
                .arg(keys.instance_memberships(me))
                .arg(pair(&room, id.as_str()))
                .ignore();
        }
        Membership::Left { room, id } => {
            batch
                .on(&keys.room(&room))
                .cmd("EVAL")
                .arg(DELETE_MEMBER_IF_OURS)
                .arg(1)
                .arg(keys.room(&room))
                .arg(id.as_str())
                .arg(me)
                .ignore();
            batch
                .on(&keys.instance_memberships(me))
                .cmd("SREM")
                .arg(keys.instance_memberships(me))
                .arg(pair(&room, id.as_str()))
                .ignore();
        }
        _ => {}
    }
}

/// Runs a write within the query timeout.
async fn bounded(state: &State, write: impl Future<Output = RedisResult<()>>) -> RedisResult<()> {
    match tokio::time::timeout(state.config.query_timeout, write).await {
        Ok(result) => result,
        Err(_) => Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into()),
    }
}

/// Rewrites everything Redis knows about this instance from the local router
/// (after an outage, a Redis restart that lost the data, or a failover that
/// lost the last writes of a shard).
pub(crate) async fn resync(state: &State) -> RedisResult<()> {
    let Some(router) = state.router() else {
        return Ok(());
    };
    let keys = &state.keys;
    let me = state.instance.as_str();
    let mut conn = state.commands.clone();
    let (old_pairs, old_conns): (Vec<String>, Vec<String>) = redis::pipe()
        .cmd("SMEMBERS")
        .arg(keys.instance_memberships(me))
        .cmd("SMEMBERS")
        .arg(keys.instance_connections(me))
        .query_async(&mut conn)
        .await?;
    let connections = router.connections();
    let memberships = router.memberships();
    let current_pairs: HashSet<String> = memberships
        .iter()
        .map(|(room, id, _)| pair(room, id.as_str()))
        .collect();
    let current_conns: HashSet<&str> = connections.iter().map(|c| c.id().as_str()).collect();

    // Stale memberships go first (each in its room's slot)...
    let mut stale = Batch::new(keys);
    for old in old_pairs.iter().filter(|p| !current_pairs.contains(*p)) {
        if let Ok((room, id)) = serde_json::from_str::<(String, String)>(old) {
            stale
                .on(&keys.room(&room))
                .cmd("EVAL")
                .arg(DELETE_MEMBER_IF_OURS)
                .arg(1)
                .arg(keys.room(&room))
                .arg(id)
                .arg(me)
                .ignore();
        }
    }
    for old in old_conns
        .iter()
        .filter(|c| !current_conns.contains(c.as_str()))
    {
        stale
            .on(&keys.connections())
            .cmd("EVAL")
            .arg(DELETE_CONNECTION_IF_OURS)
            .arg(1)
            .arg(keys.connections())
            .arg(old)
            .arg(me)
            .ignore();
    }
    stale.run(&state.commands).await?;

    // ... then the registry is rewritten in one transaction of its slot,
    // and the memberships in their rooms' slots. What another instance
    // holds now (a session resumed there while this one was away) is left
    // to it.
    let mut batch = Batch::new(keys);
    let registry = batch.on(&keys.alive());
    registry
        .cmd("DEL")
        .arg(keys.instance_memberships(me))
        .arg(keys.instance_connections(me))
        .ignore();
    for connection in &connections {
        let id = connection.id().as_str();
        registry
            .cmd("EVAL")
            .arg(SET_CONNECTION_UNLESS_HELD)
            .arg(1)
            .arg(keys.connections())
            .arg(id)
            .arg(me)
            .ignore();
        registry
            .cmd("SADD")
            .arg(keys.instance_connections(me))
            .arg(id)
            .ignore();
    }
    for (room, id) in memberships.iter().map(|(room, id, _)| (room, id)) {
        registry
            .cmd("SADD")
            .arg(keys.instance_memberships(me))
            .arg(pair(room, id.as_str()))
            .ignore();
    }
    registry
        .cmd("HSET")
        .arg(keys.counts())
        .arg(me)
        .arg(connections.len())
        .ignore();
    registry
        .cmd("ZADD")
        .arg(keys.alive())
        .arg(now_ms())
        .arg(me)
        .ignore();
    for (room, id, meta) in &memberships {
        batch
            .on(&keys.room(room))
            .cmd("EVAL")
            .arg(SET_MEMBER_UNLESS_HELD)
            .arg(1)
            .arg(keys.room(room))
            .arg(id.as_str())
            .arg(member_value(me, meta.as_ref()))
            .arg(me)
            .ignore();
    }
    batch.run(&state.commands).await?;
    tracing::info!(
        instance = me,
        connections = connections.len(),
        memberships = memberships.len(),
        "membership resynchronised with redis"
    );
    Ok(())
}

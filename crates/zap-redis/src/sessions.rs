//! Resumable sessions in Redis: a session parked by one instance, or
//! checkpointed while live on an instance that then died, resumes on any
//! instance. Generations keep two instances from both owning a session.

use std::time::Duration;

use redis::Value;
use serde::{Deserialize, Serialize};
use zap_core::{BackendError, ConnectionId, Frame, Lookup, SessionRecord};

use crate::state::{State, now_ms};

/// Parked sessions and live checkpoints outlive their window by this much
/// in Redis (the owner expires them itself at the window's end).
const GRACE: Duration = Duration::from_secs(60);

/// Live checkpoints last this long without a refresh.
const LIVE_TTL: Duration = Duration::from_secs(24 * 3600);

/// An expired session is answered `expired` (not `unknown`) this long.
const TOMBSTONE: Duration = Duration::from_secs(3600);

/// What is stored: the record and the instance holding it.
#[derive(Serialize, Deserialize)]
struct Stored {
    /// The instance that wrote it.
    i: String,
    /// The window, in ms.
    w: u64,
    r: SessionRecord,
}

/// KEYS: s, sg, sx, sh. ARGV: generation, value, ttl ms, tombstone ttl ms,
/// instance.
const CHECKPOINT: &str = r#"
local g = tonumber(redis.call('GET', KEYS[2]) or '0')
if g ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[4], ARGV[5], 'PX', ARGV[3])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
return 1
"#;

/// KEYS: s, sg, sx, sp, sid. ARGV: generation, value, ttl ms, tombstone
/// ttl ms, deadline ms, token.
const PARK: &str = r#"
local g = tonumber(redis.call('GET', KEYS[2]) or '0')
if g ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
redis.call('SET', KEYS[4], ARGV[5], 'PX', ARGV[3])
redis.call('SET', KEYS[5], ARGV[6], 'PX', ARGV[3])
return 1
"#;

/// KEYS: s, sg, sx, sp, sd, sdl, sh. ARGV: ttl ms, force ('1' takes a live
/// session's checkpoint), the taking instance.
/// Returns {0} unknown, {2} expired, {3, value, holder} live elsewhere (not
/// taken), {1, value, deadline or '', generation, lost, holder, direct...}.
/// The record stays (as the new holder's, until it writes its own), so a
/// resume racing this one waits for the new holder instead of failing.
const TAKE: &str = r#"
local value = redis.call('GET', KEYS[1])
if not value then
  if redis.call('EXISTS', KEYS[3]) == 1 then return {2} end
  return {0}
end
local deadline = redis.call('GET', KEYS[4]) or ''
local holder = redis.call('GET', KEYS[7]) or ''
if deadline == '' and ARGV[2] ~= '1' then return {3, value, holder} end
local lost = redis.call('GET', KEYS[6]) or '0'
local direct = redis.call('LRANGE', KEYS[5], 0, -1)
local generation = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[4], KEYS[5], KEYS[6])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SET', KEYS[7], ARGV[3], 'PX', ARGV[1])
local reply = {1, value, deadline, generation, lost, holder}
for _, frame in ipairs(direct) do table.insert(reply, frame) end
return reply
"#;

/// KEYS: s, sg, sp, sd, sdl. ARGV: generation.
const EXPIRE: &str = r#"
local g = tonumber(redis.call('GET', KEYS[2]) or '0')
if g ~= tonumber(ARGV[1]) then return false end
if redis.call('EXISTS', KEYS[3]) == 0 then return false end
local value = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4], KEYS[5])
return value
"#;

/// KEYS: sid. ARGV: frame, capacity, prefix.
const DIRECT: &str = r#"
local token = redis.call('GET', KEYS[1])
if not token then return 0 end
local parked = ARGV[3] .. ':sp:' .. token
local ttl = redis.call('PTTL', parked)
if ttl <= 0 then return 0 end
local list = ARGV[3] .. ':sd:' .. token
redis.call('RPUSH', list, ARGV[1])
if redis.call('LLEN', list) > tonumber(ARGV[2]) then
  redis.call('LPOP', list)
  redis.call('INCR', ARGV[3] .. ':sdl:' .. token)
  redis.call('PEXPIRE', ARGV[3] .. ':sdl:' .. token, ttl)
end
redis.call('PEXPIRE', list, ttl)
return 1
"#;

fn millis(duration: Duration) -> String {
    duration.as_millis().to_string()
}

fn stored(state: &State, record: &SessionRecord, window: Duration) -> String {
    let stored = Stored {
        i: state.instance.clone(),
        w: u64::try_from(window.as_millis()).unwrap_or(u64::MAX),
        r: record.clone(),
    };
    serde_json::to_string(&stored).unwrap_or_default()
}

/// A checkpoint of a live session, queued for the writer.
pub(crate) struct Checkpoint {
    record: SessionRecord,
    window: Duration,
}

impl Checkpoint {
    pub(crate) fn new(record: SessionRecord, window: Duration) -> Self {
        Checkpoint { record, window }
    }

    pub(crate) fn add_to(self, state: &State, pipe: &mut redis::Pipeline) {
        let keys = &state.keys;
        let token = &self.record.token;
        pipe.cmd("EVAL")
            .arg(CHECKPOINT)
            .arg(4)
            .arg(keys.session("s", token))
            .arg(keys.session("sg", token))
            .arg(keys.session("sx", token))
            .arg(keys.session("sh", token))
            .arg(self.record.generation)
            .arg(stored(state, &self.record, self.window))
            .arg(millis(LIVE_TTL))
            .arg(millis(LIVE_TTL + TOMBSTONE))
            .arg(&state.instance)
            .ignore();
    }
}

/// A direct event for a connection id whose session may be parked, queued
/// for the writer.
pub(crate) struct Direct {
    id: ConnectionId,
    frame: String,
}

impl Direct {
    pub(crate) fn new(id: &ConnectionId, frame: &Frame) -> Self {
        Direct {
            id: id.clone(),
            frame: frame.as_str().to_owned(),
        }
    }

    pub(crate) fn add_to(self, state: &State, pipe: &mut redis::Pipeline) {
        pipe.cmd("EVAL")
            .arg(DIRECT)
            .arg(1)
            .arg(state.keys.session_of(self.id.as_str()))
            .arg(self.frame)
            .arg(1024)
            .arg(state.keys.prefix())
            .ignore();
    }
}

async fn bounded<T: redis::FromRedisValue>(
    state: &State,
    cmd: &redis::Cmd,
) -> Result<T, BackendError> {
    let mut conn = state.commands.clone();
    match tokio::time::timeout(state.config.query_timeout, cmd.query_async::<T>(&mut conn)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(BackendError::Unavailable(err.to_string())),
        Err(_) => Err(BackendError::Timeout),
    }
}

/// Parks a dropped session; `false` if it was taken over meanwhile.
pub(crate) async fn park(
    state: &State,
    record: SessionRecord,
    window: Duration,
) -> Result<bool, BackendError> {
    let keys = &state.keys;
    let token = &record.token;
    let deadline = now_ms().saturating_add(i64::try_from(window.as_millis()).unwrap_or(i64::MAX));
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(PARK)
        .arg(5)
        .arg(keys.session("s", token))
        .arg(keys.session("sg", token))
        .arg(keys.session("sx", token))
        .arg(keys.session("sp", token))
        .arg(keys.session_of(record.id.as_str()))
        .arg(record.generation)
        .arg(stored(state, &record, window))
        .arg(millis(window + GRACE))
        .arg(millis(window + GRACE + TOMBSTONE))
        .arg(deadline)
        .arg(token);
    Ok(bounded::<i64>(state, &cmd).await? == 1)
}

fn text(value: &Value) -> Option<String> {
    redis::from_redis_value(value.clone()).ok()
}

fn number(value: &Value) -> Option<u64> {
    redis::from_redis_value(value.clone()).ok()
}

/// How long a resume waits for a live instance to park the session it
/// still holds (its client saw the drop first) before taking it over.
const PARK_WAIT: Duration = Duration::from_secs(3);

/// Takes a session: a parked one within its deadline, or the checkpoint of
/// a live one whose instance died or did not park it in time.
pub(crate) async fn take(state: &State, token: &str) -> Result<Lookup, BackendError> {
    let started = tokio::time::Instant::now();
    loop {
        let force = started.elapsed() >= PARK_WAIT;
        let reply = take_once(state, token, force).await?;
        if reply.first().and_then(number) != Some(3) {
            return found(state, reply).await;
        }
        let holder = reply.get(2).and_then(text).unwrap_or_default();
        if instance_dead_since(state, &holder, Duration::ZERO).await? {
            let reply = take_once(state, token, true).await?;
            return found(state, reply).await;
        }
        // Its instance is alive: give it a moment to notice the drop.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn take_once(state: &State, token: &str, force: bool) -> Result<Vec<Value>, BackendError> {
    let keys = &state.keys;
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(TAKE)
        .arg(7)
        .arg(keys.session("s", token))
        .arg(keys.session("sg", token))
        .arg(keys.session("sx", token))
        .arg(keys.session("sp", token))
        .arg(keys.session("sd", token))
        .arg(keys.session("sdl", token))
        .arg(keys.session("sh", token))
        .arg(millis(LIVE_TTL))
        .arg(if force { "1" } else { "0" })
        .arg(&state.instance);
    bounded(state, &cmd).await
}

async fn found(state: &State, reply: Vec<Value>) -> Result<Lookup, BackendError> {
    let keys = &state.keys;
    match reply.first().and_then(number) {
        Some(1) => {}
        Some(2) => return Ok(Lookup::Expired),
        _ => return Ok(Lookup::Unknown),
    }
    let malformed = || BackendError::Protocol("malformed session".into());
    let value = reply.get(1).and_then(text).ok_or_else(malformed)?;
    let deadline = reply.get(2).and_then(text).unwrap_or_default();
    let generation = reply.get(3).and_then(number).ok_or_else(malformed)?;
    let lost = reply.get(4).and_then(number).unwrap_or(0);
    let holder = reply.get(5).and_then(text).unwrap_or_default();
    let Stored {
        i: writer,
        w: window,
        r: mut record,
    } = serde_json::from_str(&value).map_err(|_| malformed())?;
    let instance = if holder.is_empty() { writer } else { holder };
    let window = Duration::from_millis(window);
    let _ = bounded::<()>(
        state,
        redis::cmd("DEL").arg(keys.session_of(record.id.as_str())),
    )
    .await;
    let expired = match deadline.parse::<i64>() {
        Ok(deadline) => now_ms() > deadline,
        // A live checkpoint: expired when its instance died more than a
        // window ago.
        Err(_) => instance_dead_since(state, &instance, window).await?,
    };
    if expired {
        return Ok(Lookup::Expired);
    }
    record.generation = generation;
    record.seq += lost;
    for frame in reply.iter().skip(6).filter_map(text) {
        record.push_direct(&Frame::from_text(frame));
    }
    Ok(Lookup::Found(Box::new(record)))
}

/// Whether `instance` has been silent for longer than its TTL plus `window`.
async fn instance_dead_since(
    state: &State,
    instance: &str,
    window: Duration,
) -> Result<bool, BackendError> {
    let score: Option<i64> = bounded(
        state,
        redis::cmd("ZSCORE").arg(state.keys.alive()).arg(instance),
    )
    .await?;
    let limit = i64::try_from((state.config.instance_ttl + window).as_millis()).unwrap_or(i64::MAX);
    // Reaped already: it died at least a TTL ago, but maybe within the
    // window; the checkpoint's own expiry bounds it.
    Ok(score.is_some_and(|last| now_ms().saturating_sub(last) > limit))
}

/// Ends a parked session at its window's end, if still parked by `generation`.
pub(crate) async fn expire(
    state: &State,
    token: &str,
    generation: u64,
) -> Result<Option<SessionRecord>, BackendError> {
    let keys = &state.keys;
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(EXPIRE)
        .arg(5)
        .arg(keys.session("s", token))
        .arg(keys.session("sg", token))
        .arg(keys.session("sp", token))
        .arg(keys.session("sd", token))
        .arg(keys.session("sdl", token))
        .arg(generation);
    let value: Option<String> = bounded(state, &cmd).await?;
    Ok(value
        .and_then(|value| serde_json::from_str::<Stored>(&value).ok())
        .map(|stored| stored.r))
}

//! Resumable sessions in Redis: a session parked by one instance, or
//! checkpointed while live on an instance that then died, resumes on any
//! instance. Generations keep two instances from both owning a session.

use std::time::Duration;

use redis::Value;
use serde::{Deserialize, Serialize};
use zap_core::{
    BackendError, ConnectionId, DirectEvent, DirectTemplate, Frame, Lookup, SessionRecord, Target,
};

use crate::batch::Batch;
use crate::wire;

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

/// KEYS: s, sg, sx, sh, sid. ARGV: generation, value, ttl ms, tombstone
/// ttl ms, instance, token.
const CHECKPOINT: &str = r#"
local g = tonumber(redis.call('GET', KEYS[2]) or '0')
if g ~= tonumber(ARGV[1]) then return 0 end
if redis.call('EXISTS', KEYS[1]) == 0 and g > 0 then return 0 end
redis.call('SET', KEYS[4], ARGV[5], 'PX', ARGV[3])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
redis.call('SET', KEYS[5], ARGV[6], 'PX', ARGV[3])
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

/// KEYS: s, sg, sx, sp, sd, sh, sq. ARGV: ttl ms, force ('1' takes a live
/// session's checkpoint), the taking instance, the client's identity ('' for
/// none: a session bound to another identity is unknown to it).
/// Returns {0} unknown, {2} expired, {3, value, holder} live elsewhere (not
/// taken), {1, value, deadline or '', generation, holder, seq, direct...}.
/// The record stays (as the new holder's, until it writes its own), so a
/// resume racing this one waits for the new holder instead of failing; the
/// direct list stays too: events sent meanwhile are kept there until the
/// new holder has attached (see DIRECT and `attached`).
const TAKE: &str = r#"
local value = redis.call('GET', KEYS[1])
if not value then
  if redis.call('EXISTS', KEYS[3]) == 1 then return {2} end
  return {0}
end
local ok, stored = pcall(cjson.decode, value)
if not ok or (stored.r and stored.r.identity or '') ~= ARGV[4] then return {0} end
local deadline = redis.call('GET', KEYS[4]) or ''
local holder = redis.call('GET', KEYS[6]) or ''
if deadline == '' and ARGV[2] ~= '1' then return {3, value, holder} end
local direct = redis.call('LRANGE', KEYS[5], 0, -1)
local seq = redis.call('GET', KEYS[7]) or '0'
local generation = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[4])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SET', KEYS[6], ARGV[3], 'PX', ARGV[1])
local reply = {1, value, deadline, generation, holder, seq}
for _, entry in ipairs(direct) do table.insert(reply, entry) end
return reply
"#;

/// KEYS: s, sg, sp, sd, sq, sid. ARGV: generation.
const EXPIRE: &str = r#"
local g = tonumber(redis.call('GET', KEYS[2]) or '0')
if g ~= tonumber(ARGV[1]) then return false end
if redis.call('EXISTS', KEYS[3]) == 0 then return false end
local value = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
return value
"#;

/// KEYS: s, sg, sx, sp, sd, sh, sq, sid. ARGV: generation, tombstone ttl
/// ms. A clean close: the session is gone everywhere, its token expired.
const END: &str = r#"
local g = tonumber(redis.call('GET', KEYS[2]) or '0')
if g > tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[2])
return 1
"#;

/// The Lua function both numbering scripts share: gives a direct event of
/// a session (counter `sq`, list `sd`) its next number (never at or below
/// `after`: a Redis that lost its data does not start again at 1), keeps
/// it (the last `capacity`, as `<seq>|<frame>`) and publishes it with
/// `publish` (`PUBLISH` or `SPUBLISH`), stamped, behind the bus header
/// prefix `header`.
macro_rules! number_direct {
    () => {
        r#"
local function number_direct(sq, sd, bus, publish, header, before, after_frame, capacity, ttl, after)
  local seq = redis.call('INCR', sq)
  if seq <= after then
    seq = after + 1
    redis.call('SET', sq, seq)
  end
  local frame = before .. seq .. after_frame
  redis.call('RPUSH', sd, seq .. '|' .. frame)
  if redis.call('LLEN', sd) > tonumber(capacity) then redis.call('LPOP', sd) end
  redis.call('PEXPIRE', sq, ttl)
  redis.call('PEXPIRE', sd, ttl)
  redis.call(publish, bus, header .. seq .. '}\n' .. frame)
  return seq
end
"#
    };
}

/// KEYS: sq, sd, bus. ARGV: publish command, bus header prefix for a
/// numbered event, frame prefix, frame suffix, capacity, ttl ms, the last
/// number the sender knows of. Numbers a direct event of a live or parked
/// session, keeps it and publishes it for the instance holding the
/// connection.
const SEQUENCE: &str = concat!(
    number_direct!(),
    r#"
return number_direct(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7]))
"#
);

/// KEYS: sid, sq, sd, bus (all of one connection id). ARGV: publish
/// command, bus header prefix for a numbered event, frame prefix, frame
/// suffix, capacity, ttl ms, the plain bus message. A direct event by
/// connection id: numbered, kept and published (as by SEQUENCE) when the id
/// belongs to a recoverable session, else published plain for the
/// instance holding the connection.
const DIRECT: &str = concat!(
    number_direct!(),
    r#"
if not redis.call('GET', KEYS[1]) then
  redis.call(ARGV[1], KEYS[4], ARGV[7])
  return 0
end
return number_direct(KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], 0)
"#
);

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

    pub(crate) fn add_to(self, state: &State, batch: &mut Batch) {
        let keys = &state.keys;
        let token = &self.record.token;
        let id = self.record.id.as_str();
        point(state, batch, token, id, LIVE_TTL + TOMBSTONE);
        batch
            .on(&keys.session_of(id))
            .cmd("EVAL")
            .arg(CHECKPOINT)
            .arg(5)
            .arg(keys.session("s", token, id))
            .arg(keys.session("sg", token, id))
            .arg(keys.session("sx", token, id))
            .arg(keys.session("sh", token, id))
            .arg(keys.session_of(id))
            .arg(self.record.generation)
            .arg(stored(state, &self.record, self.window))
            .arg(millis(LIVE_TTL))
            .arg(millis(LIVE_TTL + TOMBSTONE))
            .arg(&state.instance)
            .arg(token)
            .ignore();
    }
}

/// How many direct events a session keeps in Redis for a resume.
const DIRECT_CAPACITY: usize = 1024;

/// A direct event of a recoverable session to number, keep and publish,
/// queued for the writer (see `SessionStore::sequence_direct`). Its keys
/// are named by the connection id (fixed for the session's life), so the
/// token is not needed.
pub(crate) struct Sequence {
    template: DirectTemplate,
    id: ConnectionId,
    after: u64,
    capacity: usize,
}

impl Sequence {
    pub(crate) fn new(
        id: &ConnectionId,
        template: &DirectTemplate,
        after: u64,
        capacity: usize,
    ) -> Self {
        Sequence {
            template: template.clone(),
            id: id.clone(),
            after,
            capacity,
        }
    }

    pub(crate) fn add_to(self, state: &State, batch: &mut Batch) {
        let keys = &state.keys;
        let id = self.id.as_str();
        batch
            .on(&keys.direct_seq(id))
            .cmd("EVAL")
            .arg(SEQUENCE)
            .arg(3)
            .arg(keys.direct_seq(id))
            .arg(keys.direct_events(id))
            .arg(keys.bus_for(id))
            .arg(keys.publish())
            .arg(wire::direct_prefix(&state.instance, &self.id))
            .arg(self.template.prefix)
            .arg(self.template.suffix)
            .arg(self.capacity.max(1))
            .arg(millis(LIVE_TTL))
            .arg(self.after)
            .ignore();
    }
}

/// A direct event by connection id from an instance that does not hold the
/// connection, queued for the writer: numbered and kept if the id is a
/// recoverable session's, else published plain (see DIRECT).
pub(crate) struct Direct {
    id: ConnectionId,
    template: DirectTemplate,
    plain: Vec<u8>,
}

impl Direct {
    pub(crate) fn new(state: &State, id: &ConnectionId, frame: &Frame) -> Option<Self> {
        Some(Direct {
            id: id.clone(),
            template: DirectTemplate::from_frame(frame)?,
            plain: wire::encode(&state.instance, Target::Connection(id.clone()), &[], frame),
        })
    }

    pub(crate) fn add_to(self, state: &State, batch: &mut Batch) {
        let keys = &state.keys;
        let id = self.id.as_str();
        batch
            .on(&keys.session_of(id))
            .cmd("EVAL")
            .arg(DIRECT)
            .arg(4)
            .arg(keys.session_of(id))
            .arg(keys.direct_seq(id))
            .arg(keys.direct_events(id))
            .arg(keys.bus_for(id))
            .arg(keys.publish())
            .arg(wire::direct_prefix(&state.instance, &self.id))
            .arg(self.template.prefix)
            .arg(self.template.suffix)
            .arg(DIRECT_CAPACITY)
            .arg(millis(LIVE_TTL))
            .arg(self.plain)
            .ignore();
    }
}

/// The direct events kept for a session, numbered, oldest first (list
/// entries are `<seq>|<frame>`).
fn direct_events<'a>(entries: impl Iterator<Item = &'a Value>) -> Vec<DirectEvent> {
    entries
        .filter_map(text)
        .filter_map(|entry| {
            let (seq, frame) = entry.split_once('|')?;
            Some(DirectEvent {
                seq: seq.parse().ok()?,
                frame: frame.to_owned(),
            })
        })
        .collect()
}

/// The direct events kept for `token` (what a resume that claimed the
/// session replays once it is attached).
pub(crate) async fn attached(state: &State, token: &str) -> Result<Vec<DirectEvent>, BackendError> {
    let Some(id) = session_id(state, token).await? else {
        return Ok(Vec::new());
    };
    let mut cmd = redis::cmd("LRANGE");
    cmd.arg(state.keys.direct_events(&id)).arg(0).arg(-1);
    let entries: Vec<Value> = bounded(state, &cmd).await?;
    Ok(direct_events(entries.iter()))
}

/// Records which connection id session `token` belongs to (in the token's
/// bucket), for `ttl`: what finds the session's keys from its token.
fn point(state: &State, batch: &mut Batch, token: &str, id: &str, ttl: Duration) {
    let key = state.keys.session_id(token);
    batch
        .on(&key)
        .cmd("SET")
        .arg(&key)
        .arg(id)
        .arg("PX")
        .arg(millis(ttl))
        .ignore();
}

/// The connection id of session `token`, if Redis knows the session.
async fn session_id(state: &State, token: &str) -> Result<Option<String>, BackendError> {
    bounded(state, redis::cmd("GET").arg(state.keys.session_id(token))).await
}

/// An `EVAL` of `script` whose keys are the keys of the session `token` of
/// connection `id`: the session keys of these `kinds` (`sd` and `sq` name
/// its direct events and counter, `sid` its id's token), in order (the
/// script's arguments follow).
fn session_script(
    state: &State,
    script: &str,
    token: &str,
    id: &str,
    kinds: &[&str],
) -> redis::Cmd {
    let keys = &state.keys;
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(script).arg(kinds.len());
    for kind in kinds {
        cmd.arg(match *kind {
            "sd" => keys.direct_events(id),
            "sq" => keys.direct_seq(id),
            "sid" => keys.session_of(id),
            kind => keys.session(kind, token, id),
        });
    }
    cmd
}

/// Ends a session for good (a clean close): a resume gets a new session.
pub(crate) async fn end(state: &State, token: &str, generation: u64) -> Result<(), BackendError> {
    let Some(id) = session_id(state, token).await? else {
        return Ok(());
    };
    let mut cmd = session_script(
        state,
        END,
        token,
        &id,
        &["s", "sg", "sx", "sp", "sd", "sh", "sq", "sid"],
    );
    cmd.arg(generation).arg(millis(TOMBSTONE));
    bounded::<i64>(state, &cmd).await.map(drop)
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
    let id = record.id.as_str();
    let deadline = now_ms().saturating_add(i64::try_from(window.as_millis()).unwrap_or(i64::MAX));
    let mut batch = Batch::new(keys);
    point(state, &mut batch, token, id, window + GRACE + TOMBSTONE);
    let (group, pipe) = batch.group(&keys.session_of(id));
    pipe.cmd("EVAL")
        .arg(PARK)
        .arg(5)
        .arg(keys.session("s", token, id))
        .arg(keys.session("sg", token, id))
        .arg(keys.session("sx", token, id))
        .arg(keys.session("sp", token, id))
        .arg(keys.session_of(id))
        .arg(record.generation)
        .arg(stored(state, &record, window))
        .arg(millis(window + GRACE))
        .arg(millis(window + GRACE + TOMBSTONE))
        .arg(deadline)
        .arg(token);
    let replies = match tokio::time::timeout(
        state.config.query_timeout,
        batch.run_values(&state.commands),
    )
    .await
    {
        Ok(replies) => replies,
        Err(_) => return Err(BackendError::Timeout),
    };
    let mut parked = false;
    for (n, reply) in replies.into_iter().enumerate() {
        let reply = reply.map_err(|err| BackendError::Unavailable(err.to_string()))?;
        if n == group {
            parked = reply.last() == Some(&Value::Int(1));
        }
    }
    Ok(parked)
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
pub(crate) async fn take(
    state: &State,
    token: &str,
    identity: Option<&str>,
) -> Result<Lookup, BackendError> {
    let started = tokio::time::Instant::now();
    loop {
        let force = started.elapsed() >= PARK_WAIT;
        let reply = take_once(state, token, identity, force).await?;
        tracing::debug!(elapsed = ?started.elapsed(), kind = ?reply.first(), "take");
        if reply.first().and_then(number) != Some(3) {
            return found(state, reply).await;
        }
        let holder = reply.get(2).and_then(text).unwrap_or_default();
        if instance_dead_since(state, &holder, Duration::ZERO).await? {
            let reply = take_once(state, token, identity, true).await?;
            return found(state, reply).await;
        }
        // Its instance is alive: give it a moment to notice the drop.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn take_once(
    state: &State,
    token: &str,
    identity: Option<&str>,
    force: bool,
) -> Result<Vec<Value>, BackendError> {
    let Some(id) = session_id(state, token).await? else {
        return Ok(vec![Value::Int(0)]);
    };
    let kinds = ["s", "sg", "sx", "sp", "sd", "sh", "sq"];
    let mut cmd = session_script(state, TAKE, token, &id, &kinds);
    cmd.arg(millis(LIVE_TTL))
        .arg(if force { "1" } else { "0" })
        .arg(&state.instance)
        .arg(identity.unwrap_or(""));
    bounded(state, &cmd).await
}

async fn found(state: &State, reply: Vec<Value>) -> Result<Lookup, BackendError> {
    match reply.first().and_then(number) {
        Some(1) => {}
        Some(2) => return Ok(Lookup::Expired),
        _ => return Ok(Lookup::Unknown),
    }
    let malformed = || BackendError::Protocol("malformed session".into());
    let value = reply.get(1).and_then(text).ok_or_else(malformed)?;
    let deadline = reply.get(2).and_then(text).unwrap_or_default();
    let generation = reply.get(3).and_then(number).ok_or_else(malformed)?;
    let holder = reply.get(4).and_then(text).unwrap_or_default();
    let seq = reply.get(5).and_then(number).unwrap_or(0);
    let Stored {
        i: writer,
        w: window,
        r: mut record,
    } = serde_json::from_str(&value).map_err(|_| malformed())?;
    let instance = if holder.is_empty() { writer } else { holder };
    let window = Duration::from_millis(window);
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
    // Redis numbers and keeps the session's direct events: its list and
    // counter are the truth, whichever instance sent them.
    record.seq = record.seq.max(seq);
    record.direct = direct_events(reply.iter().skip(6)).into();
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
    let Some(id) = session_id(state, token).await? else {
        return Ok(None);
    };
    let mut cmd = session_script(
        state,
        EXPIRE,
        token,
        &id,
        &["s", "sg", "sp", "sd", "sq", "sid"],
    );
    cmd.arg(generation);
    let value: Option<String> = bounded(state, &cmd).await?;
    Ok(value
        .and_then(|value| serde_json::from_str::<Stored>(&value).ok())
        .map(|stored| stored.r))
}

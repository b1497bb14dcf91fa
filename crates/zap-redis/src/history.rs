//! Room history in Redis Streams: one stream per room, trimmed by length
//! and age, with an offset counter and an epoch per room. A script gives
//! each event its offset, appends it and publishes it on the bus, so every
//! instance delivers the room's events in the same order with the same
//! offsets; a client resumes on any instance.

use std::time::Duration;

use zap_core::{BackendError, ConnectionId, Frame, History, Position};

use crate::batch::Batch;
use crate::state::State;
use crate::wire;

/// Keys and streams of idle rooms expire after this long (a new epoch
/// starts after that).
pub(crate) const IDLE_TTL: Duration = Duration::from_secs(24 * 3600);

/// KEYS: stream, epoch, offset counter, bus channel (one slot).
/// ARGV: new epoch, max length, max age in ms (0: none), bus header prefix,
/// frame, ttl in ms, excluded connections (JSON, or empty), publish command,
/// the epoch and last offset the sender has seen delivered.
///
/// A new epoch starts when the room has none (first event, idle expiry, a
/// Redis that lost its data) and when the offset counter is not past the
/// last offset already delivered in this epoch: the stream lost its last
/// events with a master that died before its replica had them. Reusing
/// those offsets would make clients that saw the lost events skip the new
/// ones; a new epoch tells them there is a gap instead.
const APPEND: &str = r#"
local epoch = redis.call('GET', KEYS[2])
local offset = 0
if epoch then
  offset = redis.call('INCR', KEYS[3])
  if epoch == ARGV[9] and offset <= tonumber(ARGV[10]) then epoch = false end
end
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[2], epoch)
  redis.call('DEL', KEYS[1], KEYS[3])
  offset = redis.call('INCR', KEYS[3])
end
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], '*', 'o', offset, 'f', ARGV[5], 'x', ARGV[7])
if ARGV[3] ~= '0' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('XTRIM', KEYS[1], 'MINID', tostring(now - tonumber(ARGV[3])))
end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
redis.call('PEXPIRE', KEYS[3], ARGV[6])
redis.call(ARGV[8], KEYS[4], ARGV[4] .. '["' .. epoch .. '",' .. offset .. ']}\n' .. ARGV[5])
return offset
"#;

/// KEYS: stream, epoch, offset counter. Returns the epoch and the last
/// offset ('' when missing) and every entry of the stream, at one instant.
/// One command (not a transaction): on a cluster, a command that meets a
/// moved slot is redirected; a transaction is not.
const SNAPSHOT: &str = r#"
return {redis.call('GET', KEYS[2]) or '', redis.call('GET', KEYS[3]) or '', redis.call('XRANGE', KEYS[1], '-', '+')}
"#;

type Entries = Vec<(String, Vec<String>)>;

/// The room's epoch, last offset and stream entries, read at one instant.
async fn snapshot(
    state: &State,
    room: &str,
) -> redis::RedisResult<(Option<String>, Option<u64>, Entries)> {
    let keys = &state.keys;
    let mut conn = state.commands.clone();
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(SNAPSHOT)
        .arg(3)
        .arg(keys.history(room))
        .arg(keys.history_epoch(room))
        .arg(keys.history_offset(room));
    let (epoch, last, entries): (String, String, Entries) = cmd.query_async(&mut conn).await?;
    Ok((
        (!epoch.is_empty()).then_some(epoch),
        last.parse().ok(),
        entries,
    ))
}

/// One event for a room with history, queued for the writer.
pub(crate) struct Append {
    room: String,
    prefix: String,
    frame: String,
    except: String,
    max_len: usize,
    max_age_ms: u128,
}

impl Append {
    pub(crate) fn new(
        state: &State,
        room: &str,
        except: &[ConnectionId],
        frame: &Frame,
        history: &History,
    ) -> Self {
        Append {
            room: room.to_owned(),
            prefix: wire::sequenced_prefix(&state.instance, room, except),
            frame: frame.as_str().to_owned(),
            except: match except {
                [] => String::new(),
                except => serde_json::to_string(except).unwrap_or_default(),
            },
            max_len: history.events(),
            max_age_ms: history.age().map_or(0, |age| age.as_millis().max(1)),
        }
    }

    /// Adds the script call to the writer's pipeline.
    pub(crate) fn add_to(self, state: &State, batch: &mut Batch) {
        let keys = &state.keys;
        let epoch = uuid::Uuid::new_v4().simple().to_string();
        let (seen_epoch, seen_offset) = state.delivered(&self.room).unwrap_or_default();
        batch
            .on(&keys.history(&self.room))
            .cmd("EVAL")
            .arg(APPEND)
            .arg(4)
            .arg(keys.history(&self.room))
            .arg(keys.history_epoch(&self.room))
            .arg(keys.history_offset(&self.room))
            .arg(keys.bus_for(&self.room))
            .arg(&epoch[..16])
            .arg(self.max_len)
            .arg(self.max_age_ms.to_string())
            .arg(self.prefix)
            .arg(self.frame)
            .arg(IDLE_TTL.as_millis().to_string())
            .arg(self.except)
            .arg(keys.publish())
            .arg(seen_epoch)
            .arg(seen_offset)
            .ignore();
    }
}

/// The events of `room` after `after`, stamped; `None` when they are not
/// all there any more.
pub(crate) async fn read(
    state: &State,
    room: &str,
    after: &Position,
    reader: &ConnectionId,
) -> Result<Option<Vec<(u64, Frame)>>, BackendError> {
    let query = snapshot(state, room);
    let (epoch, last, entries) = match tokio::time::timeout(state.config.query_timeout, query).await
    {
        Ok(Ok((epoch, last, entries))) => (epoch, last, entries),
        Ok(Err(err)) => {
            tracing::debug!(room, %err, "reading history failed");
            return Err(BackendError::Unavailable(err.to_string()));
        }
        Err(_) => {
            tracing::debug!(room, "reading history timed out");
            return Err(BackendError::Timeout);
        }
    };
    tracing::debug!(room, ?epoch, ?last, entries = entries.len(), after = ?after, "history read");
    let (Some(epoch), Some(last)) = (epoch, last) else {
        return Ok(None); // the room's history is gone: a new epoch
    };
    if *after.epoch != *epoch || after.offset > last {
        return Ok(None);
    }
    let events = entries_of(entries, reader)?;
    let first = events.first().map_or(last + 1, |(offset, _, _)| *offset);
    if first > after.offset + 1 {
        return Ok(None);
    }
    Ok(Some(
        events
            .into_iter()
            .filter(|(offset, _, excluded)| *offset > after.offset && !excluded)
            .filter_map(|(offset, text, _)| {
                let stamped = zap_core::stamp_room(&Frame::from_text(text), room, &epoch, offset)?;
                Some((offset, stamped))
            })
            .collect(),
    ))
}

/// The `(offset, frame, excluded by reader)` of stream entries.
fn entries_of(
    entries: Vec<(String, Vec<String>)>,
    reader: &ConnectionId,
) -> Result<Vec<(u64, String, bool)>, BackendError> {
    let mut events = Vec::with_capacity(entries.len());
    for (offset, frame, except) in parse(entries)? {
        events.push((offset, frame, except.contains(reader)));
    }
    Ok(events)
}

/// The `(offset, frame, excluded connections)` of stream entries.
fn parse(
    entries: Vec<(String, Vec<String>)>,
) -> Result<Vec<(u64, String, Vec<ConnectionId>)>, BackendError> {
    let mut events = Vec::with_capacity(entries.len());
    for (_, fields) in entries {
        let (mut offset, mut frame, mut except) = (None, None, Vec::new());
        for pair in fields.chunks(2) {
            match (pair[0].as_str(), pair.get(1)) {
                ("o", Some(value)) => offset = value.parse::<u64>().ok(),
                ("f", Some(value)) => frame = Some(value.clone()),
                ("x", Some(value)) if !value.is_empty() => {
                    except = serde_json::from_str(value).unwrap_or_default();
                }
                _ => {}
            }
        }
        let (Some(offset), Some(frame)) = (offset, frame) else {
            return Err(BackendError::Protocol("malformed history entry".into()));
        };
        events.push((offset, frame, except));
    }
    Ok(events)
}

/// KEYS: stream, epoch. ARGV: the epoch seen, the offset seen. Returns
/// the room's epoch ('' when it has none) and its entries after the offset
/// seen (all of them when the epoch changed), newest first: read backwards
/// a page at a time, so that catching up reads what was missed, not the
/// whole stream.
const SINCE: &str = r#"
local epoch = redis.call('GET', KEYS[2])
if not epoch then return {'', {}} end
local after = 0
if epoch == ARGV[1] then after = tonumber(ARGV[2]) end
local out = {}
local from = '+'
while true do
  local page = redis.call('XREVRANGE', KEYS[1], from, '-', 'COUNT', 100)
  local done = #page < 100
  for _, entry in ipairs(page) do
    local fields = entry[2]
    local offset = 0
    for n = 1, #fields, 2 do
      if fields[n] == 'o' then offset = tonumber(fields[n + 1]) end
    end
    if offset <= after then done = true break end
    table.insert(out, entry)
  end
  if done then break end
  from = '(' .. page[#page][1]
end
return {epoch, out}
"#;

/// The room's current epoch and its events after `seen` (`(epoch,
/// offset)`): those after the offset when the epoch is still `seen`'s,
/// else every event the stream holds; oldest first. Unstamped, with their
/// excluded connections (what an instance delivers from the bus).
pub(crate) async fn since(
    state: &State,
    room: &str,
    seen: (&str, u64),
) -> Result<(String, Vec<(u64, Frame, Vec<ConnectionId>)>), BackendError> {
    let keys = &state.keys;
    let mut conn = state.commands.clone();
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(SINCE)
        .arg(2)
        .arg(keys.history(room))
        .arg(keys.history_epoch(room))
        .arg(seen.0)
        .arg(seen.1);
    let query = cmd.query_async::<(String, Entries)>(&mut conn);
    let (current, mut entries) = match tokio::time::timeout(state.config.query_timeout, query).await
    {
        Ok(Ok(reply)) => reply,
        Ok(Err(err)) => return Err(BackendError::Unavailable(err.to_string())),
        Err(_) => return Err(BackendError::Timeout),
    };
    if current.is_empty() {
        return Ok((current, Vec::new()));
    }
    entries.reverse();
    let after = if current == seen.0 { seen.1 } else { 0 };
    let events = parse(entries)?
        .into_iter()
        .filter(|(offset, _, _)| *offset > after)
        .map(|(offset, frame, except)| (offset, Frame::from_text(frame), except))
        .collect();
    Ok((current, events))
}

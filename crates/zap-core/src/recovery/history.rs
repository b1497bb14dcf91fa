//! Room history: [`History`] (the limits an application sets) and
//! [`RoomLog`], the bounded log of one room's recent events with their
//! offsets and the epoch they belong to.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use zap_protocol::Frame;

use crate::ConnectionId;

/// How much history a room keeps: bounded in events, in bytes and,
/// optionally, in age. Whichever limit is reached first trims the oldest
/// events.
///
/// ```
/// use std::time::Duration;
/// use zap_core::History;
/// let history = History::last(500).max_bytes(1 << 20).max_age(Duration::from_secs(120));
/// assert_eq!(history.events(), 500);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct History {
    events: usize,
    bytes: usize,
    age: Option<Duration>,
}

impl History {
    /// Keeps the last `events` events of a room (at least 1), at most 4 MiB
    /// of them, of any age.
    pub fn last(events: usize) -> Self {
        History {
            events: events.max(1),
            bytes: 4 << 20,
            age: None,
        }
    }

    /// Keeps at most `bytes` of encoded events (at least one event is kept).
    pub fn max_bytes(mut self, bytes: usize) -> Self {
        self.bytes = bytes;
        self
    }

    /// Forgets events older than `age`.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.age = Some(age);
        self
    }

    /// The most events kept.
    pub fn events(&self) -> usize {
        self.events
    }

    /// The most bytes kept.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The oldest age kept, if limited.
    pub fn age(&self) -> Option<Duration> {
        self.age
    }
}

/// A point in a room's history: the epoch and the offset of the last event
/// seen (0 before the first event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The epoch of the room's history.
    pub epoch: Arc<str>,
    /// The offset of the last event seen.
    pub offset: u64,
}

/// Why a room's history cannot bring a client up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gap {
    /// The client's epoch is not the room's: continuity was lost.
    Epoch,
    /// Events after the client's offset were already trimmed.
    Trimmed,
}

struct Entry {
    offset: u64,
    frame: Frame,
    at: Instant,
    /// Connections the event was not for (replays skip them too).
    except: Box<[ConnectionId]>,
}

/// The recent events of one room, stamped and encoded once.
pub(crate) struct RoomLog {
    epoch: Arc<str>,
    last: u64,
    fresh: bool,
    opened_at: Option<Position>,
    entries: VecDeque<Entry>,
    bytes: usize,
    limits: History,
}

impl RoomLog {
    pub(crate) fn new(epoch: Arc<str>, limits: History) -> Self {
        RoomLog {
            epoch,
            last: 0,
            fresh: true,
            opened_at: None,
            entries: VecDeque::new(),
            bytes: 0,
            limits,
        }
    }

    /// The position of the latest event.
    pub(crate) fn position(&self) -> Position {
        Position {
            epoch: self.epoch.clone(),
            offset: self.last,
        }
    }

    /// The epoch and offset the next event will get.
    pub(crate) fn next(&self) -> (&Arc<str>, u64) {
        (&self.epoch, self.last + 1)
    }

    /// Records an event sequenced elsewhere (a shared history store) at
    /// `offset` of `epoch`: a jump (another epoch, or offsets this instance
    /// did not see) restarts the local log there. `false` for an event
    /// already recorded (not to be delivered again).
    pub(crate) fn accept(
        &mut self,
        epoch: &str,
        offset: u64,
        frame: Frame,
        except: &[ConnectionId],
    ) -> bool {
        if *self.epoch == *epoch && offset <= self.last {
            return false;
        }
        if self.fresh {
            self.opened_at = Some(Position {
                epoch: Arc::from(epoch),
                offset: offset.saturating_sub(1),
            });
        }
        if *self.epoch != *epoch || offset != self.last + 1 {
            self.epoch = Arc::from(epoch);
            self.entries.clear();
            self.bytes = 0;
            self.last = offset.saturating_sub(1);
        }
        self.fresh = false;
        self.push(frame, except);
        true
    }

    /// For a log fed by a shared store: the position just before the first
    /// event it recorded (where members that joined while it was fresh
    /// start).
    pub(crate) fn opened_at(&self) -> Option<&Position> {
        self.opened_at.as_ref()
    }

    /// Whether no event was ever recorded here.
    pub(crate) fn is_fresh(&self) -> bool {
        self.fresh
    }

    /// Records the next event, not for `except`, and trims.
    pub(crate) fn push(&mut self, frame: Frame, except: &[ConnectionId]) {
        self.fresh = false;
        self.last += 1;
        self.bytes += frame.len();
        self.entries.push_back(Entry {
            offset: self.last,
            frame,
            at: Instant::now(),
            except: except.into(),
        });
        self.trim();
    }

    fn trim(&mut self) {
        let expired = |entry: &Entry, limits: &History| {
            limits.age.is_some_and(|age| entry.at.elapsed() > age)
        };
        while let Some(oldest) = self.entries.front() {
            let over = self.entries.len() > self.limits.events
                || (self.bytes > self.limits.bytes && self.entries.len() > 1);
            if !over && !expired(oldest, &self.limits) {
                break;
            }
            self.bytes -= oldest.frame.len();
            self.entries.pop_front();
        }
    }

    /// Every event for `id` after `after`, oldest first, or why that is
    /// impossible.
    pub(crate) fn since(&mut self, after: &Position, id: &ConnectionId) -> Result<Vec<Frame>, Gap> {
        if after.epoch != self.epoch || after.offset > self.last {
            return Err(Gap::Epoch);
        }
        self.trim();
        let first = self.entries.front().map_or(self.last + 1, |e| e.offset);
        if first > after.offset + 1 {
            return Err(Gap::Trimmed);
        }
        Ok(self
            .entries
            .iter()
            .filter(|entry| entry.offset > after.offset && !entry.except.contains(id))
            .map(|entry| entry.frame.clone())
            .collect())
    }

    /// Every event still held for `id`, oldest first: what a client that
    /// lost continuity (a gap) is sent after `zap.session`.
    pub(crate) fn held(&mut self, id: &ConnectionId) -> Vec<Frame> {
        self.trim();
        self.entries
            .iter()
            .filter(|entry| !entry.except.contains(id))
            .map(|entry| entry.frame.clone())
            .collect()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: u64) -> Frame {
        zap_protocol::encode("n", &n, None).expect("encodes")
    }

    impl RoomLog {
        fn since_all(&mut self, after: &Position) -> Result<Vec<Frame>, Gap> {
            self.since(after, &ConnectionId::from("reader"))
        }
    }

    #[test]
    fn replays_skip_the_connections_an_event_was_not_for() {
        let mut log = RoomLog::new("e".into(), History::last(10));
        log.push(frame(1), &["me".into()]);
        log.push(frame(2), &[]);
        let start = at(&log, 0);
        assert_eq!(log.since(&start, &"me".into()), Ok(vec![frame(2)]));
        assert_eq!(log.since_all(&start), Ok(vec![frame(1), frame(2)]));
    }

    fn at(log: &RoomLog, offset: u64) -> Position {
        Position {
            epoch: log.position().epoch,
            offset,
        }
    }

    #[test]
    fn offsets_grow_by_one_and_replay_starts_after_the_position() {
        let mut log = RoomLog::new("e".into(), History::last(10));
        (1..=5).for_each(|n| log.push(frame(n), &[]));
        assert_eq!(log.position().offset, 5);
        assert_eq!(log.since_all(&at(&log, 3)), Ok(vec![frame(4), frame(5)]));
        assert_eq!(log.since_all(&at(&log, 5)), Ok(vec![]));
    }

    #[test]
    fn a_position_older_than_the_history_is_a_gap() {
        let mut log = RoomLog::new("e".into(), History::last(3));
        (1..=10).for_each(|n| log.push(frame(n), &[]));
        assert_eq!(log.len(), 3);
        assert_eq!(log.since_all(&at(&log, 6)), Err(Gap::Trimmed));
        assert_eq!(
            log.since_all(&at(&log, 7)),
            Ok(vec![frame(8), frame(9), frame(10)])
        );
    }

    #[test]
    fn another_epoch_is_a_gap() {
        let mut log = RoomLog::new("e".into(), History::last(3));
        log.push(frame(1), &[]);
        let other = Position {
            epoch: "other".into(),
            offset: 0,
        };
        assert_eq!(log.since_all(&other), Err(Gap::Epoch));
    }

    #[test]
    fn the_byte_limit_trims_but_keeps_the_latest_event() {
        let one = frame(1).len();
        let mut log = RoomLog::new("e".into(), History::last(100).max_bytes(one * 2));
        (1..=5).for_each(|n| log.push(frame(n), &[]));
        assert_eq!(log.len(), 2);
        let mut tiny = RoomLog::new("e".into(), History::last(100).max_bytes(1));
        tiny.push(frame(1), &[]);
        assert_eq!(tiny.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn old_events_expire() {
        let mut log = RoomLog::new(
            "e".into(),
            History::last(100).max_age(Duration::from_secs(10)),
        );
        log.push(frame(1), &[]);
        tokio::time::advance(Duration::from_secs(11)).await;
        log.push(frame(2), &[]);
        assert_eq!(log.since_all(&at(&log, 0)), Err(Gap::Trimmed));
        assert_eq!(log.since_all(&at(&log, 1)), Ok(vec![frame(2)]));
    }
}

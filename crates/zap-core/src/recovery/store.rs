//! [`SessionStore`]: where dropped sessions wait to be resumed, and
//! [`InMemorySessions`], the in-process default. `zap-redis` implements the
//! same trait so that a session resumes on another instance.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::time::Instant;
use zap_protocol::Frame;

use super::stamp;
use crate::{BackendFuture, ConnectionId, MetaTag};

/// A dropped session, everything needed to resume it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionRecord {
    /// The session token the client resumes with.
    pub token: String,
    /// The connection id, kept across resumes.
    pub id: ConnectionId,
    /// The rooms it was a member of.
    pub rooms: Vec<RoomRecord>,
    /// The per-connection state marked recoverable, by key.
    pub state: Map<String, Value>,
    /// The highest client event id (`zap-id`) handled.
    pub handled: u64,
    /// The last direct sequence number (`zap-seq`) given.
    pub seq: u64,
    /// The direct events kept for a resume, oldest first.
    pub direct: VecDeque<DirectEvent>,
    /// How many direct events the session keeps.
    pub direct_capacity: usize,
    /// Bumped by every resume: a shared store refuses to park or expire a
    /// session for a holder of an older generation (it was taken over).
    #[serde(default)]
    pub generation: u64,
}

/// One room membership of a dropped session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RoomRecord {
    /// The room.
    pub room: String,
    /// The metadata it joined with.
    pub meta: Option<MetaTag>,
    /// For a room with history: `(epoch, offset)` of the last event before
    /// it joined (the replay start when the client has no position).
    pub joined: Option<(String, u64)>,
}

impl RoomRecord {
    /// Describes one membership.
    pub fn new(room: String, meta: Option<MetaTag>, joined: Option<(String, u64)>) -> Self {
        RoomRecord { room, meta, joined }
    }
}

/// A direct event kept for a resume: its sequence number and its stamped frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectEvent {
    /// Its `zap-seq`.
    pub seq: u64,
    /// The frame's text.
    pub frame: String,
}

impl SessionRecord {
    /// Adds a direct event sent while the session was away: it gets the next
    /// sequence number; the oldest kept event goes when the buffer is full.
    pub fn push_direct(&mut self, frame: &Frame) {
        let seq = self.seq + 1;
        let Some(stamped) = stamp::stamp_direct(frame, seq) else {
            return;
        };
        self.seq = seq;
        self.direct.push_back(DirectEvent {
            seq,
            frame: stamped.as_str().to_owned(),
        });
        while self.direct.len() > self.direct_capacity.max(1) {
            self.direct.pop_front();
        }
    }
}

/// What a store knows about a token.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Lookup {
    /// The session, now taken by the caller (nobody else can resume it).
    Found(Box<SessionRecord>),
    /// The session existed but its window expired.
    Expired,
    /// Never issued here, or forgotten.
    Unknown,
}

/// Where dropped sessions wait for their client.
///
/// [`InMemorySessions`] (the default) keeps them in this process;
/// `zap_redis::RedisSessions` keeps them in Redis so that any instance can
/// resume them. Every method must be cheap and must not block; the async
/// ones may talk to a server.
pub trait SessionStore: Send + Sync + fmt::Debug + 'static {
    /// Keeps a dropped session for `window`. `false` when a newer holder
    /// took the session over meanwhile (the caller then lets it go).
    fn park(&self, record: SessionRecord, window: Duration) -> BackendFuture<bool>;

    /// Takes the session of `token` (removing it: a session resumes once);
    /// the record comes back with its generation bumped.
    fn take(&self, token: &str) -> BackendFuture<Lookup>;

    /// Records the state of a live session, so that it can resume elsewhere
    /// if this process dies. Must not wait. The default does nothing (a
    /// store that dies with the process has no use for it).
    fn checkpoint(&self, record: SessionRecord, window: Duration) {
        let _ = (record, window);
    }

    /// Adds a direct event for the parked session of connection `id`;
    /// `false` when no session of that id is parked here.
    fn push_direct(&self, id: &ConnectionId, frame: &Frame) -> bool;

    /// Ends the parked session of `token` if it is still parked by this
    /// `generation` (its window is over): returns it so that `disconnected`
    /// can run, or `None` when it was resumed meanwhile.
    fn expire(&self, token: &str, generation: u64) -> BackendFuture<Option<SessionRecord>>;

    /// Whether sessions outlive this process (then a shutdown parks them
    /// instead of ending them).
    fn is_shared(&self) -> bool {
        false
    }
}

/// Parked sessions in this process's memory (the default store).
#[derive(Debug, Default)]
pub struct InMemorySessions {
    inner: Mutex<Parked>,
}

#[derive(Debug, Default)]
struct Parked {
    sessions: HashMap<String, (SessionRecord, Instant)>,
    by_id: HashMap<ConnectionId, String>,
    /// Expired tokens and when they expired, to answer `expired` for a while.
    expired: HashMap<String, Instant>,
}

/// How long an expired token is remembered as such.
const REMEMBER_EXPIRED: Duration = Duration::from_secs(3600);

impl InMemorySessions {
    fn lock(&self) -> MutexGuard<'_, Parked> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Number of parked sessions.
    pub fn len(&self) -> usize {
        self.lock().sessions.len()
    }

    /// Whether no session is parked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Parked {
    fn remove(&mut self, token: &str) -> Option<(SessionRecord, Instant)> {
        let (record, deadline) = self.sessions.remove(token)?;
        self.by_id.remove(&record.id);
        Some((record, deadline))
    }

    fn bury(&mut self, token: &str) {
        let now = Instant::now();
        self.expired
            .retain(|_, when| now.duration_since(*when) < REMEMBER_EXPIRED);
        self.expired.insert(token.to_owned(), now);
    }
}

impl SessionStore for InMemorySessions {
    fn park(&self, record: SessionRecord, window: Duration) -> BackendFuture<bool> {
        let mut parked = self.lock();
        parked.by_id.insert(record.id.clone(), record.token.clone());
        let token = record.token.clone();
        parked
            .sessions
            .insert(token, (record, Instant::now() + window));
        Box::pin(async { Ok(true) })
    }

    fn take(&self, token: &str) -> BackendFuture<Lookup> {
        let mut parked = self.lock();
        let lookup = match parked.remove(token) {
            Some((mut record, deadline)) if Instant::now() < deadline => {
                record.generation += 1;
                Lookup::Found(Box::new(record))
            }
            Some(_) => {
                parked.bury(token);
                Lookup::Expired
            }
            None if parked.expired.contains_key(token) => Lookup::Expired,
            None => Lookup::Unknown,
        };
        Box::pin(async move { Ok(lookup) })
    }

    fn push_direct(&self, id: &ConnectionId, frame: &Frame) -> bool {
        let mut parked = self.lock();
        let Some(token) = parked.by_id.get(id).cloned() else {
            return false;
        };
        match parked.sessions.get_mut(&token) {
            Some((record, _)) => {
                record.push_direct(frame);
                true
            }
            None => false,
        }
    }

    fn expire(&self, token: &str, _generation: u64) -> BackendFuture<Option<SessionRecord>> {
        let mut parked = self.lock();
        let record = parked.remove(token).map(|(record, _)| record);
        if record.is_some() {
            parked.bury(token);
        }
        Box::pin(async move { Ok(record) })
    }
}

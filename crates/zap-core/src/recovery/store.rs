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
use crate::{BackendError, BackendFuture, ConnectionId, MetaTag};

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
    /// Who the session belongs to (`EventRegister::session_identity`): only
    /// a resume under the same identity takes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
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

/// What became of a direct event handed to a store by connection id
/// ([`SessionStore::push_direct`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushDirect {
    /// Kept for a session of this store that waits for its client.
    Kept,
    /// Taken over by a shared store: it keeps the event for a session whose
    /// link is down, or hands it to the instance holding the connection
    /// (with the bus), whichever applies when the store sees it.
    Handed,
    /// The store keeps no session of that id (live here, or unknown).
    NotHere,
}

/// A direct event encoded around its sequence number, so that a store that
/// numbers direct events centrally stamps it without decoding it:
/// `prefix`, then the number, then `suffix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectTemplate {
    /// The frame's text up to the `zap-seq` value.
    pub prefix: String,
    /// The frame's text after the `zap-seq` value.
    pub suffix: String,
}

impl DirectTemplate {
    /// The template of an encoded event (`None` if it is not one).
    pub fn from_frame(frame: &Frame) -> Option<Self> {
        let event = zap_protocol::decode(frame.as_str()).ok()?;
        let headers = (!event.headers().is_empty()).then(|| event.headers());
        stamp::direct_template(event.event_name(), event.payload(), headers).ok()
    }

    /// The frame stamped with `seq`.
    pub fn stamp(&self, seq: u64) -> Frame {
        Frame::from(format!("{}{seq}{}", self.prefix, self.suffix))
    }
}

/// What a store knows about a token.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Lookup {
    /// The session, now claimed by the caller (nobody else can resume it).
    /// Direct events sent to it from now on are kept by the store until the
    /// caller has attached it ([`SessionStore::attached`]).
    Found(Box<SessionRecord>),
    /// The session existed but its window expired, or it ended.
    Expired,
    /// Never issued here, or forgotten.
    Unknown,
}

/// Where sessions wait for their client, and the authority on their direct
/// events: the one place that decides whether a direct event for a session
/// whose link is down is kept (parked, or being resumed) or goes to its
/// live connection.
///
/// [`InMemorySessions`] (the default) keeps them in this process;
/// `zap_redis::RedisBackend` keeps them in Redis so that any instance can
/// resume them (installed by `EventRegister::backend`). Every method must
/// be cheap and must not block; the async ones may talk to a server.
///
/// A session's life in a store: live (optionally [checkpointed](Self::checkpoint),
/// its direct events [numbered](Self::sequence_direct) by a shared store),
/// [parked](Self::park)
/// when its link drops, [taken](Self::take) by the connection that resumes
/// it, [attached](Self::attached) once that connection is live; or
/// [ended](Self::end) by a clean close, or [expired](Self::expire).
pub trait SessionStore: Send + Sync + fmt::Debug + 'static {
    /// Keeps a dropped session for `window`. `false` when a newer holder
    /// took the session over meanwhile (the caller then lets it go). Direct
    /// events recorded before this call are part of the parked session.
    fn park(&self, record: SessionRecord, window: Duration) -> BackendFuture<bool>;

    /// Claims the session of `token` (a session resumes once) for a client
    /// of `identity`; the record comes back with its generation bumped and
    /// every direct event kept. Direct events sent from now until
    /// [`Self::attached`] are kept too. A session bound to another identity
    /// is [`Lookup::Unknown`] and stays where it is.
    fn take(&self, token: &str, identity: Option<&str>) -> BackendFuture<Lookup>;

    /// The claimed session of `token` (generation `generation`) is live
    /// again: returns the direct events kept since [`Self::take`] (stamped,
    /// with their sequence numbers); later ones go to the live connection.
    fn attached(&self, token: &str, generation: u64) -> BackendFuture<Vec<DirectEvent>>;

    /// Records the state of a live session, so that it can resume elsewhere
    /// if this process dies. Must not wait. The default does nothing (a
    /// store that dies with the process has no use for it).
    fn checkpoint(&self, record: SessionRecord, window: Duration) {
        let _ = (record, window);
    }

    /// A direct event for connection `id`, which this instance does not
    /// hold: kept when its session waits in this store, handed over by a
    /// shared store (see [`PushDirect`]).
    fn push_direct(&self, id: &ConnectionId, frame: &Frame) -> PushDirect;

    /// For a shared store ([`Self::is_shared`]): gives a direct event of
    /// the session of `token` (connection `id`) its next sequence number, keeps it (the last
    /// `capacity`), and hands it, stamped, to the instance holding the
    /// session's connection (through `ConnectionRouter::deliver_direct`), so
    /// that the numbers continue on any instance and nothing sent while the
    /// link is down, or while the session moves, is lost. The number is
    /// above `after`, the last one this instance knows of (a store that lost
    /// its data does not start again at 1). Must not wait.
    fn sequence_direct(
        &self,
        token: &str,
        id: &ConnectionId,
        event: &DirectTemplate,
        after: u64,
        capacity: usize,
    ) -> Result<(), BackendError> {
        let _ = (token, id, event, after, capacity);
        Err(BackendError::Protocol(
            "this session store does not number direct events".into(),
        ))
    }

    /// Ends the parked session of `token` if it is still parked by this
    /// `generation` (its window is over): returns it so that `disconnected`
    /// can run, or `None` when it was resumed meanwhile.
    fn expire(&self, token: &str, generation: u64) -> BackendFuture<Option<SessionRecord>>;

    /// Ends the session of `token` for good (its client closed cleanly): a
    /// resume with its token gets a new session, on every instance.
    fn end(&self, token: &str, generation: u64) -> BackendFuture<()> {
        let _ = (token, generation);
        Box::pin(async { Ok(()) })
    }

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

/// Where a kept session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Parked,
    /// Taken by a resume, not attached yet.
    Attaching,
}

#[derive(Debug, Default)]
struct Parked {
    sessions: HashMap<String, (SessionRecord, Instant, Stage)>,
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
    fn remove(&mut self, token: &str) -> Option<(SessionRecord, Instant, Stage)> {
        let (record, deadline, stage) = self.sessions.remove(token)?;
        self.by_id.remove(&record.id);
        Some((record, deadline, stage))
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
        let taken_over = parked
            .sessions
            .get(&record.token)
            .is_some_and(|(kept, _, stage)| {
                *stage == Stage::Attaching && kept.generation > record.generation
            });
        if taken_over {
            return Box::pin(async { Ok(false) });
        }
        parked.by_id.insert(record.id.clone(), record.token.clone());
        let token = record.token.clone();
        parked
            .sessions
            .insert(token, (record, Instant::now() + window, Stage::Parked));
        Box::pin(async { Ok(true) })
    }

    fn take(&self, token: &str, identity: Option<&str>) -> BackendFuture<Lookup> {
        let mut parked = self.lock();
        let foreign = parked
            .sessions
            .get(token)
            .is_some_and(|(record, _, _)| record.identity.as_deref() != identity);
        if foreign {
            return Box::pin(async { Ok(Lookup::Unknown) });
        }
        let now = Instant::now();
        let remembered = parked.expired.contains_key(token);
        let lookup = match parked.sessions.get_mut(token) {
            Some((record, deadline, stage)) if *stage == Stage::Parked && now < *deadline => {
                record.generation += 1;
                *stage = Stage::Attaching;
                let taken = record.clone();
                // What the caller gets now is not handed over again.
                record.direct.clear();
                Lookup::Found(Box::new(taken))
            }
            Some((_, _, Stage::Attaching)) => Lookup::Unknown,
            Some(_) => {
                parked.remove(token);
                parked.bury(token);
                Lookup::Expired
            }
            None if remembered => Lookup::Expired,
            None => Lookup::Unknown,
        };
        Box::pin(async move { Ok(lookup) })
    }

    fn attached(&self, token: &str, generation: u64) -> BackendFuture<Vec<DirectEvent>> {
        let mut parked = self.lock();
        let attaching = parked
            .sessions
            .get(token)
            .is_some_and(|(record, _, stage)| {
                *stage == Stage::Attaching && record.generation == generation
            });
        let events = match attaching {
            true => parked
                .remove(token)
                .map(|(record, _, _)| record.direct.into_iter().collect())
                .unwrap_or_default(),
            false => Vec::new(),
        };
        Box::pin(async move { Ok(events) })
    }

    fn push_direct(&self, id: &ConnectionId, frame: &Frame) -> PushDirect {
        let mut parked = self.lock();
        let Some(token) = parked.by_id.get(id).cloned() else {
            return PushDirect::NotHere;
        };
        match parked.sessions.get_mut(&token) {
            Some((record, _, _)) => {
                record.push_direct(frame);
                PushDirect::Kept
            }
            None => PushDirect::NotHere,
        }
    }

    fn expire(&self, token: &str, generation: u64) -> BackendFuture<Option<SessionRecord>> {
        let mut parked = self.lock();
        let ours = parked
            .sessions
            .get(token)
            .is_some_and(|(record, _, stage)| {
                *stage == Stage::Parked && record.generation == generation
            });
        let record = match ours {
            true => parked.remove(token).map(|(record, _, _)| record),
            false => None,
        };
        if record.is_some() {
            parked.bury(token);
        }
        Box::pin(async move { Ok(record) })
    }
}

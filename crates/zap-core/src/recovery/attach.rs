//! Opening a recoverable connection: find (or create) its session, then,
//! once the connection is registered, put it back in its rooms with every
//! event it missed, replay its direct events, and queue `zap.session` first.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::history::Position;
use super::request::ResumeRequest;
use super::stamp;
use super::state::SessionState;
use super::status::{NewReason, RecoveryStatus};
use super::store::{Lookup, RoomRecord, SessionRecord};
use crate::transport::close_code;
use crate::{Connection, ConnectionId, ConnectionRouter, EventRegister, Frame, Handshake};

/// How long a resume waits for the connection it takes over to let go.
const TAKEOVER_TIMEOUT: Duration = Duration::from_secs(10);

/// A recoverable connection about to open.
#[derive(Debug)]
pub(crate) struct Attach {
    session: Arc<SessionState>,
    request: ResumeRequest,
    record: Option<SessionRecord>,
    reason: NewReason,
    /// Room events read from a shared history store, for rooms this
    /// instance's log does not cover.
    fetched: Fetched,
}

type Fetched = HashMap<String, Option<Vec<(u64, Frame)>>>;

/// Where the client resumes `room`: its own position, or where the session
/// joined the room when the client received nothing there.
fn start_of(request: &ResumeRequest, room: &RoomRecord) -> Option<Position> {
    request.rooms.get(&room.room).cloned().or_else(|| {
        let (epoch, offset) = room.joined.clone()?;
        Some(Position {
            epoch: epoch.into(),
            offset,
        })
    })
}

/// How long a resume waits for this instance to receive, from the shared
/// store, the events its client already received elsewhere.
const CATCH_UP: Duration = Duration::from_secs(2);

/// Waits (bounded) until the local log of a room reached `from`: the client
/// may come from an instance that received the room's events a moment
/// earlier than this one.
async fn catch_up(hub: &super::Hub, log: &super::hub::SharedLog, from: &Position) {
    let caught_up = || {
        let log = log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let at = log.position();
        log.is_fresh() || at.epoch != from.epoch || at.offset >= from.offset
    };
    let wait = async {
        loop {
            let notified = hub.accepted.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if caught_up() {
                return;
            }
            notified.await;
        }
    };
    let _ = tokio::time::timeout(CATCH_UP, wait).await;
}

/// Reads from the shared history store what the local logs cannot replay.
async fn fetch(
    router: &ConnectionRouter,
    request: &ResumeRequest,
    record: &SessionRecord,
) -> Fetched {
    let hub = router.hub();
    let mut fetched = HashMap::new();
    let Some(store) = hub.history_store() else {
        return fetched;
    };
    for room in &record.rooms {
        let Some(from) = start_of(request, room) else {
            continue;
        };
        let Some(log) = hub.log(&room.room) else {
            continue;
        };
        catch_up(hub, &log, &from).await;
        let local = log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .since(&from, &record.id)
            .is_ok();
        if !local {
            let read = store
                .read(&room.room, &from, &record.id)
                .await
                .unwrap_or_else(|err| {
                    tracing::warn!(%err, room = %room.room, "history store unavailable");
                    None
                });
            fetched.insert(room.room.clone(), read);
        }
    }
    fetched
}

/// `None` for a connection that did not ask for recovery (plain v1).
/// What the client asked for (`None`: no recovery, plain v1).
pub(crate) fn request(register: &EventRegister, handshake: &Handshake) -> Option<ResumeRequest> {
    if !register.router().hub().config().enabled {
        return None;
    }
    ResumeRequest::parse(handshake)
}

/// Finds the session `request` resumes (claiming it in the store), or
/// starts a new one.
pub(crate) async fn prepare(
    register: &EventRegister,
    handshake: &Handshake,
    request: ResumeRequest,
) -> Attach {
    let hub = register.router().hub();
    let config = hub.config();
    let store = hub.store();
    let identity = hub.identity(handshake);
    let mut reason = NewReason::Fresh;
    if let Some(token) = &request.token {
        take_over(register.router(), token, identity.as_deref()).await;
        match store.take(token, identity.as_deref()).await {
            Ok(Lookup::Found(record)) => {
                hub.wake(token);
                let session = Arc::new(SessionState::from_record(&record, store));
                let fetched = fetch(register.router(), &request, &record).await;
                return Attach {
                    session,
                    request,
                    record: Some(*record),
                    reason,
                    fetched,
                };
            }
            Ok(Lookup::Expired) => reason = NewReason::Expired,
            Ok(Lookup::Unknown) => reason = NewReason::Unknown,
            Err(err) => {
                tracing::warn!(%err, "session store unavailable: starting a new session");
                reason = NewReason::Unknown;
            }
        }
    }
    let id = register.connection_id(handshake);
    let token = uuid::Uuid::new_v4().simple().to_string();
    let mut session = SessionState::new(token, id, store, config.direct_buffer);
    session.identity = identity;
    Attach {
        session: Arc::new(session),
        request,
        record: None,
        reason,
        fetched: HashMap::new(),
    }
}

/// When the session is still carried by a live connection of this instance
/// (its client saw the link die before the server did), closes that
/// connection and waits until it has parked the session.
async fn take_over(router: &ConnectionRouter, token: &str, identity: Option<&str>) {
    let Some(old) = router.hub().live(token) else {
        return;
    };
    let Some(session) = old.session().cloned() else {
        return;
    };
    if session.identity.as_deref() != identity {
        // A token is not an identity: another client's session stays put.
        return;
    }
    session.take_over();
    old.abort(
        close_code::GOING_AWAY,
        "session resumed by a new connection",
    );
    let parked = async {
        loop {
            let notified = session.parked.notified();
            if session.is_stored() {
                return;
            }
            notified.await;
        }
    };
    if tokio::time::timeout(TAKEOVER_TIMEOUT, parked)
        .await
        .is_err()
    {
        tracing::warn!(id = %old.id(), "the connection being resumed did not let go in time");
    }
}

impl Attach {
    /// The connection id: the session's when resuming.
    pub(crate) fn id(&self) -> ConnectionId {
        self.session.id.clone()
    }

    pub(crate) fn session(&self) -> Arc<SessionState> {
        self.session.clone()
    }

    /// Whether an earlier session is being resumed.
    pub(crate) fn is_resume(&self) -> bool {
        self.record.is_some()
    }

    /// Gives a resumed session back (the connection could not open).
    pub(crate) async fn abandon(self, router: &ConnectionRouter) {
        if let Some(record) = self.record {
            let window = router.hub().config().window;
            let _ = router.hub().store().park(record, window).await;
        }
    }

    /// Runs once `connection` is registered with the router, before its
    /// loop starts: the session's rooms and missed events, then
    /// `zap.session` at the front of the queue.
    pub(crate) async fn attach(self, router: &ConnectionRouter, connection: &Connection) {
        let hub = router.hub();
        let session = &self.session;
        hub.set_live(&session.token, connection);
        // Direct events the store kept since the resume claimed the session
        // (sent on any instance meanwhile): replayed with the rest.
        let kept = match &self.record {
            Some(_) => hub
                .store()
                .attached(&session.token, session.generation)
                .await
                .unwrap_or_else(|err| {
                    tracing::warn!(id = %connection.id(), %err, "session store unavailable while attaching");
                    Vec::new()
                }),
            None => Vec::new(),
        };
        let direct_gap = session.attach(connection, self.request.seq, kept);
        let mut gaps = Vec::new();
        if let Some(record) = &self.record {
            for room in &record.rooms {
                let from = start_of(&self.request, room);
                let back = Rejoin {
                    room: &room.room,
                    from: from.as_ref(),
                    fetched: self.fetched.get(&room.room),
                };
                if !back.run(router, connection, session, room.meta.clone()) {
                    gaps.push(room.room.clone());
                }
            }
            hub.load_state(connection.extensions(), &record.state);
        }
        super::checkpoint(router, connection);
        let status = match &self.record {
            None => RecoveryStatus::New(self.reason),
            Some(_) if gaps.is_empty() && !direct_gap => RecoveryStatus::Recovered,
            Some(_) => RecoveryStatus::Gaps {
                rooms: gaps,
                direct: direct_gap,
            },
        };
        tracing::debug!(id = %connection.id(), ?status, "recoverable connection");
        let window = hub.config().window.as_secs();
        connection.queue_first(stamp::session_frame(
            connection.id().as_str(),
            &session.token,
            window,
            &status,
            session.handled(),
        ));
        session.set_status(status);
    }
}

/// One room of a resumed session.
struct Rejoin<'a> {
    room: &'a str,
    from: Option<&'a Position>,
    fetched: Option<&'a Option<Vec<(u64, Frame)>>>,
}

impl Rejoin<'_> {
    /// Puts `connection` back in the room, queuing the events it missed
    /// there (while the room's log is held, so nothing falls between the
    /// replay and live delivery). `false` when events were lost.
    fn run(
        &self,
        router: &ConnectionRouter,
        connection: &Connection,
        session: &SessionState,
        meta: Option<crate::MetaTag>,
    ) -> bool {
        let room = self.room;
        let Some(log) = router.hub().log(room) else {
            router.join_quiet(room, connection, meta);
            return true;
        };
        let mut log = log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let current = log.position();
        let replay = match (self.from, self.fetched) {
            (None, _) => None,
            (Some(from), None) => log.since(from, connection.id()).ok(),
            (Some(from), Some(fetched)) => fetched.as_ref().and_then(|fetched| {
                // What the store had, then what this instance saw since.
                let last = fetched.last().map_or(from.offset, |(offset, _)| *offset);
                let after = Position {
                    epoch: from.epoch.clone(),
                    offset: last,
                };
                let newer = match log.is_fresh() {
                    true => Vec::new(),
                    false => log.since(&after, connection.id()).ok()?,
                };
                let mut frames: Vec<Frame> = fetched.iter().map(|(_, f)| f.clone()).collect();
                frames.extend(newer);
                Some(frames)
            }),
        };
        let recovered = match replay {
            Some(frames) => {
                frames
                    .into_iter()
                    .for_each(|frame| connection.queue_replay(frame));
                true
            }
            None => {
                // A gap: what the history still holds follows `zap.session`
                // (the client adopts its epoch and offsets).
                if self.from.is_some() {
                    for frame in log.held(connection.id()) {
                        connection.queue_replay(frame);
                    }
                }
                session.note_join(room, current);
                false
            }
        };
        router.join_quiet(room, connection, meta);
        recovered
    }
}

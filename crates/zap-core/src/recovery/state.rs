//! [`SessionState`]: the part of a recoverable session that outlives one
//! connection: its token, direct events with their sequence numbers, the
//! client event ids it handled, and where it joined rooms with history.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use tokio::sync::Notify;
use zap_protocol::{Frame, Headers};

use super::history::Position;
use super::stamp;
use super::status::RecoveryStatus;
use super::store::{DirectEvent, PushDirect, RoomRecord, SessionRecord, SessionStore};
use crate::{Connection, ConnectionId, Delivery, MetaTag, SendError};

/// What to do with a client event, by its `zap-id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admit {
    /// Handle it.
    Run,
    /// Already handled in this session: a resend, dropped silently.
    Resend,
    /// An id after one that was refused: dropped until the refused id comes
    /// again (the client resends in order).
    OutOfOrder,
}

/// One session, shared by the connections that carry it in turn.
pub(crate) struct SessionState {
    pub(crate) token: String,
    pub(crate) id: ConnectionId,
    pub(crate) generation: u64,
    /// Who the session belongs to (see `EventRegister::session_identity`).
    pub(crate) identity: Option<String>,
    store: Arc<dyn SessionStore>,
    inner: Mutex<Inner>,
    /// Notified when the session is parked (a takeover waits for it).
    pub(crate) parked: Notify,
    /// A resume is taking this session over: its connection's end parks it.
    takeover: AtomicBool,
    /// The parked session is in the store.
    stored: AtomicBool,
}

struct Inner {
    seq: u64,
    direct: VecDeque<(u64, Frame)>,
    capacity: usize,
    connection: Option<Connection>,
    parked: bool,
    ended: bool,
    handled: u64,
    acked: u64,
    /// The first client event id refused by flood control, until it is handled.
    refused: Option<u64>,
    joined: HashMap<String, Position>,
    status: Option<RecoveryStatus>,
    /// While a resumed session is being attached: direct events that came
    /// meanwhile, numbered by a shared store, or sent here (numbered when
    /// it is attached, `0`), queued after the replay.
    attaching: Option<Vec<(u64, Frame)>>,
    /// A direct event went out unnumbered (the shared store was
    /// unreachable): the next resume reports a direct gap.
    unnumbered: bool,
}

impl SessionState {
    pub(crate) fn new(
        token: String,
        id: ConnectionId,
        store: Arc<dyn SessionStore>,
        capacity: usize,
    ) -> Self {
        SessionState {
            token,
            id,
            generation: 0,
            identity: None,
            store,
            inner: Mutex::new(Inner {
                seq: 0,
                direct: VecDeque::new(),
                capacity: capacity.max(1),
                connection: None,
                parked: false,
                ended: false,
                handled: 0,
                acked: 0,
                refused: None,
                joined: HashMap::new(),
                status: None,
                attaching: None,
                unnumbered: false,
            }),
            parked: Notify::new(),
            takeover: AtomicBool::new(false),
            stored: AtomicBool::new(false),
        }
    }

    /// The session of a record taken from the store.
    pub(crate) fn from_record(record: &SessionRecord, store: Arc<dyn SessionStore>) -> Self {
        let mut state = SessionState::new(
            record.token.clone(),
            record.id.clone(),
            store,
            record.direct_capacity,
        );
        state.generation = record.generation;
        state.identity = record.identity.clone();
        {
            let mut inner = state.lock();
            inner.seq = record.seq;
            inner.attaching = Some(Vec::new());
            inner.handled = record.handled;
            inner.acked = record.handled;
            inner.direct = record
                .direct
                .iter()
                .map(|event| (event.seq, Frame::from_text(event.frame.clone())))
                .collect();
            inner.joined = record
                .rooms
                .iter()
                .filter_map(|room| {
                    let (epoch, offset) = room.joined.clone()?;
                    let position = Position {
                        epoch: epoch.into(),
                        offset,
                    };
                    Some((room.room.clone(), position))
                })
                .collect();
        }
        state
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends a direct event: stamped with the next `zap-seq`, kept for a
    /// resume, and queued on the attached connection if there is one (else
    /// it waits for the resume: [`Delivery::kept`]). With a shared store the
    /// store numbers and keeps it, and hands it back to the instance holding
    /// the connection ([`Self::deliver`]).
    pub(crate) fn send_direct<P: Serialize + ?Sized>(
        &self,
        event_name: &str,
        payload: &P,
        headers: Option<&Headers>,
    ) -> Result<Delivery, SendError> {
        if self.store.is_shared() {
            return self.send_shared(event_name, payload, headers);
        }
        let mut inner = self.lock();
        if inner.ended {
            return Err(SendError::Closed);
        }
        if let Some(pending) = &mut inner.attaching {
            // Numbered once the replay is queued, in the order sent.
            pending.push((0, zap_protocol::encode(event_name, payload, headers)?));
            return Ok(Delivery::held());
        }
        if inner.parked {
            drop(inner);
            let frame = zap_protocol::encode(event_name, payload, headers)?;
            return match self.store.push_direct(&self.id, &frame) {
                PushDirect::NotHere => Err(SendError::Closed),
                _ => Ok(Delivery::held()),
            };
        }
        let seq = inner.seq + 1;
        let frame = stamp::encode_direct(event_name, payload, headers, seq)?;
        inner.seq = seq;
        inner.keep_and_queue(seq, frame)
    }

    /// [`Self::send_direct`] through a shared store.
    fn send_shared<P: Serialize + ?Sized>(
        &self,
        event_name: &str,
        payload: &P,
        headers: Option<&Headers>,
    ) -> Result<Delivery, SendError> {
        if self.lock().ended {
            return Err(SendError::Closed);
        }
        let template = stamp::direct_template(event_name, payload, headers)?;
        let (after, capacity) = {
            let inner = self.lock();
            (inner.seq, inner.capacity)
        };
        match self
            .store
            .sequence_direct(&self.token, &self.id, &template, after, capacity)
        {
            Ok(()) => Ok(Delivery {
                remote: crate::Remote::Published,
                ..Delivery::default()
            }),
            Err(err) => {
                // The store is unreachable: the live connection still gets
                // the event, unnumbered; its next resume reports a gap.
                let mut inner = self.lock();
                inner.unnumbered = true;
                tracing::debug!(id = %self.id, %err, "session store unreachable: direct event not numbered");
                match &inner.connection {
                    Some(connection) => {
                        connection.enqueue(zap_protocol::encode(event_name, payload, headers)?)?;
                        Ok(Delivery::queued())
                    }
                    None => Err(SendError::Backend(err)),
                }
            }
        }
    }

    /// A direct event a shared store numbered `seq`: queued on the attached
    /// connection unless the client has it already (held back while the
    /// session is being attached).
    pub(crate) fn deliver(&self, seq: u64, frame: Frame) -> Delivery {
        let mut inner = self.lock();
        if inner.ended {
            return Delivery::default();
        }
        if let Some(pending) = &mut inner.attaching {
            pending.push((seq, frame));
            return Delivery::held();
        }
        if seq <= inner.seq {
            return Delivery::default(); // replayed already
        }
        inner.seq = seq;
        match &inner.connection {
            Some(connection) => {
                let mut delivery = Delivery::default();
                delivery.count(connection.enqueue(frame));
                delivery
            }
            None => Delivery::held(),
        }
    }

    /// Attaches `connection`: merges the direct events the store kept for
    /// the resume (`kept`, numbered) and those sent while attaching, queues
    /// every one after `seq` (what the client received) in order, and
    /// routes new ones to it. Returns whether direct events after `seq`
    /// were lost.
    pub(crate) fn attach(&self, connection: &Connection, seq: u64, kept: Vec<DirectEvent>) -> bool {
        let mut inner = self.lock();
        let pending = inner.attaching.take().unwrap_or_default();
        let numbered = kept
            .into_iter()
            .map(|event| (event.seq, Frame::from_text(event.frame)))
            .chain(pending.iter().filter(|(s, _)| *s > 0).cloned());
        for (s, frame) in numbered {
            if !inner.direct.iter().any(|(kept, _)| *kept == s) {
                inner.direct.push_back((s, frame));
            }
            inner.seq = inner.seq.max(s);
        }
        inner.direct.make_contiguous().sort_by_key(|(s, _)| *s);
        // The client saw more than the store knows: continue after it, and
        // say that what came after may be lost.
        let beyond = seq > inner.seq;
        inner.seq = inner.seq.max(seq);
        for (_, frame) in pending.into_iter().filter(|(s, _)| *s == 0) {
            let next = inner.seq + 1;
            if let Some(stamped) = stamp::stamp_direct(&frame, next) {
                inner.seq = next;
                inner.direct.push_back((next, stamped));
            }
        }
        while inner.direct.len() > inner.capacity {
            inner.direct.pop_front();
        }
        let first_kept = inner.direct.front().map_or(inner.seq + 1, |(s, _)| *s);
        let lost = beyond
            || std::mem::take(&mut inner.unnumbered)
            || (seq < inner.seq && first_kept > seq + 1);
        for (_, frame) in inner.direct.iter().filter(|(s, _)| *s > seq) {
            connection.queue_replay(frame.clone());
        }
        inner.connection = Some(connection.clone());
        inner.parked = false;
        lost
    }

    /// Detaches the connection and describes the session for the store.
    /// Direct events sent until [`Self::mark_parked`] are kept here.
    pub(crate) fn detach(
        &self,
        rooms: Vec<(String, Option<MetaTag>)>,
        state: serde_json::Map<String, serde_json::Value>,
    ) -> SessionRecord {
        let mut inner = self.lock();
        inner.connection = None;
        self.record(&inner, rooms, state)
    }

    /// The session is in the store: direct events go there from now on.
    /// Returns those sent after `seq` (since [`Self::detach`]), for the store.
    pub(crate) fn mark_parked(&self, seq: u64) -> Vec<Frame> {
        let mut inner = self.lock();
        inner.parked = true;
        inner
            .direct
            .iter()
            .filter(|(s, _)| *s > seq)
            .map(|(_, frame)| frame.clone())
            .collect()
    }

    /// Describes the live session (a checkpoint for a shared store).
    pub(crate) fn snapshot(
        &self,
        rooms: Vec<(String, Option<MetaTag>)>,
        state: serde_json::Map<String, serde_json::Value>,
    ) -> SessionRecord {
        let inner = self.lock();
        self.record(&inner, rooms, state)
    }

    fn record(
        &self,
        inner: &Inner,
        rooms: Vec<(String, Option<MetaTag>)>,
        state: serde_json::Map<String, serde_json::Value>,
    ) -> SessionRecord {
        let rooms = rooms
            .into_iter()
            .map(|(room, meta)| {
                let joined = inner
                    .joined
                    .get(&room)
                    .map(|p| (p.epoch.to_string(), p.offset));
                RoomRecord::new(room, meta, joined)
            })
            .collect();
        SessionRecord {
            token: self.token.clone(),
            id: self.id.clone(),
            rooms,
            state,
            handled: inner.handled,
            seq: inner.seq,
            direct: inner
                .direct
                .iter()
                .map(|(seq, frame)| DirectEvent {
                    seq: *seq,
                    frame: frame.as_str().to_owned(),
                })
                .collect(),
            direct_capacity: inner.capacity,
            generation: self.generation,
            identity: self.identity.clone(),
        }
    }

    /// The session is over for good: sends fail from now on.
    pub(crate) fn end(&self) {
        let mut inner = self.lock();
        inner.ended = true;
        inner.connection = None;
    }

    /// What to do with a client event carrying this `zap-id`. Nothing is
    /// recorded: the id counts as handled only once its handler finished
    /// ([`Self::mark_handled`]).
    pub(crate) fn admit(&self, id: u64) -> Admit {
        let inner = self.lock();
        if id <= inner.handled {
            return Admit::Resend;
        }
        match inner.refused {
            // After a refusal, ids are taken in order again from the refused one.
            Some(refused) if id > refused => Admit::OutOfOrder,
            _ => Admit::Run,
        }
    }

    /// The handler of `zap-id` `id` finished (or failed and was reported):
    /// it may be acknowledged.
    pub(crate) fn mark_handled(&self, id: u64) {
        let mut inner = self.lock();
        inner.handled = inner.handled.max(id);
        if inner.refused.is_some_and(|refused| refused <= id) {
            inner.refused = None;
        }
    }

    /// Flood control refused `zap-id` `id`: later ids are dropped until it
    /// comes again (the caller tells the client with `zap.nack`).
    pub(crate) fn refuse(&self, id: u64) {
        let mut inner = self.lock();
        inner.refused = Some(inner.refused.map_or(id, |refused| refused.min(id)));
    }

    /// The id to acknowledge, when it moved since the last `zap.ack`.
    pub(crate) fn take_ack(&self) -> Option<u64> {
        let mut inner = self.lock();
        (inner.handled > inner.acked).then(|| {
            inner.acked = inner.handled;
            inner.handled
        })
    }

    /// The highest client event id handled.
    pub(crate) fn handled(&self) -> u64 {
        self.lock().handled
    }

    /// Replaces the join points of epoch `unsettled` by what `settle` says.
    pub(crate) fn settle_joins(&self, unsettled: &str, settle: impl Fn(&str) -> Option<Position>) {
        let mut inner = self.lock();
        for (room, position) in inner.joined.iter_mut() {
            if *position.epoch == *unsettled
                && let Some(settled) = settle(room)
            {
                *position = settled;
            }
        }
    }

    /// Records where the session joined a room with history.
    pub(crate) fn note_join(&self, room: &str, position: Position) {
        self.lock().joined.insert(room.to_owned(), position);
    }

    pub(crate) fn set_status(&self, status: RecoveryStatus) {
        self.lock().status = Some(status);
    }

    pub(crate) fn status(&self) -> Option<RecoveryStatus> {
        self.lock().status.clone()
    }

    /// The parked session reached the store: a resume can take it.
    pub(crate) fn mark_stored(&self) {
        self.stored.store(true, Ordering::Release);
        self.parked.notify_waiters();
    }

    pub(crate) fn is_stored(&self) -> bool {
        self.stored.load(Ordering::Acquire)
    }

    pub(crate) fn take_over(&self) {
        self.takeover.store(true, Ordering::Release);
    }

    pub(crate) fn is_taken_over(&self) -> bool {
        self.takeover.load(Ordering::Acquire)
    }
}

impl Inner {
    /// Keeps a numbered direct event for a resume and queues it on the
    /// attached connection.
    fn keep_and_queue(&mut self, seq: u64, frame: Frame) -> Result<Delivery, SendError> {
        self.direct.push_back((seq, frame.clone()));
        while self.direct.len() > self.capacity {
            self.direct.pop_front();
        }
        match &self.connection {
            Some(connection) => match connection.enqueue(frame) {
                Ok(()) => Ok(Delivery::queued()),
                // The connection is going away: the event waits for a resume.
                Err(SendError::Closed) => Ok(Delivery::held()),
                Err(err) => Err(err),
            },
            None => Ok(Delivery::held()),
        }
    }
}

impl std::fmt::Debug for SessionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionState")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

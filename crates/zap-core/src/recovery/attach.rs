//! Opening a recoverable connection: find (or create) its session, then,
//! once the connection is registered, put it back in its rooms with every
//! event it missed, replay its direct events, and queue `zap.session` first.

use std::sync::Arc;
use std::time::Duration;

use super::history::Position;
use super::request::ResumeRequest;
use super::stamp;
use super::state::SessionState;
use super::status::{NewReason, RecoveryStatus};
use super::store::{Lookup, SessionRecord};
use crate::transport::close_code;
use crate::{Connection, ConnectionId, ConnectionRouter, EventRegister, Handshake};

/// How long a resume waits for the connection it takes over to let go.
const TAKEOVER_TIMEOUT: Duration = Duration::from_secs(10);

/// A recoverable connection about to open.
#[derive(Debug)]
pub(crate) struct Attach {
    session: Arc<SessionState>,
    request: ResumeRequest,
    record: Option<SessionRecord>,
    reason: NewReason,
}

/// `None` for a connection that did not ask for recovery (plain v1).
pub(crate) async fn prepare(register: &EventRegister, handshake: &Handshake) -> Option<Attach> {
    let hub = register.router().hub();
    let config = hub.config();
    if !config.enabled {
        return None;
    }
    let request = ResumeRequest::parse(handshake)?;
    let store = hub.store();
    let mut reason = NewReason::Fresh;
    if let Some(token) = &request.token {
        take_over(register.router(), token).await;
        match store.take(token).await {
            Ok(Lookup::Found(record)) => {
                hub.wake(token);
                let session = Arc::new(SessionState::from_record(&record, store));
                return Some(Attach {
                    session,
                    request,
                    record: Some(*record),
                    reason,
                });
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
    let session = Arc::new(SessionState::new(token, id, store, config.direct_buffer));
    Some(Attach {
        session,
        request,
        record: None,
        reason,
    })
}

/// When the session is still carried by a live connection of this instance
/// (its client saw the link die before the server did), closes that
/// connection and waits until it has parked the session.
async fn take_over(router: &ConnectionRouter, token: &str) {
    let Some(old) = router.hub().live(token) else {
        return;
    };
    let Some(session) = old.session().cloned() else {
        return;
    };
    session.take_over();
    old.close_with(
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
    pub(crate) fn attach(self, router: &ConnectionRouter, connection: &Connection) {
        let hub = router.hub();
        let session = &self.session;
        hub.set_live(&session.token, connection);
        let direct_gap = session.attach(connection, self.request.seq);
        let mut gaps = Vec::new();
        if let Some(record) = &self.record {
            for room in &record.rooms {
                let client = self.request.rooms.get(&room.room);
                if !rejoin(
                    router,
                    connection,
                    session,
                    &room.room,
                    room.meta.clone(),
                    client,
                ) {
                    gaps.push(room.room.clone());
                }
            }
            hub.load_state(connection.extensions(), &record.state);
        }
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

/// Puts `connection` back in `room`, queuing the events it missed there
/// (while the room's log is held, so nothing falls between the replay and
/// live delivery). `false` when events were lost.
fn rejoin(
    router: &ConnectionRouter,
    connection: &Connection,
    session: &SessionState,
    room: &str,
    meta: Option<crate::MetaTag>,
    client: Option<&Position>,
) -> bool {
    let Some(log) = router.hub().log(room) else {
        router.join_quiet(room, connection, meta);
        return true;
    };
    let mut log = log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let current = log.position();
    // The client's own position, or where the session joined the room when
    // the client received nothing there.
    let from = client.cloned().or_else(|| session.joined(room));
    let replay = from.as_ref().map(|from| log.since(from, connection.id()));
    let recovered = match replay {
        Some(Ok(frames)) => {
            frames
                .into_iter()
                .for_each(|frame| connection.queue_replay(frame));
            true
        }
        Some(Err(_)) | None => {
            session.note_join(room, current);
            false
        }
    };
    router.join_quiet(room, connection, meta);
    recovered
}

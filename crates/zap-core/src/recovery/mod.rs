//! Delivery you can trust: room history with offsets and epochs, resumable
//! sessions, and exactly-once handling of client events (the "Recovery and
//! at-least-once delivery" extension of `docs/protocol.md`).
//!
//! Everything here is negotiated: a connection that did not ask for it
//! (`zap_recover=1` in the upgrade URL) sees plain v1, byte for byte.

mod attach;
mod config;
mod history;
mod hub;
mod park;
mod request;
pub(crate) mod room;
mod sequenced;
mod stamp;
mod state;
mod status;
mod store;

pub(crate) use attach::{Attach, prepare, request};
pub use config::RecoveryConfig;
pub use history::{History, Position};
pub(crate) use hub::{Hub, Identify};
pub(crate) use park::{Parking, park, should_park, wait_out};
pub(crate) use request::ResumeRequest;
pub use sequenced::{HistoryStore, stamp_room};
pub use stamp::{
    ACK_EVENT, EPOCH_HEADER, ID_HEADER, NACK_EVENT, OFFSET_HEADER, ROOM_HEADER, SEQ_HEADER,
    SESSION_EVENT,
};
pub(crate) use state::SessionState;
pub use status::{NewReason, RecoveryStatus};
pub use store::{
    DirectEvent, DirectTemplate, InMemorySessions, Lookup, PushDirect, RoomRecord, SessionRecord,
    SessionStore,
};

use crate::Connection;
use zap_protocol::EventData;

/// The client event to handle, with its `zap-id` (to mark it handled once
/// its handler finished); `None` for an event to drop silently: a resend of
/// one already handled, or one after a refused id. The `zap-id` is consumed
/// here: handlers see the event as the client's application sent it.
pub(crate) fn admit(connection: &Connection, event: EventData) -> Option<(EventData, Option<u64>)> {
    let Some(session) = connection.session() else {
        return Some((event, None));
    };
    let Some(id) = event
        .headers_opt()
        .and_then(|headers| headers.get(ID_HEADER))
        .and_then(serde_json::Value::as_u64)
    else {
        return Some((event, None));
    };
    if session.admit(id) != state::Admit::Run {
        return None;
    }
    let (name, payload, headers) = event.into_parts();
    let headers = headers.map(|mut headers| {
        headers.remove(ID_HEADER);
        headers
    });
    let headers = headers.filter(|headers| !headers.is_empty());
    Some((EventData::new(name, payload, headers), Some(id)))
}

/// The handler of client event `id` finished: it may be acknowledged.
pub(crate) fn handled(connection: &Connection, id: Option<u64>) {
    if let (Some(session), Some(id)) = (connection.session(), id) {
        session.mark_handled(id);
    }
}

/// Flood control refused client event `id`: the client is told to resend
/// from it after `retry_after` (`zap.nack`), and later ids are dropped
/// until it does.
pub(crate) fn refused(connection: &Connection, id: u64, retry_after: std::time::Duration) {
    if let Some(session) = connection.session() {
        session.refuse(id);
        let _ = connection.enqueue(stamp::nack_frame(id, retry_after));
    }
}

/// Records a live recoverable session in a shared store (after it opened,
/// joined or left a room), so it can resume elsewhere if this process dies.
pub(crate) fn checkpoint(router: &crate::ConnectionRouter, connection: &Connection) {
    let Some(session) = connection.session() else {
        return;
    };
    let hub = router.hub();
    let store = hub.store();
    if !store.is_shared() {
        return;
    }
    settle_joins(hub, session);
    let rooms = router.rooms_of(connection);
    let state = hub.save_state(connection.extensions());
    store.checkpoint(session.snapshot(rooms, state), hub.config().window);
}

/// Where a connection joining a room with history (whose log is `log`)
/// starts. A log fed by a shared store that has seen no event yet does not
/// know the store's position: the join point is settled when the session is
/// parked or checkpointed ([`settle_joins`]).
pub(crate) fn join_point(hub: &Hub, log: &history::RoomLog) -> Position {
    match log.is_fresh() && hub.history_store().is_some() {
        true => Position {
            epoch: UNSETTLED.into(),
            offset: 0,
        },
        false => log.position(),
    }
}

/// The epoch of a join point not settled yet.
const UNSETTLED: &str = "";

/// Settles the join points of `session` noted while the room's log was fresh.
pub(crate) fn settle_joins(hub: &Hub, session: &SessionState) {
    session.settle_joins(UNSETTLED, |room| {
        let log = hub.log(room)?;
        let log = log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        log.opened_at().cloned()
    });
}

/// The session of `connection` is over for good (a clean close): on every
/// instance, its token now starts afresh.
pub(crate) fn end(
    router: &crate::ConnectionRouter,
    connection: &Connection,
    session: &std::sync::Arc<SessionState>,
) -> crate::BackendFuture<()> {
    session.end();
    router.hub().unset_live(&session.token, connection);
    let ended = router.hub().store().end(&session.token, session.generation);
    let id = connection.id().clone();
    Box::pin(async move {
        if let Err(err) = ended.await {
            tracing::warn!(%id, %err, "session store unavailable: the ended session expires with its window");
        }
        Ok(())
    })
}

/// Queues `zap.ack` when the handled id moved since the last one.
pub(crate) fn queue_ack(connection: &Connection) {
    if let Some(session) = connection.session()
        && let Some(id) = session.take_ack()
    {
        let _ = connection.enqueue(stamp::ack_frame(id));
    }
}

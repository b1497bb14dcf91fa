//! Delivery you can trust: room history with offsets and epochs, resumable
//! sessions, and exactly-once handling of client events (the "Recovery and
//! at-least-once delivery" extension of `docs/protocol.md`).
//!
//! Everything here is negotiated: a connection that did not ask for it
//! (`zap_recover=1` in the upgrade URL) sees plain v1, byte for byte.
//!
//! This module is the data side of recovery, behind the store boundary:
//! room logs, session state and records, the [`SessionStore`] and
//! [`HistoryStore`] traits with their in-memory implementations, and the
//! wire stamps. It knows nothing of connections or routers: the session
//! loop and the router call it (`crate::resume`, `crate::outbound`).

mod config;
pub(crate) mod history;
pub(crate) mod hub;
mod request;
mod sequenced;
pub(crate) mod stamp;
mod state;
mod status;
mod store;

pub use config::RecoveryConfig;
pub use history::{History, Position};
pub(crate) use hub::{Hub, Identify};
pub(crate) use request::ResumeRequest;
pub use sequenced::{HistoryStore, stamp_room};
pub use stamp::{
    ACK_EVENT, EPOCH_HEADER, ID_HEADER, NACK_EVENT, OFFSET_HEADER, ROOM_HEADER, SEQ_HEADER,
    SESSION_EVENT,
};
pub(crate) use state::{Admit, Outlet, SessionState};
pub use status::{NewReason, RecoveryStatus};
pub use store::{
    DirectEvent, DirectTemplate, InMemorySessions, Lookup, PushDirect, RoomRecord, SessionRecord,
    SessionStore,
};

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

//! Resumable sessions on the server's side: opening a recoverable
//! connection (finding or starting its session, attaching it), parking it
//! when its link drops, ending it, and admitting and acknowledging its
//! client events. The orchestration between the session loop, the router
//! and the recovery data behind the store boundary (`crate::recovery`).

mod attach;
mod park;

pub(crate) use attach::{Attach, prepare, request};
pub(crate) use park::{Parking, park, should_park, wait_out};

use zap_protocol::EventData;

use crate::Connection;
use crate::recovery::{SessionState, settle_joins, stamp};

/// The client event to handle, with its `zap-id` (to mark it handled once
/// its handler finished); `None` for an event to drop silently: a resend of
/// one already handled, or one after a refused id. The `zap-id` is consumed
/// here: handlers see the event as the client's application sent it.
pub(crate) fn admit(connection: &Connection, event: &EventData) -> Admission {
    let Some(session) = connection.session() else {
        return Admission::Run(None);
    };
    // Decoding took the id out of the headers: the handler sees the event
    // as the client's application sent it.
    let Some(id) = event.client_id() else {
        return Admission::Run(None);
    };
    if session.admit(id) != crate::recovery::Admit::Run {
        return Admission::Skip;
    }
    Admission::Run(Some(id))
}

/// What [`admit`] decided for a client event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Handle it; with its `zap-id`, acknowledged once handled.
    Run(Option<u64>),
    /// A resend of an event already handled, or one after a refused id
    /// (the client resends from that one): dropped.
    Skip,
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

/// The session of `connection` is over for good (a clean close): on every
/// instance, its token now starts afresh.
pub(crate) fn end(
    router: &crate::ConnectionRouter,
    connection: &Connection,
    session: &std::sync::Arc<SessionState>,
) -> crate::BackendFuture<()> {
    session.end();
    router.hub().unset_live(&session.token, session.generation);
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

//! The end of a recoverable connection: whether it ends the session or
//! parks it for a resume, and waiting out the window.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::state::SessionState;
use crate::transport::close_code;
use crate::{Connection, ConnectionRouter, EndReason};

/// What became of a parked session.
#[derive(Debug)]
pub(crate) enum Parking {
    /// Resumed (here or elsewhere), or left for another instance: the
    /// session goes on without this task.
    Resumed,
    /// The window expired (or the server shut down): the session is over.
    Ended,
}

/// Whether a connection that ended with `end` keeps its session resumable.
/// A clean close (the client's close frame with code 1000,
/// `Connection::close`) ends it; a drop, a timeout, a slow reader cut off, a
/// takeover, or a client going away (1001: a page being reloaded) parks it.
/// A shutdown parks it only when the store outlives this process.
pub(crate) fn should_park(
    end: &EndReason,
    connection: &Connection,
    session: &SessionState,
    shared: bool,
) -> bool {
    if session.is_taken_over() {
        return true;
    }
    match end {
        EndReason::PeerClosed(Some(frame)) => frame.code == close_code::GOING_AWAY,
        EndReason::PeerClosed(None) | EndReason::DuplicateId => false,
        EndReason::Closed(_) => connection.closed_abortively(),
        EndReason::Shutdown => shared,
        _ => true,
    }
}

/// What a parked session costs besides its record: the connection handle,
/// the session state and the task waiting out the window.
const PARKED_OVERHEAD: usize = 4096;

/// The bytes a parked session holds, for [`RecoveryConfig::max_parked_bytes`](super::RecoveryConfig::max_parked_bytes).
fn parked_size(record: &super::SessionRecord) -> usize {
    let rooms: usize = record.rooms.iter().map(|room| room.room.len() + 64).sum();
    let state: usize = record
        .state
        .iter()
        .map(|(key, value)| key.len() + value.to_string().len())
        .sum();
    let direct: usize = record
        .direct
        .iter()
        .map(|event| event.frame.len() + 16)
        .sum();
    PARKED_OVERHEAD + rooms + state + direct
}

/// A session in the store, waiting out its window.
pub(crate) struct Parked {
    waiter: Arc<tokio::sync::Notify>,
}

/// Parks the session of `connection` (which has ended and run its last
/// handler): leaves its rooms without telling them, hands the session to
/// the store and takes it out of the router. When this returns, a resume
/// finds the session (on any instance, with a shared store). `Err` when
/// the session goes no further here: resumed elsewhere meanwhile, or the
/// store is unreachable (it ends).
pub(crate) async fn park(
    router: &ConnectionRouter,
    connection: &Connection,
    session: &Arc<SessionState>,
) -> Result<Parked, Parking> {
    let hub = router.hub();
    let store = hub.store();
    let window = hub.config().window;
    super::settle_joins(hub, session);
    let rooms = router.leave_quiet(connection);
    let state = hub.save_state(connection.extensions());
    let record = session.detach(rooms, state);
    let seq = record.seq;
    let bytes = parked_size(&record);
    let waiter = hub.waiter(&session.token);
    let parked = store.park(record, window).await;
    if let Ok(true) = parked {
        // Direct events sent while the record was on its way follow it.
        for frame in session.mark_parked(seq) {
            store.push_direct(connection.id(), &frame);
        }
    }
    // Kept in the router until now, so that `send_to` reached the session.
    router.remove(connection);
    // Only now may a resume look for it (a takeover waits for this).
    session.mark_stored();
    hub.unset_live(&session.token, connection);
    match parked {
        Ok(true) => {
            tracing::debug!(id = %connection.id(), ?window, "session parked");
            hub.note_parked(&session.token, bytes);
            Ok(Parked { waiter })
        }
        Ok(false) => {
            tracing::debug!(id = %connection.id(), "session already resumed elsewhere");
            session.end();
            hub.forget_waiter(&session.token);
            Err(Parking::Resumed)
        }
        Err(err) => {
            tracing::warn!(id = %connection.id(), %err, "session store unavailable: session ends");
            hub.forget_waiter(&session.token);
            session.end();
            Err(Parking::Ended)
        }
    }
}

/// Waits out the window of a parked session: resumed (here or elsewhere),
/// or expired (then it is over: the caller runs `disconnected`).
pub(crate) async fn wait_out(
    parked: Parked,
    router: &ConnectionRouter,
    connection: &Connection,
    session: &Arc<SessionState>,
    shutdown: &CancellationToken,
) -> Parking {
    let hub = router.hub();
    let store = hub.store();
    let window = hub.config().window;
    let resumed_here = tokio::select! {
        () = parked.waiter.notified() => true,
        () = tokio::time::sleep(window) => false,
        () = shutdown.cancelled(), if !store.is_shared() => false,
        () = shutdown.cancelled(), if store.is_shared() => true,
    };
    hub.forget_waiter(&session.token);
    let evicted = hub.unpark(&session.token);
    if resumed_here && !evicted {
        return Parking::Resumed;
    }
    match store.expire(&session.token, session.generation).await {
        Ok(Some(record)) => {
            session.end();
            for room in &record.rooms {
                router.announce(&room.room, connection.id(), "leave", room.meta.as_ref());
            }
            tracing::debug!(id = %connection.id(), "session expired");
            Parking::Ended
        }
        Ok(None) => Parking::Resumed,
        Err(err) => {
            tracing::warn!(id = %connection.id(), %err, "session store unavailable at expiry");
            Parking::Resumed
        }
    }
}

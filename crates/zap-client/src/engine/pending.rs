//! [`Pending`]: requests waiting for their reply, by request id.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;
use zap_protocol::EventData;

type Waiting = HashMap<String, oneshot::Sender<EventData>>;

/// The requests in flight. Ids are `<prefix>-<n>`: the counter makes them
/// unique for the client's lifetime, the random per-client prefix keeps
/// them apart from other clients' ids (a server or a proxy that keys
/// requests by id across connections sees no collision).
#[derive(Debug)]
pub(crate) struct Pending {
    prefix: String,
    next_id: AtomicU64,
    waiting: Arc<Mutex<Waiting>>,
}

/// One request's wait for its reply; dropping it forgets the request, so a
/// cancelled or timed-out `request()` leaves nothing behind.
#[derive(Debug)]
pub(crate) struct Ticket {
    id: String,
    reply: oneshot::Receiver<EventData>,
    waiting: Arc<Mutex<Waiting>>,
}

fn lock(waiting: &Mutex<Waiting>) -> MutexGuard<'_, Waiting> {
    waiting.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Pending {
    pub(crate) fn new() -> Self {
        Pending {
            prefix: format!("{:016x}", super::random::bits()),
            next_id: AtomicU64::new(0),
            waiting: Arc::default(),
        }
    }

    /// Registers a new request and returns its ticket.
    pub(crate) fn register(&self) -> Ticket {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let id = format!("{}-{n}", self.prefix);
        let (tx, reply) = oneshot::channel();
        lock(&self.waiting).insert(id.clone(), tx);
        Ticket {
            id,
            reply,
            waiting: Arc::clone(&self.waiting),
        }
    }

    /// Hands a reply to the request `id`. Returns the event back when no
    /// request with that id is waiting (unknown, timed out or already
    /// answered), so it can be delivered as an ordinary event.
    pub(crate) fn resolve(&self, id: &str, event: EventData) -> Option<EventData> {
        match lock(&self.waiting).remove(id) {
            Some(tx) => tx.send(event).err(),
            None => Some(event),
        }
    }

    /// The connection ended: every waiting request fails.
    pub(crate) fn fail_all(&self) {
        lock(&self.waiting).clear();
    }
}

impl Ticket {
    /// The request id, for the `zap-request-id` header.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// Waits for the reply; `None` when the connection ended first.
    pub(crate) async fn reply(&mut self) -> Option<EventData> {
        (&mut self.reply).await.ok()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        lock(&self.waiting).remove(&self.id);
    }
}

//! [`Link`]: the way from `send_event` to the socket — the live send queue and the outbox.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::mpsc;
use zap_protocol::EventData;

use crate::{ConnectionState, SendError};

/// Where a sent event goes: into the live connection's bounded queue when
/// online, into the bounded outbox while a connection attempt is under way
/// (when the outbox is enabled), nowhere otherwise (an error at once).
#[derive(Debug)]
pub(crate) struct Link {
    inner: Mutex<Inner>,
    queue_capacity: usize,
    outbox_capacity: usize,
}

/// An event in the live send queue, encoded when it is written (with its
/// `zap-id` when the server offers recovery). Requests are tagged: they are
/// never put back into the outbox, since their caller has been told the
/// connection was lost (requests never wait in the outbox).
#[derive(Debug)]
pub(crate) struct Queued {
    pub(crate) event: EventData,
    pub(crate) request: bool,
}

#[derive(Debug, Default)]
struct Inner {
    live: Option<mpsc::Sender<Queued>>,
    outbox: VecDeque<EventData>,
    holding: bool,
    closed: bool,
    /// The outbox holds at least this many (recovery offered by the server).
    floor: usize,
}

impl Link {
    pub(crate) fn new(queue_capacity: usize, outbox_capacity: usize) -> Self {
        Link {
            inner: Mutex::new(Inner::default()),
            queue_capacity,
            outbox_capacity,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The outbox holds at least `floor` events from now on (the journal's
    /// bound while the server offers recovery; 0 otherwise).
    pub(crate) fn set_floor(&self, floor: usize) {
        self.lock().floor = floor;
    }

    fn outbox_capacity(&self, inner: &Inner) -> usize {
        self.outbox_capacity.max(inner.floor)
    }

    /// Queues `frame` for the socket, or holds it in the outbox. `state` is
    /// read under the link's lock, for the error: a session sets its end
    /// state before it detaches the queue, so a refusal never says `Online`.
    pub(crate) fn send(
        &self,
        event: EventData,
        state: impl FnOnce() -> ConnectionState,
    ) -> Result<(), SendError> {
        let mut inner = self.lock();
        if inner.closed {
            return Err(SendError::Cleaned);
        }
        if let Some(live) = &inner.live {
            let queued = Queued {
                event,
                request: false,
            };
            return live.try_send(queued).map_err(|_| SendError::Full {
                capacity: self.queue_capacity,
            });
        }
        // Only an outbox the application asked for holds new events: the
        // recovery floor keeps what was accepted while online (put back),
        // it does not turn `NotOnline` into a silent `Ok`.
        let capacity = self.outbox_capacity;
        if !inner.holding || capacity == 0 {
            return Err(SendError::NotOnline { state: state() });
        }
        if inner.outbox.len() >= capacity {
            return Err(SendError::Full { capacity });
        }
        inner.outbox.push_back(event);
        Ok(())
    }

    /// Queues `frame` only if online (requests never wait in the outbox).
    pub(crate) fn send_live(
        &self,
        event: EventData,
        state: impl FnOnce() -> ConnectionState,
    ) -> Result<(), SendError> {
        let inner = self.lock();
        match (&inner.live, inner.closed) {
            (_, true) => Err(SendError::Cleaned),
            (Some(live), false) => {
                let queued = Queued {
                    event,
                    request: true,
                };
                live.try_send(queued).map_err(|_| SendError::Full {
                    capacity: self.queue_capacity,
                })
            }
            (None, false) => Err(SendError::NotOnline { state: state() }),
        }
    }

    /// A connection attempt starts (`true`) or the client stops trying
    /// (`false`). Stopping discards the outbox and returns how many events
    /// it held.
    pub(crate) fn hold(&self, holding: bool) -> usize {
        let mut inner = self.lock();
        inner.holding = holding;
        if holding {
            0
        } else {
            let discarded = inner.outbox.len();
            inner.outbox.clear();
            discarded
        }
    }

    /// Goes online: makes `tx` the live queue and hands over the events
    /// held in the outbox, in one step. The session writes them before
    /// anything from `tx`, so held events go out in order and before any
    /// event sent after going online.
    pub(crate) fn open(&self, tx: mpsc::Sender<Queued>) -> Vec<EventData> {
        let mut inner = self.lock();
        inner.live = Some(tx);
        inner.outbox.drain(..).collect()
    }

    /// The connection is ending: sending no longer reaches it.
    pub(crate) fn detach(&self) {
        self.lock().live = None;
    }

    /// Puts events that were accepted but not written back at the front of
    /// the outbox while reconnecting with an outbox, keeping its capacity:
    /// past it the newest are dropped (as a full outbox refuses new events).
    /// Without an outbox, or when the client stops trying, all are dropped.
    /// Returns how many were dropped.
    pub(crate) fn put_back(&self, events: Vec<EventData>) -> usize {
        let mut inner = self.lock();
        let capacity = self.outbox_capacity(&inner);
        if !inner.holding || capacity == 0 {
            return events.len();
        }
        for event in events.into_iter().rev() {
            inner.outbox.push_front(event);
        }
        let dropped = inner.outbox.len().saturating_sub(capacity);
        tracing::trace!(
            held = inner.outbox.len(),
            capacity,
            "put back into the outbox"
        );
        inner.outbox.truncate(capacity);
        dropped
    }

    /// No more sending, for good (the outbox was already discarded when
    /// the supervisor stopped).
    pub(crate) fn close(&self) {
        let mut inner = self.lock();
        inner.closed = true;
        inner.live = None;
        inner.outbox.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(names: &[&str]) -> Vec<EventData> {
        names
            .iter()
            .map(|name| EventData::with_payload(*name, &(), None).expect("encodes"))
            .collect()
    }

    fn outbox(link: &Link) -> Vec<String> {
        let inner = link.lock();
        let events = inner.outbox.iter();
        events.map(|event| event.event_name().to_owned()).collect()
    }

    #[test]
    fn putting_back_keeps_the_outbox_capacity_and_drops_the_newest() {
        let link = Link::new(8, 3);
        link.hold(true);
        link.send(frames(&["new"]).remove(0), || ConnectionState::Error)
            .expect("held");
        let dropped = link.put_back(frames(&["a", "b", "c", "d"]));
        assert_eq!(dropped, 2);
        assert_eq!(outbox(&link), ["a", "b", "c"]);
    }

    #[test]
    fn without_an_outbox_everything_put_back_is_dropped() {
        let link = Link::new(8, 0);
        link.hold(true);
        assert_eq!(link.put_back(frames(&["a", "b"])), 2);
        let link = Link::new(8, 4);
        assert_eq!(link.put_back(frames(&["a"])), 1, "not holding");
    }

    #[test]
    fn the_floor_of_a_recovering_session_holds_no_new_event() {
        let link = Link::new(8, 0);
        link.hold(true);
        link.set_floor(2);
        let refused = link.send(frames(&["new"]).remove(0), || ConnectionState::Error);
        assert!(
            matches!(
                refused,
                Err(SendError::NotOnline {
                    state: ConnectionState::Error
                })
            ),
            "{refused:?}"
        );
        assert!(outbox(&link).is_empty());
    }

    #[test]
    fn the_floor_of_a_recovering_session_keeps_events_without_an_outbox() {
        let link = Link::new(8, 0);
        link.hold(true);
        link.set_floor(2);
        assert_eq!(link.put_back(frames(&["a", "b", "c"])), 1);
        assert_eq!(outbox(&link), ["a", "b"]);
    }
}

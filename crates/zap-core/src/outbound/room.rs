//! Room events on the one delivery path: a room with history gives each
//! event its offset (here, or centrally in a shared [`HistoryStore`]),
//! records it, and queues it for every member, stamped for those that
//! asked for recovery and plain for the others, while the room's log is
//! held, so every member receives the room's events in offset order.

use serde::Serialize;
use zap_protocol::Frame;

use crate::backend::Target;
use crate::outbound::{self, Outgoing};
use crate::recovery::hub::SharedLog;
use crate::recovery::{stamp, stamp_room};
use crate::router::Remote;
use crate::{ConnectionId, ConnectionRouter, Delivery, SendError};

/// Sends one event to `room`, minus `except`, on every instance.
pub(crate) fn send<P: Serialize + ?Sized>(
    router: &ConnectionRouter,
    room: &str,
    except: &[ConnectionId],
    event: &Outgoing<'_, P>,
) -> Result<Delivery, SendError> {
    let hub = router.hub();
    if let Some(history) = hub.history_of(room)
        && let Some(store) = hub.history_store()
    {
        // The store sequences the event, and every instance (this one
        // included) delivers it when it comes back: one order everywhere.
        let frame = zap_protocol::encode(event.name, event.payload, event.headers)?;
        let remote = match store.append(room, except, &frame, &history) {
            Ok(()) => Remote::Published,
            Err(err) => Remote::Dropped(err),
        };
        return Ok(Delivery {
            remote,
            ..Delivery::default()
        });
    }
    let target = Target::Room(room.to_owned());
    let Some(log) = hub.log(room) else {
        let frame = zap_protocol::encode(event.name, event.payload, event.headers)?;
        let mut delivery = outbound::local(router, &target, except, &frame);
        delivery.remote = outbound::publish(router, target, except, &frame);
        return Ok(delivery);
    };
    let (mut delivery, plain) = sequence(router, &log, room, except, event)?;
    if router.backend().is_distributed() {
        // History in this process only: the other instances record it in
        // their own logs when it arrives.
        let plain = match plain {
            Some(plain) => plain,
            None => zap_protocol::encode(event.name, event.payload, event.headers)?,
        };
        delivery.remote = outbound::publish(router, target, except, &plain);
    }
    Ok(delivery)
}

/// Gives the event the room's next offset in this process's log, records
/// it and queues it for the local members. Returns the plain frame when a
/// v1 member needed it.
fn sequence<P: Serialize + ?Sized>(
    router: &ConnectionRouter,
    log: &SharedLog,
    room: &str,
    except: &[ConnectionId],
    event: &Outgoing<'_, P>,
) -> Result<(Delivery, Option<Frame>), SendError> {
    let mut log = log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (epoch, offset) = log.next();
    let stamped = stamp::encode_room(
        event.name,
        event.payload,
        event.headers,
        (room, epoch, offset),
    )?;
    log.push(stamped.clone(), except);

    let mut plain: Option<Frame> = None;
    let mut failed = None;
    let mut delivery = Delivery::default();
    router.for_each_member(room, |connection| {
        if except.iter().any(|id| id == connection.id()) {
            return;
        }
        let frame = if connection.is_recoverable() {
            stamped.clone()
        } else if let Some(plain) = &plain {
            plain.clone()
        } else {
            match zap_protocol::encode(event.name, event.payload, event.headers) {
                Ok(frame) => plain.insert(frame).clone(),
                Err(err) => {
                    failed = Some(err);
                    return;
                }
            }
        };
        delivery.count(connection.enqueue(frame));
    });
    match failed {
        Some(err) => Err(err.into()),
        None => Ok((delivery, plain)),
    }
}

/// A plain room event published by another instance, for a room whose
/// history this process keeps: recorded in the local log like a local send.
pub(crate) fn record_arrival(
    router: &ConnectionRouter,
    room: &str,
    except: &[ConnectionId],
    frame: &Frame,
) -> Delivery {
    let Some(log) = router.hub().log(room) else {
        return outbound::local(router, &Target::Room(room.to_owned()), except, frame);
    };
    let event = match zap_protocol::decode(frame.as_str()) {
        Ok(event) => event,
        Err(err) => {
            tracing::warn!(%err, room, "not an event: not delivered to a room with history");
            return Delivery::default();
        }
    };
    let headers = (!event.headers().is_empty()).then(|| event.headers());
    let outgoing = Outgoing {
        name: event.event_name(),
        payload: event.payload(),
        headers,
    };
    sequence(router, &log, room, except, &outgoing)
        .map(|(delivery, _)| delivery)
        .unwrap_or_default()
}

/// An event the shared history store gave `offset` in `epoch`, delivered
/// to this instance's members of `room` (every instance does this).
pub(crate) fn deliver_sequenced(
    router: &ConnectionRouter,
    room: &str,
    except: &[ConnectionId],
    frame: &Frame,
    epoch: &str,
    offset: u64,
) -> Delivery {
    let Some(log) = router.hub().log(room) else {
        return outbound::local(router, &Target::Room(room.to_owned()), except, frame);
    };
    let Some(stamped) = stamp_room(frame, room, epoch, offset) else {
        tracing::warn!(room, "not an event: not delivered");
        return Delivery::default();
    };
    let mut log = log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !log.accept(epoch, offset, stamped.clone(), except) {
        return Delivery::default(); // already delivered
    }
    router.hub().accepted.notify_waiters();
    let mut delivery = Delivery::default();
    router.for_each_member(room, |connection| {
        if except.iter().any(|id| id == connection.id()) {
            return;
        }
        let frame = match connection.is_recoverable() {
            true => stamped.clone(),
            false => frame.clone(),
        };
        delivery.count(connection.enqueue(frame));
    });
    delivery
}

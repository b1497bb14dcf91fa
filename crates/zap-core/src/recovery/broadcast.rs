//! Broadcasting to a room with history: the event gets the room's next
//! offset, is encoded once with its stamp for members that asked for
//! recovery (and once plain, only if a v1 member needs it), recorded, and
//! queued for every member while the room's log is held, so every member
//! receives the room's events in offset order.

use serde::Serialize;
use zap_protocol::{EncodeError, Frame, Headers};

use super::hub::SharedLog;
use super::stamp;
use crate::{ConnectionId, ConnectionRouter, Delivery, SendError};

/// Sends one event to `room` (whose log is `log`), minus `except`.
pub(crate) fn send<P: Serialize + ?Sized>(
    router: &ConnectionRouter,
    log: &SharedLog,
    room: &str,
    except: &[ConnectionId],
    event_name: &str,
    payload: &P,
    headers: Option<&Headers>,
) -> Result<Delivery, EncodeError> {
    let mut log = log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (epoch, offset) = log.next();
    let stamped_headers = stamp::room_headers(headers, room, epoch, offset);
    let stamped = zap_protocol::encode(event_name, payload, Some(&stamped_headers))?;
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
            match zap_protocol::encode(event_name, payload, headers) {
                Ok(frame) => plain.insert(frame).clone(),
                Err(err) => {
                    failed = Some(err);
                    return;
                }
            }
        };
        match connection.send_frame(frame) {
            Ok(()) => delivery.delivered += 1,
            Err(SendError::Full { .. }) => delivery.full += 1,
            Err(_) => delivery.closed += 1,
        }
    });
    match failed {
        Some(err) => Err(err),
        None => Ok(delivery),
    }
}

/// Sends an already encoded event to `room` (decoded once to be stamped).
pub(crate) fn send_frame(
    router: &ConnectionRouter,
    log: &SharedLog,
    room: &str,
    except: &[ConnectionId],
    frame: &Frame,
) -> Delivery {
    match zap_protocol::decode(frame.as_str()) {
        Ok(event) => {
            let headers = (!event.headers().is_empty()).then(|| event.headers().clone());
            send(
                router,
                log,
                room,
                except,
                event.event_name(),
                event.payload(),
                headers.as_ref(),
            )
            .unwrap_or_default()
        }
        Err(err) => {
            tracing::warn!(%err, room, "not an event: not sent to a room with history");
            Delivery::default()
        }
    }
}

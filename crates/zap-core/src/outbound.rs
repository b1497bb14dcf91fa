//! The one delivery path. Every outbound event, whatever API sent it
//! (`Connection::send`, both reply APIs, typed `emit`, `send_to` here or on
//! another instance, a room broadcast here or arriving from the bus) goes
//! through [`send`] or [`arrived`]: they stamp it (direct sequence number or
//! room offset), record it (session buffer, room history), meter it and
//! queue it. Nothing else queues an event on a connection.

use serde::Serialize;
use zap_protocol::{EncodeError, Frame, Headers};

use crate::backend::Target;
use crate::recovery::{self, PushDirect};
use crate::router::Remote;
use crate::{Connection, ConnectionId, ConnectionRouter, Delivery, SendError, telemetry};

/// Where an event goes (besides one connection held by handle: see
/// [`to_connection`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Dest<'a> {
    /// One connection, by id, wherever it is.
    Id(&'a str),
    /// The members of a room, on every instance.
    Room(&'a str),
    /// Every connection, on every instance.
    All,
}

/// An event to send: its name, payload and headers, encoded lazily (at
/// most once per form).
pub(crate) struct Outgoing<'a, P: ?Sized> {
    pub(crate) name: &'a str,
    pub(crate) payload: &'a P,
    pub(crate) headers: Option<&'a Headers>,
}

impl<P: Serialize + ?Sized> Outgoing<'_, P> {
    fn plain(&self) -> Result<Frame, EncodeError> {
        zap_protocol::encode(self.name, self.payload, self.headers)
    }
}

/// Sends an event (the front of every public send API).
pub(crate) fn send<P: Serialize + ?Sized>(
    router: &ConnectionRouter,
    dest: Dest<'_>,
    except: &[ConnectionId],
    event: Outgoing<'_, P>,
) -> Result<Delivery, SendError> {
    let delivery = match dest {
        Dest::Id(id) => to_id(router, id, &event)?,
        Dest::Room(room) => recovery::room::send(router, room, except, &event)?,
        Dest::All => {
            let frame = event.plain()?;
            let mut delivery = local(router, &Target::All, except, &frame);
            delivery.remote = publish(router, Target::All, except, &frame);
            delivery
        }
    };
    telemetry::events_out(event.name, delivery.delivered);
    Ok(delivery)
}

/// Sends an event to one connection held by handle.
pub(crate) fn to_connection<P: Serialize + ?Sized>(
    connection: &Connection,
    event: Outgoing<'_, P>,
) -> Result<Delivery, SendError> {
    let delivery = direct(connection, &event)?;
    telemetry::events_out(event.name, delivery.delivered);
    Ok(delivery)
}

/// A direct event to a live connection of this instance: stamped with the
/// session's next `zap-seq` and kept for a resume when the client asked
/// for recovery.
fn direct<P: Serialize + ?Sized>(
    connection: &Connection,
    event: &Outgoing<'_, P>,
) -> Result<Delivery, SendError> {
    if let Some(session) = connection.session() {
        return session.send_direct(event.name, event.payload, event.headers);
    }
    if connection.is_closed() {
        return Err(SendError::Closed);
    }
    connection.enqueue(event.plain()?)?;
    Ok(Delivery::queued())
}

/// A direct event by id: here, kept for a session parked here, or handed
/// to the other instances.
fn to_id<P: Serialize + ?Sized>(
    router: &ConnectionRouter,
    id: &str,
    event: &Outgoing<'_, P>,
) -> Result<Delivery, SendError> {
    if let Some(connection) = router.connection(id) {
        return direct(&connection, event);
    }
    let frame = event.plain()?;
    let id = ConnectionId::new(id);
    match router.hub().store().push_direct(&id, &frame) {
        PushDirect::Kept => return Ok(Delivery::held()),
        PushDirect::Handed => {
            return Ok(Delivery {
                remote: Remote::Published,
                ..Delivery::default()
            });
        }
        PushDirect::NotHere => {}
    }
    if !router.backend().is_distributed() {
        return Err(SendError::NotFound(id));
    }
    match publish(router, Target::Connection(id), &[], &frame) {
        Remote::Dropped(err) => Err(SendError::Backend(err)),
        remote => Ok(Delivery {
            remote,
            ..Delivery::default()
        }),
    }
}

/// Hands `frame` to the other instances (a no-op on a single instance).
pub(crate) fn publish(
    router: &ConnectionRouter,
    target: Target,
    except: &[ConnectionId],
    frame: &Frame,
) -> Remote {
    let backend = router.backend();
    if !backend.is_distributed() {
        return Remote::None;
    }
    match backend.publish(target, except, frame) {
        Ok(()) => Remote::Published,
        Err(err) => Remote::Dropped(err),
    }
}

/// Queues an already encoded event for the matching connections of this
/// instance, each through the one path: a direct event to a recoverable
/// connection is stamped and kept by its session, a room with history
/// records it.
pub(crate) fn local(
    router: &ConnectionRouter,
    target: &Target,
    except: &[ConnectionId],
    frame: &Frame,
) -> Delivery {
    let mut delivery = Delivery::default();
    let mut queue = |connection: &Connection| {
        if except.iter().any(|id| id == connection.id()) {
            return;
        }
        delivery.count(connection.enqueue(frame.clone()));
    };
    match target {
        Target::Room(room) => router.for_each_member(room, |member| queue(member)),
        Target::All => router.for_each_connection(|connection| queue(connection)),
        Target::Connection(id) => {
            if let Some(connection) = router.connection(id.as_str()) {
                delivery.count(direct_frame(&connection, frame).map(|_| ()));
            } else if !router.hub().store().is_shared()
                && router.hub().store().push_direct(id, frame) == PushDirect::Kept
            {
                // A session parked in this process (a shared store got the
                // event from its sender already).
                delivery.kept += 1;
            }
        }
    }
    delivery
}

/// A direct event encoded elsewhere (another instance), to a connection of
/// this instance: restamped with the session's sequence number.
fn direct_frame(connection: &Connection, frame: &Frame) -> Result<Delivery, SendError> {
    let Some(session) = connection.session() else {
        connection.enqueue(frame.clone())?;
        return Ok(Delivery::queued());
    };
    let event = zap_protocol::decode(frame.as_str()).map_err(|err| {
        tracing::warn!(%err, "a frame from another instance is not an event: dropped");
        SendError::Closed
    })?;
    let headers = (!event.headers().is_empty()).then(|| event.headers());
    session.send_direct(event.event_name(), event.payload(), headers)
}

/// A direct event a shared session store numbered `seq`, for connection
/// `id` of this instance (the store hands it to every instance; the one
/// holding the connection queues it).
pub(crate) fn numbered(router: &ConnectionRouter, id: &str, seq: u64, frame: &Frame) -> Delivery {
    match router.connection(id) {
        Some(connection) => match connection.session() {
            Some(session) => session.deliver(seq, frame.clone()),
            None => {
                let mut delivery = Delivery::default();
                delivery.count(connection.enqueue(frame.clone()));
                delivery
            }
        },
        None => Delivery::default(),
    }
}

/// What another instance published (the backend hands it over): delivered
/// here through the same path as a local send.
pub(crate) fn arrived(
    router: &ConnectionRouter,
    target: &Target,
    except: &[ConnectionId],
    frame: &Frame,
) -> Delivery {
    match target {
        Target::Room(room) if router.hub().log(room).is_some() => {
            recovery::room::record_arrival(router, room, except, frame)
        }
        _ => local(router, target, except, frame),
    }
}

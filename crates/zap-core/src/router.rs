//! [`ConnectionRouter`]: every live connection of a register, the rooms they
//! joined, and sending to one, to a room or to everyone.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::Serialize;
use zap_protocol::{EncodeError, Frame, Headers};

use crate::{Connection, ConnectionId, MetaTag, SendError};

/// The connections of one [`EventRegister`](crate::EventRegister) and their
/// rooms (the Python `ConnectionRouter` and the Dart `RoomManager` in one).
///
/// Every connection served with a register is added when it opens and
/// removed, leaving all its rooms, when it ends. Cheap to clone; usable from
/// any task, inside or outside handlers. A broadcast encodes its event once
/// and queues the same bytes for every recipient; it never waits on a slow
/// recipient.
///
/// ```
/// # async fn demo(ctx: zap_core::EventContext) -> zap_core::HandlerResult {
/// use serde_json::json;
/// let router = ctx.router();
/// router.join("lobby", ctx.connection());
/// router
///     .to("lobby")
///     .except(ctx.connection().id())
///     .send("joined", json!({"id": ctx.connection().id().as_str()}), None)?;
/// router.all().send("online", router.count(), None)?;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct ConnectionRouter(Arc<Inner>);

#[derive(Default)]
struct Inner {
    connections: RwLock<HashMap<ConnectionId, Connection>>,
    rooms: RwLock<HashMap<Arc<str>, HashMap<ConnectionId, Member>>>,
}

/// One member of a room: the connection and the metadata it joined with.
#[derive(Debug, Clone)]
pub struct Member {
    /// The member's connection.
    pub connection: Connection,
    /// The metadata given to [`ConnectionRouter::join_with_meta`], if any.
    pub meta: Option<MetaTag>,
}

/// How a broadcast went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivery {
    /// Recipients whose queue took the event.
    pub delivered: usize,
    /// Recipients whose queue was full (see [`OverflowPolicy`](crate::OverflowPolicy)).
    pub full: usize,
    /// Recipients that were closing or gone.
    pub closed: usize,
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

impl ConnectionRouter {
    /// An empty router.
    pub fn new() -> Self {
        ConnectionRouter::default()
    }

    /// Adds a live connection; `false` if its id is already taken.
    pub(crate) fn add(&self, connection: &Connection) -> bool {
        match write(&self.0.connections).entry(connection.id().clone()) {
            Entry::Occupied(_) => false,
            Entry::Vacant(slot) => {
                slot.insert(connection.clone());
                true
            }
        }
    }

    /// Removes an ended connection and takes it out of every room.
    pub(crate) fn remove(&self, connection: &Connection) {
        self.leave_all(connection);
        let mut connections = write(&self.0.connections);
        if connections.get(connection.id()) == Some(connection) {
            connections.remove(connection.id());
        }
    }

    /// The live connection with this id.
    pub fn connection(&self, id: &str) -> Option<Connection> {
        read(&self.0.connections).get(id).cloned()
    }

    /// Every live connection.
    pub fn connections(&self) -> Vec<Connection> {
        read(&self.0.connections).values().cloned().collect()
    }

    /// Number of live connections.
    pub fn count(&self) -> usize {
        read(&self.0.connections).len()
    }

    /// Sends an event to the connection with this id.
    pub fn send_to(
        &self,
        id: &str,
        event_name: &str,
        payload: impl Serialize,
        headers: Option<Headers>,
    ) -> Result<(), SendError> {
        match self.connection(id) {
            Some(connection) => connection.send(event_name, payload, headers),
            None => Err(SendError::NotFound(ConnectionId::new(id))),
        }
    }

    /// Adds `connection` to `room` (created on first join). Returns `false`
    /// if it was already a member or is closed.
    pub fn join(&self, room: &str, connection: &Connection) -> bool {
        self.join_inner(room, connection, None)
    }

    /// Adds `connection` to `room` with metadata (replacing the metadata if
    /// it was already a member). Returns `false` if it was already a member
    /// or is closed.
    pub fn join_with_meta(&self, room: &str, connection: &Connection, meta: MetaTag) -> bool {
        self.join_inner(room, connection, Some(meta))
    }

    fn join_inner(&self, room: &str, connection: &Connection, meta: Option<MetaTag>) -> bool {
        let mut rooms = write(&self.0.rooms);
        // Checked under the rooms lock: `remove` marks the connection closed
        // before taking this lock, so a closed connection never stays behind.
        if connection.is_closed() {
            return false;
        }
        let name: Arc<str> = match rooms.get_key_value(room) {
            Some((name, _)) => name.clone(),
            None => Arc::from(room),
        };
        let members = rooms.entry(name.clone()).or_default();
        match members.entry(connection.id().clone()) {
            Entry::Occupied(mut member) => {
                if meta.is_some() {
                    member.get_mut().meta = meta;
                }
                false
            }
            Entry::Vacant(slot) => {
                slot.insert(Member {
                    connection: connection.clone(),
                    meta,
                });
                connection.rooms_lock().push(name);
                true
            }
        }
    }

    /// Removes `connection` from `room`. Returns `false` if it was not a member.
    pub fn leave(&self, room: &str, connection: &Connection) -> bool {
        let mut rooms = write(&self.0.rooms);
        let Some(members) = rooms.get_mut(room) else {
            return false;
        };
        let removed = members.remove(connection.id()).is_some();
        if members.is_empty() {
            rooms.remove(room);
        }
        if removed {
            connection.rooms_lock().retain(|name| &**name != room);
        }
        removed
    }

    fn leave_all(&self, connection: &Connection) {
        let mut rooms = write(&self.0.rooms);
        let joined = std::mem::take(&mut *connection.rooms_lock());
        for name in joined {
            if let Some(members) = rooms.get_mut(&name) {
                members.remove(connection.id());
                if members.is_empty() {
                    rooms.remove(&name);
                }
            }
        }
    }

    /// The members of `room` (empty if the room does not exist).
    pub fn members(&self, room: &str) -> Vec<Member> {
        read(&self.0.rooms)
            .get(room)
            .map(|members| members.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Number of members of `room`.
    pub fn room_size(&self, room: &str) -> usize {
        read(&self.0.rooms).get(room).map_or(0, HashMap::len)
    }

    /// Whether `id` is a member of `room`.
    pub fn is_member(&self, room: &str, id: &str) -> bool {
        read(&self.0.rooms)
            .get(room)
            .is_some_and(|members| members.contains_key(id))
    }

    /// The names of every room with at least one member.
    pub fn room_names(&self) -> Vec<String> {
        read(&self.0.rooms)
            .keys()
            .map(|name| name.to_string())
            .collect()
    }

    /// Targets the members of `room`.
    pub fn to(&self, room: &str) -> Broadcast<'_> {
        Broadcast {
            router: self,
            room: Some(room.to_owned()),
            except: Vec::new(),
        }
    }

    /// Targets every live connection.
    pub fn all(&self) -> Broadcast<'_> {
        Broadcast {
            router: self,
            room: None,
            except: Vec::new(),
        }
    }
}

impl fmt::Debug for ConnectionRouter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionRouter")
            .field("connections", &self.count())
            .field("rooms", &read(&self.0.rooms).len())
            .finish()
    }
}

/// A broadcast being prepared: a room or everyone, minus some connections.
#[derive(Debug)]
#[must_use = "a broadcast does nothing until `send` is called"]
pub struct Broadcast<'a> {
    router: &'a ConnectionRouter,
    room: Option<String>,
    except: Vec<ConnectionId>,
}

impl Broadcast<'_> {
    /// Leaves this connection out (call again to leave out more).
    pub fn except(mut self, id: impl Into<ConnectionId>) -> Self {
        self.except.push(id.into());
        self
    }

    /// Encodes the event once and queues it for every recipient.
    pub fn send(
        self,
        event_name: &str,
        payload: impl Serialize,
        headers: Option<Headers>,
    ) -> Result<Delivery, EncodeError> {
        let frame = zap_protocol::encode(event_name, &payload, headers.as_ref())?;
        Ok(self.send_frame(&frame))
    }

    /// Queues an encoded frame for every recipient.
    pub fn send_frame(self, frame: &Frame) -> Delivery {
        let mut delivery = Delivery::default();
        let mut deliver = |connection: &Connection| {
            if self.except.iter().any(|id| id == connection.id()) {
                return;
            }
            match connection.send_frame(frame.clone()) {
                Ok(()) => delivery.delivered += 1,
                Err(SendError::Full { .. }) => delivery.full += 1,
                Err(_) => delivery.closed += 1,
            }
        };
        match &self.room {
            Some(room) => {
                if let Some(members) = read(&self.router.0.rooms).get(room.as_str()) {
                    members
                        .values()
                        .for_each(|member| deliver(&member.connection));
                }
            }
            None => read(&self.router.0.connections).values().for_each(deliver),
        }
        delivery
    }
}

//! [`ConnectionRouter`]: every live connection of a register, the rooms they
//! joined, and sending to one, to a room or to everyone, on this instance and,
//! through its [`Backend`], on every other.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};

use serde::Serialize;
use serde_json::json;
use zap_protocol::{Frame, Headers};

use crate::backend::{Backend, BackendError, InProcess, MemberInfo, Membership, Target};
use crate::outbound::{self, Dest, Outgoing};
use crate::recovery::{self, Hub};
use crate::{Connection, ConnectionId, MetaTag, SendError};

/// The connections of one [`EventRegister`](crate::EventRegister) and their
/// rooms (the Python `ConnectionRouter` and the Dart `RoomManager` in one).
///
/// Every connection served with a register is added when it opens and
/// removed, leaving all its rooms, when it ends. Cheap to clone; usable from
/// any task, inside or outside handlers. A broadcast encodes its event once
/// and queues the same bytes for every recipient; it never waits on a slow
/// recipient. With a distributed [`Backend`] (such as `zap-redis`), rooms
/// and broadcasts span every server instance; handler code does not change.
///
/// ```
/// # async fn demo(ctx: zap_core::EventContext) -> zap_core::HandlerResult {
/// use serde_json::json;
/// let router = ctx.router();
/// router.join("lobby", ctx.connection());
/// router
///     .to("lobby")
///     .except(ctx.connection().id())
///     .send("joined", json!({"id": ctx.connection().id().as_str()}))?;
/// router.all().send("online", router.count())?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ConnectionRouter(Arc<Inner>);

/// A router handle that does not keep it alive (what backends hold).
#[derive(Clone, Debug)]
pub struct WeakRouter(Weak<Inner>);

impl WeakRouter {
    /// The router, if it still exists.
    pub fn upgrade(&self) -> Option<ConnectionRouter> {
        self.0.upgrade().map(ConnectionRouter)
    }
}

struct Inner {
    connections: RwLock<HashMap<ConnectionId, Connection>>,
    rooms: RwLock<HashMap<Arc<str>, HashMap<ConnectionId, Member>>>,
    backend: Arc<dyn Backend>,
    presence: Option<String>,
    emptied: tokio::sync::Notify,
    hub: Arc<Hub>,
}

/// One member of a room: the connection and the metadata it joined with.
#[derive(Debug, Clone)]
pub struct Member {
    /// The member's connection.
    pub connection: Connection,
    /// The metadata given to [`ConnectionRouter::join_with_meta`], if any.
    pub meta: Option<MetaTag>,
}

/// What became of a cross-instance send.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Remote {
    /// Single instance: there is nobody else to reach.
    #[default]
    None,
    /// Handed to the backend for the other instances.
    Published,
    /// Not delivered to the other instances (local delivery happened).
    Dropped(BackendError),
}

/// How a broadcast went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivery {
    /// Local recipients whose queue took the event.
    pub delivered: usize,
    /// Local recipients whose queue was full (see [`OverflowPolicy`](crate::OverflowPolicy)).
    pub full: usize,
    /// Local recipients that were closing or gone.
    pub closed: usize,
    /// Recipients whose link is down but whose session waits for a resume:
    /// the event was kept and will be replayed to them.
    pub kept: usize,
    /// Whether the other instances were reached.
    pub remote: Remote,
}

impl Delivery {
    /// One recipient's queue took the event.
    pub(crate) fn queued() -> Self {
        Delivery {
            delivered: 1,
            ..Delivery::default()
        }
    }

    /// The event waits for one recipient's resume.
    pub(crate) fn held() -> Self {
        Delivery {
            kept: 1,
            ..Delivery::default()
        }
    }

    /// Counts what one local recipient's queue said.
    pub(crate) fn count(&mut self, queued: Result<(), SendError>) {
        match queued {
            Ok(()) => self.delivered += 1,
            Err(SendError::Full { .. }) => self.full += 1,
            Err(_) => self.closed += 1,
        }
    }
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

impl Default for ConnectionRouter {
    fn default() -> Self {
        ConnectionRouter::new()
    }
}

impl ConnectionRouter {
    /// A single-instance router (the [`InProcess`] backend, no presence events).
    pub fn new() -> Self {
        ConnectionRouter::builder().build()
    }

    /// A builder for a router with a backend or presence events.
    pub fn builder() -> RouterBuilder {
        RouterBuilder::default()
    }

    /// A handle that does not keep the router alive.
    pub fn downgrade(&self) -> WeakRouter {
        WeakRouter(Arc::downgrade(&self.0))
    }

    /// The backend rooms and broadcasts go through.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.0.backend
    }

    /// Room history and resumable sessions.
    pub(crate) fn hub(&self) -> &Arc<Hub> {
        &self.0.hub
    }

    /// The presence event name, when presence events are on.
    pub fn presence_event(&self) -> Option<&str> {
        self.0.presence.as_deref()
    }

    /// Adds a live connection; `false` if its id is already taken.
    pub(crate) fn add(&self, connection: &Connection) -> bool {
        match write(&self.0.connections).entry(connection.id().clone()) {
            Entry::Occupied(_) => return false,
            Entry::Vacant(slot) => {
                slot.insert(connection.clone());
            }
        }
        self.0
            .backend
            .record(Membership::Connected(connection.id().clone()));
        true
    }

    /// Removes an ended connection and takes it out of every room.
    pub(crate) fn remove(&self, connection: &Connection) {
        self.leave_all(connection);
        let removed = {
            let mut connections = write(&self.0.connections);
            if connections.get(connection.id()) == Some(connection) {
                connections.remove(connection.id());
                if connections.is_empty() {
                    self.0.emptied.notify_waiters();
                }
                true
            } else {
                false
            }
        };
        if removed {
            self.0
                .backend
                .record(Membership::Disconnected(connection.id().clone()));
        }
    }

    /// The live connection with this id, on this instance.
    pub fn connection(&self, id: &str) -> Option<Connection> {
        read(&self.0.connections).get(id).cloned()
    }

    /// Every live connection of this instance.
    pub fn connections(&self) -> Vec<Connection> {
        read(&self.0.connections).values().cloned().collect()
    }

    /// Number of live connections on this instance.
    pub fn count(&self) -> usize {
        read(&self.0.connections).len()
    }

    /// Waits until this instance has no live connection: every
    /// `disconnected` handler has run. Use it after cancelling an
    /// integration's shutdown token to finish a graceful shutdown.
    pub async fn until_empty(&self) {
        loop {
            let emptied = self.0.emptied.notified();
            if self.count() == 0 {
                return;
            }
            emptied.await;
        }
    }

    /// Number of sessions this instance keeps parked for a resume (bounded
    /// by [`RecoveryConfig::max_parked`](crate::RecoveryConfig::max_parked)).
    pub fn parked_sessions(&self) -> usize {
        self.0.hub.parked_count()
    }

    /// Number of live connections on every instance.
    pub async fn cluster_count(&self) -> Result<usize, BackendError> {
        self.0.backend.connection_count().await
    }

    /// Sends an event to the connection with this id, wherever it is.
    ///
    /// On a single instance an unknown id is [`SendError::NotFound`]. A
    /// session parked for a resume keeps the event ([`Delivery::kept`](Delivery#structfield.kept)).
    /// With a distributed backend, an id not held here is published to the
    /// other instances: `Ok` then means "handed over"
    /// ([`Remote::Published`]), and a backend failure is
    /// [`SendError::Backend`].
    pub fn send_to(
        &self,
        id: &str,
        event_name: &str,
        payload: impl Serialize,
    ) -> Result<Delivery, SendError> {
        let event = Outgoing {
            name: event_name,
            payload: &payload,
            headers: None,
        };
        outbound::send(self, Dest::Id(id), &[], event)
    }

    /// [`send_to`](Self::send_to) with headers.
    pub fn send_to_with_headers(
        &self,
        id: &str,
        event_name: &str,
        payload: impl Serialize,
        headers: Headers,
    ) -> Result<Delivery, SendError> {
        let event = Outgoing {
            name: event_name,
            payload: &payload,
            headers: Some(&headers),
        };
        outbound::send(self, Dest::Id(id), &[], event)
    }

    /// Adds `connection` to `room` (created on first join). Returns `false`
    /// if it was already a member or is closed.
    pub fn join(&self, room: &str, connection: &Connection) -> bool {
        self.join_inner(room, connection, None, true)
    }

    /// Joins without a presence announcement (a resumed session coming back).
    pub(crate) fn join_quiet(&self, room: &str, connection: &Connection, meta: Option<MetaTag>) {
        self.join_inner(room, connection, meta, false);
    }

    /// Adds `connection` to `room` with metadata (replacing the metadata if
    /// it was already a member). Returns `false` if it was already a member
    /// or is closed.
    pub fn join_with_meta(&self, room: &str, connection: &Connection, meta: MetaTag) -> bool {
        self.join_inner(room, connection, Some(meta), true)
    }

    fn join_inner(
        &self,
        room: &str,
        connection: &Connection,
        meta: Option<MetaTag>,
        announce: bool,
    ) -> bool {
        // A recoverable connection notes where it joined a room with history
        // (held until it is a member, so no event falls in between).
        let log = connection
            .session()
            .filter(|_| announce)
            .and_then(|session| Some((session, self.0.hub.log(room)?)));
        let held = log.as_ref().map(|(session, log)| {
            let held = log.lock().unwrap_or_else(PoisonError::into_inner);
            session.note_join(room, recovery::join_point(&self.0.hub, &held));
            held
        });
        {
            let mut rooms = write(&self.0.rooms);
            // Checked under the rooms lock: `remove` marks the connection
            // closed before taking this lock, so a closed one never stays behind.
            if connection.is_closed() {
                return false;
            }
            let name: Arc<str> = match rooms.get_key_value(room) {
                Some((name, _)) => name.clone(),
                None => {
                    crate::telemetry::room_created();
                    Arc::from(room)
                }
            };
            let members = rooms.entry(name.clone()).or_default();
            match members.entry(connection.id().clone()) {
                Entry::Occupied(mut member) => {
                    if meta.is_some() {
                        member.get_mut().meta = meta;
                    }
                    return false;
                }
                Entry::Vacant(slot) => {
                    slot.insert(Member {
                        connection: connection.clone(),
                        meta: meta.clone(),
                    });
                    connection.rooms_lock().push(name);
                }
            }
        }
        drop(held);
        self.0.backend.record(Membership::Joined {
            room: room.to_owned(),
            id: connection.id().clone(),
            meta: meta.clone(),
        });
        if announce {
            recovery::checkpoint(self, connection);
            self.announce(room, connection.id(), "join", meta.as_ref());
        }
        true
    }

    /// Removes `connection` from `room`. Returns `false` if it was not a member.
    pub fn leave(&self, room: &str, connection: &Connection) -> bool {
        let removed = {
            let mut rooms = write(&self.0.rooms);
            let Some(members) = rooms.get_mut(room) else {
                return false;
            };
            let removed = members.remove(connection.id());
            if members.is_empty() {
                rooms.remove(room);
                crate::telemetry::room_removed();
            }
            removed
        };
        let Some(member) = removed else {
            return false;
        };
        connection.rooms_lock().retain(|name| &**name != room);
        recovery::checkpoint(self, connection);
        self.left(room, connection.id(), member.meta.as_ref());
        true
    }

    fn leave_all(&self, connection: &Connection) {
        for (room, meta) in self.leave_quiet(connection) {
            self.announce(&room, connection.id(), "leave", meta.as_ref());
        }
    }

    /// Takes `connection` out of every room without presence announcements
    /// (a session being parked); returns its rooms and metadata.
    pub(crate) fn leave_quiet(&self, connection: &Connection) -> Vec<(String, Option<MetaTag>)> {
        let mut left = Vec::new();
        {
            let mut rooms = write(&self.0.rooms);
            // Taken under the rooms lock: a join that passed its closed
            // check holds this lock until it has recorded the room.
            let joined = std::mem::take(&mut *connection.rooms_lock());
            for name in joined {
                if let Some(members) = rooms.get_mut(&name) {
                    if let Some(member) = members.remove(connection.id()) {
                        left.push((name.clone(), member.meta));
                    }
                    if members.is_empty() {
                        rooms.remove(&name);
                        crate::telemetry::room_removed();
                    }
                }
            }
        }
        left.into_iter()
            .map(|(room, meta)| {
                self.0.backend.record(Membership::Left {
                    room: room.to_string(),
                    id: connection.id().clone(),
                });
                (room.to_string(), meta)
            })
            .collect()
    }

    fn left(&self, room: &str, id: &ConnectionId, meta: Option<&MetaTag>) {
        self.0.backend.record(Membership::Left {
            room: room.to_owned(),
            id: id.clone(),
        });
        self.announce(room, id, "leave", meta);
    }

    /// Tells the other members of `room` that `id` joined or left, when
    /// presence events are on. Backends call it for members of instances
    /// that crashed.
    pub fn announce(&self, room: &str, id: &ConnectionId, action: &str, meta: Option<&MetaTag>) {
        let Some(event) = &self.0.presence else {
            return;
        };
        let payload = json!({"room": room, "id": id, "action": action, "meta": meta});
        let _ = self.to(room).except(id).send(event, payload);
    }

    /// The members of `room` on this instance (empty if the room does not exist).
    pub fn members(&self, room: &str) -> Vec<Member> {
        read(&self.0.rooms)
            .get(room)
            .map(|members| members.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The members of `room` on every instance.
    pub async fn cluster_members(&self, room: &str) -> Result<Vec<MemberInfo>, BackendError> {
        self.0.backend.members(room).await
    }

    /// Number of members of `room` on this instance.
    pub fn room_size(&self, room: &str) -> usize {
        read(&self.0.rooms).get(room).map_or(0, HashMap::len)
    }

    /// Whether `id` is a member of `room` on this instance.
    pub fn is_member(&self, room: &str, id: &str) -> bool {
        read(&self.0.rooms)
            .get(room)
            .is_some_and(|members| members.contains_key(id))
    }

    /// The names of every room with at least one member on this instance.
    pub fn room_names(&self) -> Vec<String> {
        read(&self.0.rooms)
            .keys()
            .map(|name| name.to_string())
            .collect()
    }

    /// Every local membership: `(room, connection id, metadata)`. Backends
    /// use it to resynchronise after an outage.
    pub fn memberships(&self) -> Vec<(String, ConnectionId, Option<MetaTag>)> {
        read(&self.0.rooms)
            .iter()
            .flat_map(|(room, members)| {
                members
                    .iter()
                    .map(move |(id, member)| (room.to_string(), id.clone(), member.meta.clone()))
            })
            .collect()
    }

    /// Delivers an event that a [`HistoryStore`](crate::HistoryStore) gave
    /// `offset` in `epoch` to this instance's members of `room`: stamped to
    /// those that asked for recovery, `frame` as is to the others, and
    /// recorded for resumes (what history stores call on every instance).
    pub fn deliver_sequenced(
        &self,
        room: &str,
        except: &[ConnectionId],
        frame: &Frame,
        epoch: &str,
        offset: u64,
    ) -> Delivery {
        recovery::room::deliver_sequenced(self, room, except, frame, epoch, offset)
    }

    /// The rooms of `connection` with its metadata.
    pub(crate) fn rooms_of(&self, connection: &Connection) -> Vec<(String, Option<MetaTag>)> {
        let rooms = read(&self.0.rooms);
        connection
            .rooms()
            .into_iter()
            .map(|room| {
                let meta = rooms
                    .get(room.as_str())
                    .and_then(|members| members.get(connection.id()))
                    .and_then(|member| member.meta.clone());
                (room, meta)
            })
            .collect()
    }

    /// Runs `f` for every member of `room` on this instance (under the
    /// rooms lock: `f` must not join or leave).
    pub(crate) fn for_each_member(&self, room: &str, mut f: impl FnMut(&Connection)) {
        if let Some(members) = read(&self.0.rooms).get(room) {
            members.values().for_each(|member| f(&member.connection));
        }
    }

    /// Targets the members of `room`.
    pub fn to(&self, room: &str) -> Broadcast<'_> {
        Broadcast {
            router: self,
            target: Target::Room(room.to_owned()),
            except: Vec::new(),
        }
    }

    /// Targets every live connection.
    pub fn all(&self) -> Broadcast<'_> {
        Broadcast {
            router: self,
            target: Target::All,
            except: Vec::new(),
        }
    }

    /// Delivers a direct event that a shared [`SessionStore`](crate::SessionStore)
    /// numbered `seq` to connection `id` if this instance holds it (what
    /// session stores call on every instance, see
    /// [`SessionStore::sequence_direct`](crate::SessionStore::sequence_direct)).
    pub fn deliver_direct(&self, id: &str, seq: u64, frame: &Frame) -> Delivery {
        outbound::numbered(self, id, seq, frame)
    }

    /// Runs `f` for every live connection of this instance (under the
    /// connections lock).
    pub(crate) fn for_each_connection(&self, f: impl FnMut(&Connection)) {
        read(&self.0.connections).values().for_each(f);
    }

    /// Delivers what another instance published for `target` (minus
    /// `except`) to the connections of this instance, on the same path as
    /// a local send: direct events to a recoverable connection are stamped
    /// and kept by its session, rooms with history here record them. What
    /// a [`Backend`] calls with what it receives.
    pub fn deliver_local(
        &self,
        target: &Target,
        except: &[ConnectionId],
        frame: &Frame,
    ) -> Delivery {
        outbound::arrived(self, target, except, frame)
    }
}

impl fmt::Debug for ConnectionRouter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionRouter")
            .field("connections", &self.count())
            .field("rooms", &read(&self.0.rooms).len())
            .field("backend", &self.0.backend)
            .field("presence", &self.0.presence)
            .finish()
    }
}

/// Builds a [`ConnectionRouter`] with a [`Backend`] and presence events.
///
/// ```
/// let router = zap_core::ConnectionRouter::builder().presence_event("presence").build();
/// let register = zap_core::EventRegister::with_router(router);
/// ```
#[derive(Debug, Default)]
#[must_use = "call `build` to get the router"]
pub struct RouterBuilder {
    backend: Option<Arc<dyn Backend>>,
    presence: Option<String>,
    hub: Option<Arc<Hub>>,
}

impl RouterBuilder {
    /// Rooms and broadcasts go through `backend` (default: [`InProcess`]).
    pub fn backend(mut self, backend: impl Backend) -> Self {
        self.backend = Some(Arc::new(backend));
        self
    }

    /// Rooms and broadcasts go through an already shared backend.
    pub fn shared_backend(mut self, backend: Arc<dyn Backend>) -> Self {
        self.backend = Some(backend);
        self
    }

    /// When a connection joins or leaves a room (on any instance), the other
    /// members receive the event `name` with payload
    /// `{"room", "id", "action": "join" | "leave", "meta"}`. Off by default.
    pub fn presence_event(mut self, name: impl Into<String>) -> Self {
        self.presence = Some(name.into());
        self
    }

    /// Keeps the history rules and sessions of an earlier router.
    pub(crate) fn hub(mut self, hub: Arc<Hub>) -> Self {
        self.hub = Some(hub);
        self
    }

    /// The router, attached to its backend, with the stores the backend
    /// provides (shared room history, resumable sessions) installed.
    pub fn build(self) -> ConnectionRouter {
        let backend = self
            .backend
            .unwrap_or_else(|| Arc::new(InProcess::default()));
        let hub = self.hub.unwrap_or_default();
        if let Some(store) = backend.history_store() {
            hub.set_history_store(store);
        }
        if let Some(store) = backend.session_store() {
            hub.set_store(store);
        }
        let router = ConnectionRouter(Arc::new(Inner {
            connections: RwLock::default(),
            rooms: RwLock::default(),
            backend,
            presence: self.presence,
            emptied: tokio::sync::Notify::new(),
            hub,
        }));
        router.0.backend.attach(router.downgrade());
        router
    }
}

/// A broadcast being prepared: a room or everyone, minus some connections.
#[derive(Debug)]
#[must_use = "a broadcast does nothing until `send` is called"]
pub struct Broadcast<'a> {
    router: &'a ConnectionRouter,
    target: Target,
    except: Vec<ConnectionId>,
}

impl Broadcast<'_> {
    /// Leaves this connection out (call again to leave out more).
    pub fn except(mut self, id: impl Into<ConnectionId>) -> Self {
        self.except.push(id.into());
        self
    }

    /// Encodes the event once and queues it for every recipient, on this
    /// instance and (with a distributed backend) on the others.
    pub fn send(self, event_name: &str, payload: impl Serialize) -> Result<Delivery, SendError> {
        self.send_event(event_name, &payload, None)
    }

    /// [`send`](Self::send) with headers.
    pub fn send_with_headers(
        self,
        event_name: &str,
        payload: impl Serialize,
        headers: Headers,
    ) -> Result<Delivery, SendError> {
        self.send_event(event_name, &payload, Some(&headers))
    }

    pub(crate) fn send_event<P: Serialize + ?Sized>(
        self,
        event_name: &str,
        payload: &P,
        headers: Option<&Headers>,
    ) -> Result<Delivery, SendError> {
        let dest = match &self.target {
            Target::Room(room) => Dest::Room(room),
            _ => Dest::All,
        };
        let event = Outgoing {
            name: event_name,
            payload,
            headers,
        };
        outbound::send(self.router, dest, &self.except, event)
    }
}

//! [`RedisBackend`]: a zap-core [`Backend`] that spans server instances
//! through Redis pub/sub, with cluster-wide membership in Redis hashes.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use zap_core::{
    Backend, BackendError, BackendFuture, ConnectionId, DirectEvent, DirectTemplate, Frame,
    History, HistoryStore, Lookup, MemberInfo, Membership, Position, PushDirect, SessionRecord,
    SessionStore, Target, WeakRouter,
};

use crate::conn::{self, OpenError};
use crate::state::State;
use crate::writer::Command;
use crate::{
    ConnectError, RedisConfig, heartbeat, history, query, sessions, subscriber, wire, writer,
};

/// Rooms and broadcasts across every server instance connected to the same
/// Redis (and prefix).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use zap_core::EventRegister;
/// let register = EventRegister::new().backend(zap_redis::RedisBackend::connect("redis://127.0.0.1/").await?);
/// # Ok(()) }
/// ```
///
/// - Each broadcast is delivered to this instance's members directly and
///   published once to Redis; every other instance delivers it to its own
///   members. The frame is encoded once per instance, and an instance never
///   delivers its own publish twice.
/// - When Redis is unreachable, local delivery goes on; cross-instance sends
///   are **dropped and counted** ([`Stats::dropped`]) and reported as
///   [`Remote::Dropped`](zap_core::Remote::Dropped). The backend reconnects
///   by itself and then rewrites this instance's membership in Redis.
/// - Cloning is cheap; the background tasks stop when the last clone (and
///   the router holding one) is dropped.
#[derive(Clone)]
pub struct RedisBackend {
    state: Arc<State>,
    writes: mpsc::Sender<Command>,
    _tasks: Arc<Tasks>,
}

/// Aborts the background tasks when the last handle goes.
struct Tasks(Vec<JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        self.0.iter().for_each(JoinHandle::abort);
    }
}

/// Counters of a backend (since it started).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Frames published to the other instances.
    pub published: u64,
    /// Cross-instance sends dropped (Redis unreachable or queue full).
    pub dropped: u64,
    /// Frames received from other instances.
    pub received: u64,
    /// Whether Redis answered the last request.
    pub available: bool,
}

impl RedisBackend {
    /// Connects with the defaults of [`RedisConfig`].
    pub async fn connect(url: &str) -> Result<Self, ConnectError> {
        RedisBackend::connect_with_config(RedisConfig::new(url)).await
    }

    /// Connects, registers this instance and starts the background tasks
    /// (writer, subscriber, heartbeat), and returns once this instance
    /// listens on the bus channel. Fails if Redis cannot be reached now.
    pub async fn connect_with_config(config: RedisConfig) -> Result<Self, ConnectError> {
        let url = crate::error::shown_url(&config.url);
        let unreachable = |reason: String| ConnectError::Unreachable {
            url: url.clone(),
            reason,
        };
        let topology = config.topology()?;
        let (commands, listen) = match conn::open(&topology, &config).await {
            Ok(opened) => opened,
            Err(OpenError::Invalid(source)) => {
                return Err(ConnectError::InvalidUrl {
                    url: url.clone(),
                    source,
                });
            }
            Err(OpenError::Unreachable(err)) => return Err(unreachable(err.to_string())),
            Err(OpenError::TimedOut) => {
                return Err(unreachable(format!(
                    "no answer within the connect timeout ({:?})",
                    config.connect_timeout
                )));
            }
        };
        let (writes, queue) = mpsc::channel(config.queue);
        let connect_timeout = config.connect_timeout;
        let state = Arc::new(State::new(config, commands, topology.is_cluster()));
        let (subscribed, on_bus) = tokio::sync::oneshot::channel();
        let tasks = Tasks(vec![
            tokio::spawn(writer::run(state.clone(), queue)),
            tokio::spawn(subscriber::run(state.clone(), listen, subscribed)),
            tokio::spawn(heartbeat::run(state.clone())),
        ]);
        // Pub/sub keeps nothing for a subscriber that is not there yet: a
        // backend that returned before listening would miss what the other
        // instances publish meanwhile (a `send_to` one of its clients is
        // waiting for, say). Dropping `tasks` on failure stops them.
        match tokio::time::timeout(connect_timeout, on_bus).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) | Err(_) => {
                return Err(unreachable(
                    "no subscription to the bus channels within the connect timeout".into(),
                ));
            }
        }
        tracing::info!(instance = %state.instance, prefix = %state.config.prefix, "redis backend started");
        Ok(RedisBackend {
            state,
            writes,
            _tasks: Arc::new(tasks),
        })
    }

    /// This instance's id in the cluster.
    pub fn instance_id(&self) -> &str {
        &self.state.instance
    }

    /// The backend's counters.
    pub fn stats(&self) -> Stats {
        Stats {
            published: self.state.published.load(Ordering::Relaxed),
            dropped: self.state.dropped.load(Ordering::Relaxed),
            received: self.state.received.load(Ordering::Relaxed),
            available: self.state.is_available(),
        }
    }

    /// Removes this instance from Redis now (its members leave every room
    /// cluster-wide) instead of waiting for the heartbeat TTL. Call it after
    /// the server's graceful shutdown.
    pub async fn deregister(&self) -> Result<(), BackendError> {
        heartbeat::forget(&self.state, &self.state.instance)
            .await
            .map_err(|err| BackendError::Unavailable(err.to_string()))
    }
}

impl Backend for RedisBackend {
    fn attach(&self, router: WeakRouter) {
        self.state.attach(router);
    }

    fn is_distributed(&self) -> bool {
        true
    }

    fn publish(
        &self,
        target: Target,
        except: &[ConnectionId],
        frame: &Frame,
    ) -> Result<(), BackendError> {
        if !self.state.is_reachable() {
            self.state.count_dropped();
            return Err(BackendError::Unavailable("redis unreachable".into()));
        }
        let channel = match &target {
            Target::Room(room) => self.state.keys.bus_for(room),
            Target::Connection(id) => self.state.keys.bus_for(id.as_str()),
            _ => self.state.keys.bus_for(""),
        };
        let bytes = wire::encode(&self.state.instance, target, except, frame);
        self.writes
            .try_send(Command::Publish(channel, bytes))
            .map_err(|err| {
                self.state.count_dropped();
                match err {
                    mpsc::error::TrySendError::Full(_) => BackendError::QueueFull,
                    mpsc::error::TrySendError::Closed(_) => {
                        BackendError::Unavailable("backend stopped".into())
                    }
                }
            })
    }

    fn record(&self, change: Membership) {
        if self.writes.try_send(Command::Membership(change)).is_err() {
            // The full picture is rewritten from the local router instead.
            self.state.request_resync();
        }
    }

    fn members(&self, room: &str) -> BackendFuture<Vec<MemberInfo>> {
        let state = self.state.clone();
        let room = room.to_owned();
        Box::pin(async move { query::members(&state, &room).await })
    }

    fn connection_count(&self) -> BackendFuture<usize> {
        let state = self.state.clone();
        Box::pin(async move { query::connection_count(&state).await })
    }

    /// Room history in Redis Streams, shared by every instance.
    fn history_store(&self) -> Option<Arc<dyn HistoryStore>> {
        Some(Arc::new(self.clone()))
    }

    /// Resumable sessions in Redis: a client resumes on any instance.
    fn session_store(&self) -> Option<Arc<dyn SessionStore>> {
        Some(Arc::new(self.clone()))
    }
}

impl RedisBackend {
    /// Queues a write (Redis must be reachable). A direct event numbered
    /// while this instance does not listen on the bus is kept in Redis and
    /// delivered once it listens again (see the subscriber's catch-up).
    fn queue(&self, command: Command) -> Result<(), BackendError> {
        let ready = self.state.is_reachable();
        if !ready {
            self.state.count_dropped();
            return Err(BackendError::Unavailable("redis unreachable".into()));
        }
        self.writes.try_send(command).map_err(|err| {
            self.state.count_dropped();
            match err {
                mpsc::error::TrySendError::Full(_) => BackendError::QueueFull,
                mpsc::error::TrySendError::Closed(_) => {
                    BackendError::Unavailable("backend stopped".into())
                }
            }
        })
    }
}

impl HistoryStore for RedisBackend {
    fn append(
        &self,
        room: &str,
        except: &[ConnectionId],
        frame: &Frame,
        history: &History,
    ) -> Result<(), BackendError> {
        let append = history::Append::new(&self.state, room, except, frame, history);
        self.queue(Command::Sequenced(append))
    }

    fn read(
        &self,
        room: &str,
        after: &Position,
        reader: &ConnectionId,
    ) -> BackendFuture<Option<Vec<(u64, Frame)>>> {
        let state = self.state.clone();
        let (room, after, reader) = (room.to_owned(), after.clone(), reader.clone());
        Box::pin(async move { history::read(&state, &room, &after, &reader).await })
    }
}

impl SessionStore for RedisBackend {
    fn park(&self, record: SessionRecord, window: Duration) -> BackendFuture<bool> {
        let state = self.state.clone();
        Box::pin(async move { sessions::park(&state, record, window).await })
    }

    fn take(&self, token: &str, identity: Option<&str>) -> BackendFuture<Lookup> {
        let state = self.state.clone();
        let token = token.to_owned();
        let identity = identity.map(str::to_owned);
        Box::pin(async move { sessions::take(&state, &token, identity.as_deref()).await })
    }

    fn checkpoint(&self, record: SessionRecord, window: Duration) {
        let _ = self.queue(Command::Checkpoint(sessions::Checkpoint::new(
            record, window,
        )));
    }

    fn push_direct(&self, id: &ConnectionId, frame: &Frame) -> PushDirect {
        // Redis decides, atomically: numbered and kept for a recoverable
        // session (parked, moving, or live on another instance, which gets
        // it through the bus), else published plain for its holder.
        match sessions::Direct::new(&self.state, id, frame) {
            Some(direct) => match self.queue(Command::Direct(direct)) {
                Ok(()) => PushDirect::Handed,
                Err(_) => PushDirect::NotHere,
            },
            None => PushDirect::NotHere,
        }
    }

    /// The session's numbering keys are named by its connection id (fixed
    /// for the session's life): the token is not needed.
    fn sequence_direct(
        &self,
        _token: &str,
        id: &ConnectionId,
        event: &DirectTemplate,
        after: u64,
        capacity: usize,
    ) -> Result<(), BackendError> {
        let sequence = sessions::Sequence::new(id, event, after, capacity);
        self.queue(Command::Sequence(sequence))
    }

    fn attached(&self, token: &str, _generation: u64) -> BackendFuture<Vec<DirectEvent>> {
        let state = self.state.clone();
        let token = token.to_owned();
        Box::pin(async move { sessions::attached(&state, &token).await })
    }

    fn end(&self, token: &str, generation: u64) -> BackendFuture<()> {
        let state = self.state.clone();
        let token = token.to_owned();
        Box::pin(async move { sessions::end(&state, &token, generation).await })
    }

    fn expire(&self, token: &str, generation: u64) -> BackendFuture<Option<SessionRecord>> {
        let state = self.state.clone();
        let token = token.to_owned();
        Box::pin(async move { sessions::expire(&state, &token, generation).await })
    }

    fn is_shared(&self) -> bool {
        true
    }
}

impl fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBackend")
            .field("instance", &self.state.instance)
            .field("prefix", &self.state.config.prefix)
            .field("stats", &self.stats())
            .finish()
    }
}

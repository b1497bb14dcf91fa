//! [`Backend`]: how rooms and broadcasts reach connections held by other
//! server instances. The default, [`InProcess`], is a single instance.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use zap_protocol::Frame;

use std::sync::Arc;

use crate::{ConnectionId, HistoryStore, MetaTag, SessionStore, WeakRouter};

/// A boxed future returned by backend queries.
pub type BackendFuture<T> = Pin<Box<dyn Future<Output = Result<T, BackendError>> + Send + 'static>>;

/// Who a published frame is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Target {
    /// Every connection.
    All,
    /// The members of a room.
    Room(String),
    /// One connection.
    Connection(ConnectionId),
}

/// A room membership as seen across every instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MemberInfo {
    /// The member's connection id.
    pub id: ConnectionId,
    /// The metadata it joined with.
    pub meta: Option<MetaTag>,
    /// Whether the connection is held by this instance.
    pub local: bool,
}

impl MemberInfo {
    /// Describes one member.
    pub fn new(id: ConnectionId, meta: Option<MetaTag>, local: bool) -> Self {
        MemberInfo { id, meta, local }
    }
}

/// A change of membership that a distributed backend records.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Membership {
    /// A connection opened on this instance.
    Connected(ConnectionId),
    /// A connection of this instance ended (its rooms were left first).
    Disconnected(ConnectionId),
    /// A connection of this instance joined a room.
    Joined {
        /// The room.
        room: String,
        /// The connection.
        id: ConnectionId,
        /// Its metadata.
        meta: Option<MetaTag>,
    },
    /// A connection of this instance left a room.
    Left {
        /// The room.
        room: String,
        /// The connection.
        id: ConnectionId,
    },
}

/// A backend could not do what was asked. Local delivery is never affected.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BackendError {
    /// The backend's server (e.g. Redis) is unreachable; the backend
    /// reconnects by itself. Cross-instance sends made meanwhile are dropped.
    #[error("backend unavailable: {0}")]
    Unavailable(String),
    /// The backend's outgoing queue is full; this send was dropped.
    #[error("backend queue full: cross-instance send dropped")]
    QueueFull,
    /// A cluster-wide query did not complete in time.
    #[error("backend query timed out")]
    Timeout,
    /// The backend answered something it should not have.
    #[error("backend protocol error: {0}")]
    Protocol(String),
}

/// How rooms and broadcasts reach other server instances.
///
/// The [`ConnectionRouter`](crate::ConnectionRouter) always delivers to the
/// connections it holds itself, then hands the same encoded frame to its
/// backend, which delivers it to every other instance (each of which calls
/// [`ConnectionRouter::deliver_local`](crate::ConnectionRouter::deliver_local)).
/// Methods that send must not block: queue the work and return.
pub trait Backend: Send + Sync + fmt::Debug + 'static {
    /// Called when a router starts using this backend: deliver what other
    /// instances publish through `router` (a later call replaces it).
    fn attach(&self, router: WeakRouter);

    /// Whether other instances can exist (false for [`InProcess`]).
    fn is_distributed(&self) -> bool;

    /// Publishes `frame` for `target` (minus `except`) on the other instances.
    fn publish(
        &self,
        target: Target,
        except: &[ConnectionId],
        frame: &Frame,
    ) -> Result<(), BackendError>;

    /// Records a membership change of this instance.
    fn record(&self, change: Membership);

    /// Every member of `room` on every instance.
    fn members(&self, room: &str) -> BackendFuture<Vec<MemberInfo>>;

    /// The number of connections on every instance.
    fn connection_count(&self) -> BackendFuture<usize>;

    /// Where rooms with history get their offsets when the instances share
    /// them (`None`, the default: each process keeps its own history).
    /// Installed with the backend: `EventRegister::backend` is the one call.
    fn history_store(&self) -> Option<Arc<dyn HistoryStore>> {
        None
    }

    /// Where dropped sessions wait for their client, so that they resume on
    /// any instance (`None`, the default: in this process).
    fn session_store(&self) -> Option<Arc<dyn SessionStore>> {
        None
    }
}

/// The default backend: one server instance, nothing to publish; cluster
/// queries are answered from the local router.
#[derive(Debug, Default)]
pub struct InProcess {
    router: std::sync::Mutex<Option<WeakRouter>>,
}

impl InProcess {
    fn local(&self) -> Option<crate::ConnectionRouter> {
        self.router
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()?
            .upgrade()
    }
}

impl Backend for InProcess {
    fn attach(&self, router: WeakRouter) {
        *self
            .router
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(router);
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn publish(&self, _: Target, _: &[ConnectionId], _: &Frame) -> Result<(), BackendError> {
        Ok(())
    }

    fn record(&self, _: Membership) {}

    fn members(&self, room: &str) -> BackendFuture<Vec<MemberInfo>> {
        let members = self.local().map(|router| {
            router
                .members(room)
                .into_iter()
                .map(|m| MemberInfo::new(m.connection.id().clone(), m.meta, true))
                .collect()
        });
        Box::pin(async move { Ok(members.unwrap_or_default()) })
    }

    fn connection_count(&self) -> BackendFuture<usize> {
        let count = self.local().map_or(0, |router| router.count());
        Box::pin(async move { Ok(count) })
    }
}

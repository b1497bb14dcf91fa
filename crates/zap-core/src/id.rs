//! Connection ids: [`ConnectionId`] and the pluggable [`IdStrategy`].

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

use crate::Handshake;

/// A connection's id, unique within a router. Cheap to clone.
///
/// The default is `zpt-` followed by a random UUID v4, as in the Python and
/// Dart implementations.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(Arc<str>);

impl ConnectionId {
    /// Wraps an id.
    pub fn new(id: impl Into<Arc<str>>) -> Self {
        ConnectionId(id.into())
    }

    /// A fresh default id: `zpt-<uuid v4>`.
    ///
    /// ```
    /// let id = zap_core::ConnectionId::generate();
    /// assert!(id.as_str().starts_with("zpt-"));
    /// assert_eq!(id.as_str().len(), 4 + 36);
    /// ```
    pub fn generate() -> Self {
        ConnectionId(format!("zpt-{}", uuid::Uuid::new_v4()).into())
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Borrow<str> for ConnectionId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ConnectionId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for ConnectionId {
    fn from(id: &str) -> Self {
        ConnectionId::new(id)
    }
}

impl From<String> for ConnectionId {
    fn from(id: String) -> Self {
        ConnectionId::new(id)
    }
}

impl PartialEq<str> for ConnectionId {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for ConnectionId {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

/// Chooses the id of each new connection from its handshake.
///
/// Set one with [`EventRegister::id_strategy`](crate::EventRegister::id_strategy).
/// Ids must be unique among live connections: a connection whose id is
/// already taken is refused (closed with code 1008) and `error` is raised.
pub(crate) type IdStrategy = Arc<dyn Fn(&Handshake) -> ConnectionId + Send + Sync>;

impl From<&ConnectionId> for ConnectionId {
    fn from(id: &ConnectionId) -> Self {
        id.clone()
    }
}

impl serde::Serialize for ConnectionId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for ConnectionId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <String as serde::Deserialize>::deserialize(deserializer).map(ConnectionId::from)
    }
}

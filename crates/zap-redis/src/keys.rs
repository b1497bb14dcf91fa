//! [`Keys`]: the names of every Redis key and channel, under one prefix.

/// Key and channel names for one prefix.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    prefix: String,
}

impl Keys {
    pub(crate) fn new(prefix: &str) -> Self {
        Keys {
            prefix: prefix.to_owned(),
        }
    }

    /// The pub/sub channel every instance publishes to and listens on.
    pub(crate) fn bus(&self) -> String {
        format!("{}:bus", self.prefix)
    }

    /// Sorted set: instance id -> last heartbeat (ms since the epoch).
    pub(crate) fn alive(&self) -> String {
        format!("{}:alive", self.prefix)
    }

    /// Hash: instance id -> number of connections.
    pub(crate) fn counts(&self) -> String {
        format!("{}:count", self.prefix)
    }

    /// Hash: connection id -> instance id.
    pub(crate) fn connections(&self) -> String {
        format!("{}:conn", self.prefix)
    }

    /// Hash: connection id -> `{"i": instance, "m": meta}` for one room.
    pub(crate) fn room(&self, room: &str) -> String {
        format!("{}:room:{room}", self.prefix)
    }

    /// Set: the connection ids of one instance.
    pub(crate) fn instance_connections(&self, instance: &str) -> String {
        format!("{}:inst:{instance}:c", self.prefix)
    }

    /// Set: the `[room, id]` memberships of one instance.
    pub(crate) fn instance_memberships(&self, instance: &str) -> String {
        format!("{}:inst:{instance}:m", self.prefix)
    }
}

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

    /// Stream: the recent events of a room with history.
    pub(crate) fn history(&self, room: &str) -> String {
        format!("{}:h:{room}", self.prefix)
    }

    /// String: the epoch of a room's history.
    pub(crate) fn history_epoch(&self, room: &str) -> String {
        format!("{}:he:{room}", self.prefix)
    }

    /// Counter: the last offset of a room's history.
    pub(crate) fn history_offset(&self, room: &str) -> String {
        format!("{}:ho:{room}", self.prefix)
    }

    /// A session key: `kind` is `s` (record), `sg` (generation), `sp`
    /// (parked: its deadline), `sd` (its last direct events, `<seq>|<frame>`),
    /// `sq` (its last direct sequence number), `sh` (the instance holding
    /// it), `sx` (tombstone).
    pub(crate) fn session(&self, kind: &str, token: &str) -> String {
        format!("{}:{kind}:{token}", self.prefix)
    }

    /// String: the token of the recoverable session of a connection id.
    pub(crate) fn session_of(&self, id: &str) -> String {
        format!("{}:sid:{id}", self.prefix)
    }

    /// The prefix (scripts build session keys from it).
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
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

//! [`Keys`]: the names of every Redis key and channel, under one prefix,
//! laid out for Redis Cluster: every key carries a hash tag, so that what a
//! script or a transaction touches together lives in one slot.
//!
//! - `{prefix}:…`: the instance registry (heartbeats, connection counts,
//!   which instance holds which connection, each instance's memberships).
//! - `{prefix:N}:…`: one of [`BUCKETS`] buckets, `N` chosen by hashing a
//!   room name or a connection id: a room's members, stream, offset and
//!   epoch; a session's record, generation, direct events and counter
//!   (bucket of its connection id); and, on a cluster, the sharded bus
//!   channel its events are published on (`SPUBLISH` from the script that
//!   wrote them, in the same slot).
//!
//! On one server (or behind Sentinel) the layout is the same, and every
//! message goes over one plain channel, `{prefix}:bus`.

/// How many buckets rooms and sessions are spread over (and, on a cluster,
/// how many sharded bus channels every instance listens on). Part of the
/// key layout: every instance of an application must agree on it.
pub(crate) const BUCKETS: u32 = 64;

/// Key and channel names for one prefix.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    prefix: String,
    sharded: bool,
}

/// FNV-1a: a stable hash (part of the key layout).
fn bucket(name: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in name.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash % BUCKETS
}

impl Keys {
    /// `sharded`: a Redis Cluster (sharded pub/sub, one channel per bucket).
    pub(crate) fn new(prefix: &str, sharded: bool) -> Self {
        Keys {
            prefix: prefix.to_owned(),
            sharded,
        }
    }

    fn in_bucket(&self, of: &str, rest: &str) -> String {
        format!("{{{}:{}}}:{rest}", self.prefix, bucket(of))
    }

    fn registry(&self, rest: &str) -> String {
        format!("{{{}}}:{rest}", self.prefix)
    }

    /// Whether messages go over sharded pub/sub (a cluster).
    pub(crate) fn sharded(&self) -> bool {
        self.sharded
    }

    /// The publish command for [`Self::bus_for`] channels.
    pub(crate) fn publish(&self) -> &'static str {
        if self.sharded { "SPUBLISH" } else { "PUBLISH" }
    }

    /// The channel for messages about `name` (a room or a connection id):
    /// its bucket's sharded channel on a cluster, the one bus elsewhere.
    pub(crate) fn bus_for(&self, name: &str) -> String {
        if self.sharded {
            self.in_bucket(name, "bus")
        } else {
            self.registry("bus")
        }
    }

    /// Every channel an instance listens on.
    pub(crate) fn buses(&self) -> Vec<String> {
        if self.sharded {
            (0..BUCKETS)
                .map(|n| format!("{{{}:{n}}}:bus", self.prefix))
                .collect()
        } else {
            vec![self.registry("bus")]
        }
    }

    /// Sorted set: instance id -> last heartbeat (ms since the epoch).
    pub(crate) fn alive(&self) -> String {
        self.registry("alive")
    }

    /// Hash: instance id -> number of connections.
    pub(crate) fn counts(&self) -> String {
        self.registry("count")
    }

    /// Hash: connection id -> instance id.
    pub(crate) fn connections(&self) -> String {
        self.registry("conn")
    }

    /// Set: the connection ids of one instance.
    pub(crate) fn instance_connections(&self, instance: &str) -> String {
        self.registry(&format!("inst:{instance}:c"))
    }

    /// Set: the `[room, id]` memberships of one instance.
    pub(crate) fn instance_memberships(&self, instance: &str) -> String {
        self.registry(&format!("inst:{instance}:m"))
    }

    /// Hash: connection id -> `{"i": instance, "m": meta}` for one room.
    pub(crate) fn room(&self, room: &str) -> String {
        self.in_bucket(room, &format!("room:{room}"))
    }

    /// Stream: the recent events of a room with history.
    pub(crate) fn history(&self, room: &str) -> String {
        self.in_bucket(room, &format!("h:{room}"))
    }

    /// String: the epoch of a room's history.
    pub(crate) fn history_epoch(&self, room: &str) -> String {
        self.in_bucket(room, &format!("he:{room}"))
    }

    /// Counter: the last offset of a room's history.
    pub(crate) fn history_offset(&self, room: &str) -> String {
        self.in_bucket(room, &format!("ho:{room}"))
    }

    /// A key of the session `token` of connection `id` (in the bucket of
    /// `id`): `kind` is `s` (record), `sg` (generation), `sp` (parked: its
    /// deadline), `sh` (the instance holding it), `sx` (tombstone).
    pub(crate) fn session(&self, kind: &str, token: &str, id: &str) -> String {
        self.in_bucket(id, &format!("{kind}:{token}"))
    }

    /// List: the last direct events of connection `id`'s session
    /// (`<seq>|<frame>`).
    pub(crate) fn direct_events(&self, id: &str) -> String {
        self.in_bucket(id, &format!("sd:{id}"))
    }

    /// Counter: the last direct sequence number of connection `id`'s session.
    pub(crate) fn direct_seq(&self, id: &str) -> String {
        self.in_bucket(id, &format!("sq:{id}"))
    }

    /// String: the token of the recoverable session of connection `id`.
    pub(crate) fn session_of(&self, id: &str) -> String {
        self.in_bucket(id, &format!("sid:{id}"))
    }

    /// String: the connection id of session `token` (in the bucket of the
    /// token: what finds the session's bucket from its token).
    pub(crate) fn session_id(&self, token: &str) -> String {
        self.in_bucket(token, &format!("st:{token}"))
    }
}

/// The hash tag of a key (what Redis Cluster hashes): the text between the
/// first `{` and the next `}`, when not empty; else the whole key.
pub(crate) fn hash_tag(key: &str) -> &str {
    if let Some(open) = key.find('{')
        && let Some(len) = key[open + 1..].find('}')
        && len > 0
    {
        return &key[open + 1..open + 1 + len];
    }
    key
}

#[cfg(test)]
mod tests {
    use super::{Keys, hash_tag};

    #[test]
    fn a_rooms_keys_and_channel_share_one_hash_tag() {
        let keys = Keys::new("chat", true);
        let tag = hash_tag(&keys.history("lobby")).to_owned();
        assert!(tag.starts_with("chat:"), "{tag}");
        for key in [
            keys.history_epoch("lobby"),
            keys.history_offset("lobby"),
            keys.room("lobby"),
            keys.bus_for("lobby"),
        ] {
            assert_eq!(hash_tag(&key), tag, "{key}");
        }
    }

    #[test]
    fn a_sessions_keys_share_the_hash_tag_of_its_connection_id() {
        let keys = Keys::new("chat", true);
        let tag = hash_tag(&keys.session_of("zpt-1")).to_owned();
        for key in [
            keys.session("s", "tok", "zpt-1"),
            keys.session("sx", "tok", "zpt-1"),
            keys.direct_events("zpt-1"),
            keys.direct_seq("zpt-1"),
            keys.bus_for("zpt-1"),
        ] {
            assert_eq!(hash_tag(&key), tag, "{key}");
        }
    }

    #[test]
    fn the_registry_is_one_slot_and_one_server_has_one_bus() {
        let keys = Keys::new("chat", false);
        assert_eq!(hash_tag(&keys.alive()), "chat");
        assert_eq!(hash_tag(&keys.instance_memberships("i-1")), "chat");
        assert_eq!(keys.buses(), vec!["{chat}:bus".to_owned()]);
        assert_eq!(keys.bus_for("lobby"), "{chat}:bus");
        assert_eq!(Keys::new("chat", true).buses().len(), 64);
    }

    #[test]
    fn a_key_without_a_tag_hashes_whole() {
        assert_eq!(hash_tag("plain"), "plain");
        assert_eq!(hash_tag("a{}b"), "a{}b");
        assert_eq!(hash_tag("x{t}y{u}"), "t");
    }
}

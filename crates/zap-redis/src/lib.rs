//! Rooms and broadcast across many zaptools server processes through Redis
//! pub/sub: switch a register to it with one line, handler code unchanged.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use zap_core::EventRegister;
//! use zap_redis::RedisBackend;
//!
//! let register = EventRegister::new()
//!     .backend(RedisBackend::connect("redis://127.0.0.1:6379/").await?)
//!     .on_event("say", |ctx| async move {
//!         // Reaches the room's members on every instance.
//!         ctx.router().to("lobby").except(ctx.connection().id()).send("said", ctx.payload())?;
//!         Ok(())
//!     });
//! # Ok(()) }
//! ```
//!
//! # How it works
//!
//! - **Broadcasts**: delivered locally, then published once on the channel
//!   `{prefix}:bus`; every other instance delivers the same frame to its own
//!   members, honouring excludes. `send_to(id)` for a connection held by
//!   another instance travels the same way.
//! - **Membership**: each instance records its connections and room
//!   memberships in Redis hashes, so [`ConnectionRouter::cluster_members`]
//!   and [`ConnectionRouter::cluster_count`] answer for the whole cluster
//!   (bounded by [`RedisConfig::query_timeout`]).
//! - **Liveness**: instances heartbeat into a sorted set; one silent for
//!   [`RedisConfig::instance_ttl`] is reaped by a live one: its members
//!   disappear from cluster membership and, with presence events on
//!   ([`EventRegister::presence_event`]), their rooms are told they left.
//! - **Faults**: with Redis down, local delivery keeps working and
//!   cross-instance sends are dropped and counted (never queued without
//!   bound); the backend reconnects and rewrites its membership by itself.
//! - **Recovery** (installed by `.backend(redis)` itself): room history in Redis Streams
//!   (one stream per room, trimmed by length and age; a script gives each
//!   event its offset and publishes it, and every instance delivers it in
//!   offset order) and resumable sessions in Redis with an expiry, so a
//!   client resumes on any instance, even after the one it was on died.
//!   See `zap_core::delivery` for the guarantees and their limits.
//! - Keys and channels carry a configurable prefix ([`RedisConfig::prefix`])
//!   so applications can share one Redis.
//! - **Deployments** ([`Topology`], from the URL): one server
//!   (`redis://`), a Redis Cluster (`redis+cluster://a:7000,b:7000`: keys
//!   hash-tagged so every script touches one slot, events over sharded
//!   pub/sub, subscriptions made again after a failover or a slot
//!   migration) or a master behind Sentinel
//!   (`redis+sentinel://a:26379,b:26379/name`, followed after a failover).
//!
//! [`ConnectionRouter::cluster_members`]: zap_core::ConnectionRouter::cluster_members
//! [`ConnectionRouter::cluster_count`]: zap_core::ConnectionRouter::cluster_count
//! [`EventRegister::presence_event`]: zap_core::EventRegister::presence_event
#![forbid(unsafe_code)]

mod backend;
mod batch;
mod config;
mod conn;
mod error;
mod heartbeat;
mod history;
mod keys;
mod query;
mod sessions;
mod state;
mod subscriber;
mod topology;
mod wire;
mod writer;

pub use backend::{RedisBackend, Stats};
pub use config::RedisConfig;
pub use error::ConnectError;
pub use topology::Topology;

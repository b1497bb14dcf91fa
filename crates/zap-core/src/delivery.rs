//! Delivery guarantees: what reaches whom, exactly once or not, and which
//! hooks run when (the wire side is in `docs/protocol.md`, "Recovery and
//! at-least-once delivery").
//!
//! # Without recovery: at most once
//!
//! A client that does not ask for recovery (every v1 client) gets exactly
//! what v1 promises: events queued while its link is up, in order; nothing
//! after a drop. It never sees a `zap.*` event or a `zap-*` header.
//!
//! # With recovery (the client connects with `zap_recover=1`)
//!
//! ```
//! use std::time::Duration;
//! use zap_core::{EventRegister, History, RecoveryConfig};
//!
//! let register = EventRegister::new()
//!     // rooms whose events a returning client gets back
//!     .history("chat:*", History::last(500).max_age(Duration::from_secs(120)))
//!     // how long a dropped session waits for its client (default 120 s)
//!     .recovery(RecoveryConfig::default().window(Duration::from_secs(60)))
//!     .on_resumed(|ctx| async move {
//!         if let Some(status) = ctx.connection().recovery() {
//!             tracing::info!(?status, "session resumed");
//!         }
//!     });
//! ```
//!
//! **Room events.** Every event sent to a room with history gets the next
//! offset of that room (one more per event) in the room's epoch, and is
//! recorded. Members that asked for recovery receive it stamped
//! (`zap-room`, `zap-epoch`, `zap-offset`); v1 members receive the plain
//! frame, byte for byte as without history. Each form is encoded at most
//! once per event, whatever the number of members. A client that resumes
//! within the window receives every event of its rooms after the offset it
//! reports, in order, before any new event, and none it already had (an
//! event the sender excluded the client from is not replayed either).
//! A broadcast to several rooms is one `to(room)` per room: each room
//! records it with its own offset, and a member of several of them receives
//! one copy per room. `all()` is not a room: it is recorded nowhere.
//!
//! **Direct events** (`Connection::send`, `ConnectionRouter::send_to`) to a
//! recoverable connection carry `zap-seq`, one more per event of the
//! session. The session keeps the last [`RecoveryConfig::direct_buffer`](crate::RecoveryConfig::direct_buffer)
//! of them (also while the client is away) and replays those after the
//! `zap_seq` the client reports.
//!
//! **Client events.** Each carries `zap-id`; the handler runs at most once
//! per id and session (a resend is dropped) and the server acknowledges
//! cumulatively (`zap.ack`, at most one per written batch). With the
//! client's resend of what was not acknowledged, a handler runs exactly once
//! per event while the session lives, even when the link drops mid-flight.
//! An event is marked handled when its handler starts; a handler in flight
//! when the link drops still finishes.
//!
//! # Gaps are reported, never silent
//!
//! `zap.session` (and [`Connection::recovery`](crate::Connection::recovery))
//! says `recovered`, or `gaps` with the rooms whose history no longer
//! reaches the client's offset or whose epoch changed (in-process history
//! gets a new epoch with every process) and whether direct events were lost,
//! or `new` with `reason: expired` (the window passed) or `unknown` (the
//! token was never issued here or was lost with a restart: in-process
//! sessions do not survive one). On `gaps` or `new`, reload from your own
//! source of truth.
//!
//! Not covered: events to rooms **without** history during a drop (lost, as
//! in v1, and not reported), frames sent pre-encoded with
//! `Connection::send_frame` (not stamped), and client events unacknowledged
//! when the window expires (the client reports them undelivered: they may or
//! may not have run).
//!
//! # Across instances
//!
//! With one process, history and parked sessions live in its memory
//! ([`InMemorySessions`](crate::InMemorySessions)). Several instances share
//! them through a [`HistoryStore`](crate::HistoryStore) and a
//! [`SessionStore`](crate::SessionStore): `zap_redis::RedisBackend::install`
//! sets both (Redis Streams for history, Redis keys for sessions), and a
//! client resumes on any instance, including after the one it was on was
//! killed. There, every event of a room with history gets its offset in
//! Redis and each instance delivers it when Redis hands it back (so a
//! broadcast reaches local members one Redis round trip later, and not at
//! all while Redis is unreachable: the [`Delivery`](crate::Delivery) says
//! `Remote::Dropped`). Limits of the shared stores:
//!
//! - history is bounded by count and age (not bytes), and an idle room's
//!   history expires after a day (its next event starts a new epoch);
//! - a live session is written to Redis when it opens, joins and leaves a
//!   room: after its instance is killed, the client resumes its rooms and
//!   their events, but client events handled since the last write may run
//!   again (at least once across a crash, exactly once otherwise);
//! - a client that received no event of a room since joining it, and whose
//!   instance had not yet seen any event of that room when the session was
//!   written, is told `gaps` for that room (conservative: it may have missed
//!   nothing);
//! - a resume on an instance that has not yet received any event of a room
//!   replays that room from Redis; events the client already has may then
//!   also arrive live (the client drops them by offset, as the protocol
//!   says); an instance that lags behind the one the client came from is
//!   waited for (up to 2 s) instead;
//! - a direct event sent from another instance in the instant between a
//!   drop and the session reaching Redis (one round trip) finds neither the
//!   connection nor the parked session, and is lost without `directGap`;
//! - a resume that finds the session still held by a live instance waits up
//!   to 3 s for it to let go, then takes it over; `disconnected` runs on the
//!   instance that parked the session, at the end of the window, unless the
//!   session resumed; a session whose instance died never runs it.
//!
//! With a distributed backend but history kept in each process (no history
//! store), other instances receive room events plain (not recoverable
//! there).
//!
//! # Which hooks run when
//!
//! | what happens | hooks |
//! | --- | --- |
//! | a new connection (v1, or a new session) | `connected` |
//! | a recoverable connection drops without a clean close (network loss, idle timeout, a reader too slow, cut off) | none: it leaves its rooms **without** presence events and its session is parked |
//! | its client resumes within the window (on any connection) | `resumed` ([`EventRegister::on_resumed`](crate::EventRegister::on_resumed)), not `connected`; no presence leave/join |
//! | the window expires | presence `leave` for its rooms, then `disconnected` |
//! | a clean close (the client's close frame, `Connection::close`) | `disconnected`, then it leaves its rooms (presence `leave`), as in v1 |
//! | server shutdown | `disconnected` with the in-process store; with a shared store (Redis) the session stays parked there and can resume on another instance |
//!
//! A resume that finds the old connection still open on this instance (the
//! client saw the drop first) closes it (code 1001) and takes its session
//! over; the application sees only `resumed`.
//!
//! # Memory
//!
//! History costs its events (bounded per room by [`History`](crate::History))
//! plus a small log per room that ever had history in this process. A parked
//! session costs its rooms, its kept direct events and its saved state,
//! until it resumes or its window ends.

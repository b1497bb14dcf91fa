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
//! **Direct events.** Every way of sending to one connection goes the same
//! way: `Connection::send` / `send_with_headers` / `emit`,
//! `ConnectionRouter::send_to` / `send_to_with_headers` / `emit_to` (here or
//! on another instance), `EventContext::reply` and the
//! [`Reply`](crate::extract::Reply) extractor. To a recoverable connection
//! each carries `zap-seq`, one more per direct event of the session, and is
//! kept (the last [`RecoveryConfig::direct_buffer`](crate::RecoveryConfig::direct_buffer))
//! for a resume; sent while the link is down, it waits for the client (the
//! send says [`Delivery::kept`](crate::Delivery#structfield.kept)). A resume
//! replays every kept event after the `zap_seq` the client reports, before
//! any new one. Every send returns the same `Result<Delivery, SendError>`.
//!
//! **Client events.** Each carries `zap-id`; the handler runs at most once
//! per id and session (a resend is dropped) and the server acknowledges
//! cumulatively (`zap.ack`, at most one per written batch). An id is
//! acknowledged only once its handler has finished (returned, or failed and
//! been reported); a handler in flight when the link drops still finishes,
//! and the resume's `ack` says whether it did. Flood control never
//! acknowledges what it refuses: it tells the client (`zap.nack` with
//! `retryAfter`) and drops later ids until the refused one is resent. With
//! the client's resend of what was not acknowledged, a handler runs exactly
//! once per event while the session lives.
//!
//! **Requests.** A request (`zap-request-id`) whose payload does not decode,
//! whose handler fails or panics, that has no handler, or that flood control
//! refuses (without `zap-id`) is answered at once with an error reply
//! (`zap-error: {kind, message}`), unless the handler already answered.
//!
//! # Gaps are reported, never silent
//!
//! `zap.session` (and [`Connection::recovery`](crate::Connection::recovery))
//! says `recovered`, or `gaps` with the rooms whose history no longer
//! reaches the client's offset or whose epoch changed and whether direct
//! events were lost (`directGap`), or `new` with `reason: expired` (the
//! window passed, the session was evicted to bound memory, or it ended with
//! a clean close) or `unknown` (a token never issued, one issued to another
//! identity, or lost with a restart: in-process sessions do not survive
//! one). After `gaps`, the events the history still holds for those rooms
//! follow `zap.session` (oldest first, under their new epoch and offsets),
//! then everything else missed, then new events: show a gap marker, and
//! reload from your own source of truth what history no longer holds.
//!
//! Not covered: events to rooms **without** history during a drop (lost, as
//! in v1, and not reported), `all()` broadcasts (recorded in no room), and
//! client events unacknowledged when the window expires (the client reports
//! them undelivered: they may or may not have run).
//!
//! # Sessions and identity
//!
//! A token resumes its session; it is not a proof of identity. Bind
//! sessions to the identity your `authorize` hook establishes with
//! [`EventRegister::session_identity`](crate::EventRegister::session_identity):
//! a resume under another identity (or none) then gets a new session and
//! the owner's session stays. Tokens are never logged. Clients can keep the
//! token out of the upgrade URL (which proxies log) by resuming in the
//! first frame (`zap_resume=frame`, see `docs/protocol.md`); zap-client and
//! the `zaptools` npm package do so with servers that offer it.
//!
//! # Across instances
//!
//! With one process, history and parked sessions live in its memory.
//! `EventRegister::backend(redis)` alone puts everything the backend
//! provides behind the same boundary: the bus, room history (Redis Streams,
//! a [`HistoryStore`](crate::HistoryStore)) and sessions (a
//! [`SessionStore`](crate::SessionStore)). Then, as tested against a real
//! `redis-server` with several instances:
//!
//! | case | what holds |
//! | --- | --- |
//! | a drop, resume on another instance | rooms, metadata, room events and direct events after the client's positions, exactly once and in order; the same id; `resumed` runs there |
//! | direct events sent from any instance while the session is parked or moving | numbered by Redis (`zap-seq` continues whichever instance sends), kept, and replayed or delivered exactly once, in order |
//! | the instance the client was on is killed | the session resumes elsewhere from its last write to Redis: room and direct events are all there (Redis numbered them); client events handled since that write may run again (at least once across a crash) |
//! | a resume while the old instance still holds a dead link | it waits up to 3 s for that instance to let go, then takes the session over; the old instance, waking later, does not take the membership back |
//! | the dead instance is reaped | its members leave cluster membership and presence says so, except sessions that resumed elsewhere: they keep their membership and no `leave` is announced |
//! | a clean close | the session ends in Redis: its token gets `new` everywhere, `disconnected` runs once |
//! | Redis unreachable | local delivery goes on; room broadcasts to rooms with history and cross-instance sends are dropped and reported (`Remote::Dropped`); direct events to a live connection are delivered unnumbered and its next resume reports `directGap` |
//!
//! Limits of the shared stores:
//!
//! - history is bounded by count and age (not bytes), and an idle room's
//!   history expires after a day (its next event starts a new epoch);
//! - a live session is written to Redis when it opens, joins and leaves a
//!   room: after a crash, the rooms it joined or left since are as of that
//!   write;
//! - a client that received no event of a room since joining it, and whose
//!   instance had not yet seen any event of that room when the session was
//!   written, is told `gaps` for that room (conservative: it may have missed
//!   nothing);
//! - every event of a room with history, and every direct event to a
//!   recoverable connection, goes through Redis before it is delivered (one
//!   round trip, pipelined);
//! - `disconnected` runs on the instance that parked the session, at the end
//!   of the window, unless it resumed; a session whose instance died never
//!   runs it.
//!
//! # Which hooks run when
//!
//! | what happens | hooks |
//! | --- | --- |
//! | a new connection (v1, or a new session) | `connected` |
//! | a recoverable connection drops without a clean close (network loss, idle timeout, a reader too slow, cut off, a client going away with close code 1001 such as a page reload) | none: it leaves its rooms **without** presence events and its session is parked |
//! | its client resumes within the window (on any connection) | `resumed` ([`EventRegister::on_resumed`](crate::EventRegister::on_resumed)), not `connected`; no presence leave/join |
//! | the window expires | presence `leave` for its rooms, then `disconnected` |
//! | a clean close (the client's close frame with code 1000 or none, `Connection::close`) | `disconnected`, then it leaves its rooms (presence `leave`), as in v1; the session ends (its token gets `new`) |
//! | more sessions parked than [`RecoveryConfig::max_parked`](crate::RecoveryConfig::max_parked) (or bytes) | the oldest parked ones end: presence `leave`, `disconnected`; their clients get `new`, `expired` |
//! | server shutdown | `disconnected` with the in-process store (`ZapServer::shutdown` waits for it); with a shared store (Redis) the session stays parked there and can resume on another instance |
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
//! until it resumes or its window ends; the process keeps at most
//! [`RecoveryConfig::max_parked`](crate::RecoveryConfig::max_parked) of them
//! (10,000) and [`RecoveryConfig::max_parked_bytes`](crate::RecoveryConfig::max_parked_bytes)
//! (64 MiB), evicting the oldest.

//! The transport-agnostic heart of zaptools: register handlers by event
//! name, and let one loop run every connection, its rooms and broadcasts.
//!
//! ```
//! use serde::Deserialize;
//! use serde_json::json;
//! use zap_core::{EventContext, EventRegister};
//!
//! #[derive(Deserialize)]
//! struct Say { room: String, text: String }
//!
//! let register = EventRegister::new()
//!     .on_connected(|ctx: EventContext| async move {
//!         ctx.connection().send("welcome", json!({"id": ctx.connection().id().as_str()}))?;
//!         Ok(())
//!     })
//!     .on_event("join", |ctx| async move {
//!         let room: String = ctx.payload_as()?; // bad payload -> `error` handler
//!         ctx.join(&room);
//!         Ok(())
//!     })
//!     .on_event("say", |ctx| async move {
//!         let say: Say = ctx.payload_as()?;
//!         ctx.router()
//!             .to(&say.room)
//!             .except(ctx.connection().id())
//!             .send("said", json!({"text": say.text}))?;
//!         Ok(())
//!     })
//!     .on_error(|ctx| async move {
//!         tracing::warn!(error = ?ctx.error(), "handler failed");
//!     });
//! # drop(register);
//! ```
//!
//! Serve the register with `zap-server`, or inside actix-web, axum or warp
//! with the adapter crates: every integration drives the same [`Session`]
//! loop, so they behave identically.
//!
//! # Guarantees
//!
//! - **Order.** Events of one connection are handled one at a time, in
//!   arrival order. A connection's next frame is not read until its previous
//!   handler finished; spawn a task for long work. Connections are
//!   independent: a slow handler never stalls another connection.
//! - **Lifecycle.** `connected` runs once before any other handler of the
//!   connection; `disconnected` runs exactly once when it ends, for any
//!   reason (peer close, network loss, server close, shutdown), after any
//!   handler still in flight (at shutdown, one still running after
//!   [`ConnectionConfig::shutdown_grace`] is aborted).
//! - **Failures stay local.** A handler's `Err` or panic, an invalid frame, a
//!   binary frame or an oversized one raise `error` (see
//!   [`EventContext::error`]); the connection keeps working (an oversized
//!   frame closes it with 1009). A failure of the `error` handler is logged.
//! - **Bounded memory.** Each connection's outbound queue is bounded
//!   in events and in bytes ([`ConnectionConfig::outbound_queue`],
//!   [`ConnectionConfig::outbound_bytes`]); a send never waits, and a full
//!   queue is a typed [`SendError::Full`] handled by [`OverflowPolicy`].
//!
//! - **Recovery (opt-in).** Clients that ask for it resume after a drop:
//!   room history with offsets, direct events, exactly-once client events,
//!   and gaps always reported. See [`delivery`] for the exact guarantees
//!   and which hooks run when.
//!
//! # Building integrations
//!
//! An adapter depends on this crate alone: it builds a [`Handshake`], calls
//! [`Endpoint::authorize`] (answering a [`Rejection`] with its status),
//! upgrades, adapts the framework's socket into a [`Transport`] (a stream
//! of [`Inbound`] and a sink of [`Outbound`]) and runs [`Endpoint::serve`].
//! No dispatch logic belongs in an adapter.
#![forbid(unsafe_code)]

// `#[derive(Event)]` names this crate `::zap_core`, in its doc tests too.
#[allow(unused_extern_crates)]
extern crate self as zap_core;

mod backend;
mod config;
mod connection;
mod context;
mod declared;
pub mod delivery;
mod endpoint;
mod error;
mod extensions;
pub mod extract;
mod grace;
mod handler;
mod handshake;
mod heartbeat;
mod id;
mod meta;
mod outbound;
mod outbox;
mod rate;
mod recovery;
mod register;
mod register_typed;
mod resume;
mod router;
mod session;
pub mod telemetry;
mod transport;
mod typed;

pub use backend::{
    Backend, BackendError, BackendFuture, InProcess, MemberInfo, Membership, Target,
};
pub use config::{ConnectionConfig, OverflowPolicy};
pub use connection::Connection;
pub use context::EventContext;
pub use declared::{DeclaredEvent, Direction};
pub use endpoint::{Admission, DEFAULT_MAX_CONNECTIONS, Endpoint};
pub use error::{BoxError, ErrorInfo, ErrorKind, HandlerError, HandlerResult, SendError};
pub use extensions::Extensions;
pub use handler::{BoxFuture, HandlerReturn, IntoHandlerResult};
pub use handshake::{Handshake, Rejection};
pub use id::ConnectionId;
pub use meta::MetaTag;
pub use rate::{FloodPolicy, Limit, RateLimit};
pub use recovery::{
    ACK_EVENT, DirectEvent, DirectTemplate, EPOCH_HEADER, History, HistoryStore, ID_HEADER,
    InMemorySessions, Lookup, NACK_EVENT, NewReason, OFFSET_HEADER, Position, PushDirect,
    ROOM_HEADER, RecoveryConfig, RecoveryStatus, RoomRecord, SEQ_HEADER, SESSION_EVENT,
    SessionRecord, SessionStore, stamp_room,
};
pub use register::{EventRegister, MissingStateError};
pub use router::{
    Broadcast, ConnectionRouter, Delivery, Member, Remote, RouterBuilder, WeakRouter,
};
pub use session::{EndReason, Session};
pub use transport::{CloseFrame, Inbound, Outbound, Transport, TransportError, close_code};

pub use tokio_util::sync::CancellationToken;
pub use zap_protocol::{
    self as protocol, EventData, Frame, Headers, Payload, PayloadError, Request, Text, TypedEvent,
    schemars,
};

/// `#[derive(Event)]`: names a payload type's event (feature `macros`, on
/// by default); see [`Event`].
#[cfg(feature = "macros")]
pub use zap_macros::Event;

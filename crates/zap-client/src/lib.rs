//! A zaptools client: connect a Rust program to any zaptools server (Rust,
//! Python or Dart) and exchange events over one WebSocket.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use zap_client::{ReconnectPolicy, ZapSubscriber};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = ZapSubscriber::builder("ws://127.0.0.1:8000/")
//!     .reconnect(ReconnectPolicy::exponential())
//!     .connect()
//!     .await?;
//! let mut said = client.subscribe_to_event("said");
//! client.send_event("join", "lobby")?;
//! while let Some(event) = said.next().await {
//!     println!("{}", event.payload());
//! }
//! # Ok(()) }
//! ```
//!
//! Two faces over one connection engine, with the Dart names:
//!
//! - [`ZapSubscriber`]: streams — [`subscribe_to_event`](ZapSubscriber::subscribe_to_event),
//!   [`subscribe_to_events`](ZapSubscriber::subscribe_to_events),
//!   [`subscribe_to_all_events`](ZapSubscriber::subscribe_to_all_events),
//!   [`connection_state`](ZapSubscriber::connection_state),
//!   [`errors`](ZapSubscriber::errors).
//! - [`ZapConsumer`]: callbacks, plain or async — [`on_event`](ZapConsumer::on_event),
//!   [`on_any_event`](ZapConsumer::on_any_event), [`on_connected`](ZapConsumer::on_connected),
//!   [`on_disconnected`](ZapConsumer::on_disconnected),
//!   [`on_connection_state_changed`](ZapConsumer::on_connection_state_changed),
//!   [`on_error`](ZapConsumer::on_error); a callback that needs the client
//!   captures [`ZapConsumer::downgrade`] ([`WeakZapConsumer`]), not a clone,
//!   which would keep the client alive until `clean()`.
//!
//! Both dereference to [`ZapClient`], the methods they share: `connect()`
//! (also to reconnect), `disconnect()`, `clean()`, `send_event()`,
//! `request()`, `is_connected()`, `current_state()`.
//!
//! # Typed events
//!
//! A payload type that names its event (`#[derive(Event)]`, shared with
//! the server) is sent with [`ZapClient::emit`], requested with
//! [`ZapClient::request_typed`] (whose reply type is known), and received
//! with [`ZapSubscriber::subscribe`] (a stream of `Result<E, PayloadError>`)
//! or [`ZapConsumer::on_typed`]. String names keep working beside them.
//!
//! The names cannot be taken for one another: a received event is an
//! [`EventData`]; [`TypedEvent`] is the trait of payload types that name
//! their event; `Event` is only the derive that implements it.
//!
//! ```
//! fn on_said(event: zap_client::EventData) -> String {
//!     event.event_name().to_owned()
//! }
//! ```
//!
//! ```compile_fail
//! // error: expected type, found derive macro `zap_client::Event`
//! fn on_said(event: zap_client::Event) {}
//! ```
//!
//! # Delivery
//!
//! - Events reach each subscription in the order the server sent them;
//!   every subscription gets every matching event.
//! - Between the socket and the application every queue is bounded:
//!   sending fails at once with [`SendError::Full`] when the send queue is
//!   full; a subscription that lags loses its own *oldest* events
//!   ([`Subscription::missed`] counts them) without slowing anyone else.
//! - Subscriptions and callbacks survive `disconnect()` and reconnection:
//!   after `connect()` they receive again, without duplicates.
//! - A frame that is not a valid event is reported on the error stream
//!   ([`ConnectionError::InvalidFrame`]) and skipped.
//!
//! # Recovery and at-least-once delivery
//!
//! On by default ([`Recovery`]), against a server that offers the recovery
//! extension (`docs/protocol.md`, "Recovery and at-least-once delivery");
//! against any other server nothing changes: the client sends one ping
//! when it connects and holds its events until the server's first frame
//! (the pong) shows it is plain v1, then speaks plain v1.
//!
//! **Server to client.** The client keeps the session token, the last
//! `(epoch, offset)` received in each room and the last direct sequence
//! number, and hands them back on every reconnect, automatic or by
//! `connect()`. The server replays what was missed, in order, before
//! anything new; the client drops every event it already received (same
//! room, epoch and an offset not above the last; a `zap-seq` not above the
//! last), so each stamped event reaches the application once. How each
//! session began is announced on `sessions()` / `on_session`
//! ([`SessionOutcome`]: new, recovered, or gaps with their rooms); gaps
//! are also reported on the error stream ([`ConnectionError::Gaps`]), never
//! silent. `zap.*` events are never delivered to the application, and
//! the recovery headers (`zap-room`, `zap-epoch`, `zap-offset`, `zap-seq`,
//! `zap-id`) are taken off the events it receives.
//!
//! **Client to server.** Each event written gets an id (`zap-id`, from 1 per
//! session) and stays in the client's journal until the server acknowledges
//! it (`zap.ack`, cumulative). After a resume, the unacknowledged events
//! are written again, in order, before any other; the server runs each id
//! at most once, so a handler runs exactly once per event even when the
//! link drops mid-flight. An event the server refuses (`zap.nack`, flood
//! control) is written again after the server's `retryAfter`, with every
//! later unacknowledged one, in order; a refusal drops nothing. Against a
//! server that says it accepts one (`resumeFrame` in `zap.session`), the
//! token travels in a first `zap.resume` frame instead of the upgrade URL,
//! which proxies log; other servers get it in the URL. At most
//! [`max_unacknowledged`](Recovery::max_unacknowledged) events wait for an
//! acknowledgement; past that, writing pauses until one arrives. While the
//! server offers recovery, events accepted but not yet written when the
//! link dropped are kept for the next connection (up to that many, whatever
//! [`ClientBuilder::outbox`] says). Events sent while not online are
//! refused at once ([`SendError::NotOnline`]) unless an outbox was asked
//! for ([`ClientBuilder::outbox`]), which holds them during reconnection.
//!
//! **Limits.** The guarantee holds while the session lives on the server
//! (its window, about two minutes by default, counts from the drop) and
//! while the client lives:
//!
//! - When the client comes back after the window (or to a server that does
//!   not know the session), the session is new ([`SessionOutcome::New`]
//!   with [`NewReason::Expired`] or [`NewReason::Unknown`]): unacknowledged
//!   events are reported as [`ConnectionError::NotDelivered`] (they may or
//!   may not have been handled) and not sent again, and missed events are
//!   lost.
//! - `disconnect()`, `clean()` and dropping the client end the session:
//!   events already accepted are written before the close frame, and the
//!   next `connect()` starts a new session. Giving up reconnecting discards
//!   the outbox ([`ConnectionError::OutboxDiscarded`]); the journal is kept
//!   for a later `connect()`.
//! - Requests (`request()`) are at most once: they carry no id and fail
//!   with a lost connection.
//! - Events that reach the client through no room with history and no
//!   direct send of a recoverable session carry no stamp: they are
//!   delivered as received, at most once.
//!
//! # Features
//!
//! | feature | what it adds |
//! | --- | --- |
//! | `tls` | `wss://` through rustls (ring provider), trusting the roots of a `TlsConfig` |
//! | `tls-webpki-roots` | `tls`, trusting Mozilla's roots by default |
//! | `tls-native-roots` | `tls`, trusting the operating system's roots by default (before Mozilla's when both are on) |
//!
//! With `tls`, [`rustls`] is the rustls this crate uses, re-exported to build
//! a [`TlsConfig::from_rustls`] without guessing its version.
//!
// These links resolve only with `tls` on; without it, they point at the
// features table (so `cargo doc` has no broken link either way).
#![cfg_attr(
    not(feature = "tls"),
    doc = "[`rustls`]: #features\n[`TlsConfig::from_rustls`]: #features"
)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

// `#[derive(Event)]` names this crate `::zap_client`, in its doc tests too.
#[allow(unused_extern_crates)]
extern crate self as zap_client;

pub mod callback;
mod common;
mod config;
mod consumer;
mod engine;
mod error;
mod error_stream;
mod listen;
mod relay;
mod session_outcome;
mod state;
mod state_stream;
mod subscriber;
mod subscription;
mod typed;
mod weak;

pub use common::ZapClient;
pub use config::{ClientBuilder, Heartbeat, ReconnectPolicy, Recovery};
#[cfg(feature = "tls")]
pub use config::{TlsConfig, TlsConfigError};
pub use consumer::ZapConsumer;
pub use error::{ConnectError, ConnectionError, RequestError, SendError};
pub use error_stream::ErrorStream;
pub use session_outcome::{NewReason, SessionOutcome, SessionStream};
pub use state::ConnectionState;
pub use state_stream::StateStream;
pub use subscriber::ZapSubscriber;
pub use subscription::Subscription;
pub use typed::{TypedRequestError, TypedSubscription};
pub use weak::WeakZapConsumer;
pub use zap_protocol::{
    self as protocol, DecodeError, EventData, Headers, Payload, PayloadError, Request, TypedEvent,
    schemars,
};

/// `#[derive(Event)]`: names a payload type's event, implementing
/// [`TypedEvent`] (feature `macros`, on by default). `Event` is only this
/// derive: a received event is an [`EventData`].
#[cfg(feature = "macros")]
pub use zap_macros::Event;

/// The rustls crate this client is built with (feature `tls`), for
/// [`TlsConfig::from_rustls`]: client certificates, custom verifiers.
#[cfg(feature = "tls")]
pub use tokio_rustls::rustls;

/// The code blocks of this crate's README, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

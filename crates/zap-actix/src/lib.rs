//! Serve a zaptools [`EventRegister`](zap_core::EventRegister) from
//! actix-web 4: [`handler`] upgrades the request (through actix-ws) and runs
//! the register on the WebSocket, exactly as `zap-server` does.
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use zap_core::EventRegister;
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     let register = EventRegister::new().on_event("hello", |ctx| async move {
//!         ctx.connection().send("hello", "HELLO FROM SERVER !!!")?;
//!         Ok(())
//!     });
//!     HttpServer::new(move || {
//!         App::new().route("/ws", web::get().to(zap_actix::handler(register.clone())))
//!     })
//!     .bind(("127.0.0.1", 8000))?
//!     .run()
//!     .await
//! }
//! ```
//!
//! # Behaviour
//!
//! The same as `zap-server`, checked by the same conformance suite. What
//! actix-ws leaves to its user, this crate does:
//!
//! - Continuation frames are joined into one message
//!   (`aggregate_continuations`), and the frame and message limits are
//!   [`ConnectionConfig::max_message_size`](zap_core::ConnectionConfig::max_message_size)
//!   instead of actix-ws's 64 KiB frames: a larger message raises `error`
//!   and closes the connection with 1009. The limit is checked on each frame
//!   header as it arrives (actix-http itself would first buffer the whole
//!   frame), so a peer cannot make the server buffer an oversized message.
//! - Pings are answered with pongs, and a peer's close frame with a close
//!   frame.
//! - actix-ws's streams are not `Send`: each session runs on the actix worker
//!   that accepted its request (`actix_web::rt::spawn`). Connections are
//!   still reachable from any thread through the register's router.
//!
//! The handshake holds the path, the query, the headers and the peer's
//! address. The register's authorization hook runs once actix-ws has
//! validated the upgrade request; a refusal is answered with its 401/403
//! status and its reason as plain text.
//!
//! Build the register once, outside `HttpServer::new`'s factory, and clone
//! the handler into each worker's `App`: the workers then share one router,
//! so rooms and connection ids span the whole server.
//!
//! # Idle connections
//!
//! Through an actix-web route, actix-http's connection dispatcher (two
//! 8 KiB buffers and its task) and actix-ws's channel stay under every
//! WebSocket, about 17 KB per idle connection. [`upgrade`] is an upgrade
//! service for an actix-http `HttpService`: the upgrades leave the
//! dispatcher and run on the bare socket through zap-tungstenite, as in
//! `zap-server` (about 5.1 KB per idle connection).
//!
//! # Graceful shutdown
//!
//! actix-web's graceful stop waits for open WebSocket connections until its
//! shutdown timeout. Pass a [`CancellationToken`](zap_core::CancellationToken)
//! with [`ZapHandler::shutdown_token`] and cancel it before stopping the
//! server: every session closes with code 1001 ("server shutting down") and
//! runs its `disconnected` handler, and the workers can stop at once.
//!
//! ```no_run
//! # async fn demo(register: zap_core::EventRegister) -> std::io::Result<()> {
//! use actix_web::{App, HttpServer, web};
//! use zap_core::CancellationToken;
//!
//! let shutdown = CancellationToken::new();
//! let ws = zap_actix::handler(register).shutdown_token(shutdown.clone());
//! let server = HttpServer::new(move || App::new().route("/ws", web::get().to(ws.clone())))
//!     .disable_signals()
//!     .bind(("127.0.0.1", 8000))?
//!     .run();
//! let handle = server.handle();
//! actix_web::rt::spawn(async move {
//!     let _ = actix_web::rt::signal::ctrl_c().await;
//!     shutdown.cancel();
//!     handle.stop(true).await;
//! });
//! server.await
//! # }
//! ```
#![forbid(unsafe_code)]

mod handler;
mod limit;
mod outgoing;
mod transport;
mod upgrade;

/// The code blocks of this crate's README, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use handler::{ZapHandler, handler, handler_with_config};
pub use upgrade::{UpgradeError, upgrade};

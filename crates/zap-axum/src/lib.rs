//! Serve a zaptools [`EventRegister`](zap_core::EventRegister) from an axum
//! 0.8 router: [`handler`] upgrades the request and runs the register on the
//! WebSocket, exactly as `zap-server` does.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use zap_core::EventRegister;
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let register = EventRegister::new().on_event("hello", |ctx| async move {
//!         ctx.connection().send("hello", "HELLO FROM SERVER !!!")?;
//!         Ok(())
//!     });
//!     let app = Router::new().route("/ws", get(zap_axum::handler(register)));
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//!     // `axum::serve` plus a header read timeout; handlers get `ConnectInfo`.
//!     zap_axum::serve(listener, app).await;
//!     Ok(())
//! }
//! ```
//!
//! # Behaviour
//!
//! The same as `zap-server`, checked by the same conformance suite:
//!
//! - The upgrade goes through hyper itself (`hyper::upgrade::on`), and the
//!   upgraded connection runs on zap-tungstenite, the tokio-tungstenite
//!   transport of `zap-server`, configured from the endpoint's
//!   [`ConnectionConfig`](zap_core::ConnectionConfig): read buffer, message
//!   and frame limits (a larger message raises `error` and closes with
//!   1009), subprotocols. A protocol violation closes with 1002 (1007 for
//!   invalid UTF-8).
//! - The handshake holds the path as the client sent it (before any
//!   `Router::nest`), the query, the headers, and the peer's address
//!   (`ConnectInfo<SocketAddr>`, given by [`serve`] and by
//!   `into_make_service_with_connect_info::<SocketAddr>()`; `None` otherwise).
//! - A request that is no WebSocket upgrade is answered 400; past the
//!   endpoint's `max_connections`, 503; a refusal of the authorization hook
//!   with its 401/403 status; each with its reason as plain text.
//! - Each connection runs zap-core's [`Session`](zap_core::Session) loop on
//!   a task of its own.
//! - [`serve`] bounds half-sent requests with hyper's header read timeout
//!   (10 s by default); `axum::serve` sets none.
//!
//! # Graceful shutdown
//!
//! Pass a [`CancellationToken`](zap_core::CancellationToken) with
//! [`ZapHandler::shutdown_token`] and cancel it when the application stops:
//! every session then closes with code 1001 ("server shutting down") and
//! runs its `disconnected` handler, then leaves the register's router.
//! The server's graceful shutdown does not wait for upgraded connections, so
//! wait for the router to empty before letting it finish:
//!
//! ```no_run
//! # async fn demo(register: zap_core::EventRegister) -> std::io::Result<()> {
//! use axum::{Router, routing::get};
//! use zap_core::CancellationToken;
//!
//! let shutdown = CancellationToken::new();
//! let router = register.router().clone();
//! let ws = zap_axum::handler(register).shutdown_token(shutdown.clone());
//! let app = Router::new().route("/ws", get(ws));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! zap_axum::serve(listener, app)
//!     .with_graceful_shutdown(async move {
//!         let _ = tokio::signal::ctrl_c().await;
//!         shutdown.cancel();
//!         // Every `disconnected` has run once the router is empty.
//!         router.until_empty().await;
//!     })
//!     .await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod handler;
mod serve;

/// The code blocks of this crate's README, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use handler::{ZapHandler, handler, handler_with_config};
pub use serve::{Serve, serve};

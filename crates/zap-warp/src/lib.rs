//! Serve a zaptools [`EventRegister`](zap_core::EventRegister) from warp:
//! [`filter`] upgrades the request and runs the register on the WebSocket,
//! exactly as `zap-server` does.
//!
//! ```no_run
//! use warp::Filter;
//! use zap_core::EventRegister;
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let register = EventRegister::new().on_event("hello", |ctx| async move {
//!         ctx.connection().send("hello", "HELLO FROM SERVER !!!")?;
//!         Ok(())
//!     });
//!     let routes = warp::path("ws").and(zap_warp::filter(register));
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//!     // `warp::serve` plus a header read timeout.
//!     zap_warp::serve(listener, routes).await;
//!     Ok(())
//! }
//! ```
//!
//! # Behaviour
//!
//! The same as `zap-server`, checked by the same conformance suite:
//!
//! - warp's own WebSocket is not used: hyper's upgraded connection runs on
//!   zap-tungstenite, the tokio-tungstenite transport of `zap-server`,
//!   configured from the endpoint's
//!   [`ConnectionConfig`](zap_core::ConnectionConfig): read buffer (4 KiB by
//!   default, not tungstenite's zero-filled 128 KiB), message and frame
//!   limits (a larger message raises `error` and closes with 1009),
//!   subprotocols. A protocol violation closes with 1002 (1007 for invalid
//!   UTF-8).
//! - The handshake holds the full request path, the query, the headers and
//!   the peer's address (from `warp::serve`, or from [`serve`]).
//! - A request without `Upgrade: websocket` is rejected, so other routes
//!   may still answer it; a malformed upgrade is answered 400, past the
//!   endpoint's `max_connections` 503, a refusal of the authorization hook
//!   with its 401/403 status; each with its reason as plain text.
//! - Each connection runs zap-core's [`Session`](zap_core::Session) loop on
//!   a task of its own.
//! - [`serve`] bounds half-sent requests with hyper's header read timeout
//!   (10 s by default); `warp::serve` sets none.
//!
//! # Graceful shutdown
//!
//! Build the filter with [`filter_with_shutdown`] and cancel the
//! [`CancellationToken`](zap_core::CancellationToken) when the application
//! stops: every session then closes with code 1001 ("server shutting down")
//! and runs its `disconnected` handler, then leaves the register's router.
//! The server's graceful shutdown does not wait for upgraded connections, so
//! wait for the router to empty before letting it finish:
//!
//! ```no_run
//! # async fn demo(register: zap_core::EventRegister) -> std::io::Result<()> {
//! use warp::Filter;
//! use zap_core::{CancellationToken, ConnectionConfig};
//!
//! let shutdown = CancellationToken::new();
//! let router = register.router().clone();
//! let ws = zap_warp::filter_with_shutdown(register, ConnectionConfig::default(), shutdown.clone());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! zap_warp::serve(listener, warp::path("ws").and(ws))
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

mod filter;
mod serve;

/// The code blocks of this crate's README, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use filter::{endpoint, filter, filter_with_config, filter_with_shutdown};
pub use serve::{Serve, serve};

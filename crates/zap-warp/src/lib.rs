//! Serve a zaptools [`EventRegister`](zap_core::EventRegister) from warp:
//! [`filter`] upgrades the request and runs the register on the WebSocket,
//! exactly as `zap-server` does.
//!
//! ```no_run
//! use warp::Filter;
//! use zap_core::EventRegister;
//!
//! #[tokio::main]
//! async fn main() {
//!     let register = EventRegister::new().on_event("hello", |ctx| async move {
//!         ctx.connection().send("hello", "HELLO FROM SERVER !!!")?;
//!         Ok(())
//!     });
//!     let routes = warp::path("ws").and(zap_warp::filter(register));
//!     warp::serve(routes).run(([127, 0, 0, 1], 8000)).await;
//! }
//! ```
//!
//! # Behaviour
//!
//! The same as `zap-server`, checked by the same conformance suite:
//!
//! - The handshake holds the full request path, the query, the headers and
//!   the peer's address (from `warp::serve`).
//! - The register's authorization hook runs once warp has validated the
//!   upgrade request; a refusal is answered with its 401/403 status and its
//!   reason as plain text. A request that is no upgrade is rejected by
//!   `warp::ws()`, so other routes may still answer it.
//! - [`ConnectionConfig::max_message_size`](zap_core::ConnectionConfig::max_message_size)
//!   is also warp's message and frame limit: a larger message raises `error`
//!   and closes the connection with 1009.
//! - Each connection runs zap-core's [`Session`](zap_core::Session) loop on
//!   the task warp gives the upgraded socket.
//!
//! # Graceful shutdown
//!
//! Build the filter with [`filter_with_shutdown`] and cancel the
//! [`CancellationToken`](zap_core::CancellationToken) when the application
//! stops: every session then closes with code 1001 ("server shutting down")
//! and runs its `disconnected` handler, then leaves the register's router.
//! warp's graceful shutdown does not wait for upgraded connections, so wait
//! for the router to empty before letting it finish:
//!
//! ```no_run
//! # async fn demo(register: zap_core::EventRegister) {
//! use std::time::Duration;
//!
//! use warp::Filter;
//! use zap_core::{CancellationToken, ConnectionConfig};
//!
//! let shutdown = CancellationToken::new();
//! let router = register.router().clone();
//! let ws = zap_warp::filter_with_shutdown(register, ConnectionConfig::default(), shutdown.clone());
//! warp::serve(warp::path("ws").and(ws))
//!     .bind(([127, 0, 0, 1], 8000))
//!     .await
//!     .graceful(async move {
//!         let _ = tokio::signal::ctrl_c().await;
//!         shutdown.cancel();
//!         // Every `disconnected` has run once the router is empty.
//!         router.until_empty().await;
//!     })
//!     .run()
//!     .await;
//! # }
//! ```
#![forbid(unsafe_code)]

mod filter;
mod transport;

/// The code blocks of this crate's README, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use filter::{filter, filter_with_config, filter_with_shutdown};

//! Serve a zaptools [`EventRegister`](zap_core::EventRegister) from an axum
//! 0.8 router: [`handler`] upgrades the request and runs the register on the
//! WebSocket, exactly as `zap-server` does.
//!
//! ```no_run
//! use std::net::SocketAddr;
//!
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
//!     // `ConnectInfo` gives handlers the peer's address.
//!     axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
//! }
//! ```
//!
//! # Behaviour
//!
//! The same as `zap-server`, checked by the same conformance suite:
//!
//! - The handshake holds the path as the client sent it (before any
//!   `Router::nest`), the query, the headers, and the peer's address when
//!   the app is served with `into_make_service_with_connect_info::<SocketAddr>()`
//!   (`None` otherwise).
//! - The register's authorization hook runs once axum has validated the
//!   upgrade request; a refusal is answered with its 401/403 status and its
//!   reason as plain text. A request that is no upgrade gets axum's 4xx.
//! - [`ConnectionConfig::max_message_size`](zap_core::ConnectionConfig::max_message_size)
//!   is also axum's message and frame limit: a larger message raises `error`
//!   and closes the connection with 1009.
//! - Each connection runs zap-core's [`Session`](zap_core::Session) loop on
//!   a task of its own.
//!
//! # Graceful shutdown
//!
//! Pass a [`CancellationToken`](zap_core::CancellationToken) with
//! [`ZapHandler::shutdown_token`] and cancel it when the application stops:
//! every session then closes with code 1001 ("server shutting down") and
//! runs its `disconnected` handler, then leaves the register's router.
//! axum's graceful shutdown does not wait for upgraded connections, so wait
//! for the router to empty before letting it finish:
//!
//! ```no_run
//! # async fn demo(register: zap_core::EventRegister) -> std::io::Result<()> {
//! use std::time::Duration;
//!
//! use axum::{Router, routing::get};
//! use zap_core::CancellationToken;
//!
//! let shutdown = CancellationToken::new();
//! let router = register.router().clone();
//! let ws = zap_axum::handler(register).shutdown_token(shutdown.clone());
//! let app = Router::new().route("/ws", get(ws));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! axum::serve(listener, app)
//!     .with_graceful_shutdown(async move {
//!         let _ = tokio::signal::ctrl_c().await;
//!         shutdown.cancel();
//!         // Every `disconnected` has run once the router is empty.
//!         router.until_empty().await;
//!     })
//!     .await
//! # }
//! ```
#![forbid(unsafe_code)]

mod handler;
mod transport;

/// The code blocks of this crate's README, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use handler::{ZapHandler, handler, handler_with_config};

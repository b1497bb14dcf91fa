//! A standalone zaptools WebSocket server on tokio and tokio-tungstenite,
//! the Rust counterpart of Dart's `ZapServer`: Python, Dart and Rust
//! zaptools clients talk to it unchanged.
//!
//! ```no_run
//! use zap_core::{EventContext, EventRegister};
//! use zap_server::ZapServer;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), zap_server::ServerError> {
//!     let register = EventRegister::new()
//!         .on_connected(|ctx: EventContext| async move {
//!             tracing::info!(id = %ctx.connection().id(), "client connected");
//!         })
//!         .on_event("hello", |ctx| async move {
//!             ctx.connection().send("hello", "HELLO FROM SERVER !!!")?;
//!             Ok(())
//!         });
//!     let server = ZapServer::builder().port(8000).register(register).start().await?;
//!     server.run_until(tokio::signal::ctrl_c()).await;
//!     Ok(())
//! }
//! ```
//!
//! # Behaviour
//!
//! - Upgrades on the configured path (default `/`); a plain HTTP request or
//!   another path is answered 400 unless an
//!   [`http_fallback`](ZapServerBuilder::http_fallback) answers it.
//! - The register's authorization hook runs before the upgrade completes; a
//!   refusal is answered 401 or 403. Past
//!   [`max_connections`](ZapServerBuilder::max_connections), upgrades get 503.
//! - Each connection runs zap-core's [`Session`](zap_core::Session) loop, so
//!   limits, ordering and failure isolation are those documented in
//!   [`zap_core`].
//! - The accept loop survives accept errors such as EMFILE: it logs them,
//!   waits 100 ms and accepts again.
//! - [`ZapServer::shutdown`] is graceful: close frames with code 1001, then
//!   it waits for every `disconnected` handler.
//!
//! # Features
//!
//! | feature | what it adds |
//! | --- | --- |
//! | `tls` | `wss://` through rustls ([`TlsConfig`]) |
//!
// The link resolves only with the feature on; without it, it points at
// this table (so `cargo doc` has no broken link either way).
#![cfg_attr(not(feature = "tls"), doc = "[`TlsConfig`]: #features")]
#![forbid(unsafe_code)]

mod accept;
mod builder;
mod error;
mod http;
mod ready;
mod server;
mod shared;
#[cfg(feature = "tls")]
mod tls;
mod upgrade;

use std::sync::Arc;

pub use builder::ZapServerBuilder;
pub use error::ServerError;
pub use server::ZapServer;
#[cfg(feature = "tls")]
pub use tls::TlsConfig;

/// An application's answer to plain HTTP requests (see
/// [`ZapServerBuilder::http_fallback`]).
pub(crate) type HttpFallback =
    Arc<dyn Fn(&::http::Request<()>) -> Option<::http::Response<String>> + Send + Sync>;

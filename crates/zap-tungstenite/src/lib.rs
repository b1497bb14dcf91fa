//! The WebSocket transport zaptools integrations share, so that none can
//! differ from another: a tokio-tungstenite socket configured from
//! [`ConnectionConfig`](zap_core::ConnectionConfig) ([`websocket_config`]),
//! seen by the session loop through [`WsTransport`] (the one place where
//! tungstenite's errors become close codes: 1009 for an oversized message,
//! 1002 for a protocol violation, 1007 for invalid UTF-8), and the
//! `101 Switching Protocols` answer with subprotocol negotiation
//! ([`accept_response`]).
//!
//! `zap-server` runs it on the sockets it accepts. With the `hyper`
//! feature, `zap-axum` and `zap-warp` hand hyper's upgraded connection to
//! it ([`upgrade`]), and [`serve`] runs hyper HTTP/1 connections with a
//! header read timeout, so half-sent upgrade requests cannot pile up.
//!
//! # Features
//!
//! | feature | what it adds |
//! | --- | --- |
//! | `hyper` | [`upgrade`] and [`serve`], for hyper-based frameworks |
#![forbid(unsafe_code)]

mod accept;
mod config;
mod pooled;
#[cfg(feature = "hyper")]
mod serve;
mod transport;
#[cfg(feature = "hyper")]
mod upgrade;

pub use accept::{NotAnUpgrade, accept_response, application_headers};
pub use config::websocket_config;
pub use pooled::Pooled;
#[cfg(feature = "hyper")]
pub use serve::{DEFAULT_HEADER_READ_TIMEOUT, PeerAddr, serve};
pub use transport::{ReadGate, WsTransport, transport_error};
#[cfg(feature = "hyper")]
pub use upgrade::upgrade;

/// tokio-tungstenite, as used by this crate.
pub use tokio_tungstenite;

//! The behavioural test suite of every zaptools integration: `zap-server`
//! and the framework adapters run the same checks against a real server, so
//! a behaviour that differs between integrations shows up as a failing test.
//!
//! An integration's test file says how to serve an [`Endpoint`] on
//! `127.0.0.1:0` and lets [`conformance_tests!`] write one test per check:
//!
//! ```no_run
//! // crates/zap-server/tests/conformance.rs, say
//! use zap_conformance::{Endpoint, Running};
//!
//! async fn serve(endpoint: Endpoint) -> Running {
//!     let server = zap_server::ZapServer::builder()
//!         .port(0)
//!         .path("/ws")
//!         .endpoint(endpoint.core())
//!         .handshake_timeout(endpoint.handshake_timeout)
//!         .start()
//!         .await
//!         .expect("bind 127.0.0.1:0");
//!     let url = server.url().to_owned();
//!     // The endpoint's shutdown token stops the server.
//!     tokio::spawn(server.run_until(endpoint.shutdown.cancelled_owned()));
//!     Running::new(url, ())
//! }
//!
//! zap_conformance::conformance_tests!(serve);
//! # fn main() {}
//! ```
//!
//! [`serve_in_memory`] is a fifth integration with no socket at all:
//! zap-core's `Endpoint` over `tokio::io::duplex` pipes (hyper and
//! zap-tungstenite's upgrade, as axum and warp), which the suite's
//! [`Client`] dials by address (`tests/in_memory.rs` runs every check on it
//! in about two seconds).
//!
//! Every check builds its register from [`conformance_register`] (plus the
//! hook or id strategy it tests), watches the handlers through its
//! [`Probe`], and talks to the server only over the network with a
//! [`Client`]. Checks wait on explicit signals, each wait bounded by
//! [`WAIT`]; nothing sleeps to synchronise.
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used)]

pub mod checks;
mod client;
mod endpoint;
mod link;
mod memory;
mod probe;
mod register;
mod suite;

pub use client::{Client, Ws, connect_raw, http_request, refused_status};
pub use endpoint::{Endpoint, Integration, Running};
pub use link::Link;
pub use memory::serve_in_memory;
pub use probe::Probe;
pub use register::conformance_register;

/// `future`, or a panic naming `what` after [`WAIT`].
pub async fn within<F: std::future::Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(WAIT, future).await {
        Ok(output) => output,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}

/// The code blocks of the repository README (which shows every crate,
/// adapters included), compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// The code blocks of the crate READMEs that their own crate does not
/// compile (zap-cli, zap-client and the three adapters include theirs),
/// compiled here where every crate is at hand. `cargo xtask tidy` checks
/// that every README with Rust code is included somewhere.
#[cfg(doctest)]
pub mod crate_readmes {
    /// zap-protocol's README.
    #[doc = include_str!("../../zap-protocol/README.md")]
    pub struct ZapProtocol;
    /// zap-server's README.
    #[doc = include_str!("../../zap-server/README.md")]
    pub struct ZapServer;
    /// zap-redis's README.
    #[doc = include_str!("../../zap-redis/README.md")]
    pub struct ZapRedis;
    /// zap-contract's README.
    #[doc = include_str!("../../zap-contract/README.md")]
    pub struct ZapContract;
    /// zap-macros's README.
    #[doc = include_str!("../../zap-macros/README.md")]
    pub struct ZapMacros;
}

/// Upper bound of every wait in the suite: a bug fails a check, never hangs CI.
pub const WAIT: std::time::Duration = std::time::Duration::from_secs(10);

//! Test your zaptools handlers without sockets, ports, sleeps or a Redis:
//! connections in memory, driven by the same session loop as production,
//! on one server or on a cluster of nodes with faults.
//!
//! ```
//! use serde_json::json;
//! use zap_core::EventRegister;
//! use zap_test::{Connect, TestServer};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let register = EventRegister::new()
//!     .on_connected(|ctx| async move {
//!         let name = ctx.handshake().query_param("name").unwrap_or_default().into_owned();
//!         ctx.connection().send("welcome", json!({ "name": name }))?;
//!         Ok(())
//!     })
//!     .on_event("add", |ctx| async move {
//!         let [a, b]: [i64; 2] = ctx.payload_as()?;
//!         ctx.reply(a + b)?;
//!         Ok(())
//!     });
//!
//! let server = TestServer::new(register);
//! let mut ada = server.connect_with(Connect::new().query("name", "ada")).await.unwrap();
//! ada.expect_payload("welcome", json!({ "name": "ada" })).await;
//! assert_eq!(ada.request("add", [2, 3]).await.payload, json!(5));
//! ada.expect_nothing().await;
//! # }
//! ```
//!
//! - [`TestServer`] serves a register in memory: [`connect`](TestServer::connect)
//!   (or [`connect_with`](TestServer::connect_with) chosen path, query and
//!   headers) returns a [`TestClient`] once `connected` has run.
//! - [`TestClient`] pushes events, makes requests and waits for what
//!   arrives: every wait is bounded ([`WAIT`]) and a failure lists what
//!   arrived instead. It asserts that nothing arrives, that the server
//!   closed the connection with a code, and cuts its link to resume it.
//! - [`TestServer::room`] asserts what a room's members received.
//! - [`TestCluster`] runs several nodes of one application on a
//!   [`MemoryBus`] (a [`Backend`](zap_core::Backend), like `zap-redis`)
//!   and injects faults: a node cut off the bus and restored, a node
//!   killed (its members leave; presence tells the others), a client's
//!   link cut and resumed on another node.
//!
//! Everything works under tokio's paused clock
//! (`#[tokio::test(start_paused = true)]`): idle timeouts, heartbeats and
//! the waits pass in virtual time, so such tests take no real time and no
//! timing can make them flaky.
#![forbid(unsafe_code)]

mod bus;
mod client;
mod cluster;
mod inbox;
mod options;
mod received;
mod recovery;
mod room;
mod server;
mod transport;

pub use bus::{BusNode, MemoryBus, Published};
pub use client::{CutClient, QUIET, TestClient, WAIT};
pub use cluster::TestCluster;
pub use options::Connect;
pub use received::Received;
pub use room::RoomView;
pub use server::TestServer;

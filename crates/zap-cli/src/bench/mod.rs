//! A load generator for zaptools servers: many connections sending probe
//! events within an in-flight window, measuring throughput and latency.
//!
//! Two [`Mode`]s:
//!
//! - [`Mode::Echo`]: every connection sends probes and the server sends
//!   each one back to its sender (`zap serve --echo`, or any handler doing
//!   `ctx.reply(ctx.payload())`). Latency is the round trip.
//! - [`Mode::FanOut`]: one extra publisher connection sends probes and the
//!   server relays each to every other connection (`zap serve --broadcast`).
//!   Latency is from the publisher's send to each delivery; throughput counts
//!   deliveries.
//!
//! A probe is the event `{"eventName": EVENT, "payload": {"pad": "…", "seq":
//! N, "t": MICROS}}`; the server must hand the payload back unchanged.
//! Frames that are not probes (a greeting, presence events) are ignored.

mod config;
mod echo;
mod error;
mod fanout;
mod probe;
mod report;
mod run;
mod stats;

pub use config::{BenchConfig, Mode};
pub use error::BenchError;
pub use report::{Latency, Progress, Report};
pub use run::run;

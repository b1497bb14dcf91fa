//! The library half of `zap`, the zaptools command-line tool: the load
//! generator's measurement core, for programs that benchmark a zaptools
//! server without going through the command line.
//!
//! ```no_run
//! use std::time::Duration;
//! use zap_cli::bench::{BenchConfig, Mode, run};
//!
//! # async fn demo() -> Result<(), zap_cli::bench::BenchError> {
//! let config = BenchConfig::new("ws://127.0.0.1:8000/")
//!     .mode(Mode::Echo)
//!     .connections(50)
//!     .window(8)
//!     .duration(Duration::from_secs(5))
//!     .payload_bytes(64);
//! let report = run(&config, |progress| eprintln!("{} received", progress.received)).await?;
//! println!("{report}"); // throughput and latency percentiles
//! println!("{}", serde_json::to_string(&report).unwrap_or_default());
//! # Ok(()) }
//! ```
//!
//! The `zap` binary itself (`listen`, `send`, `repl`, `serve`, `bench`) is
//! described in the crate's README and by `zap --help`.
//!
//! # Features
//!
//! | feature | what it adds |
//! | --- | --- |
//! | `tls` | `wss://` URLs for `listen`, `send` and `repl` (rustls, Mozilla's roots) |
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod bench;

/// The code blocks of this crate's README, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

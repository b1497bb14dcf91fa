//! [`BenchError`]: why a run could not start.

use std::time::Duration;

/// Why a benchmark could not run. Failures during a run (a connection lost
/// mid-way) do not end it: they are counted in [`Report::errors`](crate::bench::Report::errors).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// A setting is out of range (no connections, an empty window, a zero
    /// duration). Fix the setting.
    #[error("invalid benchmark setting: {0}")]
    InvalidConfig(&'static str),
    /// A connection could not be opened: check the URL and that the server runs.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL.
        url: String,
        /// What failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A connection's handshake took longer than the connect timeout: the
    /// server is overloaded or not a WebSocket server.
    #[error("connecting to {url} took longer than {timeout:?}")]
    ConnectTimeout {
        /// The URL.
        url: String,
        /// The timeout that passed.
        timeout: Duration,
    },
}

//! [`BenchConfig`]: what to measure, and for how long.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// The traffic pattern of a run (see the [module docs](crate::bench)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Mode {
    /// Each connection's probes come back to it.
    Echo,
    /// One publisher's probes reach every other connection.
    FanOut,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Echo => "echo",
            Mode::FanOut => "fan-out",
        })
    }
}

/// The settings of one run, with chaining setters.
///
/// Defaults: [`Mode::Echo`], 10 connections, a window of 1 (one probe in
/// flight per connection, or per publisher in fan-out), 10 s, 64-byte
/// padding, event `bench`, 10 s connect timeout, 5 s drain timeout.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BenchConfig {
    /// The server's `ws://` URL.
    pub url: String,
    /// The traffic pattern.
    pub mode: Mode,
    /// Echo: sending connections; fan-out: receiving connections (the
    /// publisher comes on top).
    pub connections: usize,
    /// Probes sent but not yet answered (echo: per connection) or not yet
    /// delivered to every receiver (fan-out), at most.
    pub window: usize,
    /// How long probes are sent.
    pub duration: Duration,
    /// Bytes of padding in each probe's payload.
    pub payload_bytes: usize,
    /// The probes' event name.
    pub event: String,
    /// The longest one connection's handshake may take.
    pub connect_timeout: Duration,
    /// After `duration`, how long to wait for the probes still in flight.
    pub drain_timeout: Duration,
}

impl BenchConfig {
    /// The default settings against `url`.
    pub fn new(url: impl Into<String>) -> Self {
        BenchConfig {
            url: url.into(),
            mode: Mode::Echo,
            connections: 10,
            window: 1,
            duration: Duration::from_secs(10),
            payload_bytes: 64,
            event: "bench".to_owned(),
            connect_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(5),
        }
    }

    /// Sets [`mode`](Self::mode).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets [`connections`](Self::connections).
    pub fn connections(mut self, connections: usize) -> Self {
        self.connections = connections;
        self
    }

    /// Sets [`window`](Self::window).
    pub fn window(mut self, window: usize) -> Self {
        self.window = window;
        self
    }

    /// Sets [`duration`](Self::duration).
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = duration;
        self
    }

    /// Sets [`payload_bytes`](Self::payload_bytes).
    pub fn payload_bytes(mut self, bytes: usize) -> Self {
        self.payload_bytes = bytes;
        self
    }

    /// Sets [`event`](Self::event).
    pub fn event(mut self, event: impl Into<String>) -> Self {
        self.event = event.into();
        self
    }

    /// Sets [`connect_timeout`](Self::connect_timeout).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`drain_timeout`](Self::drain_timeout).
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }
}

//! [`Report`]: what a run measured; [`Progress`]: how far it is.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::Mode;
use super::stats::Latencies;

/// Counters of a run under way, handed to the progress callback about ten
/// times a second.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Progress {
    /// Time since probes started.
    pub elapsed: Duration,
    /// The configured duration.
    pub duration: Duration,
    /// Probes sent so far.
    pub sent: u64,
    /// Probes received so far (fan-out: deliveries).
    pub received: u64,
    /// Connections lost so far.
    pub errors: u64,
}

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
#[non_exhaustive]
pub struct Latency {
    /// Fastest.
    pub min: u64,
    /// Average.
    pub mean: f64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Slowest.
    pub max: u64,
}

impl Latency {
    pub(crate) fn of(latencies: &Latencies) -> Self {
        let h = latencies.histogram();
        Latency {
            min: h.min(),
            mean: h.mean(),
            p50: h.value_at_quantile(0.5),
            p90: h.value_at_quantile(0.9),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
        }
    }
}

/// The result of a run; serializes to the JSON that `zap bench --json` prints.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// The traffic pattern.
    pub mode: Mode,
    /// The server's URL.
    pub url: String,
    /// Echo: sending connections; fan-out: receivers.
    pub connections: usize,
    /// The in-flight window.
    pub window: usize,
    /// Padding bytes per probe.
    pub payload_bytes: usize,
    /// Seconds from the first probe to the last answer (or the drain timeout).
    pub elapsed_secs: f64,
    /// Probes sent.
    pub sent: u64,
    /// Probes received (fan-out: deliveries, up to `sent × connections`).
    pub received: u64,
    /// Connections lost during the run.
    pub errors: u64,
    /// Probes received per second.
    pub throughput: f64,
    /// Latency of each received probe, in microseconds (echo: round trip;
    /// fan-out: publisher to receiver).
    pub latency_us: Latency,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.latency_us;
        writeln!(f, "{} benchmark against {}", self.mode, self.url)?;
        writeln!(
            f,
            "  connections {}, window {}, payload {} bytes, {:.2} s",
            self.connections, self.window, self.payload_bytes, self.elapsed_secs
        )?;
        writeln!(
            f,
            "  sent {}, received {}, errors {}",
            self.sent, self.received, self.errors
        )?;
        writeln!(f, "  throughput  {:.0} events/s", self.throughput)?;
        write!(
            f,
            "  latency µs  min {}  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  mean {:.0}",
            l.min, l.p50, l.p90, l.p99, l.p999, l.max, l.mean
        )
    }
}

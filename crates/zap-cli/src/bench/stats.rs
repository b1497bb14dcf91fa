//! Counters shared by every connection of a run, and latency histograms.

use std::sync::atomic::{AtomicU64, Ordering};

use hdrhistogram::Histogram;

/// Live counters, read by the progress ticker.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) sent: AtomicU64,
    pub(crate) received: AtomicU64,
    pub(crate) errors: AtomicU64,
}

impl Counters {
    pub(crate) fn sent(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn received(&self) {
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn read(&self) -> (u64, u64, u64) {
        (
            self.sent.load(Ordering::Relaxed),
            self.received.load(Ordering::Relaxed),
            self.errors.load(Ordering::Relaxed),
        )
    }
}

/// Latencies in microseconds, from 1 µs to an hour, 3 significant digits.
#[derive(Debug, Clone)]
pub(crate) struct Latencies(Histogram<u64>);

impl Latencies {
    pub(crate) fn new() -> Self {
        #[allow(clippy::expect_used)] // constant, valid bounds
        let histogram =
            Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds");
        Latencies(histogram)
    }

    pub(crate) fn record(&mut self, micros: u64) {
        self.0.saturating_record(micros.max(1));
    }

    pub(crate) fn merge(&mut self, other: &Latencies) {
        // Same bounds on both sides: `add` cannot fail; a failure would only
        // lose that connection's samples.
        if self.0.add(&other.0).is_err() {
            tracing::warn!("could not merge a connection's latencies");
        }
    }

    pub(crate) fn histogram(&self) -> &Histogram<u64> {
        &self.0
    }
}

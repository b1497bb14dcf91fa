//! Metrics, through the [`metrics`] facade: the application installs the
//! recorder (exporter) it wants, such as `metrics-exporter-prometheus`;
//! without one every call here is a no-op.
//!
//! | metric | kind | labels |
//! | --- | --- | --- |
//! | `zap_connections_open` | gauge | |
//! | `zap_rooms` | gauge | |
//! | `zap_events_in_total` | counter | `event` |
//! | `zap_events_out_total` | counter | `event` |
//! | `zap_outbound_queued_bytes` | gauge | |
//! | `zap_dropped_total` | counter | `reason`: `queue_full`, `rate_limited` |
//! | `zap_closes_total` | counter | `reason`: why a connection ended |
//! | `zap_rate_limited_total` | counter | `event` |
//! | `zap_handler_errors_total` | counter | `kind`: `handler`, `panic`, `aborted` |
//! | `zap_handler_duration_seconds` | histogram | `event` |
//!
//! Event labels: every registered event name is a label value of its own;
//! events that reach the fallback (or no handler) are counted under
//! [`OTHER_EVENTS`], so a client inventing names cannot grow the exporter.
//! Outgoing event names (the application's own) become labels for the
//! first [`EVENT_LABELS`] distinct names, later ones under `_other`.
//!
//! What an event costs here: a registered event keeps its metric handles
//! beside its handler, made once, so counting it is an
//! atomic add with no key hashing or registry lookup. Without a recorder
//! every call is a test of one thread-local and one atomic, and no clock is
//! read to time handlers. Handles are made once a recorder is installed:
//! install it before serving (as the exporters' `install` does), not with
//! a thread-local recorder.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use metrics::{Counter, Gauge, Histogram, Key, Label, Level, Metadata};

use crate::EndReason;

/// Most distinct outgoing event names used as label values.
pub const EVENT_LABELS: usize = 64;

/// The label value of events with no handler of their own (and of outgoing
/// names past [`EVENT_LABELS`]).
pub const OTHER_EVENTS: &str = "_other";

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

/// Whether a recorder is installed: without one, `metrics` hands out its
/// `NoopRecorder`, the only zero-sized recorder (an exporter holds its
/// registry).
pub(crate) fn recording() -> bool {
    metrics::with_recorder(|recorder| std::mem::size_of_val(recorder) != 0)
}

/// The metric handles of one event name, made once a recorder is installed.
#[derive(Debug)]
pub(crate) struct EventMeter {
    event: Arc<str>,
    handles: OnceLock<EventHandles>,
}

/// Handles of one event name's metrics.
#[derive(Debug)]
pub(crate) struct EventHandles {
    events_in: Counter,
    rate_limited: Counter,
    duration: Histogram,
}

impl EventMeter {
    /// The meter of a registered event.
    pub(crate) fn new(event: &str) -> Self {
        EventMeter {
            event: Arc::from(event),
            handles: OnceLock::new(),
        }
    }

    /// The meter every event without a handler of its own shares (the
    /// fallback's, and that of events no handler takes).
    pub(crate) fn other() -> &'static Arc<EventMeter> {
        static OTHER: OnceLock<Arc<EventMeter>> = OnceLock::new();
        OTHER.get_or_init(|| Arc::new(EventMeter::new(OTHER_EVENTS)))
    }

    /// The handles, or `None` when no recorder is installed.
    pub(crate) fn handles(&self) -> Option<&EventHandles> {
        if let Some(handles) = self.handles.get() {
            return Some(handles);
        }
        if !recording() {
            return None;
        }
        Some(self.handles.get_or_init(|| {
            let labels = || vec![Label::new("event", self.event.to_string())];
            metrics::with_recorder(|recorder| EventHandles {
                events_in: recorder
                    .register_counter(&Key::from_parts("zap_events_in_total", labels()), &METADATA),
                rate_limited: recorder.register_counter(
                    &Key::from_parts("zap_rate_limited_total", labels()),
                    &METADATA,
                ),
                duration: recorder.register_histogram(
                    &Key::from_parts("zap_handler_duration_seconds", labels()),
                    &METADATA,
                ),
            })
        }))
    }

    /// Counts one event handed to its handler; returns the handler's timer
    /// when durations are recorded (the clock is read only then).
    pub(crate) fn event_in(&self) -> Option<HandlerTimer> {
        let handles = self.handles()?;
        handles.events_in.increment(1);
        Some(HandlerTimer {
            histogram: handles.duration.clone(),
            started: std::time::Instant::now(),
        })
    }

    /// Counts one event dropped by flood control.
    pub(crate) fn rate_limited(&self) {
        metrics::counter!("zap_dropped_total", "reason" => "rate_limited").increment(1);
        if let Some(handles) = self.handles() {
            handles.rate_limited.increment(1);
        }
    }
}

/// Times one handler run into `zap_handler_duration_seconds`.
#[derive(Debug)]
pub(crate) struct HandlerTimer {
    histogram: Histogram,
    started: std::time::Instant,
}

impl HandlerTimer {
    /// Records how long the handler took.
    pub(crate) fn finish(self) {
        self.histogram.record(self.started.elapsed().as_secs_f64());
    }
}

/// The `zap_events_out_total` counters of outgoing names (the application's
/// own), bounded by [`EVENT_LABELS`].
type OutCounters = RwLock<HashMap<Box<str>, Counter, foldhash::fast::RandomState>>;

fn out_counters() -> &'static OutCounters {
    static OUT: OnceLock<OutCounters> = OnceLock::new();
    OUT.get_or_init(Default::default)
}

/// Adds `count` to the `zap_events_out_total` counter of `name` (under the
/// read lock: no handle is cloned per event).
fn count_out(name: &str, count: u64) {
    let counters = out_counters();
    if let Some(counter) = counters
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(name)
    {
        counter.increment(count);
        return;
    }
    let mut counters = counters
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let label = match counters.len() < EVENT_LABELS || counters.contains_key(name) {
        true => name,
        false => OTHER_EVENTS,
    };
    let counter = counters.entry(label.into()).or_insert_with(|| {
        let key = Key::from_parts(
            "zap_events_out_total",
            vec![Label::new("event", label.to_owned())],
        );
        metrics::with_recorder(|recorder| recorder.register_counter(&key, &METADATA))
    });
    counter.increment(count);
}

/// The label value `count_out` gives `name`.
#[cfg(test)]
fn out_label(name: &str) -> &'static str {
    match out_counters()
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .contains_key(name)
    {
        true => "own",
        false => OTHER_EVENTS,
    }
}

pub(crate) fn connection_opened() {
    metrics::gauge!("zap_connections_open").increment(1.0);
}

pub(crate) fn connection_closed(end: &EndReason) {
    metrics::gauge!("zap_connections_open").decrement(1.0);
    let reason = match end {
        EndReason::PeerClosed(_) => "peer_closed",
        EndReason::PeerGone => "peer_gone",
        EndReason::Closed(frame) => match frame.code {
            1008 if frame.reason == "outbound queue full" => "slow_consumer",
            1008 if frame.reason == "rate limit exceeded" => "rate_limited",
            1009 => "too_large",
            _ => "server_closed",
        },
        EndReason::Shutdown => "shutdown",
        EndReason::IdleTimeout => "idle_timeout",
        EndReason::DuplicateId => "duplicate_id",
        EndReason::Transport(_) => "transport_error",
    };
    metrics::counter!("zap_closes_total", "reason" => reason).increment(1);
}

pub(crate) fn parked_sessions(count: usize) {
    metrics::gauge!("zap_parked_sessions").set(count as f64);
}

pub(crate) fn parked_evicted() {
    metrics::counter!("zap_parked_evictions_total").increment(1);
}

pub(crate) fn room_created() {
    metrics::gauge!("zap_rooms").increment(1.0);
}

pub(crate) fn room_removed() {
    metrics::gauge!("zap_rooms").decrement(1.0);
}

/// Counts `count` events named `name` queued for delivery.
pub(crate) fn events_out(name: &str, count: usize) {
    if count > 0 && recording() {
        count_out(name, count as u64);
    }
}

/// Moves the `zap_outbound_queued_bytes` gauge by `delta` (a connection's
/// change since it last reported, once per write batch).
pub(crate) fn queued_bytes(delta: isize) {
    static GAUGE: OnceLock<Gauge> = OnceLock::new();
    if delta == 0 {
        return;
    }
    let gauge = match GAUGE.get() {
        Some(gauge) => gauge,
        None if recording() => GAUGE.get_or_init(|| metrics::gauge!("zap_outbound_queued_bytes")),
        None => return,
    };
    gauge.increment(delta as f64);
}

pub(crate) fn queue_full() {
    metrics::counter!("zap_dropped_total", "reason" => "queue_full").increment(1);
}

pub(crate) fn handler_failed(kind: &'static str) {
    metrics::counter!("zap_handler_errors_total", "kind" => kind).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outgoing_labels_are_bounded() {
        for n in 0..EVENT_LABELS * 2 {
            count_out(&format!("telemetry-test-{n}"), 1);
        }
        let counters = out_counters().read().expect("not poisoned");
        assert!(counters.len() <= EVENT_LABELS + 1);
        assert!(counters.contains_key(OTHER_EVENTS));
        drop(counters);
        assert_eq!(
            out_label("telemetry-test-past-the-bound-1000"),
            OTHER_EVENTS
        );
    }

    #[test]
    fn without_a_recorder_no_handles_are_made_and_no_clock_is_read() {
        let meter = EventMeter::new("telemetry-test-unrecorded");
        assert!(!recording());
        assert!(meter.event_in().is_none());
        assert!(meter.handles.get().is_none());
    }
}

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
//! Event names become labels for the first [`EVENT_LABELS`] distinct names
//! seen by the process; later names are counted under `_other`, so a client
//! inventing names cannot grow the exporter without bound.

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};
use std::time::Duration;

use metrics::{Counter, Key, Label, Level, Metadata};

use crate::EndReason;

/// Most distinct event names used as label values.
pub const EVENT_LABELS: usize = 64;

/// The label value of names past [`EVENT_LABELS`].
pub const OTHER_EVENTS: &str = "_other";

/// The event names that became labels, each with its label list leaked
/// once: a labelled call then builds its key from static parts, with no
/// allocation per event.
fn known() -> &'static RwLock<HashMap<&'static str, &'static [Label]>> {
    static KNOWN: OnceLock<RwLock<HashMap<&'static str, &'static [Label]>>> = OnceLock::new();
    KNOWN.get_or_init(|| RwLock::new(HashMap::new()))
}

/// The `event` label list of `name` (or of [`OTHER_EVENTS`] past the bound).
fn event_labels(name: &str) -> &'static [Label] {
    static OTHER: [Label; 1] = [Label::from_static_parts("event", OTHER_EVENTS)];
    let known = known();
    if let Some(labels) = known
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(name)
    {
        return labels;
    }
    let mut names = known
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(labels) = names.get(name) {
        return labels;
    }
    if names.len() >= EVENT_LABELS {
        return &OTHER;
    }
    let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
    let labels: &'static [Label] = Box::leak(Box::new([Label::from_static_parts("event", name)]));
    names.insert(name, labels);
    labels
}

/// The label value `event_labels` gave `name`.
#[cfg(test)]
fn event_label(name: &str) -> String {
    event_labels(name)[0].value().to_owned()
}

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

/// The counter `name` for the event `event`, keyed without allocating.
fn event_counter(name: &'static str, event: &str) -> Counter {
    let key = Key::from_static_parts(name, event_labels(event));
    metrics::with_recorder(|recorder| recorder.register_counter(&key, &METADATA))
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

pub(crate) fn event_in(name: &str) {
    event_counter("zap_events_in_total", name).increment(1);
}

pub(crate) fn events_out(name: &str, count: usize) {
    if count > 0 {
        event_counter("zap_events_out_total", name).increment(count as u64);
    }
}

pub(crate) fn queued_bytes(delta: f64) {
    metrics::gauge!("zap_outbound_queued_bytes").increment(delta);
}

pub(crate) fn queue_full() {
    metrics::counter!("zap_dropped_total", "reason" => "queue_full").increment(1);
}

pub(crate) fn rate_limited(name: &str) {
    metrics::counter!("zap_dropped_total", "reason" => "rate_limited").increment(1);
    event_counter("zap_rate_limited_total", name).increment(1);
}

pub(crate) fn handler_failed(kind: &'static str) {
    metrics::counter!("zap_handler_errors_total", "kind" => kind).increment(1);
}

pub(crate) fn handler_duration(name: &str, took: Duration) {
    let key = Key::from_static_parts("zap_handler_duration_seconds", event_labels(name));
    metrics::with_recorder(|recorder| recorder.register_histogram(&key, &METADATA))
        .record(took.as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_labels_are_bounded() {
        for n in 0..EVENT_LABELS * 2 {
            let label = event_label(&format!("telemetry-test-{n}"));
            assert!(label == format!("telemetry-test-{n}") || label == OTHER_EVENTS);
        }
        assert!(known().read().expect("not poisoned").len() <= EVENT_LABELS);
        assert_eq!(event_label("telemetry-test-past-the-bound"), OTHER_EVENTS);
    }
}

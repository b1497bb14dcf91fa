//! The metrics a Prometheus exporter sees, with its recorder installed as a
//! production server does (one global recorder, so one test in this file):
//! registered event names are labels of their own, names without a handler
//! share `_other` whatever a client invents, handler durations are
//! recorded, and the queued-bytes gauge comes back to zero once everything
//! was written.
#![allow(clippy::unwrap_used)]

mod common;

use common::{connect, recv_event, send_text, within};
use metrics_exporter_prometheus::PrometheusBuilder;
use zap_core::{ConnectionConfig, EventRegister, RateLimit};

/// The value of the sample `name{labels}` in `text` (0 when absent).
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (key, value) = line.rsplit_once(' ')?;
            (key == series).then(|| value.parse().unwrap())
        })
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_sees_registered_names_and_one_label_for_the_rest() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).unwrap();

    let register = EventRegister::new()
        .on_event("echo", |ctx| async move {
            ctx.connection().send("echo", ctx.payload())?;
            Ok(())
        })
        .on_event("limited", |_ctx| async move {})
        .fallback(|_ctx| async move {});
    let limits = RateLimit::unlimited().event("limited", zap_core::Limit::new(1.0, 1.0));
    let server = common::builder(register)
        .config(ConnectionConfig::default().rate_limit(limits))
        .start()
        .await
        .unwrap();
    let mut ws = connect(&server).await;
    for n in 0..20 {
        send_text(&mut ws, &format!(r#"{{"eventName":"echo","payload":{n}}}"#)).await;
        // A client inventing names: none of them becomes a label.
        send_text(
            &mut ws,
            &format!(r#"{{"eventName":"junk-{n}","payload":null}}"#),
        )
        .await;
    }
    for _ in 0..3 {
        send_text(&mut ws, r#"{"eventName":"limited"}"#).await;
    }
    send_text(&mut ws, r#"{"eventName":"echo","payload":"last"}"#).await;
    for _ in 0..21 {
        let event = recv_event(&mut ws).await;
        assert_eq!(event.event_name(), "echo");
    }

    // The loop updates the gauge once its write batch is over.
    let text = within("every metric", async {
        loop {
            let text = handle.render();
            if sample(&text, r#"zap_handler_duration_seconds_count{event="echo"}"#) >= 21.0
                && sample(&text, "zap_outbound_queued_bytes") == 0.0
            {
                return text;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(sample(&text, r#"zap_events_in_total{event="echo"}"#), 21.0);
    assert_eq!(
        sample(&text, r#"zap_events_in_total{event="_other"}"#),
        20.0
    );
    assert!(
        !text.contains("junk-"),
        "a client's names became labels:\n{text}"
    );
    assert_eq!(sample(&text, r#"zap_events_out_total{event="echo"}"#), 21.0);
    assert_eq!(
        sample(&text, r#"zap_events_in_total{event="limited"}"#),
        1.0
    );
    assert_eq!(
        sample(&text, r#"zap_rate_limited_total{event="limited"}"#),
        2.0
    );
    assert_eq!(sample(&text, "zap_connections_open"), 1.0);
    drop(ws);
    server.shutdown().await;
}

//! The chat's `/metrics` route: zaptools' metrics (see
//! `zap_core::telemetry`) in the Prometheus text format, recorded by
//! `metrics-exporter-prometheus`.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// The process's Prometheus recorder, installed on first use; `None` when
/// another recorder was installed first.
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(handle) => Some(handle),
            Err(err) => {
                tracing::warn!(%err, "metrics recorder not installed: /metrics disabled");
                None
            }
        })
        .as_ref()
}

/// Installs the recorder now, so that everything from the start is counted.
pub(crate) fn install() {
    let _ = handle();
}

/// The `/metrics` response, or `None` without a recorder.
pub(crate) fn response() -> Option<http::Response<String>> {
    let handle = handle()?;
    handle.run_upkeep();
    let mut response = http::Response::new(handle.render());
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    Some(response)
}

//! [`Shared`]: the settings and state every connection task of one server reads.

use std::time::Duration;

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use zap_core::Endpoint;

use crate::HttpFallback;

pub(crate) struct Shared {
    /// The register, connection settings, connection cap and shutdown token.
    pub(crate) endpoint: Endpoint,
    pub(crate) path: String,
    /// tungstenite's settings, derived once from the endpoint's config.
    pub(crate) ws_config: WebSocketConfig,
    pub(crate) handshake_timeout: Duration,
    pub(crate) http_fallback: Option<HttpFallback>,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<tokio_rustls::TlsAcceptor>,
}

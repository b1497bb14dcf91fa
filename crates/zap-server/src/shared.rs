//! [`Shared`]: the settings and state every connection task of one server reads.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use zap_core::{ConnectionConfig, EventRegister};

use crate::HttpFallback;

pub(crate) struct Shared {
    pub(crate) register: EventRegister,
    pub(crate) path: String,
    pub(crate) config: ConnectionConfig,
    pub(crate) ws_config: WebSocketConfig,
    pub(crate) handshake_timeout: Duration,
    pub(crate) permits: Arc<Semaphore>,
    pub(crate) http_fallback: Option<HttpFallback>,
    pub(crate) subprotocols: Vec<String>,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<tokio_rustls::TlsAcceptor>,
}

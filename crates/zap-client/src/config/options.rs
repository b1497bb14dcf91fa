//! [`Options`]: everything the builder collected, as the engine reads it.

use std::time::Duration;

use crate::{Heartbeat, ReconnectPolicy, Recovery};

/// The settings of one client. Defaults are documented on
/// [`ClientBuilder`](crate::ClientBuilder)'s setters.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) subprotocols: Vec<String>,
    pub(crate) connect_timeout: Duration,
    pub(crate) close_timeout: Duration,
    pub(crate) reconnect: ReconnectPolicy,
    pub(crate) heartbeat: Heartbeat,
    pub(crate) recovery: Recovery,
    pub(crate) send_queue: usize,
    pub(crate) outbox: usize,
    pub(crate) subscription_capacity: usize,
    pub(crate) request_timeout: Duration,
    pub(crate) max_message_size: Option<usize>,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::TlsConfig>,
}

impl Options {
    pub(crate) fn new(url: impl Into<String>) -> Self {
        Options {
            url: url.into(),
            headers: Vec::new(),
            subprotocols: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            close_timeout: Duration::from_secs(2),
            reconnect: ReconnectPolicy::never(),
            heartbeat: Heartbeat::default(),
            recovery: Recovery::default(),
            send_queue: 256,
            outbox: 0,
            subscription_capacity: 256,
            request_timeout: Duration::from_secs(10),
            max_message_size: Some(16 << 20),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

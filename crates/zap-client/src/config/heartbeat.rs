//! [`Heartbeat`]: pings that detect a dead server.

use std::time::Duration;

/// Keep-alive: the client sends a WebSocket ping every `interval` and
/// declares the server dead when nothing at all (no frame, no pong) arrived
/// for `timeout`. A dead server moves the state to
/// [`Error`](crate::ConnectionState::Error) and, with a
/// [`ReconnectPolicy`](crate::ReconnectPolicy), starts reconnection.
///
/// Pings from the server are always answered, whatever this setting.
/// The server is declared dead as soon as `timeout` has passed without
/// anything received, even while one of our writes is stuck because the
/// server stopped reading.
///
/// ```
/// use std::time::Duration;
/// use zap_client::Heartbeat;
///
/// let heartbeat = Heartbeat::new(Duration::from_secs(5), Duration::from_secs(12));
/// assert_eq!(heartbeat.interval(), Some(Duration::from_secs(5)));
/// assert_eq!(Heartbeat::disabled().interval(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    interval: Option<Duration>,
    timeout: Duration,
}

impl Heartbeat {
    /// Ping every `interval`; dead after `timeout` of silence. A timeout
    /// shorter than the interval is raised to the interval.
    pub fn new(interval: Duration, timeout: Duration) -> Self {
        let interval = interval.max(Duration::from_millis(1));
        Heartbeat {
            interval: Some(interval),
            timeout: timeout.max(interval),
        }
    }

    /// No pings and no dead-server detection (pings from the server are
    /// still answered).
    pub fn disabled() -> Self {
        Heartbeat {
            interval: None,
            timeout: Duration::MAX,
        }
    }

    /// The ping interval, `None` when disabled.
    pub fn interval(&self) -> Option<Duration> {
        self.interval
    }

    /// How long the server may stay silent.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

impl Default for Heartbeat {
    /// A ping every 20 s; dead after 45 s of silence.
    fn default() -> Self {
        Heartbeat::new(Duration::from_secs(20), Duration::from_secs(45))
    }
}

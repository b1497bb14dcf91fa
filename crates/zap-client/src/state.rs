//! [`ConnectionState`]: where a client's connection stands.

use std::fmt;

/// The state of a client's connection, with the names of the Python and Dart
/// clients (`CONNECTING`, `ONLINE`, `OFFLINE`, `ERROR`).
///
/// Transitions:
///
/// | from | to | when |
/// | --- | --- | --- |
/// | `Offline`, `Error` | `Connecting` | an attempt starts (`connect()` or automatic reconnection) |
/// | `Connecting` | `Online` | the WebSocket handshake succeeded |
/// | `Connecting` | `Error` | the attempt failed (refused, timed out, TLS, HTTP status…) |
/// | `Online` | `Offline` | the connection closed cleanly (close frame from either side, or `disconnect()`) |
/// | `Online` | `Error` | the connection was lost (reset, EOF without close frame, heartbeat timeout) |
///
/// ```
/// use zap_client::ConnectionState;
/// assert_eq!(ConnectionState::Online.to_string(), "online");
/// assert!(ConnectionState::Online.is_online());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConnectionState {
    /// An attempt to connect is under way.
    Connecting,
    /// Connected: events flow both ways.
    Online,
    /// Not connected, and the last connection ended cleanly (or never existed).
    #[default]
    Offline,
    /// Not connected, and the last attempt or connection failed. Details
    /// arrive on the client's error stream.
    Error,
}

impl ConnectionState {
    /// Whether this is [`ConnectionState::Online`].
    pub fn is_online(self) -> bool {
        self == ConnectionState::Online
    }
}

impl fmt::Display for ConnectionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConnectionState::Connecting => "connecting",
            ConnectionState::Online => "online",
            ConnectionState::Offline => "offline",
            ConnectionState::Error => "error",
        })
    }
}

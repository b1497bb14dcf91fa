//! [`ConnectError`]: why `connect()` (or one reconnection attempt) failed.

use std::sync::Arc;
use std::time::Duration;

/// Why a connection attempt failed.
///
/// Cheap to clone (sources are shared), so the same failure can be returned
/// to every caller waiting in `connect()` and reported on the error stream.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL is not a `ws://` or `wss://` URL with a host. Fix the URL;
    /// retrying cannot help (automatic reconnection stops on this error).
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A handshake header given to the builder is not a valid HTTP header.
    /// Fix the header; retrying cannot help.
    #[error("invalid handshake header `{name}`")]
    InvalidHeader {
        /// The header's name as given.
        name: String,
    },
    /// The URL is `wss://` but the crate was built without the `tls` feature.
    /// Enable the feature; retrying cannot help.
    #[error("`wss://` needs the `tls` feature of zap-client")]
    TlsNotEnabled,
    /// The TCP connection could not be opened (refused, unreachable, DNS).
    /// Transient: retry, or let automatic reconnection do it.
    #[error("cannot reach the server: {0}")]
    Io(#[source] Arc<std::io::Error>),
    /// The TLS setup or handshake failed (unknown issuer, name mismatch, no
    /// root certificates configured). Check the trusted roots and the host name.
    #[error("TLS failed: {0}")]
    Tls(#[source] Arc<std::io::Error>),
    /// The server answered the upgrade request with an HTTP error status
    /// (for example 401 when a bearer token is wrong, 404 for a wrong path,
    /// 503 when it is full). A 4xx status other than 408 and 429 is
    /// permanent: fix the URL or the credentials; 5xx, 408 and 429 are retried.
    /// The message shows the status and the text of the response body,
    /// which often says why (zap-server: which path it serves).
    #[error(
        "server refused the WebSocket upgrade with HTTP status {status}{}",
        said(body)
    )]
    Rejected {
        /// The HTTP status code.
        status: u16,
        /// The response body as text (lossy UTF-8, trimmed, at most 512
        /// bytes); empty when the server sent none.
        body: String,
    },
    /// The WebSocket handshake failed for another reason (not a WebSocket
    /// server, subprotocol mismatch, protocol error).
    #[error("WebSocket handshake failed: {0}")]
    Handshake(#[source] Arc<dyn std::error::Error + Send + Sync>),
    /// The attempt took longer than the connect timeout.
    #[error("connection attempt timed out after {0:?}")]
    Timeout(Duration),
    /// The WebSocket opened, but the connection ended (after `online_for`)
    /// before `connect()` returned, and no further attempt followed: either
    /// the policy makes none ([`ReconnectPolicy::never`](crate::ReconnectPolicy::never)),
    /// or it gave up because each connection ended before its
    /// [`min_uptime`](crate::ReconnectPolicy::min_uptime). The server
    /// accepts connections and drops them (overloaded, or refusing this
    /// client after the handshake): check its logs; retrying later may help.
    #[error("the connection ended {online_for:?} after it opened")]
    ClosedEarly {
        /// How long the connection was online.
        online_for: Duration,
    },
    /// `disconnect()` or `clean()` was called while connecting.
    #[error("connection attempt aborted by disconnect() or clean()")]
    Aborted,
    /// The client was cleaned with `clean()`: create a new client.
    #[error("the client was cleaned and cannot connect again")]
    Cleaned,
}

/// `: <body>` when the server said something.
fn said(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

/// The most of a response body shown in a [`ConnectError::Rejected`].
pub(crate) const BODY_SHOWN: usize = 512;

/// A response body as shown in [`ConnectError::Rejected`]: lossy UTF-8,
/// trimmed, cut at [`BODY_SHOWN`] bytes on a character boundary.
pub(crate) fn body_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let mut end = text.len().min(BODY_SHOWN);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if end < text.len() {
        format!("{}…", &text[..end])
    } else {
        text.to_owned()
    }
}

impl ConnectError {
    /// Whether retrying the same attempt cannot succeed (a bad URL or
    /// header, a missing feature, a refusal such as 401, 403 or 404, a
    /// cleaned client). Automatic reconnection gives up at once on such
    /// errors.
    pub fn is_permanent(&self) -> bool {
        match self {
            ConnectError::Rejected { status, .. } => {
                (400..500).contains(status) && !matches!(status, 408 | 429)
            }
            ConnectError::InvalidUrl { .. }
            | ConnectError::InvalidHeader { .. }
            | ConnectError::TlsNotEnabled
            | ConnectError::Aborted
            | ConnectError::Cleaned => true,
            ConnectError::Io(_)
            | ConnectError::Tls(_)
            | ConnectError::Handshake(_)
            | ConnectError::Timeout(_)
            | ConnectError::ClosedEarly { .. } => false,
        }
    }
}

//! [`accept_response`]: validates a WebSocket upgrade request (RFC 6455
//! section 4.2.1) and builds its `101 Switching Protocols` response, with
//! the endpoint's subprotocol; [`application_headers`]: the request headers
//! handlers keep.

use bytes::BytesMut;
use http::header::{
    CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_KEY,
    SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use zap_core::{Endpoint, Rejection};

/// Why a request is not a WebSocket upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotAnUpgrade {
    /// The method is not `GET`.
    #[error("a WebSocket upgrade must be a GET request")]
    Method,
    /// `Connection: upgrade` or `Upgrade: websocket` is missing.
    #[error("the request asks for no WebSocket upgrade")]
    NoUpgrade,
    /// `Sec-WebSocket-Version` is not 13.
    #[error("unsupported WebSocket version (13 is supported)")]
    Version,
    /// `Sec-WebSocket-Key` is missing.
    #[error("the upgrade request has no Sec-WebSocket-Key")]
    NoKey,
}

impl NotAnUpgrade {
    /// The answer: `426 Upgrade Required` for a wrong version, `400`
    /// otherwise, with this error as its text.
    pub fn rejection(self) -> Rejection {
        let status = match self {
            NotAnUpgrade::Version => StatusCode::UPGRADE_REQUIRED,
            _ => StatusCode::BAD_REQUEST,
        };
        Rejection::with_status(status).with_reason(self.to_string())
    }
}

/// Whether a comma-separated header holds `token` (case-insensitive).
fn has_token(headers: &HeaderMap, name: http::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| item.trim().eq_ignore_ascii_case(token))
}

/// The `101 Switching Protocols` response to an upgrade request, naming the
/// subprotocol [`Endpoint::subprotocol`] chooses; or why it is no upgrade.
///
/// ```
/// use zap_core::{ConnectionConfig, Endpoint, EventRegister};
/// let endpoint = Endpoint::new(EventRegister::new())
///     .config(ConnectionConfig::default().subprotocols(["zap.v1"]));
/// let mut headers = http::HeaderMap::new();
/// for (name, value) in [
///     ("connection", "keep-alive, Upgrade"),
///     ("upgrade", "websocket"),
///     ("sec-websocket-version", "13"),
///     ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
///     ("sec-websocket-protocol", "zap.v1"),
/// ] {
///     headers.insert(name, value.parse().unwrap());
/// }
/// let response = zap_tungstenite::accept_response(&http::Method::GET, &headers, &endpoint).unwrap();
/// assert_eq!(response.status(), 101);
/// assert_eq!(response.headers()["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// assert_eq!(response.headers()["sec-websocket-protocol"], "zap.v1");
/// ```
pub fn accept_response(
    method: &Method,
    headers: &HeaderMap,
    endpoint: &Endpoint,
) -> Result<Response<()>, NotAnUpgrade> {
    if method != Method::GET {
        return Err(NotAnUpgrade::Method);
    }
    if !has_token(headers, CONNECTION, "upgrade") || !has_token(headers, UPGRADE, "websocket") {
        return Err(NotAnUpgrade::NoUpgrade);
    }
    if headers
        .get(SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return Err(NotAnUpgrade::Version);
    }
    let key = headers.get(SEC_WEBSOCKET_KEY).ok_or(NotAnUpgrade::NoKey)?;
    let accept = HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
        .map_err(|_| NotAnUpgrade::NoKey)?;
    let mut response = Response::new(());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let out = response.headers_mut();
    out.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    out.insert(UPGRADE, HeaderValue::from_static("websocket"));
    out.insert(SEC_WEBSOCKET_ACCEPT, accept);
    if let Some(chosen) = endpoint.subprotocol(headers) {
        out.insert(SEC_WEBSOCKET_PROTOCOL, chosen);
    }
    Ok(response)
}

/// The request headers handlers may care about: the WebSocket handshake's
/// own mechanics (`Sec-WebSocket-Key`, `Upgrade`, …) are dropped once the
/// upgrade is validated, which keeps idle connections small.
///
/// The values (and names that are not standard) are copied into one small
/// buffer of their own: an HTTP server's parser hands out slices of its
/// read buffer (hyper's is 8 to 16 KiB), which a header kept for the
/// connection's whole life would keep alive.
///
/// ```
/// let mut headers = http::HeaderMap::new();
/// headers.insert("upgrade", "websocket".parse().unwrap());
/// headers.insert("x-token", "abc".parse().unwrap());
/// let kept = zap_tungstenite::application_headers(headers);
/// assert_eq!(kept.len(), 1);
/// assert_eq!(kept["x-token"], "abc");
/// ```
pub fn application_headers(mut headers: HeaderMap) -> HeaderMap {
    for mechanics in [
        CONNECTION,
        UPGRADE,
        SEC_WEBSOCKET_KEY,
        SEC_WEBSOCKET_VERSION,
        SEC_WEBSOCKET_EXTENSIONS,
    ] {
        headers.remove(mechanics);
    }
    let total = headers.values().map(|value| value.len()).sum();
    let mut copied = BytesMut::with_capacity(total);
    for value in headers.values() {
        copied.extend_from_slice(value.as_bytes());
    }
    let mut copied = copied.freeze();
    let mut kept = HeaderMap::with_capacity(headers.len());
    let mut name = None;
    for (next, value) in headers {
        // `None` repeats the previous name (a header given more than once).
        if let Some(next) = next {
            name = Some(HeaderName::from_bytes(next.as_str().as_bytes()).unwrap_or(next));
        }
        let bytes = copied.split_to(value.len());
        let Some(name) = name.clone() else { continue };
        let sensitive = value.is_sensitive();
        let mut value = HeaderValue::from_maybe_shared(bytes).unwrap_or(value);
        value.set_sensitive(sensitive);
        kept.append(name, value);
    }
    kept
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn upgrade_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        headers.insert(UPGRADE, HeaderValue::from_static("WebSocket"));
        headers.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        headers.insert(
            SEC_WEBSOCKET_KEY,
            HeaderValue::from_static("x3JJHMbDL1EzLkh9GBhXDw=="),
        );
        headers
    }

    #[test]
    fn a_request_without_upgrade_headers_is_answered_400() {
        let endpoint = Endpoint::new(zap_core::EventRegister::new());
        let mut headers = upgrade_headers();
        headers.remove(UPGRADE);
        let err = accept_response(&Method::GET, &headers, &endpoint).unwrap_err();
        assert_eq!(err.rejection().status(), 400);
    }

    #[test]
    fn kept_headers_own_their_bytes_and_keep_repeated_values_in_order() {
        let mut buffer = bytes::Bytes::from_static(b"tokenab");
        let mut headers = upgrade_headers();
        let shared = HeaderValue::from_maybe_shared(buffer.split_to(5)).unwrap();
        let custom = HeaderName::from_bytes(b"x-token").unwrap();
        headers.append(custom.clone(), shared);
        headers.append(custom.clone(), HeaderValue::from_static("second"));
        headers.append("x-other", HeaderValue::from_static("ab"));
        let kept = application_headers(headers);
        assert_eq!(kept.len(), 3);
        let values: Vec<_> = kept.get_all(&custom).iter().collect();
        assert_eq!(values, ["token", "second"]);
        assert_eq!(kept["x-other"], "ab");
        assert!(kept.get(SEC_WEBSOCKET_KEY).is_none());
    }

    #[test]
    fn another_websocket_version_is_answered_426() {
        let endpoint = Endpoint::new(zap_core::EventRegister::new());
        let mut headers = upgrade_headers();
        headers.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("8"));
        let err = accept_response(&Method::GET, &headers, &endpoint).unwrap_err();
        assert_eq!(err.rejection().status(), 426);
    }
}

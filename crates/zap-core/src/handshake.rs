//! [`Handshake`]: what the upgrade request said (path, query, headers, peer),
//! and [`Rejection`], the answer of an authorization hook that refuses it.

use std::borrow::Cow;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use http::HeaderMap;

use crate::Extensions;

/// The HTTP upgrade request that opened a connection.
///
/// Available to the authorization hook and, through
/// [`Connection::handshake`](crate::Connection::handshake), to every handler.
/// Cheap to clone.
///
/// ```
/// use zap_core::Handshake;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("authorization", "Bearer s3cret".parse().unwrap());
/// let hs = Handshake::new("/ws", Some("room=lobby&name=ada%20l".into()), headers, None);
/// assert_eq!(hs.path(), "/ws");
/// assert_eq!(hs.query_param("name").as_deref(), Some("ada l"));
/// assert_eq!(hs.bearer_token(), Some("s3cret"));
/// ```
#[derive(Clone)]
pub struct Handshake(Arc<Inner>);

struct Inner {
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    peer_addr: Option<SocketAddr>,
    extensions: Extensions,
}

impl Handshake {
    /// Describes an upgrade request. Integrations call this; applications
    /// read it.
    pub fn new(
        path: impl Into<String>,
        query: Option<String>,
        headers: HeaderMap,
        peer_addr: Option<SocketAddr>,
    ) -> Self {
        Handshake(Arc::new(Inner {
            path: path.into(),
            query,
            headers,
            peer_addr,
            extensions: Extensions::default(),
        }))
    }

    /// The request path, without the query (`/ws`).
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// The raw query string, without the `?`.
    pub fn query(&self) -> Option<&str> {
        self.0.query.as_deref()
    }

    /// The first value of a query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<Cow<'_, str>> {
        self.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// Every query parameter, percent-decoded, in order.
    pub fn query_pairs(&self) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
        form_urlencoded::parse(self.query().unwrap_or("").as_bytes())
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// One header's value, if present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.0.headers.get(name)?.to_str().ok()
    }

    /// The token of an `Authorization: Bearer <token>` header.
    pub fn bearer_token(&self) -> Option<&str> {
        let value = self.header("authorization")?;
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    }

    /// The peer's address, when the transport knows it.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.0.peer_addr
    }

    /// The connection's [`Extensions`]: what the authorization hook stores
    /// here, handlers read from [`Connection::extensions`](crate::Connection::extensions).
    pub fn extensions(&self) -> &Extensions {
        &self.0.extensions
    }
}

impl fmt::Debug for Handshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handshake")
            .field("path", &self.0.path)
            .field("query", &self.0.query)
            .field("peer_addr", &self.0.peer_addr)
            .field("headers", &self.0.headers.len())
            .finish()
    }
}

/// An authorization hook's refusal: the upgrade is answered with this HTTP
/// status and no WebSocket is opened.
///
/// ```
/// use zap_core::Rejection;
/// let r = Rejection::unauthorized().with_reason("missing token");
/// assert_eq!(r.status(), 401);
/// assert_eq!(r.reason(), "missing token");
/// assert_eq!(Rejection::forbidden().status(), 403);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    status: http::StatusCode,
    reason: Cow<'static, str>,
}

impl Rejection {
    /// 401 Unauthorized: no or bad credentials.
    pub fn unauthorized() -> Self {
        Rejection::with_status(http::StatusCode::UNAUTHORIZED)
    }

    /// 403 Forbidden: valid credentials, not allowed.
    pub fn forbidden() -> Self {
        Rejection::with_status(http::StatusCode::FORBIDDEN)
    }

    /// Any client-error status (4xx); other statuses become 403.
    pub fn with_status(status: http::StatusCode) -> Self {
        let status = if status.is_client_error() {
            status
        } else {
            http::StatusCode::FORBIDDEN
        };
        Rejection {
            status,
            reason: Cow::Borrowed(status.canonical_reason().unwrap_or("Forbidden")),
        }
    }

    /// 503 Service Unavailable: the endpoint already serves its
    /// `max_connections` (see [`Endpoint::max_connections`](crate::Endpoint::max_connections)).
    pub fn too_many_connections() -> Self {
        Rejection {
            status: http::StatusCode::SERVICE_UNAVAILABLE,
            reason: Cow::Borrowed("too many connections"),
        }
    }

    /// The HTTP response every integration answers with: the status, and
    /// the reason as a plain-text body ending in a newline.
    ///
    /// ```
    /// let response = zap_core::Rejection::unauthorized().with_reason("no token").to_response();
    /// assert_eq!(response.status(), 401);
    /// assert_eq!(response.body(), "no token\n");
    /// assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
    /// ```
    pub fn to_response(&self) -> http::Response<String> {
        let mut response = http::Response::new(format!("{}\n", self.reason));
        *response.status_mut() = self.status;
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    }

    /// Sets the text of the response body.
    pub fn with_reason(mut self, reason: impl Into<Cow<'static, str>>) -> Self {
        self.reason = reason.into();
        self
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status.as_u16()
    }

    /// The HTTP status.
    pub fn status_code(&self) -> http::StatusCode {
        self.status
    }

    /// The response body's text.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.reason)
    }
}

impl std::error::Error for Rejection {}

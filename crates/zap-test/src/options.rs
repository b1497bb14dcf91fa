//! [`Connect`]: the upgrade request a test client makes (path, query,
//! headers, peer address), and whether it asks for recovery.

use std::net::SocketAddr;

use http::{HeaderMap, HeaderName, HeaderValue};
use zap_core::Handshake;

/// How a [`TestClient`](crate::TestClient) connects: what its upgrade
/// request says.
///
/// ```
/// use zap_test::Connect;
///
/// let options = Connect::new()
///     .path("/ws")
///     .query("room", "lobby")
///     .header("x-client", "ada")
///     .bearer("s3cret");
/// # drop(options);
/// ```
#[derive(Debug, Clone)]
#[must_use = "pass it to `TestServer::connect_with`"]
pub struct Connect {
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    peer_addr: Option<SocketAddr>,
    pub(crate) recover: bool,
    pub(crate) answer_pings: bool,
}

impl Default for Connect {
    fn default() -> Self {
        Connect::new()
    }
}

impl Connect {
    /// A request for `/` with no query and no headers, from `127.0.0.1`.
    pub fn new() -> Self {
        Connect {
            path: "/".to_owned(),
            query: Vec::new(),
            headers: HeaderMap::new(),
            peer_addr: Some(SocketAddr::from(([127, 0, 0, 1], 40000))),
            recover: false,
            answer_pings: true,
        }
    }

    /// The request path (default `/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Adds a query parameter (percent-encoded for you).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Adds a request header.
    ///
    /// # Panics
    /// If `name` or `value` is not a valid HTTP header name or value (a
    /// mistake in the test itself).
    #[track_caller]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::try_from(name)
            .unwrap_or_else(|err| panic!("`{name}` is not a header name: {err}"));
        let value = HeaderValue::try_from(value)
            .unwrap_or_else(|err| panic!("`{value}` is not a header value: {err}"));
        self.headers.append(name, value);
        self
    }

    /// Adds `Authorization: Bearer <token>`.
    #[track_caller]
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// The peer address the server sees (default `127.0.0.1:40000`;
    /// `None`: unknown, as behind some proxies).
    pub fn peer_addr(mut self, addr: Option<SocketAddr>) -> Self {
        self.peer_addr = addr;
        self
    }

    /// Asks for the recovery extension (`zap_recover=1`), so that a cut
    /// link can be resumed with [`TestServer::resume`](crate::TestServer::resume).
    pub fn recover(mut self) -> Self {
        self.recover = true;
        self
    }

    /// The peer never answers the server's pings (a peer gone silent), so
    /// the idle timeout applies to it.
    pub fn silent(mut self) -> Self {
        self.answer_pings = false;
        self
    }

    /// The handshake for this request, plus `extra` query parameters.
    pub(crate) fn handshake(&self, extra: &[(String, String)]) -> Handshake {
        let pairs: Vec<&(String, String)> = self.query.iter().chain(extra).collect();
        let query = (!pairs.is_empty()).then(|| {
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs.iter().map(|(k, v)| (k, v)))
                .finish()
        });
        Handshake::new(
            self.path.clone(),
            query,
            self.headers.clone(),
            self.peer_addr,
        )
    }
}

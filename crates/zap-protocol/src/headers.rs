//! [`Headers`] and the header names this implementation adds on top of v1.

/// An event's headers: a JSON object of free-form metadata.
///
/// On receipt, a missing or `null` `headers` key (or any value that is not an
/// object) reads as an empty map, as the Python reference server does.
pub type Headers = serde_json::Map<String, serde_json::Value>;

/// Header carrying a request id, set by a client's `request()`.
///
/// A v1 peer that does not know it simply ignores it; a peer that does replies
/// with an event carrying [`RESPONSE_TO_HEADER`] set to the same id.
pub const REQUEST_ID_HEADER: &str = "zap-request-id";

/// Header carrying the id of the request an event answers.
pub const RESPONSE_TO_HEADER: &str = "zap-response-to";

//! Encoding an event into a [`Frame`] (the sending rules of `docs/protocol.md`).

use serde::Serialize;

use crate::{Frame, Headers, PayloadError};

/// An event could not be encoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The payload's `Serialize` implementation failed (for example a map
    /// with non-string keys). Send a value that maps to JSON.
    #[error("cannot encode event `{event_name}`")]
    Serialize {
        /// The event that was being encoded.
        event_name: String,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// The payload could not be turned into JSON.
    #[error(transparent)]
    Payload(#[from] PayloadError),
}

#[derive(Serialize)]
struct Envelope<'a, P: ?Sized> {
    #[serde(rename = "eventName")]
    event_name: &'a str,
    payload: &'a P,
    #[serde(skip_serializing_if = "Option::is_none")]
    headers: Option<&'a Headers>,
}

/// Encodes one event into the text of one WebSocket frame.
///
/// `payload` is written as JSON (`()` and `None` become `null`); `headers`
/// is omitted from the frame when `None` and written, even empty, when `Some`.
/// The frame is built in a single pass with no intermediate JSON tree.
///
/// ```
/// use serde_json::json;
/// let with = zap_protocol::encode("e", &1, Some(&Default::default()))?;
/// assert_eq!(with.as_str(), r#"{"eventName":"e","payload":1,"headers":{}}"#);
/// let without = zap_protocol::encode("e", &json!(null), None)?;
/// assert_eq!(without.as_str(), r#"{"eventName":"e","payload":null}"#);
/// # Ok::<(), zap_protocol::EncodeError>(())
/// ```
pub fn encode<P: Serialize + ?Sized>(
    event_name: &str,
    payload: &P,
    headers: Option<&Headers>,
) -> Result<Frame, EncodeError> {
    let envelope = Envelope {
        event_name,
        payload,
        headers,
    };
    serde_json::to_string(&envelope)
        .map(Frame::from)
        .map_err(|source| EncodeError::Serialize {
            event_name: event_name.to_owned(),
            source,
        })
}

//! [`EventData`]: one decoded event, the `{eventName, payload, headers}` envelope.

use std::sync::{Arc, OnceLock};

use serde::Serialize;

use crate::{EncodeError, Frame, Headers, Payload, encode};

/// One event: its name, its payload and its headers.
///
/// The names match the Python and Dart `EventData`. Headers are optional:
/// `None` means the sender gave none (and the key is omitted when this event
/// is encoded), while `Some` (even an empty map) is always written.
///
/// ```
/// use serde_json::json;
/// use zap_protocol::{EventData, Headers, Payload};
///
/// let mut headers = Headers::new();
/// headers.insert("room".into(), json!("lobby"));
/// let event = EventData::new("chat.message", Payload::from(json!({"text": "hi"})), Some(headers));
/// assert_eq!(event.headers()["room"], "lobby");
/// assert_eq!(
///     event.encode().as_str(),
///     r#"{"eventName":"chat.message","payload":{"text":"hi"},"headers":{"room":"lobby"}}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
pub struct EventData {
    /// Shared so that keeping the name while the event is handled (for
    /// error reports) costs no allocation.
    event_name: Arc<str>,
    payload: Payload,
    headers: Option<Headers>,
}

impl EventData {
    /// Builds an event from its parts.
    pub fn new(event_name: impl Into<String>, payload: Payload, headers: Option<Headers>) -> Self {
        EventData {
            event_name: Arc::from(event_name.into()),
            payload,
            headers,
        }
    }

    /// Builds an event whose name is already shared (what decoding does).
    pub(crate) fn from_shared_name(
        event_name: Arc<str>,
        payload: Payload,
        headers: Option<Headers>,
    ) -> Self {
        EventData {
            event_name,
            payload,
            headers,
        }
    }

    /// Builds an event whose payload is any serializable value.
    pub fn with_payload<T: Serialize + ?Sized>(
        event_name: impl Into<String>,
        payload: &T,
        headers: Option<Headers>,
    ) -> Result<Self, EncodeError> {
        Ok(EventData::new(
            event_name,
            Payload::from_serialize(payload).map_err(EncodeError::Payload)?,
            headers,
        ))
    }

    /// The event's name.
    pub fn event_name(&self) -> &str {
        &self.event_name
    }

    /// The event's name as a shared string: cloning it allocates nothing.
    ///
    /// ```
    /// let event = zap_protocol::decode(r#"{"eventName":"chat.message"}"#)?;
    /// let name = event.shared_event_name();
    /// assert_eq!(&*name, "chat.message");
    /// # Ok::<(), zap_protocol::DecodeError>(())
    /// ```
    pub fn shared_event_name(&self) -> Arc<str> {
        self.event_name.clone()
    }

    /// The event's payload (`null` when the sender omitted it).
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// The event's headers; an empty map when the sender gave none.
    pub fn headers(&self) -> &Headers {
        match &self.headers {
            Some(headers) => headers,
            None => empty_headers(),
        }
    }

    /// The headers exactly as given: `None` when the sender gave none.
    pub fn headers_opt(&self) -> Option<&Headers> {
        self.headers.as_ref()
    }

    /// One header's value as a string, if present and a string.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers_opt()?.get(name)?.as_str()
    }

    /// Splits the event into its parts.
    pub fn into_parts(self) -> (String, Payload, Option<Headers>) {
        (String::from(&*self.event_name), self.payload, self.headers)
    }

    /// Encodes the event as one frame. Infallible: the payload is already JSON.
    pub fn encode(&self) -> Frame {
        // Payload and Headers serialize without failure (raw JSON text and
        // string-keyed maps), so the error arm is unreachable in practice.
        encode(&self.event_name, &self.payload, self.headers.as_ref())
            .unwrap_or_else(|_| Frame::from_text(String::new()))
    }
}

fn empty_headers() -> &'static Headers {
    static EMPTY: OnceLock<Headers> = OnceLock::new();
    EMPTY.get_or_init(Headers::new)
}

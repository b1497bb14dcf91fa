//! [`EventData`]: one decoded event, the `{eventName, payload, headers}` envelope.

use std::sync::{Arc, OnceLock};

use serde::Serialize;

use crate::{EncodeError, Frame, Headers, Payload, Text, encode};

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
    event_name: Name,
    payload: Payload,
    headers: Option<Headers>,
    /// The client event id (`zap-id`), taken out of the received headers.
    client_id: Option<u64>,
}

/// An event's name: shared, so that keeping it while the event is handled
/// costs no allocation; a received one is a slice of its frame.
#[derive(Clone)]
enum Name {
    Shared(Arc<str>),
    Received(Text),
}

impl Name {
    fn as_str(&self) -> &str {
        match self {
            Name::Shared(name) => name,
            Name::Received(name) => name.as_str(),
        }
    }
}

impl Default for Name {
    fn default() -> Self {
        Name::Shared(Arc::from(""))
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl EventData {
    /// Builds an event from its parts.
    pub fn new(event_name: impl Into<String>, payload: Payload, headers: Option<Headers>) -> Self {
        EventData {
            event_name: Name::Shared(Arc::from(event_name.into())),
            payload,
            headers,
            client_id: None,
        }
    }

    /// Builds a decoded event: its name shared, or a slice of its frame.
    pub(crate) fn decoded(
        event_name: Result<Arc<str>, Text>,
        payload: Payload,
        headers: Option<Headers>,
        client_id: Option<u64>,
    ) -> Self {
        EventData {
            event_name: match event_name {
                Ok(name) => Name::Shared(name),
                Err(name) => Name::Received(name),
            },
            payload,
            headers,
            client_id,
        }
    }

    /// The client event id of the recovery extension (the `zap-id`
    /// header, a whole number), which decoding takes out of the headers:
    /// `zap-` header names are reserved for the extensions. It belongs to
    /// the connection it came on: [`encode`](Self::encode) does not write it.
    ///
    /// ```
    /// let event = zap_protocol::decode(r#"{"eventName":"e","headers":{"zap-id":7,"a":1}}"#)?;
    /// assert_eq!(event.client_id(), Some(7));
    /// assert!(event.headers().get("zap-id").is_none());
    /// # Ok::<(), zap_protocol::DecodeError>(())
    /// ```
    pub fn client_id(&self) -> Option<u64> {
        self.client_id
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
        self.event_name.as_str()
    }

    /// The event's name as a shared string: cloning it allocates nothing
    /// (making it does, for a name that is a slice of a received frame).
    ///
    /// ```
    /// let event = zap_protocol::decode(r#"{"eventName":"chat.message"}"#)?;
    /// let name = event.shared_event_name();
    /// assert_eq!(&*name, "chat.message");
    /// # Ok::<(), zap_protocol::DecodeError>(())
    /// ```
    pub fn shared_event_name(&self) -> Arc<str> {
        match &self.event_name {
            Name::Shared(name) => name.clone(),
            Name::Received(name) => Arc::from(name.as_str()),
        }
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
        (
            self.event_name.as_str().to_owned(),
            self.payload,
            self.headers,
        )
    }

    /// Encodes the event as one frame. Infallible: the payload is already JSON.
    pub fn encode(&self) -> Frame {
        // Payload and Headers serialize without failure (raw JSON text and
        // string-keyed maps), so the error arm is unreachable in practice.
        encode(self.event_name(), &self.payload, self.headers.as_ref())
            .unwrap_or_else(|_| Frame::from_text(String::new()))
    }
}

fn empty_headers() -> &'static Headers {
    static EMPTY: OnceLock<Headers> = OnceLock::new();
    EMPTY.get_or_init(Headers::new)
}

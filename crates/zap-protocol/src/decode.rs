//! Decoding a received frame into an [`EventData`] (the receipt rules of `docs/protocol.md`).

use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::{EventData, Headers, Payload, Text};

/// The kind of a JSON value, used in [`DecodeError`] messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonKind {
    /// `null`
    Null,
    /// `true` or `false`
    Boolean,
    /// a number
    Number,
    /// a string
    String,
    /// an array
    Array,
    /// an object
    Object,
}

impl fmt::Display for JsonKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonKind::Null => "null",
            JsonKind::Boolean => "a boolean",
            JsonKind::Number => "a number",
            JsonKind::String => "a string",
            JsonKind::Array => "an array",
            JsonKind::Object => "an object",
        })
    }
}

/// A received frame is not a valid v1 event. Each variant says what was
/// wrong; none of them is fatal to the connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The frame is not valid JSON (or not UTF-8). `source` says where.
    #[error("frame is not valid JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// The frame is JSON, but not an object.
    #[error("frame is {found}, not a JSON object")]
    NotAnObject {
        /// What the frame holds instead.
        found: JsonKind,
    },
    /// The object has no `eventName` key.
    #[error("frame has no `eventName`")]
    MissingEventName,
    /// `eventName` is present but not a string.
    #[error("`eventName` is {found}, not a string")]
    EventNameNotString {
        /// What `eventName` holds instead.
        found: JsonKind,
    },
    /// The frame is longer than the receiver accepts.
    #[error("frame of {size} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// The frame's length in bytes.
        size: usize,
        /// The limit in force.
        max: usize,
    },
}

/// Decodes one frame's text into an event.
///
/// ```
/// use zap_protocol::{decode, DecodeError};
///
/// // What a Dart client sends when no headers were given:
/// let event = decode(r#"{"eventName":"myEvent","payload":"payload"}"#)?;
/// assert!(event.headers().is_empty() && event.headers_opt().is_none());
///
/// assert!(matches!(decode(r#"{"payload":1}"#), Err(DecodeError::MissingEventName)));
/// # Ok::<(), DecodeError>(())
/// ```
pub fn decode(text: &str) -> Result<EventData, DecodeError> {
    decode_from(text, None)
}

/// Decodes one received frame, keeping the event's name and payload as
/// slices of it (no copy): what a server does with each frame.
///
/// The text is UTF-8 already (whoever received it checked it), so it is not
/// checked again.
///
/// ```
/// let frame = zap_protocol::Text::from(r#"{"eventName":"n","payload":[1,2]}"#);
/// let event = zap_protocol::decode_text(&frame)?;
/// assert_eq!(event.payload().as_json(), "[1,2]");
/// # Ok::<(), zap_protocol::DecodeError>(())
/// ```
pub fn decode_text(text: &Text) -> Result<EventData, DecodeError> {
    match crate::decode_fast::decode(text) {
        Some(event) => Ok(event),
        None => decode_from(text.as_str(), Some(text)),
    }
}

/// Decodes `text`; with its `source` frame, name and payload are slices of it.
fn decode_from(text: &str, source: Option<&Text>) -> Result<EventData, DecodeError> {
    // Text is UTF-8 already: serde_json's `StrRead` does not check it again.
    let mut de = serde_json::Deserializer::from_str(text);
    match de
        .deserialize_map(EnvelopeVisitor { source })
        .and_then(|outcome| de.end().map(|()| outcome))
    {
        Ok(outcome) => outcome,
        Err(err) => Err(classify(text.as_bytes(), err)),
    }
}

/// Decodes one frame, refusing anything longer than `max` bytes before parsing.
///
/// ```
/// let err = zap_protocol::decode_with_limit(r#"{"eventName":"e"}"#, 4).unwrap_err();
/// assert_eq!(err.to_string(), "frame of 17 bytes exceeds the limit of 4 bytes");
/// ```
pub fn decode_with_limit(text: &str, max: usize) -> Result<EventData, DecodeError> {
    if text.len() > max {
        return Err(DecodeError::TooLarge {
            size: text.len(),
            max,
        });
    }
    decode(text)
}

/// Decodes one frame given as bytes (invalid UTF-8 is [`DecodeError::NotJson`]).
///
/// The bytes are checked for UTF-8 once, in one pass, then parsed as text
/// (cheaper than serde_json checking every string of the frame on its own).
pub fn decode_slice(bytes: &[u8]) -> Result<EventData, DecodeError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => decode(text),
        // serde_json says where the invalid UTF-8 (or an earlier syntax
        // error) is.
        Err(_) => Err(match serde_json::from_slice::<IgnoredAny>(bytes) {
            Err(err) => classify(bytes, err),
            Ok(_) => DecodeError::NotJson(serde::de::Error::custom("frame is not valid UTF-8")),
        }),
    }
}

/// Turns serde's error into the most precise [`DecodeError`].
fn classify(bytes: &[u8], err: serde_json::Error) -> DecodeError {
    match leading_kind(bytes) {
        // The text starts like a value of another kind: if all of it is
        // valid JSON, blame the kind; otherwise report the syntax error.
        Some(found) if found != JsonKind::Object && err.is_data() => {
            match serde_json::from_slice::<IgnoredAny>(bytes) {
                Ok(_) => DecodeError::NotAnObject { found },
                Err(syntax) => DecodeError::NotJson(syntax),
            }
        }
        _ => DecodeError::NotJson(err),
    }
}

fn leading_kind(bytes: &[u8]) -> Option<JsonKind> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    Some(match first {
        b'{' => JsonKind::Object,
        b'[' => JsonKind::Array,
        b'"' => JsonKind::String,
        b't' | b'f' => JsonKind::Boolean,
        b'n' => JsonKind::Null,
        _ => JsonKind::Number,
    })
}

/// Visits the top-level object. Its value is the decode outcome, so the
/// envelope's own rule violations are typed rather than serde strings.
struct EnvelopeVisitor<'a> {
    /// The received frame being decoded, whose slices the event keeps.
    source: Option<&'a Text>,
}

impl<'de> Visitor<'de> for EnvelopeVisitor<'_> {
    type Value = Result<EventData, DecodeError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a zaptools event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let source = self.source;
        let mut event_name: Option<Result<Result<Arc<str>, Text>, JsonKind>> = None;
        let mut payload: Option<&'de RawValue> = None;
        let mut headers = ReceivedHeaders::default();
        // Duplicate keys: the last one wins, as in JavaScript and Python.
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::EventName => event_name = Some(map.next_value_seed(NameSeed { source })?),
                Key::Payload => payload = map.next_value::<Option<&'de RawValue>>()?,
                Key::Headers => headers = map.next_value_seed(HeadersSeed)?,
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(match event_name {
            None => Err(DecodeError::MissingEventName),
            Some(Err(found)) => Err(DecodeError::EventNameNotString { found }),
            Some(Ok(name)) => {
                let payload = match payload {
                    None => Payload::null(),
                    Some(raw) => match source.and_then(|frame| frame.slice_of(raw.get())) {
                        Some(slice) => Payload::received(slice),
                        None => Payload::from_raw(raw.to_owned()),
                    },
                };
                Ok(EventData::decoded(
                    name,
                    payload,
                    headers.headers,
                    headers.client_id,
                ))
            }
        })
    }
}

/// The envelope's keys, recognised without allocating.
enum Key {
    EventName,
    Payload,
    Headers,
    Other,
}

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(match key {
                    "eventName" => Key::EventName,
                    "payload" => Key::Payload,
                    "headers" => Key::Headers,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// `eventName`: the string (a slice of the frame when it has no escapes
/// and the frame is known), or the kind of value found instead.
struct NameSeed<'a> {
    source: Option<&'a Text>,
}

impl<'de> DeserializeSeed<'de> for NameSeed<'_> {
    type Value = Result<Result<Arc<str>, Text>, JsonKind>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NameSeed<'_> {
    type Value = Result<Result<Arc<str>, Text>, JsonKind>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        match self.source.and_then(|frame| frame.slice_of(v)) {
            Some(slice) => Ok(Ok(Err(slice))),
            None => Ok(Ok(Ok(Arc::from(v)))),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Ok(Ok(Arc::from(v))))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Ok(Ok(Arc::from(v))))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err(JsonKind::Null))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err(JsonKind::Boolean))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err(JsonKind::Number))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err(JsonKind::Number))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err(JsonKind::Number))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Err(JsonKind::Array))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Err(JsonKind::Object))
    }
}

/// `headers`: an object becomes the map, except a whole-number `zap-id`
/// (the recovery extension's client event id), kept apart; `null` or any
/// other type is ignored.
struct HeadersSeed;

/// The received headers, and the client event id taken out of them.
#[derive(Default)]
struct ReceivedHeaders {
    headers: Option<Headers>,
    client_id: Option<u64>,
}

impl<'de> DeserializeSeed<'de> for HeadersSeed {
    type Value = ReceivedHeaders;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// A header name: `zap-id` recognised without allocating.
enum HeaderName {
    ClientId,
    Other(String),
}

impl<'de> de::Deserialize<'de> for HeaderName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl Visitor<'_> for NameVisitor {
            type Value = HeaderName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a header name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<HeaderName, E> {
                Ok(match name {
                    crate::ext::ID_HEADER => HeaderName::ClientId,
                    _ => HeaderName::Other(name.to_owned()),
                })
            }
            fn visit_string<E: de::Error>(self, name: String) -> Result<HeaderName, E> {
                Ok(match name.as_str() {
                    crate::ext::ID_HEADER => HeaderName::ClientId,
                    _ => HeaderName::Other(name),
                })
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

impl<'de> Visitor<'de> for HeadersSeed {
    type Value = ReceivedHeaders;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a headers object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut headers = Headers::new();
        let mut client_id = None;
        // Duplicate names: the last one wins, as for the envelope's keys.
        while let Some(name) = map.next_key::<HeaderName>()? {
            let value: serde_json::Value = map.next_value()?;
            match (name, value.as_u64()) {
                (HeaderName::ClientId, Some(id)) => {
                    client_id = Some(id);
                }
                (HeaderName::ClientId, None) => {
                    headers.insert(crate::ext::ID_HEADER.to_owned(), value);
                }
                (HeaderName::Other(name), _) => {
                    headers.insert(name, value);
                }
            }
        }
        // Headers that held only the id were the extension's, not the
        // application's.
        let only_id = headers.is_empty() && client_id.is_some();
        Ok(ReceivedHeaders {
            headers: (!only_id).then_some(headers),
            client_id,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(ReceivedHeaders::default())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(ReceivedHeaders::default())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(ReceivedHeaders::default())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(ReceivedHeaders::default())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(ReceivedHeaders::default())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(ReceivedHeaders::default())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(ReceivedHeaders::default())
    }
}

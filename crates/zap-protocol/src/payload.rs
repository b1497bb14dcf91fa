//! [`Payload`]: an event's payload, kept as raw JSON until someone asks for a type.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::Text;

/// An event's payload: any JSON value, held as its raw JSON text.
///
/// Decoding an event validates the payload but does not build a tree of it;
/// [`Payload::parse`] turns it straight into the type a handler wants, and
/// sending a received payload on writes the raw text back unchanged.
///
/// ```
/// use serde::Deserialize;
/// use zap_protocol::Payload;
///
/// #[derive(Deserialize)]
/// struct Say { text: String }
///
/// let payload = Payload::from_json(r#"{"text":"hi"}"#)?;
/// let say: Say = payload.parse()?;
/// assert_eq!(say.text, "hi");
/// assert!(payload.parse::<u32>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Payload(Repr);

/// Where the payload's JSON text is.
#[derive(Clone)]
enum Repr {
    /// `null`, held by no buffer.
    Null,
    /// Text of its own (serialized, or parsed from a string).
    Owned(Box<RawValue>),
    /// A slice of the received frame, valid JSON already (it was checked
    /// when the frame was decoded).
    Received(Text),
}

/// A payload did not have the shape the caller asked for.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The payload is valid JSON but does not deserialize into the requested
    /// type. Tell the peer what was expected, or ignore the event.
    ///
    /// The text names neither the Rust type (peers see it in `error`
    /// payloads) nor repeats serde's message, which is its
    /// [`source`](std::error::Error::source).
    #[error("invalid payload")]
    Mismatch {
        /// The Rust type that was asked for (for logs; not in the text).
        expected: &'static str,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// The text given to [`Payload::from_json`] is not one JSON value.
    #[error("payload is not valid JSON")]
    InvalidJson(#[source] serde_json::Error),
    /// A value could not be serialized into a payload (for example a map with
    /// non-string keys).
    #[error("value cannot be serialized as a JSON payload")]
    Unserializable(#[source] serde_json::Error),
}

impl Payload {
    /// The `null` payload (what a missing `payload` key means).
    pub fn null() -> Self {
        Payload(Repr::Null)
    }

    /// Checks `json` and wraps it without building a tree of it.
    pub fn from_json(json: &str) -> Result<Self, PayloadError> {
        serde_json::from_str::<Box<RawValue>>(json)
            .map(Payload::from_raw)
            .map_err(PayloadError::InvalidJson)
    }

    /// Serializes `value` into a payload.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, PayloadError> {
        serde_json::value::to_raw_value(value)
            .map(Payload::from_raw)
            .map_err(PayloadError::Unserializable)
    }

    pub(crate) fn from_raw(raw: Box<RawValue>) -> Self {
        Payload(Repr::Owned(raw))
    }

    /// A payload that is part of a received frame, JSON checked by the
    /// decoder: kept as a slice of the frame, not copied.
    pub(crate) fn received(text: Text) -> Self {
        match text.as_str() {
            "null" => Payload::null(),
            _ => Payload(Repr::Received(text)),
        }
    }

    /// Deserializes the payload into `T`.
    ///
    /// A mismatch is an `Err`, never a panic, so a handler can use `?` and let
    /// the failure reach the `error` handler.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, PayloadError> {
        serde_json::from_str(self.as_json()).map_err(|source| PayloadError::Mismatch {
            expected: std::any::type_name::<T>(),
            source,
        })
    }

    /// The payload as a [`serde_json::Value`] tree.
    pub fn to_value(&self) -> Result<serde_json::Value, PayloadError> {
        self.parse()
    }

    /// The payload's JSON text, exactly as received or serialized.
    pub fn as_json(&self) -> &str {
        match &self.0 {
            Repr::Null => "null",
            Repr::Owned(raw) => raw.get(),
            Repr::Received(text) => text.as_str(),
        }
    }

    /// Whether the payload is JSON `null`.
    pub fn is_null(&self) -> bool {
        self.as_json() == "null"
    }
}

impl Default for Payload {
    fn default() -> Self {
        Payload::null()
    }
}

impl PartialEq for Payload {
    /// Two payloads are equal when they hold the same JSON value, whatever
    /// their spacing or key order.
    fn eq(&self, other: &Self) -> bool {
        self.as_json() == other.as_json()
            || matches!(
                (self.to_value(), other.to_value()),
                (Ok(a), Ok(b)) if a == b
            )
    }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Null => serializer.serialize_unit(),
            Repr::Owned(raw) => raw.serialize(serializer),
            // A newtype that encoding recognises (and copies the text in as
            // it is) and any other serializer sees through.
            Repr::Received(text) => {
                serializer.serialize_newtype_struct(crate::probe::RECEIVED, &ReceivedJson(text))
            }
        }
    }
}

/// A received payload's JSON text: handed over to encoding's probe, or
/// written as raw JSON (serde_json takes raw text only as a `RawValue`,
/// which borrows it after one scan, no copy).
struct ReceivedJson<'a>(&'a Text);

impl Serialize for ReceivedJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if crate::probe::hand_over(self.0) {
            return serializer.serialize_unit();
        }
        serde_json::from_str::<&RawValue>(self.0.as_str())
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<Box<RawValue>>::deserialize(deserializer)?
            .map(Payload::from_raw)
            .unwrap_or_default())
    }
}

impl From<serde_json::Value> for Payload {
    fn from(value: serde_json::Value) -> Self {
        // A `Value` always serializes: its map keys are strings.
        Payload::from_serialize(&value).unwrap_or_default()
    }
}

impl fmt::Display for Payload {
    /// Writes the payload's JSON text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_json())
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Payload").field(&self.as_json()).finish()
    }
}

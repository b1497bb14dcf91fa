//! Finds whether a payload to encode is a received one (a slice of a
//! checked frame), without writing anything: such a payload is copied into
//! the new frame as it is, not re-scanned by serde_json.
//!
//! The payload is serialized into [`Probe`], a serializer that refuses
//! everything but transparent wrappers and the newtype a received
//! [`Payload`](crate::Payload) serializes as ([`RECEIVED`]): inside it,
//! and only there (the probe arms it for that one call), the payload hands
//! its text over. So the probe succeeds exactly when the whole value is one
//! received payload (possibly wrapped: `Some(&payload)`, `&&payload`), and
//! any other value fails at its first step, at the cost of one call. Any
//! other serializer sees the newtype as what it wraps, the raw JSON.

use std::cell::Cell;
use std::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible};

use crate::Text;

/// The newtype name a received payload serializes as.
pub(crate) const RECEIVED: &str = "$zap_protocol::ReceivedPayload";

thread_local! {
    /// `true` for the one call in which a probe serializes a [`RECEIVED`]
    /// newtype's content (always with the probe itself).
    static ARMED: Cell<bool> = const { Cell::new(false) };
    /// The text a received payload handed over.
    static FOUND: Cell<Option<Text>> = const { Cell::new(None) };
}

/// The text of `payload` when it is one received payload; `None` for any
/// other value.
pub(crate) fn received<P: Serialize + ?Sized>(payload: &P) -> Option<Text> {
    let outer = FOUND.with(Cell::take);
    let probed = payload.serialize(Probe);
    let found = FOUND.with(|found| found.replace(outer));
    probed.ok().and(found)
}

/// Called by a received payload's content being serialized: inside a
/// probe, it hands its text over (and serializes a unit); `false`
/// otherwise (it writes itself as raw JSON).
pub(crate) fn hand_over(text: &Text) -> bool {
    if !ARMED.with(|armed| armed.replace(false)) {
        return false;
    }
    FOUND.with(|found| found.set(Some(text.clone())));
    true
}

/// The value is not one received payload.
#[derive(Debug)]
pub(crate) struct NotReceived;

impl fmt::Display for NotReceived {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a received payload")
    }
}

impl std::error::Error for NotReceived {}

impl ser::Error for NotReceived {
    fn custom<T: fmt::Display>(_: T) -> Self {
        NotReceived
    }
}

/// A serializer that accepts a received payload (and transparent wrappers
/// around it), and refuses everything else.
struct Probe;

type Refused = Result<(), NotReceived>;

impl ser::Serializer for Probe {
    type Ok = ();
    type Error = NotReceived;
    type SerializeSeq = Impossible<(), NotReceived>;
    type SerializeTuple = Impossible<(), NotReceived>;
    type SerializeTupleStruct = Impossible<(), NotReceived>;
    type SerializeTupleVariant = Impossible<(), NotReceived>;
    type SerializeMap = Impossible<(), NotReceived>;
    type SerializeStruct = Impossible<(), NotReceived>;
    type SerializeStructVariant = Impossible<(), NotReceived>;

    fn serialize_unit(self) -> Refused {
        // A received payload's content, once it handed its text over.
        match ARMED.with(Cell::get) {
            false => Ok(()),
            true => Err(NotReceived),
        }
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Refused {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Refused {
        if name != RECEIVED {
            return value.serialize(self);
        }
        ARMED.with(|armed| armed.set(true));
        let handed = value.serialize(Probe);
        // Armed for that one call only, whatever it did.
        let unanswered = ARMED.with(|armed| armed.replace(false));
        match unanswered {
            true => Err(NotReceived),
            false => handed,
        }
    }

    fn serialize_bool(self, _: bool) -> Refused {
        Err(NotReceived)
    }
    fn serialize_i8(self, _: i8) -> Refused {
        Err(NotReceived)
    }
    fn serialize_i16(self, _: i16) -> Refused {
        Err(NotReceived)
    }
    fn serialize_i32(self, _: i32) -> Refused {
        Err(NotReceived)
    }
    fn serialize_i64(self, _: i64) -> Refused {
        Err(NotReceived)
    }
    fn serialize_u8(self, _: u8) -> Refused {
        Err(NotReceived)
    }
    fn serialize_u16(self, _: u16) -> Refused {
        Err(NotReceived)
    }
    fn serialize_u32(self, _: u32) -> Refused {
        Err(NotReceived)
    }
    fn serialize_u64(self, _: u64) -> Refused {
        Err(NotReceived)
    }
    fn serialize_f32(self, _: f32) -> Refused {
        Err(NotReceived)
    }
    fn serialize_f64(self, _: f64) -> Refused {
        Err(NotReceived)
    }
    fn serialize_char(self, _: char) -> Refused {
        Err(NotReceived)
    }
    fn serialize_str(self, _: &str) -> Refused {
        Err(NotReceived)
    }
    fn serialize_bytes(self, _: &[u8]) -> Refused {
        Err(NotReceived)
    }
    fn serialize_none(self) -> Refused {
        Err(NotReceived)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Refused {
        Err(NotReceived)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Refused {
        Err(NotReceived)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Refused {
        Err(NotReceived)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotReceived> {
        Err(NotReceived)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotReceived> {
        Err(NotReceived)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotReceived> {
        Err(NotReceived)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotReceived> {
        Err(NotReceived)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotReceived> {
        Err(NotReceived)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, NotReceived> {
        Err(NotReceived)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotReceived> {
        Err(NotReceived)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Payload;

    #[test]
    fn only_a_whole_received_payload_is_found() {
        let frame = Text::from(r#"{"eventName":"e","payload":[1]}"#);
        let event = crate::decode_text(&frame).expect("decodes");
        let payload = event.payload();
        assert_eq!(received(payload).as_deref(), Some("[1]"));
        assert_eq!(received(&Some(payload)).as_deref(), Some("[1]"));
        assert!(received(&[payload]).is_none());
        assert!(received(&()).is_none());
        assert!(received(&Payload::from_json("[1]").expect("json")).is_none());
        assert!(received(&serde_json::json!({"a": 1})).is_none());
        // Nothing is left armed or found for the next serialization.
        assert!(!ARMED.with(Cell::get));
        assert!(FOUND.with(Cell::take).is_none());
    }
}

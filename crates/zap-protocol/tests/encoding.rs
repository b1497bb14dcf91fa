//! The hand-written envelope writer produces what serde_json would, for
//! names that need escaping and for payloads that encode events themselves.
#![allow(clippy::unwrap_used)]

use serde::{Serialize, Serializer};
use serde_json::json;
use zap_protocol::{decode, decode_slice, encode};

#[test]
fn an_event_name_that_needs_escaping_is_escaped_like_serde_json() {
    let name = "quote\" back\\slash \n tab\t é";
    let frame = encode(name, &1, None).unwrap();
    let expected = json!({"eventName": name, "payload": 1}).to_string();
    assert_eq!(frame.as_str(), expected);
    assert_eq!(decode(frame.as_str()).unwrap().event_name(), name);
}

/// A payload whose serialization encodes another event on the same thread.
struct Nested;

impl Serialize for Nested {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let inner = encode("inner", &[1, 2], None).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(inner.as_str())
    }
}

#[test]
fn a_payload_that_encodes_an_event_while_serializing_is_encoded_whole() {
    let frame = encode("outer", &Nested, None).unwrap();
    let event = decode(frame.as_str()).unwrap();
    assert_eq!(event.event_name(), "outer");
    assert_eq!(
        event.payload().parse::<String>().unwrap(),
        r#"{"eventName":"inner","payload":[1,2]}"#
    );
}

#[test]
fn invalid_utf8_inside_a_string_is_not_json() {
    let err = decode_slice(b"{\"eventName\":\"\xff\"}").unwrap_err();
    assert!(
        matches!(err, zap_protocol::DecodeError::NotJson(_)),
        "{err:?}"
    );
}

/// A received payload (a slice of its frame) is written back exactly as it
/// came, whether it is the payload itself or part of another value.
#[test]
fn a_received_payload_is_written_back_as_received_wherever_it_sits() {
    let frame = zap_protocol::Text::from(r#"{"eventName":"e","payload":{"b": [1, 2.50]}}"#);
    let event = zap_protocol::decode_text(&frame).unwrap();
    let payload = event.payload();
    assert_eq!(
        encode("e", payload, None).unwrap().as_str(),
        r#"{"eventName":"e","payload":{"b": [1, 2.50]}}"#
    );
    assert_eq!(
        encode("e", &Some(payload), None).unwrap().as_str(),
        r#"{"eventName":"e","payload":{"b": [1, 2.50]}}"#
    );
    // Inside another value: written as raw JSON where it sits.
    assert_eq!(
        encode("e", &[payload, payload], None).unwrap().as_str(),
        r#"{"eventName":"e","payload":[{"b": [1, 2.50]},{"b": [1, 2.50]}]}"#
    );
    assert_eq!(
        encode("e", &serde_json::json!({"x": null}), None)
            .unwrap()
            .as_str(),
        r#"{"eventName":"e","payload":{"x":null}}"#
    );
}

/// A payload whose serialization encodes another event (which writes its
/// own received payload) leaves both events right.
#[test]
fn encoding_inside_a_payload_keeps_both_payloads() {
    struct Nested(zap_protocol::Payload);
    impl serde::Serialize for Nested {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let inner = encode("inner", &self.0, None).map_err(serde::ser::Error::custom)?;
            serializer.serialize_str(inner.as_str())
        }
    }
    let frame = zap_protocol::Text::from(r#"{"eventName":"e","payload":[true]}"#);
    let event = zap_protocol::decode_text(&frame).unwrap();
    let outer = encode("outer", &Nested(event.payload().clone()), None).unwrap();
    assert_eq!(
        outer.as_str(),
        r#"{"eventName":"outer","payload":"{\"eventName\":\"inner\",\"payload\":[true]}"}"#
    );
}

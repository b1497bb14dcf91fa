//! Every receipt and sending rule of `docs/protocol.md`, one test each, plus the
//! exact frames that Python and Dart peers put on the wire.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use zap_protocol::{DecodeError, EventData, Headers, JsonKind, Payload, decode, encode};

fn headers(value: Value) -> Headers {
    match value {
        Value::Object(map) => map,
        other => panic!("test helper needs an object, got {other}"),
    }
}

// ---- eventName -------------------------------------------------------------

#[test]
fn event_name_is_read_from_a_string() {
    let event = decode(r#"{"eventName":"chat.message","payload":1}"#).unwrap();
    assert_eq!(event.event_name(), "chat.message");
}

#[test]
fn event_name_with_escapes_is_unescaped() {
    let event = decode(r#"{"eventName":"caf\u00e9 \"x\"","payload":1}"#).unwrap();
    assert_eq!(event.event_name(), "café \"x\"");
}

#[test]
fn missing_event_name_is_invalid() {
    let err = decode(r#"{"payload":{"a":1},"headers":{}}"#).unwrap_err();
    assert!(matches!(err, DecodeError::MissingEventName), "{err:?}");
    assert_eq!(err.to_string(), "frame has no `eventName`");
}

#[test]
fn non_string_event_name_is_invalid_and_says_what_it_was() {
    for (frame, kind) in [
        (r#"{"eventName":42}"#, JsonKind::Number),
        (r#"{"eventName":-1.5e3}"#, JsonKind::Number),
        (r#"{"eventName":null}"#, JsonKind::Null),
        (r#"{"eventName":true}"#, JsonKind::Boolean),
        (r#"{"eventName":["a"]}"#, JsonKind::Array),
        (r#"{"eventName":{"a":[1]}}"#, JsonKind::Object),
    ] {
        match decode(frame) {
            Err(DecodeError::EventNameNotString { found }) => assert_eq!(found, kind, "{frame}"),
            other => panic!("{frame}: expected EventNameNotString, got {other:?}"),
        }
    }
    let err = decode(r#"{"eventName":42}"#).unwrap_err();
    assert_eq!(err.to_string(), "`eventName` is a number, not a string");
}

#[test]
fn encoded_frames_always_carry_the_event_name_first() {
    let frame = encode("x", &(), None).unwrap();
    assert!(frame.as_str().starts_with(r#"{"eventName":"x""#));
}

// ---- payload ---------------------------------------------------------------

#[test]
fn missing_payload_means_null() {
    let event = decode(r#"{"eventName":"e"}"#).unwrap();
    assert!(event.payload().is_null());
    assert_eq!(event.payload().to_value().unwrap(), Value::Null);
}

#[test]
fn null_payload_is_null() {
    let event = decode(r#"{"eventName":"e","payload":null}"#).unwrap();
    assert!(event.payload().is_null());
}

#[test]
fn payload_may_be_any_json_value() {
    for payload in [
        json!("text"),
        json!(12.5),
        json!(-7),
        json!(true),
        json!([1, "two", null]),
        json!({"nested": {"deep": [1, 2, {"x": null}]}}),
        json!(""),
    ] {
        let frame = format!(r#"{{"eventName":"e","payload":{payload}}}"#);
        let event = decode(&frame).unwrap();
        assert_eq!(event.payload().to_value().unwrap(), payload, "{frame}");
    }
}

#[test]
fn payload_is_kept_as_sent() {
    let event = decode(r#"{"eventName":"e","payload": { "b" : 1, "a" : [ 2 ] } }"#).unwrap();
    assert_eq!(event.payload().as_json(), r#"{ "b" : 1, "a" : [ 2 ] }"#);
}

#[test]
fn encoded_payload_is_always_present_even_when_null() {
    assert_eq!(
        encode("e", &Value::Null, None).unwrap().as_str(),
        r#"{"eventName":"e","payload":null}"#
    );
    assert_eq!(
        encode("e", &Option::<u8>::None, None).unwrap().as_str(),
        r#"{"eventName":"e","payload":null}"#
    );
    assert_eq!(
        encode("e", &Payload::null(), None).unwrap().as_str(),
        r#"{"eventName":"e","payload":null}"#
    );
}

#[test]
fn typed_payload_mismatch_is_an_error_not_a_panic() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Say {
        text: String,
    }
    let event = decode(r#"{"eventName":"say","payload":{"txt":1}}"#).unwrap();
    let err = event.payload().parse::<Say>().unwrap_err();
    // Said once, without the Rust type (peers see this text): serde's
    // message is the source, not repeated in the Display.
    assert_eq!(err.to_string(), "invalid payload");
    let source = std::error::Error::source(&err).expect("serde's message is the source");
    assert!(
        source.to_string().contains("missing field `text`"),
        "{source}"
    );
}

// ---- headers ---------------------------------------------------------------

#[test]
fn missing_headers_mean_an_empty_map() {
    let event = decode(r#"{"eventName":"e","payload":1}"#).unwrap();
    assert!(event.headers().is_empty());
    assert!(event.headers_opt().is_none());
}

#[test]
fn null_headers_mean_an_empty_map() {
    let event = decode(r#"{"eventName":"e","payload":1,"headers":null}"#).unwrap();
    assert!(event.headers().is_empty());
}

#[test]
fn empty_headers_are_an_empty_map() {
    let event = decode(r#"{"eventName":"e","payload":1,"headers":{}}"#).unwrap();
    assert!(event.headers().is_empty());
    assert!(event.headers_opt().is_some());
}

#[test]
fn header_values_are_read() {
    let event =
        decode(r#"{"eventName":"e","payload":1,"headers":{"room":"lobby","n":[1]}}"#).unwrap();
    assert_eq!(event.headers()["room"], "lobby");
    assert_eq!(event.header_str("room"), Some("lobby"));
    assert_eq!(event.headers()["n"], json!([1]));
}

#[test]
fn non_object_headers_are_treated_as_an_empty_map() {
    for bad in [r#""text""#, "12", "true", "[1,{\"a\":2}]", "[]"] {
        let frame = format!(r#"{{"eventName":"e","payload":1,"headers":{bad}}}"#);
        let event = decode(&frame).unwrap_or_else(|e| panic!("{frame}: {e}"));
        assert!(event.headers().is_empty(), "{frame}");
        assert_eq!(event.payload().to_value().unwrap(), json!(1), "{frame}");
    }
}

#[test]
fn headers_are_omitted_on_send_when_none_were_given() {
    let frame = encode("e", &json!({"a": 1}), None).unwrap();
    assert_eq!(frame.as_str(), r#"{"eventName":"e","payload":{"a":1}}"#);
}

#[test]
fn headers_are_sent_when_given_even_empty() {
    let empty = encode("e", &1, Some(&Headers::new())).unwrap();
    assert_eq!(
        empty.as_str(),
        r#"{"eventName":"e","payload":1,"headers":{}}"#
    );
    let full = encode("e", &1, Some(&headers(json!({"k": "v"})))).unwrap();
    assert_eq!(
        full.as_str(),
        r#"{"eventName":"e","payload":1,"headers":{"k":"v"}}"#
    );
}

// ---- other keys and malformed frames ---------------------------------------

#[test]
fn other_keys_are_ignored() {
    let event = decode(
        r#"{"id":7,"eventName":"e","extra":{"deep":[1,2]},"payload":"p","headers":{},"z":null}"#,
    )
    .unwrap();
    assert_eq!(event.event_name(), "e");
    assert_eq!(event.payload().to_value().unwrap(), json!("p"));
}

#[test]
fn key_order_does_not_matter() {
    let event = decode(r#"{"headers":{"a":1},"payload":[],"eventName":"last"}"#).unwrap();
    assert_eq!(event.event_name(), "last");
    assert_eq!(event.headers()["a"], 1);
}

#[test]
fn duplicate_keys_keep_the_last_value() {
    let event = decode(r#"{"eventName":"a","eventName":"b","payload":1,"payload":2}"#).unwrap();
    assert_eq!(event.event_name(), "b");
    assert_eq!(event.payload().to_value().unwrap(), json!(2));
}

#[test]
fn text_that_is_not_json_is_invalid() {
    for bad in [
        "",
        "   ",
        "hello",
        "{",
        r#"{"eventName":"e""#,
        r#"{"eventName":"e"} x"#,
        "{'eventName':'e'}",
    ] {
        match decode(bad) {
            Err(DecodeError::NotJson(_)) => {}
            other => panic!("{bad:?}: expected NotJson, got {other:?}"),
        }
    }
}

#[test]
fn json_that_is_not_an_object_is_invalid() {
    for (bad, kind) in [
        ("[1,2]", JsonKind::Array),
        (r#""eventName""#, JsonKind::String),
        ("42", JsonKind::Number),
        ("null", JsonKind::Null),
        (" true ", JsonKind::Boolean),
    ] {
        match decode(bad) {
            Err(DecodeError::NotAnObject { found }) => assert_eq!(found, kind, "{bad}"),
            other => panic!("{bad:?}: expected NotAnObject, got {other:?}"),
        }
    }
    assert_eq!(
        decode("[]").unwrap_err().to_string(),
        "frame is an array, not a JSON object"
    );
}

#[test]
fn invalid_utf8_is_invalid() {
    let err = zap_protocol::decode_slice(b"{\"eventName\":\"\xff\"}").unwrap_err();
    assert!(matches!(err, DecodeError::NotJson(_)), "{err:?}");
}

#[test]
fn oversized_frames_are_refused_before_parsing() {
    let big = format!(r#"{{"eventName":"e","payload":"{}"}}"#, "x".repeat(1000));
    match zap_protocol::decode_with_limit(&big, 512) {
        Err(DecodeError::TooLarge { size, max }) => {
            assert_eq!((size, max), (big.len(), 512));
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert!(zap_protocol::decode_with_limit(&big, big.len()).is_ok());
}

#[test]
fn deeply_nested_payload_is_an_error_not_a_crash() {
    // Validating the raw payload is iterative: no stack overflow. Building a
    // tree of it hits serde_json's depth limit and is a typed error.
    let deep = format!(
        r#"{{"eventName":"e","payload":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let event = decode(&deep).unwrap();
    assert!(event.payload().to_value().is_err());
    let unbalanced = format!(r#"{{"eventName":"e","payload":{}}}"#, "[".repeat(100_000));
    assert!(matches!(decode(&unbalanced), Err(DecodeError::NotJson(_))));
}

// ---- frames from the other implementations ----------------------------------

#[test]
fn python_client_frame_with_spaces_and_empty_headers() {
    // json.dumps default separators; the Python client always sends headers.
    let event =
        decode(r#"{"eventName": "event1", "payload": {"hello": "from client"}, "headers": {}}"#)
            .unwrap();
    assert_eq!(event.event_name(), "event1");
    assert_eq!(
        event.payload().to_value().unwrap(),
        json!({"hello": "from client"})
    );
    assert!(event.headers().is_empty());
}

#[test]
fn python_server_frame_without_headers() {
    let event = decode(r#"{"eventName": "hello", "payload": "HELLO FROM SERVER !!!"}"#).unwrap();
    assert_eq!(event.event_name(), "hello");
    assert_eq!(
        event.payload().to_value().unwrap(),
        json!("HELLO FROM SERVER !!!")
    );
    assert!(event.headers_opt().is_none());
}

#[test]
fn dart_client_frame_without_headers() {
    let event = decode(r#"{"eventName":"myEvent","payload":"payload"}"#).unwrap();
    assert_eq!(event.event_name(), "myEvent");
    assert!(event.headers().is_empty());
}

#[test]
fn dart_server_frame_with_empty_headers() {
    let event = decode(r#"{"eventName":"myEvent","payload":{"n":1},"headers":{}}"#).unwrap();
    assert_eq!(event.payload().to_value().unwrap(), json!({"n": 1}));
    assert!(event.headers().is_empty());
}

#[test]
fn python_server_greeting_named_connected_is_an_ordinary_event() {
    let event = decode(r#"{"eventName": "connected", "payload": "welcome"}"#).unwrap();
    assert_eq!(event.event_name(), "connected");
}

// ---- round trips -------------------------------------------------------------

#[test]
fn encode_then_decode_round_trips() {
    let original = EventData::new(
        "room.say",
        Payload::from(json!({"text": "hé \u{1F600}", "n": [1, 2.5, null]})),
        Some(headers(json!({"room": "lobby"}))),
    );
    let decoded = decode(original.encode().as_str()).unwrap();
    assert_eq!(decoded, original);

    let bare = EventData::new("bare", Payload::null(), None);
    assert_eq!(decode(bare.encode().as_str()).unwrap(), bare);
}

#[test]
fn a_received_payload_is_sent_on_unchanged() {
    let event = decode(r#"{"eventName":"echo","payload":{"z":1,"a":2}}"#).unwrap();
    let frame = encode("echo", event.payload(), None).unwrap();
    assert_eq!(
        frame.as_str(),
        r#"{"eventName":"echo","payload":{"z":1,"a":2}}"#
    );
}

#[test]
fn payload_that_cannot_be_json_is_an_encode_error() {
    let mut map = std::collections::HashMap::new();
    map.insert(vec![1u8], 1);
    let err = encode("bad", &map, None).unwrap_err();
    assert!(
        err.to_string().contains("cannot encode event `bad`"),
        "{err}"
    );
}

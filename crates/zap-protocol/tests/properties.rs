//! Properties of the codec, checked on generated input: decoding never
//! panics, and every valid envelope survives encode → decode unchanged.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::{Map, Value};
use zap_protocol::{EventData, Headers, Payload, Text, decode, decode_slice, decode_text};

/// Any JSON value, a few levels deep.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        ".*".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(".*", inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Headers of an application: `zap-` names are the extensions' own.
fn headers() -> impl Strategy<Value = Option<Headers>> {
    let name = ".*".prop_filter("zap- names are reserved", |name: &String| {
        !name.starts_with("zap-")
    });
    prop::option::of(
        prop::collection::btree_map(name, json(), 0..6).prop_map(|map| map.into_iter().collect()),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_slice(&bytes);
    }

    #[test]
    fn decoding_arbitrary_text_never_panics(text in ".*") {
        let _ = decode(&text);
    }

    #[test]
    fn decoding_arbitrary_json_never_panics(value in json()) {
        let _ = decode(&value.to_string());
    }

    #[test]
    fn decoding_envelope_shaped_json_never_panics(
        name in json(), payload in json(), headers in json(), extra in json(),
    ) {
        let frame = serde_json::json!({"eventName": name, "payload": payload, "headers": headers, "x": extra});
        let _ = decode(&frame.to_string());
    }

    #[test]
    fn encode_then_decode_round_trips(name in ".*", payload in json(), headers in headers()) {
        let original = EventData::new(name, Payload::from(payload), headers);
        let decoded = decode(original.encode().as_str()).unwrap();
        prop_assert_eq!(decoded, original);
    }

    #[test]
    fn a_received_frame_decodes_as_its_text_does_and_its_payload_is_written_back_unchanged(
        name in json(), payload in json(), headers in headers(),
    ) {
        let frame = serde_json::json!({"eventName": name, "payload": payload, "headers": headers}).to_string();
        let borrowed = decode_text(&Text::from(frame.as_str()));
        match decode(&frame) {
            Ok(owned) => {
                let borrowed = borrowed.unwrap();
                prop_assert_eq!(borrowed.payload().as_json(), owned.payload().as_json());
                prop_assert_eq!(borrowed.encode(), owned.encode());
                prop_assert_eq!(&borrowed, &owned);
            }
            Err(owned) => prop_assert_eq!(borrowed.unwrap_err().to_string(), owned.to_string()),
        }
    }

    #[test]
    fn frames_of_the_common_shape_decode_as_the_general_decoder_does(
        name in ".*", payload in json(), id in prop::option::of(any::<u64>()), tail in "[ }a,\"0-9]{0,3}",
    ) {
        let name = serde_json::to_string(&name).unwrap();
        let headers = id.map(|id| format!(r#","headers":{{"zap-id":{id}}}"#)).unwrap_or_default();
        for frame in [
            format!(r#"{{"eventName":{name},"payload":{payload}{headers}}}"#),
            // Cut or extended: never decoded differently.
            format!(r#"{{"eventName":{name},"payload":{payload}{headers}{tail}"#),
        ] {
            let general = decode(&frame);
            match decode_text(&Text::from(frame.as_str())) {
                Ok(event) => {
                    let general = general.unwrap();
                    prop_assert_eq!(event.client_id(), general.client_id());
                    prop_assert_eq!(&event, &general);
                }
                Err(err) => prop_assert_eq!(err.to_string(), general.unwrap_err().to_string()),
            }
        }
    }
}

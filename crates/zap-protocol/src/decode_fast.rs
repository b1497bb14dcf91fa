//! The common shape of a received frame, decoded without the general
//! parser: `{"eventName":"<name>","payload":<json>}`, optionally followed
//! by `,"headers":{"zap-id":<n>}`, written compactly with the keys in that
//! order (what the JavaScript, Dart and Rust clients send). The name is
//! taken as it is (no escapes in it), the payload is found by serde_json's
//! `RawValue` scan. Any other frame, spaced or reordered or with other
//! headers, goes to the general decoder, which accepts every valid
//! envelope; so this path only ever decides what the general one would.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::{EventData, Payload, Text, ext};

const NAME_KEY: &str = r#"{"eventName":""#;
const PAYLOAD_KEY: &str = r#"","payload":"#;
const ID_HEADERS: &str = r#","headers":{"zap-id":"#;

/// The event in `frame`, when the frame has the common shape; `None` sends
/// it to the general decoder.
pub(crate) fn decode(frame: &Text) -> Option<EventData> {
    let text = frame.as_str();
    let rest = text.strip_prefix(NAME_KEY)?;
    // A name with escapes, control characters or an early end is left to
    // the general decoder (which reports what is wrong with it).
    let name_len = rest
        .bytes()
        .position(|b| b == b'"' || b == b'\\' || b < 0x20)?;
    let (name, rest) = rest.split_at(name_len);
    let rest = rest.strip_prefix(PAYLOAD_KEY)?;
    let mut de = serde_json::Deserializer::from_str(rest);
    let raw = <&RawValue>::deserialize(&mut de).ok()?.get();
    // The value borrows from `rest`: what follows it starts at its end.
    let end = (raw.as_ptr() as usize).checked_sub(rest.as_ptr() as usize)? + raw.len();
    let rest = rest.get(end..)?;
    let client_id = match rest {
        "}" => None,
        _ => Some(client_id(rest)?),
    };
    let payload = match raw {
        "null" => Payload::null(),
        json => Payload::received(frame.slice_of(json)?),
    };
    let name = frame.slice_of(name)?;
    Some(EventData::decoded(Err(name), payload, None, client_id))
}

/// The id of `,"headers":{"zap-id":<n>}}` (digits only, no leading zero).
fn client_id(rest: &str) -> Option<u64> {
    let digits = rest.strip_prefix(ID_HEADERS)?.strip_suffix("}}")?;
    let plain = digits.bytes().all(|b| b.is_ascii_digit());
    let canonical = digits == "0" || !digits.starts_with('0');
    (plain && canonical && !digits.is_empty()).then(|| digits.parse().ok())?
}

/// The header name the fast path understands.
const _: () = assert!(matches!(ext::ID_HEADER.as_bytes(), b"zap-id"));

#[cfg(test)]
mod tests {
    use super::*;

    fn fast(text: &str) -> Option<EventData> {
        decode(&Text::from(text))
    }

    #[test]
    fn the_common_shapes_decode_as_the_general_decoder_does() {
        for text in [
            r#"{"eventName":"echo","payload":"xx"}"#,
            r#"{"eventName":"echo","payload":{"a":[1,2,{"b":null}]}}"#,
            r#"{"eventName":"é","payload":null}"#,
            r#"{"eventName":"","payload":3.5e3}"#,
            r#"{"eventName":"n","payload":1,"headers":{"zap-id":42}}"#,
            r#"{"eventName":"n","payload":"}","headers":{"zap-id":0}}"#,
        ] {
            let event = fast(text).unwrap_or_else(|| panic!("{text} is a common shape"));
            assert_eq!(Some(event), crate::decode(text).ok(), "{text}");
        }
    }

    #[test]
    fn anything_else_goes_to_the_general_decoder() {
        for text in [
            r#"{"eventName": "echo", "payload": 1}"#,
            r#"{"payload":1,"eventName":"echo"}"#,
            r#"{"eventName":"a\"b","payload":1}"#,
            "{\"eventName\":\"a\tb\",\"payload\":1}",
            r#"{"eventName":"echo","payload":1,"headers":{}}"#,
            r#"{"eventName":"echo","payload":1,"headers":{"zap-id":-1}}"#,
            r#"{"eventName":"echo","payload":1,"headers":{"zap-id":01}}"#,
            r#"{"eventName":"echo","payload":1,"headers":{"zap-id":1},"x":2}"#,
            r#"{"eventName":"echo","payload":1} "#,
            r#"{"eventName":"echo","payload":}"#,
            r#"{"eventName":"echo","payload":1"#,
            r#"{"eventName":"echo"}"#,
        ] {
            assert!(
                fast(text).is_none(),
                "{text} is not decoded by the fast path"
            );
        }
    }
}

//! The zaptools wire protocol (v1): one event is one WebSocket text frame
//! holding the JSON object `{"eventName": …, "payload": …, "headers": …}`.
//!
//! ```
//! use serde_json::json;
//! use zap_protocol::{decode, encode};
//!
//! // What a Python client sends (it always includes `headers`):
//! let event = decode(r#"{"eventName":"hello","payload":{"text":"hi"},"headers":{}}"#)?;
//! assert_eq!(event.event_name(), "hello");
//! assert_eq!(event.payload().to_value()?, json!({"text": "hi"}));
//!
//! // Headers are omitted on the wire when the sender gave none.
//! let frame = encode("hello", &json!("HELLO FROM SERVER !!!"), None)?;
//! assert_eq!(frame.as_str(), r#"{"eventName":"hello","payload":"HELLO FROM SERVER !!!"}"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The rules this crate follows, row by row, are in the repository's
//! [`docs/protocol.md`](https://github.com/zaptools/zaptools-rs/blob/main/docs/protocol.md) contract:
//!
//! | key | on receipt | on sending |
//! | --- | --- | --- |
//! | `eventName` | missing or not a string: [`DecodeError`] | always present |
//! | `payload` | missing means `null` | always present (may be `null`) |
//! | `headers` | missing, `null` or not an object: empty map | omitted when the sender gave none |
//!
//! Other keys are ignored on receipt. The crate has no dependency on tokio or
//! on any WebSocket library, so the client, the server and every framework
//! adapter share it; its `tungstenite` feature only lets a [`Text`] hold
//! tungstenite's checked text, so a received frame is checked for UTF-8 once.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod decode;
mod decode_fast;
mod encode;
mod event;
pub mod ext;
mod frame;
mod headers;
mod payload;
mod probe;
mod text;
mod typed;

pub use decode::{DecodeError, JsonKind, decode, decode_slice, decode_text, decode_with_limit};
pub use encode::{EncodeError, encode, encode_stamped};
pub use event::EventData;
pub use frame::Frame;
pub use headers::{Headers, REQUEST_ID_HEADER, RESPONSE_TO_HEADER};
pub use payload::{Payload, PayloadError};
pub use text::Text;
pub use typed::{Request, TypedEvent};

/// The JSON Schema crate typed events describe their payloads with.
pub use schemars;

/// The event names raised locally by each side, never sent by a v1 peer as a
/// request (see `docs/protocol.md`, "Lifecycle events").
pub mod lifecycle {
    /// Raised once after the WebSocket upgrade, before any other handler.
    pub const CONNECTED: &str = "connected";
    /// Raised exactly once when a connection ends, for any reason.
    pub const DISCONNECTED: &str = "disconnected";
    /// Raised when a handler fails or a frame is invalid.
    pub const ERROR: &str = "error";

    /// Whether `name` is one of the three lifecycle event names.
    ///
    /// ```
    /// assert!(zap_protocol::lifecycle::is_lifecycle("error"));
    /// assert!(!zap_protocol::lifecycle::is_lifecycle("chat.message"));
    /// ```
    pub fn is_lifecycle(name: &str) -> bool {
        matches!(name, CONNECTED | DISCONNECTED | ERROR)
    }
}

//! [`Frame`]: an encoded event, ready to be written as one WebSocket text frame.

use std::fmt;

use bytestring::ByteString;

/// One encoded event: the UTF-8 JSON text of a single WebSocket text frame.
///
/// A `Frame` is immutable and cheap to clone (reference-counted bytes), so a
/// broadcast encodes the event once and hands the same bytes to every member.
///
/// ```
/// let frame = zap_protocol::encode("ping", &(), None)?;
/// let copy = frame.clone(); // no copy of the text
/// assert_eq!(copy.as_str(), r#"{"eventName":"ping","payload":null}"#);
/// # Ok::<(), zap_protocol::EncodeError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Frame(ByteString);

impl Frame {
    /// Wraps text that is already a complete envelope. No check is made: use
    /// [`encode`](crate::encode) to build frames from parts.
    pub fn from_text(text: impl Into<String>) -> Self {
        Frame(ByteString::from(text.into()))
    }

    /// The frame's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The frame's length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the frame is empty (never true for an encoded event).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The frame as UTF-8 string bytes (shared, no copy).
    pub fn into_byte_string(self) -> ByteString {
        self.0
    }

    /// The frame as raw bytes (shared, no copy). They are always valid UTF-8.
    pub fn into_bytes(self) -> bytes::Bytes {
        self.0.into_bytes()
    }
}

impl From<String> for Frame {
    fn from(text: String) -> Self {
        Frame(ByteString::from(text))
    }
}

impl AsRef<str> for Frame {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Frame").field(&self.as_str()).finish()
    }
}

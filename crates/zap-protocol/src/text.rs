//! [`Text`]: a received text frame, checked UTF-8 once, shared by the
//! decoded event's name and payload without copying.

use std::fmt;
use std::ops::Range;

use bytestring::ByteString;

/// The text of one received frame (or a part of it): UTF-8 checked by
/// whoever received it, reference-counted, so the decoded event's name and
/// payload are slices of the frame rather than copies.
///
/// Made from a `String`, a [`ByteString`] (what actix-web hands out) or,
/// with the `tungstenite` feature, tungstenite's `Utf8Bytes`: each is
/// UTF-8 already, so nothing checks it again.
///
/// ```
/// use zap_protocol::{Text, decode_text};
///
/// let text = Text::from(r#"{"eventName":"say","payload":{"text":"hi"}}"#.to_owned());
/// let event = decode_text(&text)?;
/// assert_eq!(event.event_name(), "say");
/// assert_eq!(event.payload().as_json(), r#"{"text":"hi"}"#);
/// # Ok::<(), zap_protocol::DecodeError>(())
/// ```
#[derive(Clone)]
pub struct Text {
    buffer: Buffer,
    /// Where the text starts in the buffer, and its length: 32 bits each,
    /// so that an event holding two texts stays small (a buffer past 4 GiB
    /// is held whole, never sliced).
    start: u32,
    len: u32,
}

/// What holds the bytes.
#[derive(Clone)]
enum Buffer {
    Shared(ByteString),
    #[cfg(feature = "tungstenite")]
    Tungstenite(tungstenite::Utf8Bytes),
}

impl Buffer {
    fn as_str(&self) -> &str {
        match self {
            Buffer::Shared(text) => text,
            #[cfg(feature = "tungstenite")]
            Buffer::Tungstenite(text) => text.as_str(),
        }
    }
}

impl Text {
    fn whole(buffer: Buffer) -> Self {
        let len = u32::try_from(buffer.as_str().len()).unwrap_or(u32::MAX);
        Text {
            buffer,
            start: 0,
            len,
        }
    }

    fn range(&self) -> Range<usize> {
        let start = self.start as usize;
        match self.len {
            // The whole of a buffer too long to describe in 32 bits.
            u32::MAX => start..self.buffer.as_str().len(),
            len => start..start + len as usize,
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // The range always lies on character boundaries of the buffer (it
        // comes from a `&str` within it), so this never panics.
        self.buffer.as_str().get(self.range()).unwrap_or("")
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.range().len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The part `part` of this text, sharing its buffer; `None` when `part`
    /// does not lie within it (or the buffer is too long to slice).
    pub(crate) fn slice_of(&self, part: &str) -> Option<Text> {
        let whole = self.buffer.as_str();
        let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
        let end = start.checked_add(part.len())?;
        let range = self.range();
        if start < range.start || end > range.end {
            return None;
        }
        Some(Text {
            buffer: self.buffer.clone(),
            start: u32::try_from(start).ok()?,
            len: u32::try_from(part.len())
                .ok()
                .filter(|len| *len < u32::MAX)?,
        })
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Text::whole(Buffer::Shared(ByteString::from(text)))
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Text::whole(Buffer::Shared(ByteString::from(text)))
    }
}

impl From<ByteString> for Text {
    fn from(text: ByteString) -> Self {
        Text::whole(Buffer::Shared(text))
    }
}

#[cfg(feature = "tungstenite")]
impl From<tungstenite::Utf8Bytes> for Text {
    fn from(text: tungstenite::Utf8Bytes) -> Self {
        Text::whole(Buffer::Tungstenite(text))
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slice_shares_the_buffer_and_only_takes_parts_within() {
        let text = Text::from("héllo world".to_owned());
        let hello = text.slice_of(&text.as_str()[..6]).expect("within");
        assert_eq!(hello.as_str(), "héllo");
        let world = hello.slice_of("world");
        assert!(
            world.is_none(),
            "a string outside the text is not a slice of it"
        );
        let inner = text.slice_of(&text.as_str()[7..]).expect("within");
        assert!(
            hello.slice_of(inner.as_str()).is_none(),
            "outside the slice's range"
        );
    }
}

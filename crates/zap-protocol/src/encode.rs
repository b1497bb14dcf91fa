//! Encoding an event into a [`Frame`] (the sending rules of `docs/protocol.md`).

use std::cell::RefCell;

use serde::Serialize;

use crate::{Frame, Headers, PayloadError, Text};

/// An event could not be encoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The payload's `Serialize` implementation failed (for example a map
    /// with non-string keys). Send a value that maps to JSON.
    #[error("cannot encode event `{event_name}`")]
    Serialize {
        /// The event that was being encoded.
        event_name: String,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// The payload could not be turned into JSON.
    #[error(transparent)]
    Payload(#[from] PayloadError),
}

/// Encodes one event into the text of one WebSocket frame.
///
/// `payload` is written as JSON (`()` and `None` become `null`); `headers`
/// is omitted from the frame when `None` and written, even empty, when `Some`.
/// The frame is built in a single pass with no intermediate JSON tree: the
/// envelope's keys are written as they are, only the name, the payload and
/// the headers go through serde_json, into a per-thread scratch buffer, and
/// the frame takes one allocation of exactly its length.
///
/// ```
/// use serde_json::json;
/// let with = zap_protocol::encode("e", &1, Some(&Default::default()))?;
/// assert_eq!(with.as_str(), r#"{"eventName":"e","payload":1,"headers":{}}"#);
/// let without = zap_protocol::encode("e", &json!(null), None)?;
/// assert_eq!(without.as_str(), r#"{"eventName":"e","payload":null}"#);
/// # Ok::<(), zap_protocol::EncodeError>(())
/// ```
pub fn encode<P: Serialize + ?Sized>(
    event_name: &str,
    payload: &P,
    headers: Option<&Headers>,
) -> Result<Frame, EncodeError> {
    encode_stamped(event_name, payload, headers, &[])
}

/// [`encode`] with `stamps` added to the headers (written after them, each
/// replacing a header of the same name): how the extensions stamp an event
/// (`zap-seq`, a room's offset) without building a map per event.
///
/// ```
/// use serde_json::json;
/// let mut headers = zap_protocol::Headers::new();
/// headers.insert("zap-seq".into(), json!(1));
/// headers.insert("room".into(), json!("lobby"));
/// let frame = zap_protocol::encode_stamped("said", "hi", Some(&headers), &[("zap-seq", json!(7))])?;
/// assert_eq!(
///     frame.as_str(),
///     r#"{"eventName":"said","payload":"hi","headers":{"room":"lobby","zap-seq":7}}"#
/// );
/// # Ok::<(), zap_protocol::EncodeError>(())
/// ```
pub fn encode_stamped<P: Serialize + ?Sized>(
    event_name: &str,
    payload: &P,
    headers: Option<&Headers>,
    stamps: &[(&str, serde_json::Value)],
) -> Result<Frame, EncodeError> {
    let received = crate::probe::received(payload);
    if let Some(text) = &received
        && headers.is_none()
        && stamps.is_empty()
        && is_plain(event_name)
    {
        return Ok(exact_frame(event_name, text));
    }
    let envelope = Envelope {
        event_name,
        payload,
        headers,
        stamps,
        received,
    };
    let written = SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buffer) => {
            buffer.clear();
            let frame = envelope.write(&mut buffer).map(|()| frame_of(&buffer));
            if buffer.capacity() > KEEP_SCRATCH {
                *buffer = Vec::new();
            }
            frame
        }
        // A payload whose `Serialize` encodes another event: a buffer of its own.
        Err(_) => {
            let mut buffer = Vec::new();
            envelope.write(&mut buffer).map(|()| frame_of(&buffer))
        }
    });
    written.map_err(|source| EncodeError::Serialize {
        event_name: event_name.to_owned(),
        source,
    })
}

/// Largest scratch buffer kept for the next frame (bigger ones are freed).
const KEEP_SCRATCH: usize = 64 * 1024;

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The parts of one event to write.
struct Envelope<'a, P: ?Sized> {
    event_name: &'a str,
    payload: &'a P,
    headers: Option<&'a Headers>,
    stamps: &'a [(&'a str, serde_json::Value)],
    /// The payload's text when it is a received one: copied in as it is.
    received: Option<Text>,
}

impl<P: Serialize + ?Sized> Envelope<'_, P> {
    fn write(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        out.extend_from_slice(br#"{"eventName":"#);
        write_str(out, self.event_name)?;
        out.extend_from_slice(br#","payload":"#);
        match &self.received {
            Some(text) => out.extend_from_slice(text.as_bytes()),
            None => serde_json::to_writer(&mut *out, self.payload)?,
        }
        if self.headers.is_some() || !self.stamps.is_empty() {
            out.extend_from_slice(br#","headers":{"#);
            let stamped = |name: &str| self.stamps.iter().any(|(stamp, _)| *stamp == name);
            let given = self.headers.into_iter().flatten();
            let given = given.filter(|(name, _)| !stamped(name));
            let stamps = self.stamps.iter().map(|(name, value)| (*name, value));
            for (n, (name, value)) in given
                .map(|(name, value)| (name.as_str(), value))
                .chain(stamps)
                .enumerate()
            {
                if n > 0 {
                    out.push(b',');
                }
                write_str(out, name)?;
                out.push(b':');
                serde_json::to_writer(&mut *out, value)?;
            }
            out.push(b'}');
        }
        out.push(b'}');
        Ok(())
    }
}

/// Whether `text` is written as a JSON string as it is (nothing to escape).
fn is_plain(text: &str) -> bool {
    text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\')
}

/// The frame of an event with a plain name and a received payload, no
/// headers: written straight into a string of its exact length.
fn exact_frame(event_name: &str, payload: &Text) -> Frame {
    const NAME: &str = r#"{"eventName":""#;
    const PAYLOAD: &str = r#"","payload":"#;
    let mut text =
        String::with_capacity(NAME.len() + event_name.len() + PAYLOAD.len() + payload.len() + 1);
    text.push_str(NAME);
    text.push_str(event_name);
    text.push_str(PAYLOAD);
    text.push_str(payload);
    text.push('}');
    Frame::from(text)
}

/// Writes `text` as a JSON string (copied as it is when nothing in it
/// needs escaping).
fn write_str(out: &mut Vec<u8>, text: &str) -> Result<(), serde_json::Error> {
    if is_plain(text) {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        serde_json::to_writer(&mut *out, text)
    }
}

/// The frame holding a copy of `text` (one allocation of its exact length).
/// serde_json writes UTF-8, so the lossy branch is never taken; the check is
/// `from_utf8` because `from_utf8_lossy` walks the text byte by byte.
fn frame_of(text: &[u8]) -> Frame {
    match std::str::from_utf8(text) {
        Ok(text) => Frame::from(text.to_owned()),
        Err(_) => Frame::from(String::from_utf8_lossy(text).into_owned()),
    }
}

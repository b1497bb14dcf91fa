//! Encoding an event into a [`Frame`] (the sending rules of `docs/protocol.md`).

use std::cell::{Cell, RefCell};

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
    let written = SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buffer) => {
            buffer.clear();
            let frame = write_envelope(&mut buffer, event_name, payload, headers)
                .map(|()| frame_of(&buffer));
            if buffer.capacity() > KEEP_SCRATCH {
                *buffer = Vec::new();
            }
            frame
        }
        // A payload whose `Serialize` encodes another event: a buffer of its own.
        Err(_) => {
            let mut buffer = Vec::new();
            write_envelope(&mut buffer, event_name, payload, headers).map(|()| frame_of(&buffer))
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
    /// The payload splice of the `write_envelope` running on this thread:
    /// `None` when none is, `Some(None)` while it writes its payload,
    /// `Some(Some(text))` once a received payload handed it its text.
    static SPLICE: Cell<Option<Option<Text>>> = const { Cell::new(None) };
}

/// Called by a received payload being serialized: when it is the payload
/// `write_envelope` is writing (the first one met while it writes), it
/// hands its text over to be copied in as it is, and writes a `null`
/// placeholder; `false` otherwise (it is then written as a `RawValue`,
/// which re-scans it).
pub(crate) fn splice(text: &Text) -> bool {
    SPLICE.with(|splice| match splice.take() {
        Some(None) => {
            splice.set(Some(Some(text.clone())));
            true
        }
        other => {
            splice.set(other);
            false
        }
    })
}

/// Writes `payload`. A received payload (a slice of a checked frame) is
/// copied in as it is, not re-scanned: it is written as a `null`
/// placeholder that is then replaced by its text, provided the placeholder
/// is all that was written; otherwise (the payload was inside another
/// value) everything is written again the slow way.
fn write_payload<P: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    payload: &P,
) -> Result<(), serde_json::Error> {
    let start = out.len();
    let outer = SPLICE.with(|splice| splice.replace(Some(None)));
    let written = serde_json::to_writer(&mut *out, payload);
    let spliced = SPLICE.with(|splice| splice.replace(outer)).flatten();
    written?;
    if let Some(text) = spliced {
        let placeholder_only = out.get(start..) == Some(b"null".as_slice());
        out.truncate(start);
        if placeholder_only {
            out.extend_from_slice(text.as_bytes());
        } else {
            let outer = SPLICE.with(|splice| splice.replace(None));
            let written = serde_json::to_writer(&mut *out, payload);
            SPLICE.with(|splice| splice.set(outer));
            written?;
        }
    }
    Ok(())
}

fn write_envelope<P: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    event_name: &str,
    payload: &P,
    headers: Option<&Headers>,
) -> Result<(), serde_json::Error> {
    out.extend_from_slice(br#"{"eventName":"#);
    if event_name
        .bytes()
        .all(|b| b >= 0x20 && b != b'"' && b != b'\\')
    {
        out.push(b'"');
        out.extend_from_slice(event_name.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(&mut *out, event_name)?;
    }
    out.extend_from_slice(br#","payload":"#);
    write_payload(out, payload)?;
    if let Some(headers) = headers {
        out.extend_from_slice(br#","headers":"#);
        serde_json::to_writer(&mut *out, headers)?;
    }
    out.push(b'}');
    Ok(())
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

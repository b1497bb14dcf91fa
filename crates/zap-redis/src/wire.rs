//! The bus message: who published it, for whom, and the frame, encoded as a
//! JSON header line followed by the frame's text, untouched.

use serde::{Deserialize, Serialize};
use zap_core::{ConnectionId, Frame, Target};

#[derive(Serialize, Deserialize)]
struct Header {
    /// Origin instance.
    o: String,
    /// Target.
    t: Target,
    /// Excluded connections.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    x: Vec<ConnectionId>,
    /// For a room with history: `[epoch, offset]`, written by Redis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s: Option<(String, u64)>,
    /// For a direct event of a recoverable session: its `zap-seq`, written
    /// by Redis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    d: Option<u64>,
}

/// One decoded bus message.
pub(crate) struct BusMessage {
    pub(crate) origin: String,
    pub(crate) target: Target,
    pub(crate) except: Vec<ConnectionId>,
    pub(crate) frame: Frame,
    /// `(epoch, offset)` of an event of a room with history.
    pub(crate) stamp: Option<(String, u64)>,
    /// The `zap-seq` of a direct event numbered by Redis.
    pub(crate) seq: Option<u64>,
}

/// `header \n frame`: the frame is copied once, never re-encoded.
pub(crate) fn encode(
    origin: &str,
    target: Target,
    except: &[ConnectionId],
    frame: &Frame,
) -> Vec<u8> {
    let header = Header {
        o: origin.to_owned(),
        t: target,
        x: except.to_vec(),
        s: None,
        d: None,
    };
    // A header of strings always serializes.
    let mut bytes = serde_json::to_vec(&header).unwrap_or_default();
    bytes.push(b'\n');
    bytes.extend_from_slice(frame.as_str().as_bytes());
    bytes
}

/// Decodes a bus message; `None` for anything malformed (logged by the caller).
pub(crate) fn decode(bytes: &[u8]) -> Option<BusMessage> {
    let split = bytes.iter().position(|&b| b == b'\n')?;
    let header: Header = serde_json::from_slice(&bytes[..split]).ok()?;
    let text = std::str::from_utf8(&bytes[split + 1..]).ok()?;
    Some(BusMessage {
        origin: header.o,
        target: header.t,
        except: header.x,
        frame: Frame::from_text(text),
        stamp: header.s,
        seq: header.d,
    })
}

/// The header of a room-with-history message up to its stamp: the history
/// script appends `["<epoch>",<offset>]}`, a newline and the frame.
pub(crate) fn sequenced_prefix(origin: &str, room: &str, except: &[ConnectionId]) -> String {
    let header = Header {
        o: origin.to_owned(),
        t: Target::Room(room.to_owned()),
        x: except.to_vec(),
        s: None,
        d: None,
    };
    let mut text = serde_json::to_string(&header).unwrap_or_default();
    text.pop(); // the closing brace
    text.push_str(",\"s\":");
    text
}

/// The header of a numbered direct event up to its number: the session
/// script appends `<seq>}`, a newline and the stamped frame.
pub(crate) fn direct_prefix(origin: &str, id: &ConnectionId) -> String {
    let header = Header {
        o: origin.to_owned(),
        t: Target::Connection(id.clone()),
        x: Vec::new(),
        s: None,
        d: None,
    };
    let mut text = serde_json::to_string(&header).unwrap_or_default();
    text.pop();
    text.push_str(",\"d\":");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bus_message_round_trips_with_the_frame_untouched() {
        let frame = zap_protocol::encode("say", &"multi\nline", None).expect("encodes");
        let bytes = encode(
            "inst-1",
            Target::Room("lobby".into()),
            &["zpt-1".into()],
            &frame,
        );
        let message = decode(&bytes).expect("decodes");
        assert_eq!(message.origin, "inst-1");
        assert_eq!(message.target, Target::Room("lobby".into()));
        assert_eq!(message.except, vec![ConnectionId::from("zpt-1")]);
        assert_eq!(message.frame, frame);
    }

    #[test]
    fn a_sequenced_prefix_completed_by_the_script_decodes_with_its_stamp() {
        let frame = zap_protocol::encode("say", &1, None).expect("encodes");
        let text = format!(
            "{}[\"ep\",7]}}\n{}",
            sequenced_prefix("inst-1", "lobby", &[]),
            frame.as_str()
        );
        let message = decode(text.as_bytes()).expect("decodes");
        assert_eq!(message.stamp, Some(("ep".to_owned(), 7)));
        assert_eq!(message.target, Target::Room("lobby".into()));
        assert_eq!(message.frame, frame);
    }

    #[test]
    fn a_direct_prefix_completed_by_the_script_decodes_with_its_number() {
        let frame = zap_protocol::encode("dm", &1, None).expect("encodes");
        let text = format!(
            "{}7}}\n{}",
            direct_prefix("inst-1", &"zpt-9".into()),
            frame.as_str()
        );
        let message = decode(text.as_bytes()).expect("decodes");
        assert_eq!(message.seq, Some(7));
        assert_eq!(message.target, Target::Connection("zpt-9".into()));
        assert_eq!(message.frame, frame);
    }

    #[test]
    fn garbage_is_refused() {
        assert!(decode(b"no newline").is_none());
        assert!(decode(b"{bad json}\n{}").is_none());
        assert!(decode(b"{\"o\":\"a\",\"t\":\"All\"}\n\xff").is_none());
    }
}

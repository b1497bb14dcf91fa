//! [`ResumeRequest`]: what a client asked for in the upgrade URL
//! (`zap_recover`, `zap_session`, `zap_seq`, `zap_room`), or in its first
//! frame (`zap_resume=frame`, then `zap.resume`).

use std::collections::HashMap;

use serde::Deserialize;
use zap_protocol::EventData;
use zap_protocol::ext::{
    RECOVER_PARAM, RESUME_EVENT, RESUME_PARAM, ROOM_PARAM, SEQ_PARAM, SESSION_PARAM,
};

use super::history::Position;
use crate::Handshake;

/// A client's request for recovery, read from the query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ResumeRequest {
    /// The session to resume.
    pub(crate) token: Option<String>,
    /// The highest direct `zap-seq` the client received.
    pub(crate) seq: u64,
    /// The last position the client received per room.
    pub(crate) rooms: HashMap<String, Position>,
    /// The resume comes in the first frame (`zap_resume=frame`).
    pub(crate) in_frame: bool,
}

/// The payload of `zap.resume`.
#[derive(Deserialize)]
struct ResumeFrame {
    token: String,
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    rooms: Vec<RoomPosition>,
}

#[derive(Deserialize)]
struct RoomPosition {
    room: String,
    epoch: String,
    offset: u64,
}

impl ResumeRequest {
    /// `None` unless the client sent `zap_recover=1`. Malformed values are
    /// ignored (a bad `zap_room` is as if that room had no position).
    pub(crate) fn parse(handshake: &Handshake) -> Option<Self> {
        let mut asked = false;
        let mut request = ResumeRequest::default();
        for (key, value) in handshake.query_pairs() {
            match &*key {
                RECOVER_PARAM => asked = value == "1",
                RESUME_PARAM => request.in_frame = value == "frame",
                SESSION_PARAM if !value.is_empty() => request.token = Some(value.into_owned()),
                SEQ_PARAM => request.seq = value.parse().unwrap_or(0),
                ROOM_PARAM => {
                    if let Some((room, position)) = parse_room(&value) {
                        request.rooms.insert(room, position);
                    }
                }
                _ => {}
            }
        }
        asked.then_some(request)
    }

    /// Takes the resume from the client's first frame: `true` when it was
    /// a well-formed `zap.resume` (the token, sequence number and room
    /// positions then replace anything from the URL).
    pub(crate) fn read_frame(&mut self, event: &EventData) -> bool {
        if event.event_name() != RESUME_EVENT {
            return false;
        }
        let Ok(frame) = event.payload().parse::<ResumeFrame>() else {
            return false;
        };
        self.token = Some(frame.token).filter(|token| !token.is_empty());
        self.seq = frame.seq;
        self.rooms = frame
            .rooms
            .into_iter()
            .map(|room| {
                let position = Position {
                    epoch: room.epoch.into(),
                    offset: room.offset,
                };
                (room.room, position)
            })
            .collect();
        true
    }
}

/// `<epoch>:<offset>:<room>` (the room is everything after the second `:`).
fn parse_room(value: &str) -> Option<(String, Position)> {
    let (epoch, rest) = value.split_once(':')?;
    let (offset, room) = rest.split_once(':')?;
    let offset = offset.parse().ok()?;
    Some((
        room.to_owned(),
        Position {
            epoch: epoch.into(),
            offset,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handshake(query: &str) -> Handshake {
        Handshake::new("/", Some(query.to_owned()), Default::default(), None)
    }

    #[test]
    fn nothing_is_asked_without_zap_recover() {
        assert_eq!(ResumeRequest::parse(&handshake("zap_session=t")), None);
        assert_eq!(ResumeRequest::parse(&handshake("zap_recover=0")), None);
    }

    #[test]
    fn a_resume_frame_replaces_the_url() {
        let mut request =
            ResumeRequest::parse(&handshake("zap_recover=1&zap_resume=frame")).expect("asked");
        assert!(request.in_frame);
        let frame = zap_protocol::decode(
            r#"{"eventName":"zap.resume","payload":{"token":"t","seq":3,"rooms":[{"room":"a","epoch":"e","offset":9}]}}"#,
        )
        .expect("an event");
        assert!(request.read_frame(&frame));
        assert_eq!(request.token.as_deref(), Some("t"));
        assert_eq!(request.seq, 3);
        assert_eq!(request.rooms["a"].offset, 9);
        let other = zap_protocol::decode(r#"{"eventName":"hello","payload":1}"#).expect("an event");
        assert!(!request.read_frame(&other));
    }

    #[test]
    fn a_full_request_is_read() {
        let request = ResumeRequest::parse(&handshake(
            "zap_recover=1&zap_session=tok&zap_seq=12&zap_room=ep:7:chat%3Aa:b&zap_room=bad",
        ))
        .expect("asked");
        assert_eq!(request.token.as_deref(), Some("tok"));
        assert_eq!(request.seq, 12);
        assert_eq!(
            request.rooms["chat:a:b"],
            Position {
                epoch: "ep".into(),
                offset: 7
            }
        );
        assert_eq!(request.rooms.len(), 1);
    }
}

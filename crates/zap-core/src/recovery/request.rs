//! [`ResumeRequest`]: what a client asked for in the upgrade URL
//! (`zap_recover`, `zap_session`, `zap_seq`, `zap_room`).

use std::collections::HashMap;

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
}

impl ResumeRequest {
    /// `None` unless the client sent `zap_recover=1`. Malformed values are
    /// ignored (a bad `zap_room` is as if that room had no position).
    pub(crate) fn parse(handshake: &Handshake) -> Option<Self> {
        let mut asked = false;
        let mut request = ResumeRequest::default();
        for (key, value) in handshake.query_pairs() {
            match &*key {
                "zap_recover" => asked = value == "1",
                "zap_session" if !value.is_empty() => request.token = Some(value.into_owned()),
                "zap_seq" => request.seq = value.parse().unwrap_or(0),
                "zap_room" => {
                    if let Some((room, position)) = parse_room(&value) {
                        request.rooms.insert(room, position);
                    }
                }
                _ => {}
            }
        }
        asked.then_some(request)
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

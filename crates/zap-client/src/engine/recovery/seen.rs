//! [`Seen`]: the last room offsets and direct sequence number received, to
//! hand back on a resume and to drop what was already delivered.

use std::collections::HashMap;

use zap_protocol::EventData;

use zap_protocol::ext::{EPOCH_HEADER, OFFSET_HEADER, ROOM_HEADER, SEQ_HEADER};

use super::wire::{number, text};

/// A room's last position: its history's epoch and the offset in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) epoch: String,
    pub(crate) offset: u64,
}

/// What has been received, by stamp.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    pub(crate) rooms: HashMap<String, Position>,
    pub(crate) seq: u64,
}

impl Seen {
    /// Records `event`'s stamps; `false` when it was already received (same
    /// room, epoch and an offset not above the last one, or a `zap-seq` not
    /// above the last one). Events without stamps are always new.
    pub(crate) fn admit(&mut self, event: &EventData) -> bool {
        if let Some(seq) = number(event, SEQ_HEADER) {
            if seq <= self.seq {
                return false;
            }
            self.seq = seq;
        }
        let stamp = (
            text(event, ROOM_HEADER),
            text(event, EPOCH_HEADER),
            number(event, OFFSET_HEADER),
        );
        if let (Some(room), Some(epoch), Some(offset)) = stamp {
            match self.rooms.get_mut(&room) {
                Some(last) if last.epoch == epoch && offset <= last.offset => return false,
                Some(last) => *last = Position { epoch, offset },
                None => {
                    self.rooms.insert(room, Position { epoch, offset });
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use zap_protocol::Headers;

    use super::*;

    fn event(headers: serde_json::Value) -> EventData {
        let headers: Headers = serde_json::from_value(headers).expect("map");
        EventData::with_payload("e", &(), Some(headers)).expect("event")
    }

    fn room(epoch: &str, offset: u64) -> EventData {
        event(json!({"zap-room": "r", "zap-epoch": epoch, "zap-offset": offset}))
    }

    #[test]
    fn a_room_offset_at_or_below_the_last_is_a_duplicate() {
        let mut seen = Seen::default();
        assert!(seen.admit(&room("a", 1)));
        assert!(seen.admit(&room("a", 2)));
        assert!(!seen.admit(&room("a", 2)));
        assert!(!seen.admit(&room("a", 1)));
        assert!(seen.admit(&room("a", 3)));
    }

    #[test]
    fn a_new_epoch_starts_over() {
        let mut seen = Seen::default();
        assert!(seen.admit(&room("a", 9)));
        assert!(seen.admit(&room("b", 1)));
        assert_eq!(seen.rooms["r"].offset, 1);
    }

    #[test]
    fn a_direct_seq_at_or_below_the_last_is_a_duplicate() {
        let mut seen = Seen::default();
        assert!(seen.admit(&event(json!({"zap-seq": 1}))));
        assert!(!seen.admit(&event(json!({"zap-seq": 1}))));
        assert!(seen.admit(&event(json!({"zap-seq": "2"}))));
        assert!(seen.admit(&event(json!({"other": 1}))), "no stamp: new");
    }
}

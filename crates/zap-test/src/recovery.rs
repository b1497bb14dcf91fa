//! The client side of the recovery extension (`docs/protocol.md`,
//! "Recovery and at-least-once delivery"): what a test client remembers to
//! resume its session after a cut, and the duplicates it drops.
//!
//! It speaks only the wire protocol, so it works with any server that
//! implements the extension, and a server without it simply never sends
//! `zap.session`: the client then sees plain v1.

use std::collections::{BTreeMap, VecDeque};

use serde_json::{Map, Value, json};

use crate::Received;

pub(crate) use zap_core::protocol::ext::{
    ACK_EVENT, EPOCH_HEADER, ID_HEADER, NACK_EVENT, OFFSET_HEADER, RECOVER_PARAM, ROOM_HEADER,
    ROOM_PARAM, SEQ_HEADER, SEQ_PARAM, SESSION_EVENT, SESSION_PARAM,
};

/// What the client keeps across connections of one session.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recovery {
    enabled: bool,
    token: Option<String>,
    /// Highest `zap-seq` received.
    seq: u64,
    /// Per room: last `(epoch, offset)` received.
    rooms: BTreeMap<String, (String, u64)>,
    /// Id of the next client event (`zap-id`).
    next_id: u64,
    /// Events sent and not yet acknowledged: `(zap-id, encoded frame)`.
    unacked: VecDeque<(u64, String)>,
    /// Events the server may not have handled: the session expired.
    undelivered: Vec<String>,
}

/// What to do with a received event.
#[derive(Debug, PartialEq)]
pub(crate) enum Verdict {
    /// Hand it to the test.
    Keep,
    /// A duplicate or a protocol-only frame: drop it.
    Drop,
    /// `zap.session` of a resumed session: keep it and resend these frames.
    Resend(Vec<String>),
    /// Flood control refused an event (`zap.nack`): resend these after the
    /// wait it asked for.
    ResendAfter(std::time::Duration, Vec<String>),
}

impl Recovery {
    /// Recovery asked for (or not) at the first connection.
    pub(crate) fn new(enabled: bool) -> Self {
        Recovery {
            enabled,
            next_id: 1,
            ..Recovery::default()
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    /// Whether the server opened a resumable session (sent `zap.session`).
    pub(crate) fn resumable(&self) -> bool {
        self.enabled && self.token.is_some()
    }

    /// The query parameters that ask for recovery (and resume the session
    /// when a token is known).
    pub(crate) fn query_pairs(&self) -> Vec<(String, String)> {
        if !self.enabled {
            return Vec::new();
        }
        let mut pairs = vec![(RECOVER_PARAM.to_owned(), "1".to_owned())];
        if let Some(token) = &self.token {
            pairs.push((SESSION_PARAM.to_owned(), token.clone()));
            pairs.push((SEQ_PARAM.to_owned(), self.seq.to_string()));
            for (room, (epoch, offset)) in &self.rooms {
                pairs.push((ROOM_PARAM.to_owned(), format!("{epoch}:{offset}:{room}")));
            }
        }
        pairs
    }

    /// Stamps an outgoing event with its `zap-id` and keeps it until
    /// acknowledged. `headers` is the frame's headers object.
    pub(crate) fn stamp(&mut self, headers: &mut Map<String, Value>) -> Option<u64> {
        if !self.enabled {
            return None;
        }
        let id = self.next_id;
        self.next_id += 1;
        headers.insert(ID_HEADER.to_owned(), json!(id));
        Some(id)
    }

    /// Remembers a stamped frame until the server acknowledges it.
    pub(crate) fn sent(&mut self, id: u64, frame: String) {
        self.unacked.push_back((id, frame));
    }

    /// Client events the server may not have handled (an expired session).
    pub(crate) fn undelivered(&self) -> &[String] {
        &self.undelivered
    }

    fn acked(&mut self, id: u64) {
        while self.unacked.front().is_some_and(|(sent, _)| *sent <= id) {
            self.unacked.pop_front();
        }
    }

    /// Looks at a received event.
    pub(crate) fn receive(&mut self, event: &Received) -> Verdict {
        if !self.enabled {
            return Verdict::Keep;
        }
        match event.name.as_str() {
            SESSION_EVENT => return self.session(&event.payload),
            ACK_EVENT => {
                if let Some(id) = event.payload["id"].as_u64() {
                    self.acked(id);
                }
                return Verdict::Drop;
            }
            NACK_EVENT => {
                let from = event.payload["id"].as_u64().unwrap_or(0);
                let wait = event.payload["retryAfter"].as_u64().unwrap_or(0);
                let frames = self
                    .unacked
                    .iter()
                    .filter(|(id, _)| *id >= from)
                    .map(|(_, frame)| frame.clone())
                    .collect();
                return Verdict::ResendAfter(std::time::Duration::from_millis(wait), frames);
            }
            _ => {}
        }
        if let Some(seq) = event.header(SEQ_HEADER).and_then(Value::as_u64) {
            if seq <= self.seq {
                return Verdict::Drop;
            }
            self.seq = seq;
        }
        let stamp = (
            event.header(ROOM_HEADER).and_then(Value::as_str),
            event.header(EPOCH_HEADER).and_then(Value::as_str),
            event.header(OFFSET_HEADER).and_then(Value::as_u64),
        );
        if let (Some(room), Some(epoch), Some(offset)) = stamp {
            if let Some((known, last)) = self.rooms.get(room)
                && known == epoch
                && offset <= *last
            {
                return Verdict::Drop;
            }
            self.rooms
                .insert(room.to_owned(), (epoch.to_owned(), offset));
        }
        Verdict::Keep
    }

    fn session(&mut self, payload: &Value) -> Verdict {
        let resumed = self.token.is_some();
        if let Some(token) = payload["token"].as_str() {
            self.token = Some(token.to_owned());
        }
        if payload["status"] == "new" {
            // Fresh session: offsets and ids start over; what was not
            // acknowledged may or may not have been handled.
            self.seq = 0;
            self.rooms.clear();
            self.next_id = 1;
            let lost = std::mem::take(&mut self.unacked);
            self.undelivered
                .extend(lost.into_iter().map(|(_, frame)| frame));
            return Verdict::Keep;
        }
        if let Some(ack) = payload["ack"].as_u64() {
            self.acked(ack);
        }
        if resumed {
            Verdict::Resend(
                self.unacked
                    .iter()
                    .map(|(_, frame)| frame.clone())
                    .collect(),
            )
        } else {
            Verdict::Keep
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn event(name: &str, payload: Value, headers: Value) -> Received {
        Received {
            name: name.to_owned(),
            payload,
            headers: headers.as_object().cloned(),
        }
    }

    #[test]
    fn without_recovery_nothing_is_asked_and_everything_is_kept() {
        let mut recovery = Recovery::new(false);
        assert!(recovery.query_pairs().is_empty());
        let seq = event("x", Value::Null, json!({"zap-seq": 1}));
        assert_eq!(recovery.receive(&seq), Verdict::Keep);
        assert_eq!(recovery.receive(&seq), Verdict::Keep);
    }

    #[test]
    fn a_resume_names_the_token_and_the_last_offsets() {
        let mut recovery = Recovery::new(true);
        let session = json!({"token": "t1", "status": "new", "ack": 0});
        recovery.receive(&event(SESSION_EVENT, session, Value::Null));
        recovery.receive(&event("d", Value::Null, json!({"zap-seq": 4})));
        let stamp = json!({"zap-room": "a:b", "zap-epoch": "e1", "zap-offset": 7});
        recovery.receive(&event("r", Value::Null, stamp));
        let pairs = recovery.query_pairs();
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("zap_recover"), Some("1"));
        assert_eq!(get("zap_session"), Some("t1"));
        assert_eq!(get("zap_seq"), Some("4"));
        assert_eq!(get("zap_room"), Some("e1:7:a:b"));
    }

    #[test]
    fn duplicates_are_dropped() {
        let mut recovery = Recovery::new(true);
        let direct = event("d", Value::Null, json!({"zap-seq": 1}));
        assert_eq!(recovery.receive(&direct), Verdict::Keep);
        assert_eq!(recovery.receive(&direct), Verdict::Drop);
        let room = event(
            "r",
            Value::Null,
            json!({"zap-room": "a", "zap-epoch": "e", "zap-offset": 1}),
        );
        assert_eq!(recovery.receive(&room), Verdict::Keep);
        assert_eq!(recovery.receive(&room), Verdict::Drop);
        let new_epoch = event(
            "r",
            Value::Null,
            json!({"zap-room": "a", "zap-epoch": "f", "zap-offset": 1}),
        );
        assert_eq!(recovery.receive(&new_epoch), Verdict::Keep);
    }

    #[test]
    fn a_resumed_session_resends_what_was_not_acknowledged() {
        let mut recovery = Recovery::new(true);
        recovery.receive(&event(
            SESSION_EVENT,
            json!({"token": "t", "status": "new"}),
            Value::Null,
        ));
        for frame in ["one", "two", "three"] {
            let id = recovery.stamp(&mut Map::new()).unwrap();
            recovery.sent(id, frame.to_owned());
        }
        assert_eq!(
            recovery.receive(&event(ACK_EVENT, json!({"id": 1}), Value::Null)),
            Verdict::Drop
        );
        let resumed = json!({"token": "t", "status": "recovered", "ack": 2});
        assert_eq!(
            recovery.receive(&event(SESSION_EVENT, resumed, Value::Null)),
            Verdict::Resend(vec!["three".to_owned()])
        );
    }

    #[test]
    fn an_expired_session_reports_unacknowledged_events_as_undelivered() {
        let mut recovery = Recovery::new(true);
        recovery.receive(&event(
            SESSION_EVENT,
            json!({"token": "t", "status": "new"}),
            Value::Null,
        ));
        let id = recovery.stamp(&mut Map::new()).unwrap();
        recovery.sent(id, "lost".to_owned());
        let expired = json!({"token": "u", "status": "new", "reason": "expired"});
        assert_eq!(
            recovery.receive(&event(SESSION_EVENT, expired, Value::Null)),
            Verdict::Keep
        );
        assert_eq!(recovery.undelivered(), ["lost".to_owned()]);
    }
}

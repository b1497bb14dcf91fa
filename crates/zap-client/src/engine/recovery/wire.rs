//! The recovery extension on the wire: the query parameters of the upgrade
//! URL, the `zap.resume` frame, the `zap.session`, `zap.ack` and `zap.nack`
//! payloads, the stamp headers. Every name comes from `zap_protocol::ext`.

use serde::{Deserialize, Serialize};
use zap_protocol::ext::{
    EPOCH_HEADER, ID_HEADER, OFFSET_HEADER, RECOVER_PARAM, RESUME_EVENT, RESUME_PARAM, ROOM_HEADER,
    ROOM_PARAM, SEQ_HEADER, SEQ_PARAM, SESSION_PARAM,
};
use zap_protocol::{EventData, Frame, Headers, Payload, encode};

use crate::NewReason;

pub(crate) use zap_protocol::ext::{ACK_EVENT, NACK_EVENT, SESSION_EVENT};

/// Whether `event_name` is reserved for the extensions (`zap.*`): such
/// events are never handed to the application.
pub(crate) fn is_reserved(event_name: &str) -> bool {
    zap_protocol::ext::is_reserved_event(event_name)
}

/// What the client hands back when it resumes.
#[derive(Debug, Default)]
pub(crate) struct Query<'a> {
    pub(crate) token: Option<&'a str>,
    pub(crate) seq: u64,
    /// `(room, epoch, offset)`.
    pub(crate) rooms: Vec<(&'a str, &'a str, u64)>,
}

/// How the resume travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// In the upgrade URL's query (every server that offers recovery).
    Query,
    /// In a `zap.resume` first frame, the URL saying only
    /// `zap_resume=frame` (servers that said `resumeFrame: true`): the
    /// token stays out of URLs that proxies log.
    Frame,
}

/// `base` with the recovery parameters appended to its query: with
/// [`Form::Frame`], only the request for recovery and `zap_resume=frame`.
pub(crate) fn url(base: &str, query: &Query<'_>, form: Form) -> String {
    let (base, fragment) = match base.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (base, None),
    };
    let mut params = form_urlencoded::Serializer::new(String::new());
    params.append_pair(RECOVER_PARAM, "1");
    match (query.token, form) {
        (Some(_), Form::Frame) => {
            params.append_pair(RESUME_PARAM, "frame");
        }
        (Some(token), Form::Query) => {
            params.append_pair(SESSION_PARAM, token);
            params.append_pair(SEQ_PARAM, &query.seq.to_string());
            for (room, epoch, offset) in &query.rooms {
                params.append_pair(ROOM_PARAM, &format!("{epoch}:{offset}:{room}"));
            }
        }
        (None, _) => {}
    }
    let separator = match base.split_once('?') {
        None => "?",
        Some((_, "")) => "",
        Some(_) => "&",
    };
    let mut url = format!("{base}{separator}{}", params.finish());
    if let Some(fragment) = fragment {
        url.push('#');
        url.push_str(fragment);
    }
    url
}

/// One room of `zap.resume`.
#[derive(Debug, Serialize)]
struct ResumeRoom<'a> {
    room: &'a str,
    epoch: &'a str,
    offset: u64,
}

/// The payload of `zap.resume`.
#[derive(Debug, Serialize)]
struct ResumePayload<'a> {
    token: &'a str,
    seq: u64,
    rooms: Vec<ResumeRoom<'a>>,
}

/// The `zap.resume` first frame of a resume in [`Form::Frame`]; `None`
/// without a token (nothing to resume).
pub(crate) fn resume_frame(query: &Query<'_>) -> Option<Frame> {
    let payload = ResumePayload {
        token: query.token?,
        seq: query.seq,
        rooms: query
            .rooms
            .iter()
            .map(|&(room, epoch, offset)| ResumeRoom {
                room,
                epoch,
                offset,
            })
            .collect(),
    };
    // Strings and numbers only: encoding cannot fail.
    encode(RESUME_EVENT, &payload, None).ok()
}

/// `status` of `zap.session`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    New,
    Recovered,
    Gaps,
}

/// `reason` of a new session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Reason {
    Unknown,
    Expired,
}

impl From<Option<Reason>> for NewReason {
    fn from(reason: Option<Reason>) -> Self {
        match reason {
            None => NewReason::First,
            Some(Reason::Unknown) => NewReason::Unknown,
            Some(Reason::Expired) => NewReason::Expired,
        }
    }
}

/// The payload of `zap.session`.
#[derive(Debug, Deserialize)]
pub(crate) struct Session {
    pub(crate) id: String,
    pub(crate) token: String,
    pub(crate) status: Status,
    #[serde(default)]
    pub(crate) reason: Option<Reason>,
    #[serde(default)]
    pub(crate) gaps: Vec<String>,
    #[serde(default, rename = "directGap")]
    pub(crate) direct_gap: bool,
    #[serde(default)]
    pub(crate) ack: u64,
    /// The server accepts the resume in a first frame.
    #[serde(default, rename = "resumeFrame")]
    pub(crate) resume_frame: bool,
}

/// The payload of `zap.nack`: the server refused the client event `id`
/// (and drops every later one until `id` comes again).
#[derive(Debug, Deserialize)]
pub(crate) struct Nack {
    pub(crate) id: u64,
    /// Milliseconds to wait before sending again.
    #[serde(default, rename = "retryAfter")]
    pub(crate) retry_after: u64,
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

/// The payload of `zap.ack`.
#[derive(Debug, Deserialize)]
pub(crate) struct Ack {
    pub(crate) id: u64,
}

/// Reads a recovery payload, or says what is wrong with it.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(payload: &Payload) -> Result<T, String> {
    payload.parse().map_err(|error| error.to_string())
}

/// The recovery headers, consumed by the client and never shown to the
/// application: the server's stamps, and `zap-id` (meaningless on a
/// received event; a server handler that echoes an event's headers sends
/// ours back).
const STAMPS: [&str; 5] = [
    ROOM_HEADER,
    EPOCH_HEADER,
    OFFSET_HEADER,
    SEQ_HEADER,
    ID_HEADER,
];

/// `event` without the recovery stamps (the client consumes them), so the
/// application sees the event as the server's application sent it: with no
/// headers at all when the stamps were the only ones.
pub(crate) fn unstamped(event: EventData) -> EventData {
    let stamped = event
        .headers_opt()
        .is_some_and(|headers| STAMPS.iter().any(|name| headers.contains_key(*name)));
    if !stamped {
        return event;
    }
    let (name, payload, headers) = event.into_parts();
    let headers = headers
        .map(|mut headers| {
            headers.retain(|key, _| !STAMPS.contains(&key.as_str()));
            headers
        })
        .filter(|headers| !headers.is_empty());
    EventData::new(name, payload, headers)
}

/// A number header, given as a JSON number or a string of digits.
pub(crate) fn number(event: &EventData, name: &str) -> Option<u64> {
    match event.headers_opt()?.get(name)? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A string header; a number is taken as its decimal text.
pub(crate) fn text(event: &EventData, name: &str) -> Option<String> {
    match event.headers_opt()?.get(name)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `event` encoded with `"zap-id": id` added to its headers.
pub(crate) fn stamped(event: &EventData, id: u64) -> Frame {
    let mut headers: Headers = event.headers().clone();
    headers.insert(ID_HEADER.to_owned(), id.into());
    // The payload is raw JSON and the headers a string-keyed map: encoding
    // cannot fail (see `EventData::encode`).
    encode(event.event_name(), event.payload(), Some(&headers))
        .unwrap_or_else(|_| Frame::from_text(String::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_connection_only_asks() {
        let query = Query::default();
        for form in [Form::Query, Form::Frame] {
            assert_eq!(url("ws://h/ws", &query, form), "ws://h/ws?zap_recover=1");
            assert_eq!(
                url("ws://h/ws?a=b", &query, form),
                "ws://h/ws?a=b&zap_recover=1"
            );
            assert_eq!(url("ws://h/ws?", &query, form), "ws://h/ws?zap_recover=1");
        }
        assert!(resume_frame(&query).is_none());
    }

    #[test]
    fn a_resume_hands_back_the_token_the_seq_and_every_room() {
        let query = Query {
            token: Some("t/1+2"),
            seq: 7,
            rooms: vec![("chat:a b", "e1", 41), ("x", "e2", 3)],
        };
        assert_eq!(
            url("ws://h/", &query, Form::Query),
            "ws://h/?zap_recover=1&zap_session=t%2F1%2B2&zap_seq=7\
             &zap_room=e1%3A41%3Achat%3Aa+b&zap_room=e2%3A3%3Ax"
        );
    }

    #[test]
    fn a_resume_in_the_first_frame_keeps_the_token_out_of_the_url() {
        let query = Query {
            token: Some("t/1+2"),
            seq: 7,
            rooms: vec![("chat:a b", "e1", 41)],
        };
        assert_eq!(
            url("ws://h/", &query, Form::Frame),
            "ws://h/?zap_recover=1&zap_resume=frame"
        );
        assert_eq!(
            resume_frame(&query).expect("a frame").as_str(),
            r#"{"eventName":"zap.resume","payload":{"token":"t/1+2","seq":7,"rooms":[{"room":"chat:a b","epoch":"e1","offset":41}]}}"#
        );
    }

    #[test]
    fn stamps_are_taken_off_and_other_headers_kept() {
        let headers = |value: serde_json::Value| -> Option<Headers> {
            serde_json::from_value(value).expect("map")
        };
        let event = |value| EventData::new("e", Payload::null(), headers(value));
        let both = unstamped(event(serde_json::json!({"n": 1, "zap-seq": 4})));
        assert_eq!(
            both.headers_opt(),
            headers(serde_json::json!({"n": 1})).as_ref()
        );
        let only = unstamped(event(
            serde_json::json!({"zap-room": "r", "zap-epoch": "e", "zap-offset": 1}),
        ));
        assert_eq!(only.headers_opt(), None);
        let reply = unstamped(event(serde_json::json!({"zap-response-to": "1"})));
        assert_eq!(
            reply.header_str("zap-response-to"),
            Some("1"),
            "not a stamp"
        );
    }

    #[test]
    fn a_stamp_adds_the_id_to_the_headers() {
        let event = EventData::with_payload("say", &1, None).expect("event");
        assert_eq!(
            stamped(&event, 3).as_str(),
            r#"{"eventName":"say","payload":1,"headers":{"zap-id":3}}"#
        );
    }
}

//! The recovery extension on the wire: header and event names, stamping
//! events with their room offset or direct sequence number, and the
//! `zap.session` and `zap.ack` events (see `docs/protocol.md`).

use serde::Serialize;
use serde_json::json;
use zap_protocol::{EncodeError, Frame, Headers};

use super::status::RecoveryStatus;

pub use zap_protocol::ext::{
    ACK_EVENT, EPOCH_HEADER, ID_HEADER, NACK_EVENT, OFFSET_HEADER, ROOM_HEADER, SEQ_HEADER,
    SESSION_EVENT,
};

/// Encodes a room event with its room stamp (`zap-room`, `zap-epoch`,
/// `zap-offset`) written after its headers.
pub(crate) fn encode_room<P: Serialize + ?Sized>(
    event_name: &str,
    payload: &P,
    headers: Option<&Headers>,
    (room, epoch, offset): (&str, &str, u64),
) -> Result<Frame, EncodeError> {
    let stamps = [
        (ROOM_HEADER, room.into()),
        (EPOCH_HEADER, epoch.into()),
        (OFFSET_HEADER, offset.into()),
    ];
    zap_protocol::encode_stamped(event_name, payload, headers, &stamps)
}

/// Encodes a direct event with its sequence number.
pub(crate) fn encode_direct<P: Serialize + ?Sized>(
    event_name: &str,
    payload: &P,
    headers: Option<&Headers>,
    seq: u64,
) -> Result<Frame, EncodeError> {
    zap_protocol::encode_stamped(event_name, payload, headers, &[(SEQ_HEADER, seq.into())])
}

/// The value that marks where a direct event's sequence number goes in its
/// template (the largest `u64`, which no session reaches).
const SEQ_MARK: u64 = u64::MAX;

/// Encodes a direct event around its sequence number (see
/// [`DirectTemplate`]): the `zap-seq` header written last is split out.
pub(crate) fn direct_template<P: Serialize + ?Sized>(
    event_name: &str,
    payload: &P,
    headers: Option<&Headers>,
) -> Result<super::store::DirectTemplate, EncodeError> {
    let frame = encode_direct(event_name, payload, headers, SEQ_MARK)?;
    let text = frame.as_str();
    let mark = format!("\"{SEQ_HEADER}\":{SEQ_MARK}");
    // Headers are written after the payload: the last occurrence is ours
    // (inside a string the quotes would be escaped).
    let at = text.rfind(&mark).map_or(text.len(), |at| {
        at + mark.len() - SEQ_MARK.to_string().len()
    });
    let end = at + SEQ_MARK.to_string().len();
    Ok(super::store::DirectTemplate {
        prefix: text[..at].to_owned(),
        suffix: text.get(end..).unwrap_or_default().to_owned(),
    })
}

/// Re-encodes an already encoded event with its sequence number (`None` if
/// the frame is not an event).
pub(crate) fn stamp_direct(frame: &Frame, seq: u64) -> Option<Frame> {
    let event = zap_protocol::decode(frame.as_str()).ok()?;
    let headers = (!event.headers().is_empty()).then(|| event.headers());
    encode_direct(event.event_name(), event.payload(), headers, seq).ok()
}

/// The `zap.session` event.
pub(crate) fn session_frame(
    id: &str,
    token: &str,
    window_secs: u64,
    status: &RecoveryStatus,
    ack: u64,
) -> Frame {
    let (status_name, reason, gaps, direct_gap) = status.wire();
    let payload = json!({
        "id": id,
        "token": token,
        "window": window_secs,
        "status": status_name,
        "reason": reason,
        "gaps": gaps,
        "directGap": direct_gap,
        "ack": ack,
        "resumeFrame": true,
    });
    // A JSON value always encodes.
    zap_protocol::encode(SESSION_EVENT, &payload, None)
        .unwrap_or_else(|_| Frame::from_text(r#"{"eventName":"zap.session","payload":null}"#))
}

/// The `zap.ack` event.
pub(crate) fn ack_frame(id: u64) -> Frame {
    Frame::from(format!(
        r#"{{"eventName":"{ACK_EVENT}","payload":{{"id":{id}}}}}"#
    ))
}

/// The `zap.nack` event: client event `id` was refused by flood control;
/// the client resends from it after `retry_after`.
pub(crate) fn nack_frame(id: u64, retry_after: std::time::Duration) -> Frame {
    let ms = retry_after.as_millis().max(1);
    Frame::from(format!(
        r#"{{"eventName":"{NACK_EVENT}","payload":{{"id":{id},"reason":"rate_limited","retryAfter":{ms}}}}}"#
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_direct_frame_is_restamped_keeping_its_headers() {
        let mut headers = Headers::new();
        headers.insert("a".into(), 1.into());
        let plain = zap_protocol::encode("e", &json!({"x": 1}), Some(&headers)).expect("encodes");
        let stamped = stamp_direct(&plain, 7).expect("an event");
        let event = zap_protocol::decode(stamped.as_str()).expect("decodes");
        assert_eq!(event.headers()["a"], 1);
        assert_eq!(event.headers()[SEQ_HEADER], 7);
        assert_eq!(event.payload().to_value().expect("json"), json!({"x": 1}));
    }

    #[test]
    fn a_direct_template_stamped_is_the_event_with_its_sequence_number() {
        let mut headers = Headers::new();
        headers.insert("a".into(), 1.into());
        let payload = json!({"zap-seq": 18446744073709551615u64, "x": "\"zap-seq\":1"});
        let template = direct_template("e", &payload, Some(&headers)).expect("encodes");
        let stamped = template.stamp(42);
        let event = zap_protocol::decode(stamped.as_str()).expect("decodes");
        assert_eq!(event.headers()[SEQ_HEADER], 42);
        assert_eq!(event.headers()["a"], 1);
        assert_eq!(event.payload().to_value().expect("json"), payload);
        assert_eq!(
            stamped,
            encode_direct("e", &payload, Some(&headers), 42).expect("encodes")
        );
    }

    #[test]
    fn the_ack_frame_is_a_plain_event() {
        let event = zap_protocol::decode(ack_frame(42).as_str()).expect("decodes");
        assert_eq!(event.event_name(), ACK_EVENT);
        assert_eq!(event.payload().to_value().expect("json"), json!({"id": 42}));
    }
}

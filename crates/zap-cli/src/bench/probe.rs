//! Probes on the wire: building them, recognising them when they come back,
//! and opening the connections that carry them.

use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::BenchError;

/// One benchmark connection.
pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Builds probe frames: the event name and padding are encoded once.
#[derive(Debug)]
pub(crate) struct Probe {
    prefix: String,
    start: Instant,
}

impl Probe {
    pub(crate) fn new(event: &str, payload_bytes: usize, start: Instant) -> Self {
        // A JSON string of a plain name cannot fail to encode; fall back to
        // a fixed name rather than panic.
        let name = serde_json::to_string(event).unwrap_or_else(|_| "\"bench\"".to_owned());
        let pad = "x".repeat(payload_bytes);
        Probe {
            prefix: format!(r#"{{"eventName":{name},"payload":{{"pad":"{pad}","seq":"#),
            start,
        }
    }

    /// Microseconds since the run started: the clock probes carry.
    pub(crate) fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// The frame of probe `seq`, stamped now.
    pub(crate) fn frame(&self, seq: u64) -> String {
        format!(r#"{}{seq},"t":{}}}}}"#, self.prefix, self.now())
    }
}

#[derive(Deserialize)]
struct Echoed {
    payload: Stamp,
}

/// What a returning probe carries.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) seq: u64,
    pub(crate) t: u64,
}

/// The stamp of a probe frame, or `None` for any other frame.
pub(crate) fn stamp(text: &str) -> Option<Stamp> {
    serde_json::from_str::<Echoed>(text)
        .ok()
        .map(|echoed| echoed.payload)
}

/// Opens one connection within `timeout`.
pub(crate) async fn connect(url: &str, timeout: Duration) -> Result<Ws, BenchError> {
    match tokio::time::timeout(timeout, tokio_tungstenite::connect_async(url)).await {
        Ok(Ok((ws, _response))) => Ok(ws),
        Ok(Err(error)) => Err(BenchError::Connect {
            url: url.to_owned(),
            source: Box::new(error),
        }),
        Err(_) => Err(BenchError::ConnectTimeout {
            url: url.to_owned(),
            timeout,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_frame_is_a_zaptools_event_whose_stamp_reads_back() {
        let probe = Probe::new("bench", 4, Instant::now());
        let frame = probe.frame(7);
        let event = zap_protocol::decode(&frame).expect("a valid event");
        assert_eq!(event.event_name(), "bench");
        let stamp = stamp(&frame).expect("a stamp");
        assert_eq!(stamp.seq, 7);
        assert!(frame.contains(r#""pad":"xxxx""#), "{frame}");
    }

    #[test]
    fn other_frames_have_no_stamp() {
        assert_eq!(stamp(r#"{"eventName":"connected","payload":"hi"}"#), None);
        assert_eq!(stamp("not json"), None);
    }
}

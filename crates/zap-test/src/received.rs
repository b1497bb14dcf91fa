//! [`Received`]: one event as a test client received it, and the listing
//! that failure messages print.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// One event received from the server.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Received {
    /// The event's name.
    pub name: String,
    /// The payload (`null` when absent).
    pub payload: Value,
    /// The headers, `None` when the frame carried none.
    pub headers: Option<Map<String, Value>>,
}

impl Received {
    /// Decodes a frame the server wrote; `None` if it is not a v1 event.
    pub(crate) fn decode(text: &str) -> Option<Received> {
        let event = zap_core::protocol::decode(text).ok()?;
        let payload = event.payload().to_value().ok()?;
        let headers = event.headers_opt().cloned();
        Some(Received {
            name: event.event_name().to_owned(),
            payload,
            headers,
        })
    }

    /// The payload deserialized into `T`.
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.payload)
    }

    /// One header's value.
    pub fn header(&self, name: &str) -> Option<&Value> {
        self.headers.as_ref()?.get(name)
    }
}

impl fmt::Display for Received {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.name, self.payload)?;
        if let Some(headers) = &self.headers {
            write!(f, " headers {}", Value::Object(headers.clone()))?;
        }
        Ok(())
    }
}

/// `events` one per line, or "nothing", for failure messages.
pub(crate) fn listing<'a>(events: impl IntoIterator<Item = &'a Received>) -> String {
    let lines: Vec<String> = events
        .into_iter()
        .map(|event| format!("\n  - {event}"))
        .collect();
    if lines.is_empty() {
        " nothing".to_owned()
    } else {
        lines.concat()
    }
}

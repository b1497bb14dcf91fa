//! A minimal client of the recovery extension, written from
//! `docs/protocol.md` alone: it asks for recovery, keeps the session token,
//! the last `zap-seq` and the last `(epoch, offset)` per room, drops what it
//! has already seen (counting it), numbers its events with `zap-id`, keeps
//! them until acknowledged and resends the rest after a resume.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};
use zap_core::EventData;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const WAIT: Duration = Duration::from_secs(20);

/// The link is gone (or never came up).
#[derive(Debug)]
pub struct Lost(pub String);

/// A recovering client.
pub struct RawClient {
    base: String,
    pub token: Option<String>,
    pub seq: u64,
    pub rooms: BTreeMap<String, (String, u64)>,
    ws: Option<Ws>,
    next_id: u64,
    pub unacked: VecDeque<(u64, String)>,
    /// Events received a second time (dropped).
    pub duplicates: u64,
    /// Every `zap.session` payload received, in order.
    pub sessions: Vec<Value>,
    /// `zap.ack` events received.
    pub acks: u64,
    pub nacks: u64,
}

impl RawClient {
    pub fn new(base: impl Into<String>) -> Self {
        RawClient {
            base: base.into(),
            token: None,
            seq: 0,
            rooms: BTreeMap::new(),
            ws: None,
            next_id: 0,
            unacked: VecDeque::new(),
            duplicates: 0,
            sessions: Vec::new(),
            acks: 0,
            nacks: 0,
        }
    }

    /// Points later connections at another server.
    pub fn set_base(&mut self, base: impl Into<String>) {
        self.base = base.into();
    }

    /// The upgrade URL with the recovery parameters.
    pub fn url(&self) -> String {
        let mut query = form_urlencoded_query(&[("zap_recover", "1".to_owned())]);
        if let Some(token) = &self.token {
            query.push_str(&form_urlencoded_query(&[
                ("zap_session", token.clone()),
                ("zap_seq", self.seq.to_string()),
            ]));
            for (room, (epoch, offset)) in &self.rooms {
                query.push_str(&form_urlencoded_query(&[(
                    "zap_room",
                    format!("{epoch}:{offset}:{room}"),
                )]));
            }
        }
        let separator = if self.base.contains('?') { "&" } else { "?" };
        format!("{}{separator}{}", self.base, query.trim_start_matches('&'))
    }

    /// Connects (resuming when it has a token); returns the `zap.session`
    /// payload, after resending what the server has not acknowledged.
    pub async fn connect(&mut self) -> Result<Value, Lost> {
        let url = self.url();
        self.open(url, None).await
    }

    /// Resumes with the token out of the URL: `zap_resume=frame`, then
    /// `zap.resume` as the first frame.
    pub async fn connect_in_frame(&mut self) -> Result<Value, Lost> {
        let separator = if self.base.contains('?') { "&" } else { "?" };
        let url = format!("{}{separator}zap_recover=1&zap_resume=frame", self.base);
        let rooms: Vec<Value> = self
            .rooms
            .iter()
            .map(|(room, (epoch, offset))| json!({"room": room, "epoch": epoch, "offset": offset}))
            .collect();
        let resume = self.token.as_ref().map(|token| {
            json!({"eventName": "zap.resume",
                   "payload": {"token": token, "seq": self.seq, "rooms": rooms}})
            .to_string()
        });
        self.open(
            url,
            Some(resume.unwrap_or_else(|| {
                json!({"eventName": "zap.resume", "payload": {"token": ""}}).to_string()
            })),
        )
        .await
    }

    /// Connects to `url`, writes `first` if given, reads `zap.session` and
    /// resends what was not acknowledged.
    pub async fn open(&mut self, url: String, first: Option<String>) -> Result<Value, Lost> {
        self.ws = None;
        let (ws, _) = tokio::time::timeout(WAIT, connect_async(url))
            .await
            .map_err(|_| Lost("connect timed out".into()))?
            .map_err(|err| Lost(err.to_string()))?;
        self.ws = Some(ws);
        if let Some(text) = first {
            self.write(text).await?;
            self.flush().await?;
        }
        let first = self.next_frame().await?;
        assert_eq!(
            first.event_name(),
            "zap.session",
            "zap.session must come first"
        );
        let session = first.payload().to_value().unwrap();
        self.token = Some(session["token"].as_str().unwrap().to_owned());
        let ack = session["ack"].as_u64().unwrap();
        self.acknowledged(ack);
        self.sessions.push(session.clone());
        let resend: Vec<String> = self.unacked.iter().map(|(_, text)| text.clone()).collect();
        for text in resend {
            self.write(text).await?;
        }
        self.flush().await?;
        Ok(session)
    }

    fn acknowledged(&mut self, id: u64) {
        while self.unacked.front().is_some_and(|(first, _)| *first <= id) {
            self.unacked.pop_front();
        }
    }

    async fn write(&mut self, text: String) -> Result<(), Lost> {
        let ws = self.ws.as_mut().ok_or_else(|| Lost("offline".into()))?;
        match ws.feed(Message::text(text)).await {
            Ok(()) => Ok(()),
            Err(err) => {
                self.ws = None;
                Err(Lost(err.to_string()))
            }
        }
    }

    pub async fn flush(&mut self) -> Result<(), Lost> {
        let ws = self.ws.as_mut().ok_or_else(|| Lost("offline".into()))?;
        match ws.flush().await {
            Ok(()) => Ok(()),
            Err(err) => {
                self.ws = None;
                Err(Lost(err.to_string()))
            }
        }
    }

    /// Queues an event with the next `zap-id` and writes it (not flushed);
    /// kept until acknowledged, so a lost link only delays it.
    pub async fn send(&mut self, name: &str, payload: Value) -> Result<(), Lost> {
        self.next_id += 1;
        let text = json!({"eventName": name, "payload": payload,
                          "headers": {"zap-id": self.next_id}})
        .to_string();
        self.unacked.push_back((self.next_id, text.clone()));
        self.write(text).await
    }

    /// The raw next frame.
    /// Sends a request (`zap-request-id: request_id`) with the next `zap-id`.
    pub async fn request(
        &mut self,
        name: &str,
        payload: Value,
        request_id: &str,
    ) -> Result<(), Lost> {
        self.next_id += 1;
        let text = json!({"eventName": name, "payload": payload,
                          "headers": {"zap-id": self.next_id, "zap-request-id": request_id}})
        .to_string();
        self.unacked.push_back((self.next_id, text.clone()));
        self.write(text).await
    }

    /// Reads one frame, handling it if it is a control event.
    pub async fn until_acked_once(&mut self) -> Result<(), Lost> {
        let event = self.next_frame().await?;
        self.control(&event).await?;
        Ok(())
    }

    async fn next_frame(&mut self) -> Result<EventData, Lost> {
        let ws = self.ws.as_mut().ok_or_else(|| Lost("offline".into()))?;
        let message = tokio::time::timeout(WAIT, async {
            loop {
                match ws.next().await {
                    Some(Ok(Message::Text(text))) => return Ok(text.as_str().to_owned()),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(other)) => return Err(Lost(format!("{other:?}"))),
                    Some(Err(err)) => return Err(Lost(err.to_string())),
                    None => return Err(Lost("end of stream".into())),
                }
            }
        })
        .await
        .map_err(|_| Lost("nothing received in time".into()))
        .and_then(|inner| inner);
        match message {
            Ok(text) => Ok(zap_protocol::decode(&text).unwrap()),
            Err(lost) => {
                self.ws = None;
                Err(lost)
            }
        }
    }

    /// The next application event (acknowledgements processed, duplicates
    /// dropped and counted).
    /// Handles a control event (`zap.ack`, `zap.nack`); `false` for any
    /// other event.
    async fn control(&mut self, event: &EventData) -> Result<bool, Lost> {
        match event.event_name() {
            "zap.ack" => {
                let id = event.payload().to_value().unwrap()["id"].as_u64().unwrap();
                self.acks += 1;
                self.acknowledged(id);
                Ok(true)
            }
            "zap.nack" => {
                // As the spec says: wait `retryAfter`, then resend every
                // unacknowledged event from the refused id on, in order.
                let payload = event.payload().to_value().unwrap();
                let id = payload["id"].as_u64().unwrap();
                let wait = payload["retryAfter"].as_u64().unwrap();
                self.nacks += 1;
                tokio::time::sleep(Duration::from_millis(wait)).await;
                let resend: Vec<String> = self
                    .unacked
                    .iter()
                    .filter(|(unacked, _)| *unacked >= id)
                    .map(|(_, text)| text.clone())
                    .collect();
                for text in resend {
                    self.write(text).await?;
                }
                self.flush().await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    pub async fn next(&mut self) -> Result<EventData, Lost> {
        loop {
            let event = self.next_frame().await?;
            if self.control(&event).await? {
                continue;
            }
            let headers = event.headers();
            if let (Some(room), Some(epoch), Some(offset)) = (
                headers.get("zap-room").and_then(Value::as_str),
                headers.get("zap-epoch").and_then(Value::as_str),
                headers.get("zap-offset").and_then(Value::as_u64),
            ) {
                if let Some((seen_epoch, seen)) = self.rooms.get(room)
                    && seen_epoch == epoch
                    && *seen >= offset
                {
                    self.duplicates += 1;
                    continue;
                }
                self.rooms
                    .insert(room.to_owned(), (epoch.to_owned(), offset));
            }
            if let Some(seq) = headers.get("zap-seq").and_then(Value::as_u64) {
                if seq <= self.seq {
                    self.duplicates += 1;
                    continue;
                }
                self.seq = seq;
            }
            return Ok(event);
        }
    }

    /// Reads until every sent event is acknowledged (application events
    /// received meanwhile are dropped).
    pub async fn until_acked(&mut self) -> Result<(), Lost> {
        while !self.unacked.is_empty() {
            let event = self.next_frame().await?;
            self.control(&event).await?;
        }
        Ok(())
    }

    /// Reads until the link is lost; returns the events received meanwhile.
    pub async fn drain_until_lost(&mut self) -> Vec<EventData> {
        let mut events = Vec::new();
        while let Ok(event) = self.next().await {
            events.push(event);
        }
        events
    }

    /// Closes cleanly (ends the session).
    /// Drops the link without a close frame (the TCP connection closes).
    pub fn drop_link(&mut self) {
        self.ws = None;
    }

    /// Closes with a close frame carrying `code`.
    pub async fn close_with(&mut self, code: u16) {
        use tokio_tungstenite::tungstenite::protocol::CloseFrame;
        if let Some(ws) = self.ws.as_mut() {
            let frame = CloseFrame {
                code: code.into(),
                reason: "".into(),
            };
            let _ = ws.close(Some(frame)).await;
            while let Some(Ok(_)) = ws.next().await {}
        }
        self.ws = None;
    }

    pub async fn close(&mut self) {
        if let Some(ws) = self.ws.as_mut() {
            let _ = ws.close(None).await;
            while let Some(Ok(_)) = ws.next().await {}
        }
        self.ws = None;
    }
}

fn form_urlencoded_query(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("&{key}={}", encode(value)))
        .collect()
}

/// Percent-encodes everything but unreserved characters.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

//! [`TestClient`]: one in-memory connection, seen from the client: push
//! events, make requests, and assert what arrives (with bounded waits whose
//! failure message lists what arrived instead).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::task::JoinHandle;
use zap_core::{CloseFrame, Connection, ConnectionId, EndReason, Inbound};

use crate::inbox::{Ended, Inbox};
use crate::received::listing;
use crate::{Connect, Received};

/// How long an `expect` waits by default (virtual time under tokio's
/// paused clock, where it passes at once when nothing else can run).
pub const WAIT: Duration = Duration::from_secs(10);

/// How long [`TestClient::expect_nothing`] listens by default.
pub const QUIET: Duration = Duration::from_millis(100);

/// One connection to a [`TestServer`](crate::TestServer), in memory.
///
/// Received events queue up like messages in a mailbox: each `expect*`
/// takes the first queued event that matches and leaves the others for
/// later. A wait that fails panics with what arrived instead.
///
/// Dropping the client cuts its link (the server sees the network drop);
/// [`close`](Self::close) closes it cleanly.
#[derive(Debug)]
pub struct TestClient {
    pub(crate) inbox: Arc<Inbox>,
    pub(crate) options: Connect,
    pub(crate) connection: Option<Connection>,
    pub(crate) session: Option<JoinHandle<EndReason>>,
    pub(crate) reader: JoinHandle<()>,
    pub(crate) wait: Duration,
    pub(crate) next_request: u64,
}

/// A client whose link was cut ([`TestClient::cut`]): what it received
/// and its recovery state, ready to [`resume`](crate::TestServer::resume)
/// on any node.
#[derive(Debug)]
pub struct CutClient {
    pub(crate) inbox: Arc<Inbox>,
    pub(crate) options: Connect,
    pub(crate) wait: Duration,
    pub(crate) end: Option<EndReason>,
}

impl CutClient {
    /// Why the server's session ended when the link was cut; `None` when
    /// the server kept the session resumable (recovery), so it has not
    /// ended.
    pub fn end_reason(&self) -> Option<&EndReason> {
        self.end.as_ref()
    }
}

impl TestClient {
    /// The connection's id (as the server's id strategy chose it).
    ///
    /// # Panics
    /// If the server refused the connection after the upgrade (its id was
    /// taken): see [`expect_closed`](Self::expect_closed).
    #[track_caller]
    pub fn id(&self) -> &ConnectionId {
        self.connection().id()
    }

    /// The server's handle to this connection: what handlers see as
    /// `ctx.connection()`.
    ///
    /// # Panics
    /// As [`id`](Self::id).
    #[track_caller]
    pub fn connection(&self) -> &Connection {
        match &self.connection {
            Some(connection) => connection,
            None => panic!("the server ended this connection before `connected`"),
        }
    }

    /// Changes how long this client's `expect*` calls wait (default [`WAIT`]).
    pub fn set_wait(&mut self, wait: Duration) {
        self.wait = wait;
    }

    /// Sends an event.
    ///
    /// # Panics
    /// If the link was cut or the payload does not serialize to JSON.
    #[track_caller]
    pub fn send(&self, event: &str, payload: impl Serialize) {
        self.send_event(event, payload, None);
    }

    /// Sends an event with headers.
    #[track_caller]
    pub fn send_with_headers(
        &self,
        event: &str,
        payload: impl Serialize,
        headers: Map<String, Value>,
    ) {
        self.send_event(event, payload, Some(headers));
    }

    #[track_caller]
    fn send_event(
        &self,
        event: &str,
        payload: impl Serialize,
        headers: Option<Map<String, Value>>,
    ) {
        let mut state = self.inbox.lock();
        let mut headers = headers;
        let stamped = if state.recovery.enabled() {
            let headers = headers.get_or_insert_with(Map::new);
            state.recovery.stamp(headers)
        } else {
            None
        };
        let frame = match zap_core::protocol::encode(event, &payload, headers.as_ref()) {
            Ok(frame) => frame.as_str().to_owned(),
            Err(err) => panic!("the payload of `{event}` is not JSON: {err}"),
        };
        if let Some(id) = stamped {
            state.recovery.sent(id, frame.clone());
        }
        let Some(link) = &state.link else {
            panic!("cannot send `{event}`: the link was cut")
        };
        // The link is gone when the server ended the session: like a write
        // to a closed socket, the frame is lost.
        let _ = link.send(Inbound::Text(frame.into()));
    }

    /// Sends a raw text frame (for example one that is not valid JSON).
    #[track_caller]
    pub fn send_text(&self, text: &str) {
        self.push(Inbound::Text(text.to_owned().into()));
    }

    /// Sends a binary frame of `len` bytes.
    #[track_caller]
    pub fn send_binary(&self, len: usize) {
        self.push(Inbound::Binary(len));
    }

    #[track_caller]
    fn push(&self, inbound: Inbound) {
        let state = self.inbox.lock();
        let Some(link) = &state.link else {
            panic!("cannot send: the link was cut")
        };
        let _ = link.send(inbound);
    }

    /// Sends a request (`zap-request-id` header) and waits for its answer:
    /// an event of the same name carrying `zap-response-to`.
    pub async fn request(&mut self, event: &str, payload: impl Serialize) -> Received {
        self.next_request += 1;
        let id = format!("test-{}", self.next_request);
        let mut headers = Map::new();
        headers.insert(zap_core::protocol::REQUEST_ID_HEADER.to_owned(), json!(id));
        self.send_with_headers(event, payload, headers);
        let wanted = format!("`{event}` answering request {id}");
        self.take(&wanted, |e| {
            e.name == event && e.header(zap_core::protocol::RESPONSE_TO_HEADER) == Some(&json!(id))
        })
        .await
    }

    /// Waits for an event named `event` and takes it.
    pub async fn expect(&mut self, event: &str) -> Received {
        self.take(&format!("`{event}`"), |e| e.name == event).await
    }

    /// Waits for an event named `event` with exactly this payload and takes it.
    pub async fn expect_payload(&mut self, event: &str, payload: impl Serialize) -> Received {
        let payload = serde_json::to_value(payload).unwrap_or_else(|err| {
            panic!("the expected payload is not JSON: {err}");
        });
        let wanted = format!("`{event}` {payload}");
        self.take(&wanted, |e| e.name == event && e.payload == payload)
            .await
    }

    /// Waits for the first event `matches` accepts and takes it; `wanted`
    /// names it in the failure message.
    pub async fn expect_match(
        &mut self,
        wanted: &str,
        matches: impl Fn(&Received) -> bool,
    ) -> Received {
        self.take(wanted, matches).await
    }

    async fn take(&mut self, wanted: &str, matches: impl Fn(&Received) -> bool) -> Received {
        let found = self
            .inbox
            .wait_for(self.wait, true, |state| {
                let at = state.pending.iter().position(&matches)?;
                state.pending.remove(at)
            })
            .await;
        match found {
            Ok(event) => event,
            Err(failure) => panic!(
                "expected {wanted} within {:?}; {}",
                self.wait,
                failure.describe()
            ),
        }
    }

    /// Asserts that no event arrives for [`QUIET`] (and none is queued).
    pub async fn expect_nothing(&mut self) {
        self.expect_nothing_for(QUIET).await;
    }

    /// Asserts that no event arrives for `quiet` (and none is queued).
    pub async fn expect_nothing_for(&mut self, quiet: Duration) {
        let arrived = self
            .inbox
            .wait_for(quiet, false, |state| {
                (!state.pending.is_empty()).then_some(())
            })
            .await;
        if arrived.is_ok() {
            let pending: Vec<Received> = self.inbox.lock().pending.iter().cloned().collect();
            panic!("expected nothing; arrived:{}", listing(&pending));
        }
    }

    /// Takes every queued event.
    pub fn take_all(&mut self) -> Vec<Received> {
        self.inbox.lock().pending.drain(..).collect()
    }

    /// Every event received since the client connected (taken or not),
    /// across resumed links.
    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().history.clone()
    }

    /// Waits until the server closes the connection with `code`, and
    /// returns its close frame.
    pub async fn expect_closed(&mut self, code: u16) -> CloseFrame {
        match self.expect_end().await {
            Ended::Closed(frame) if frame.code == code => frame,
            Ended::Closed(frame) => panic!("expected a close with code {code}, got {frame}"),
            Ended::Dropped => {
                panic!(
                    "expected a close with code {code}; the link went away without a close frame"
                )
            }
        }
    }

    /// Waits until the connection ends; `None` if it ended without a close
    /// frame (a slow reader's abortive close, a killed node).
    pub async fn expect_ended(&mut self) -> Option<CloseFrame> {
        match self.expect_end().await {
            Ended::Closed(frame) => Some(frame),
            Ended::Dropped => None,
        }
    }

    async fn expect_end(&mut self) -> Ended {
        let ended = self
            .inbox
            .wait_for(self.wait, false, |state| state.ended.clone())
            .await;
        match ended {
            Ok(ended) => ended,
            Err(failure) => panic!(
                "expected the connection to end within {:?}; it is still open and {}",
                self.wait,
                failure.describe()
            ),
        }
    }

    /// Client events (encoded frames) that a server with recovery may not
    /// have handled: their session expired before it acknowledged them.
    pub fn undelivered(&self) -> Vec<String> {
        self.inbox.lock().recovery.undelivered().to_vec()
    }

    /// Closes the connection normally (code 1000) and waits until the
    /// server's session ended (its `disconnected` handler has run).
    pub async fn close(self) -> EndReason {
        self.close_with(zap_core::close_code::NORMAL, "").await
    }

    /// Closes the connection with a code and reason, and waits until the
    /// server's session ended.
    pub async fn close_with(mut self, code: u16, reason: &'static str) -> EndReason {
        self.push_if_linked(Inbound::Close(Some(CloseFrame::new(code, reason))));
        self.session_end().await
    }

    fn push_if_linked(&self, inbound: Inbound) {
        if let Some(link) = &self.inbox.lock().link {
            let _ = link.send(inbound);
        }
    }

    /// Cuts the link without a close frame (a network drop). Without a
    /// resumable session, waits until the server noticed (its session ended,
    /// `disconnected` ran); with one (recovery), returns at once: the
    /// server parks the session for [`TestServer::resume`](crate::TestServer::resume).
    pub async fn cut(mut self) -> CutClient {
        let resumable = {
            let mut state = self.inbox.lock();
            state.link = None;
            state.recovery.resumable()
        };
        self.reader.abort();
        // The server noticed: its session ended (a resumable one is in the
        // session store by then, so a resume on any node finds it).
        let ended = self.session_end().await;
        let end = (!resumable).then_some(ended);
        CutClient {
            inbox: self.inbox.clone(),
            options: self.options.clone(),
            wait: self.wait,
            end,
        }
    }

    /// Waits (bounded) until the server's session for this link ended.
    async fn session_end(&mut self) -> EndReason {
        let Some(session) = self.session.take() else {
            panic!("the session already ended");
        };
        match tokio::time::timeout(self.wait, session).await {
            Ok(Ok(end)) => end,
            Ok(Err(err)) if err.is_cancelled() => EndReason::PeerGone,
            Ok(Err(err)) => std::panic::resume_unwind(err.into_panic()),
            Err(_) => panic!("the server's session did not end within {:?}", self.wait),
        }
    }
}

impl Drop for TestClient {
    fn drop(&mut self) {
        self.inbox.lock().link = None;
        self.reader.abort();
    }
}

//! [`Connection`]: a cloneable handle to one live WebSocket connection.

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use tokio::sync::Notify;
use zap_protocol::{Frame, Headers, RESPONSE_TO_HEADER};

use crate::outbound::{self, Outgoing};
use crate::outbox::{Outbox, PushError};
use crate::recovery::{Outlet, RecoveryStatus, SessionState};
use crate::transport::close_code;
use crate::{
    CloseFrame, ConnectionConfig, ConnectionId, Delivery, Extensions, Handshake, OverflowPolicy,
    SendError,
};

/// A handle to one connection: its id, a way to send it events, and a way to
/// close it.
///
/// Cloneable and usable from any task: store it, and send to it later from
/// another connection's handler or from outside any handler. Sending never
/// waits: the event is queued on the connection's bounded outbound queue and
/// written by the connection's own task, in the order it was queued.
///
/// ```no_run
/// # async fn demo(ctx: zap_core::EventContext) -> zap_core::HandlerResult {
/// use serde_json::json;
/// let conn = ctx.connection().clone();
/// tokio::spawn(async move {
///     // later, from another task:
///     let _ = conn.send("reminder", json!({"text": "stand up"}));
/// });
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Connection(Arc<Inner>);

struct Inner {
    id: ConnectionId,
    handshake: Handshake,
    outbox: Outbox,
    overflow: OverflowPolicy,
    closing: AtomicBool,
    close_request: Mutex<Option<CloseRequest>>,
    close_notify: Notify,
    rooms: Mutex<Vec<Arc<str>>>,
    session: Option<Arc<SessionState>>,
    replies: AtomicU64,
}

/// A close asked of the session loop. An abortive close (a reader too slow
/// to keep up) drops what is queued, so its close frame (1008) is written
/// next, without waiting behind the queue: that peer is not reading.
#[derive(Debug, Clone)]
pub(crate) struct CloseRequest {
    pub(crate) frame: CloseFrame,
    pub(crate) abort: bool,
}

/// The session loop's side of a connection: takes the queued frames; when
/// dropped, the queue closes and sends fail with [`SendError::Closed`].
pub(crate) struct ConnectionReceiver {
    connection: Connection,
}

impl ConnectionReceiver {
    pub(crate) fn try_recv(&self) -> Option<Frame> {
        self.connection.0.outbox.try_pop()
    }

    pub(crate) async fn recv(&self) -> Frame {
        std::future::poll_fn(|cx| self.connection.0.outbox.poll_pop(cx)).await
    }

    /// Brings the queued-bytes gauge up to date (once per write batch).
    pub(crate) fn report(&self) {
        self.connection.0.outbox.report();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.connection.0.outbox.len() == 0
    }

    /// Drops every queued frame: what a peer too slow to read is not sent.
    pub(crate) fn discard(&self) {
        self.connection.0.outbox.discard();
    }
}

impl Drop for ConnectionReceiver {
    fn drop(&mut self) {
        self.connection.0.outbox.close();
    }
}

impl Connection {
    pub(crate) fn new(
        id: ConnectionId,
        handshake: Handshake,
        config: &ConnectionConfig,
        session: Option<Arc<SessionState>>,
    ) -> (Connection, ConnectionReceiver) {
        let connection = Connection(Arc::new(Inner {
            id,
            handshake,
            outbox: Outbox::new(config.outbound_queue, config.outbound_bytes),
            overflow: config.overflow_policy,
            closing: AtomicBool::new(false),
            close_request: Mutex::new(None),
            close_notify: Notify::new(),
            rooms: Mutex::new(Vec::new()),
            session,
            replies: AtomicU64::new(0),
        }));
        let receiver = ConnectionReceiver {
            connection: connection.clone(),
        };
        (connection, receiver)
    }

    /// The connection's id.
    pub fn id(&self) -> &ConnectionId {
        &self.0.id
    }

    /// The upgrade request that opened this connection.
    pub fn handshake(&self) -> &Handshake {
        &self.0.handshake
    }

    /// Typed per-connection state (see [`Extensions`]).
    pub fn extensions(&self) -> &Extensions {
        self.0.handshake.extensions()
    }

    /// Queues an event for this connection.
    ///
    /// `payload` is anything serializable (a `&Payload` received earlier is
    /// written back unchanged). The envelope carries no `headers` key; use
    /// [`send_with_headers`](Self::send_with_headers) to add some. To a
    /// client that asked for recovery the event carries its `zap-seq` and
    /// is kept for a resume: if the link is down, it waits for the client
    /// ([`Delivery::kept`](Delivery#structfield.kept)).
    ///
    /// Errors: [`SendError::Closed`] once the connection is closing or gone
    /// (for example inside `disconnected`), [`SendError::Full`] when the
    /// outbound queue is full (see [`OverflowPolicy`]), [`SendError::Encode`]
    /// when the payload is not representable as JSON.
    pub fn send(&self, event_name: &str, payload: impl Serialize) -> Result<Delivery, SendError> {
        outbound::to_connection(
            self,
            Outgoing {
                name: event_name,
                payload: &payload,
                headers: None,
            },
        )
    }

    /// [`send`](Self::send) with headers (written even when empty, as `{}`).
    ///
    /// ```no_run
    /// # fn demo(conn: &zap_core::Connection) -> Result<(), zap_core::SendError> {
    /// let mut headers = zap_core::Headers::new();
    /// headers.insert("room".into(), "lobby".into());
    /// conn.send_with_headers("said", "hi", headers)?;
    /// # Ok(()) }
    /// ```
    pub fn send_with_headers(
        &self,
        event_name: &str,
        payload: impl Serialize,
        headers: Headers,
    ) -> Result<Delivery, SendError> {
        outbound::to_connection(
            self,
            Outgoing {
                name: event_name,
                payload: &payload,
                headers: Some(&headers),
            },
        )
    }

    /// Answers request `request_id` (`None`: the event was not a request, the
    /// answer is a plain event) with an event named `event_name`: what
    /// [`EventContext::reply`](crate::EventContext::reply) and the
    /// [`Reply`](crate::extract::Reply) extractor send, on the same path as
    /// any other send.
    pub(crate) fn reply(
        &self,
        event_name: &str,
        request_id: Option<&str>,
        payload: &impl Serialize,
    ) -> Result<Delivery, SendError> {
        let headers = request_id.map(|id| {
            let mut headers = Headers::new();
            headers.insert(RESPONSE_TO_HEADER.to_owned(), id.into());
            headers
        });
        let sent = outbound::to_connection(
            self,
            Outgoing {
                name: event_name,
                payload,
                headers: headers.as_ref(),
            },
        );
        if sent.is_ok() {
            self.0.replies.fetch_add(1, Ordering::Relaxed);
        }
        sent
    }

    /// How many answers were sent on this connection (a failed request is
    /// answered with an error only when its handler answered nothing).
    pub(crate) fn replies(&self) -> u64 {
        self.0.replies.load(Ordering::Relaxed)
    }

    /// Queues an encoded frame as it is: the last step of the one delivery
    /// path (`outbound`), and how control frames (`zap.ack`, …) go out.
    pub(crate) fn enqueue(&self, frame: Frame) -> Result<(), SendError> {
        if self.is_closed() {
            return Err(SendError::Closed);
        }
        match self.0.outbox.push(frame) {
            Ok(()) => Ok(()),
            Err(PushError::Closed) => Err(SendError::Closed),
            Err(PushError::Full) => {
                crate::telemetry::queue_full();
                let capacity = self.0.outbox.capacity();
                let max_bytes = self.0.outbox.max_bytes();
                if self.0.overflow == OverflowPolicy::Close {
                    tracing::warn!(id = %self.0.id, capacity, max_bytes,
                        "outbound queue full: closing slow connection");
                    let frame = CloseFrame::new(close_code::POLICY, "outbound queue full");
                    self.request_close(CloseRequest { frame, abort: true });
                }
                Err(SendError::Full {
                    capacity,
                    max_bytes,
                })
            }
        }
    }

    /// Closes the connection normally (code 1000). Events already queued are
    /// written first; `disconnected` runs once the connection has ended.
    /// Closing twice is harmless.
    pub fn close(&self) {
        self.close_with(close_code::NORMAL, "");
    }

    /// Closes the connection with a close code and reason.
    pub fn close_with(&self, code: u16, reason: impl Into<Cow<'static, str>>) {
        let frame = CloseFrame::new(code, reason);
        self.request_close(CloseRequest {
            frame,
            abort: false,
        });
    }

    /// Drops the connection without a closing handshake (its session is
    /// taken over by a new connection).
    pub(crate) fn abort(&self, code: u16, reason: &'static str) {
        let frame = CloseFrame::new(code, reason);
        self.request_close(CloseRequest { frame, abort: true });
    }

    fn request_close(&self, request: CloseRequest) {
        if self.0.closing.swap(true, Ordering::AcqRel) {
            return;
        }
        *self
            .0
            .close_request
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(request);
        self.0.close_notify.notify_one();
    }

    /// Whether the connection is closing or has ended: sends now fail.
    pub fn is_closed(&self) -> bool {
        self.0.closing.load(Ordering::Acquire) || self.0.outbox.is_closed()
    }

    /// The rooms this connection is a member of.
    pub fn rooms(&self) -> Vec<String> {
        self.rooms_lock()
            .iter()
            .map(|room| room.to_string())
            .collect()
    }

    /// Number of events queued and not yet written.
    pub fn queued(&self) -> usize {
        self.0.outbox.len()
    }

    /// Bytes of the events queued and not yet written.
    pub fn queued_bytes(&self) -> usize {
        self.0.outbox.bytes()
    }

    /// Whether the client asked for recovery: its direct events carry
    /// `zap-seq`, and room events with history their offset.
    pub fn is_recoverable(&self) -> bool {
        self.0.session.is_some()
    }

    /// How this connection's session started (`None` for a connection that
    /// did not ask for recovery).
    pub fn recovery(&self) -> Option<RecoveryStatus> {
        self.0.session.as_ref()?.status()
    }

    pub(crate) fn session(&self) -> Option<&Arc<SessionState>> {
        self.0.session.as_ref()
    }

    /// Queues a replayed frame, past the queue's capacity.
    pub(crate) fn queue_replay(&self, frame: Frame) {
        self.0.outbox.push_unbounded(frame);
    }

    /// Queues a frame ahead of everything queued.
    pub(crate) fn queue_first(&self, frame: Frame) {
        self.0.outbox.push_front(frame);
    }

    /// Whether the connection was cut off (a reader too slow) rather than
    /// closed normally.
    pub(crate) fn closed_abortively(&self) -> bool {
        self.0
            .close_request
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|request| request.abort)
    }

    pub(crate) fn rooms_lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<str>>> {
        self.0.rooms.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks the connection as ended (sends fail from now on).
    pub(crate) fn mark_closed(&self) {
        self.0.closing.store(true, Ordering::Release);
    }

    /// Waits until a close was requested. Cancel-safe; the fast path (no
    /// close requested) takes no lock.
    pub(crate) async fn close_requested(&self) -> CloseRequest {
        loop {
            if self.0.closing.load(Ordering::Acquire) {
                let request = self
                    .0
                    .close_request
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone();
                if let Some(frame) = request {
                    return frame;
                }
            }
            // `notify_one` leaves a permit when nobody waits: no lost wake-up.
            self.0.close_notify.notified().await;
        }
    }
}

impl Outlet for Connection {
    fn enqueue(&self, frame: Frame) -> Result<(), SendError> {
        Connection::enqueue(self, frame)
    }

    fn replay(&self, frame: Frame) {
        self.queue_replay(frame);
    }
}

impl PartialEq for Connection {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Connection {}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.0.id)
            .field("closed", &self.is_closed())
            .field("queued", &self.queued())
            .finish()
    }
}

//! [`ZapClient`]: the methods both client faces share. [`ZapSubscriber`]
//! and [`ZapConsumer`] dereference to it (as socketioxide's `SocketRef`
//! does to `Socket`), so `subscriber.send_event(…)` and
//! `consumer.send_event(…)` are the same method.
//!
//! [`ZapSubscriber`]: crate::ZapSubscriber
//! [`ZapConsumer`]: crate::ZapConsumer

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::config::Options;
use crate::engine::Engine;

/// One connection to a zaptools server, with the methods every face
/// shares: connecting, sending, requests and state. Get it from a
/// [`ZapSubscriber`](crate::ZapSubscriber) or
/// [`ZapConsumer`](crate::ZapConsumer), which dereference to it, or with
/// [`client()`](crate::ZapSubscriber::client) to pass the shared part
/// around. Cheap to clone: clones share the connection.
#[derive(Clone)]
pub struct ZapClient {
    pub(crate) engine: Arc<Engine>,
}

impl ZapClient {
    pub(crate) fn from_options(options: Options) -> Self {
        Self::from_engine(Arc::new(Engine::new(options)))
    }

    pub(crate) fn from_engine(engine: Arc<Engine>) -> Self {
        ZapClient { engine }
    }

    /// Connects, or reconnects after `disconnect()` or a lost connection;
    /// existing subscriptions and callbacks resume receiving, with no
    /// duplicates and no need to subscribe again.
    ///
    /// Resolves once online, or with the error of the last attempt when
    /// the [`ReconnectPolicy`](crate::ReconnectPolicy) gives up (with the
    /// default policy: after one attempt). Already online: returns at
    /// once. A reconnection under way: waits for it, and cuts its current
    /// backoff wait short. Cancel-safe: dropping the future leaves the
    /// attempts running in the background.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), zap_client::ConnectError> {
    /// let client = zap_client::ZapSubscriber::new("ws://127.0.0.1:8000/");
    /// client.connect().await?;
    /// assert!(client.is_connected());
    /// # Ok(()) }
    /// ```
    pub async fn connect(&self) -> Result<(), crate::ConnectError> {
        self.engine.connect().await
    }

    /// Closes the connection and stops reconnecting; the state goes
    /// `Offline` at once, so sending fails from then on. Events already
    /// accepted by `send_event` are written first, in order, then the
    /// close frame, and the server's answer is awaited. Returns within the
    /// close timeout (see [`ClientBuilder::close_timeout`](crate::ClientBuilder::close_timeout)),
    /// even when the server stopped reading: the socket is dropped then. Subscriptions and callbacks stay registered for the
    /// next `connect()`. Events held in the outbox (while reconnecting)
    /// are discarded and reported as
    /// [`OutboxDiscarded`](crate::ConnectionError::OutboxDiscarded).
    pub async fn disconnect(&self) {
        self.engine.disconnect().await;
    }

    /// Disconnects and ends every subscription, state and error stream
    /// and callback, for good: `connect()` and sending fail afterwards
    /// with a `Cleaned` error. Dropping every clone of the client has the
    /// same effect.
    pub async fn clean(&self) {
        self.engine.clean().await;
    }

    /// Sends an event. `payload` is anything `Serialize`; the envelope
    /// carries no `headers` key (see
    /// [`send_event_with_headers`](Self::send_event_with_headers)).
    ///
    /// Never waits: the event is queued (in order) and the call returns.
    /// It fails at once when not online (unless the outbox holds it while
    /// reconnecting) or when the queue is full; see [`SendError`](crate::SendError).
    ///
    /// ```no_run
    /// # async fn run(client: zap_client::ZapClient) -> Result<(), zap_client::SendError> {
    /// client.send_event("join", "lobby")?;
    /// client.send_event("say", serde_json::json!({"text": "hi"}))?;
    /// # Ok(()) }
    /// ```
    pub fn send_event<P: Serialize>(
        &self,
        event_name: &str,
        payload: P,
    ) -> Result<(), crate::SendError> {
        self.engine.send_event(event_name, &payload, None)
    }

    /// [`send_event`](Self::send_event) with headers (written even when
    /// empty, as `{}`).
    pub fn send_event_with_headers<P: Serialize>(
        &self,
        event_name: &str,
        payload: P,
        headers: crate::Headers,
    ) -> Result<(), crate::SendError> {
        self.engine.send_event(event_name, &payload, Some(&headers))
    }

    /// Sends a request and waits for its reply, within the client's
    /// request timeout (10 s unless set on the builder).
    ///
    /// The event carries the header `zap-request-id`; the reply is the
    /// event from the server whose `zap-response-to` header holds the same
    /// id (a zaptools Rust server sends it with `ctx.reply(…)`). The reply
    /// goes to this call only, not to subscriptions. A v1 server that
    /// does not reply makes this time out; nothing else changes for it.
    ///
    /// ```no_run
    /// # async fn run(client: zap_client::ZapClient) -> Result<(), zap_client::RequestError> {
    /// let reply = client.request("ask", serde_json::json!({"q": "time"})).await?;
    /// println!("{}", reply.payload());
    /// # Ok(()) }
    /// ```
    pub async fn request<P: Serialize>(
        &self,
        event_name: &str,
        payload: P,
    ) -> Result<crate::EventData, crate::RequestError> {
        self.engine.request(event_name, &payload, None).await
    }

    /// [`request`](Self::request) with its own timeout.
    pub async fn request_with_timeout<P: Serialize>(
        &self,
        event_name: &str,
        payload: P,
        timeout: Duration,
    ) -> Result<crate::EventData, crate::RequestError> {
        self.engine
            .request(event_name, &payload, Some(timeout))
            .await
    }

    /// Whether the state is [`Online`](crate::ConnectionState::Online).
    pub fn is_connected(&self) -> bool {
        self.engine.state().is_online()
    }

    /// The connection's state now.
    pub fn current_state(&self) -> crate::ConnectionState {
        self.engine.state()
    }

    /// The URL this client connects to.
    pub fn url(&self) -> &str {
        self.engine.url()
    }
}

impl fmt::Debug for ZapClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZapClient")
            .field("url", &self.url())
            .field("state", &self.current_state())
            .finish_non_exhaustive()
    }
}

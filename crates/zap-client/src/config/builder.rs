//! [`ClientBuilder`]: connection options for a [`ZapSubscriber`] or a [`ZapConsumer`].

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use super::Options;
use crate::{ConnectError, Heartbeat, ReconnectPolicy, Recovery, ZapConsumer, ZapSubscriber};

/// Options for a client, finished by `build()` (not connected yet) or
/// `connect()` (connected, or the first failure).
///
/// Made by [`ZapSubscriber::builder`] or [`ZapConsumer::builder`]; `C` is the
/// kind of client it builds.
///
/// ```
/// use std::time::Duration;
/// use zap_client::{Heartbeat, ReconnectPolicy, ZapSubscriber};
///
/// let client = ZapSubscriber::builder("ws://127.0.0.1:8000/")
///     .header("authorization", "Bearer secret")
///     .subprotocol("zaptools")
///     .connect_timeout(Duration::from_secs(5))
///     .reconnect(ReconnectPolicy::exponential().max_attempts(10))
///     .heartbeat(Heartbeat::new(Duration::from_secs(10), Duration::from_secs(25)))
///     .outbox(100)
///     .build();
/// assert!(!client.is_connected());
/// ```
#[must_use = "a builder does nothing until `build()` or `connect()`"]
pub struct ClientBuilder<C> {
    options: Options,
    client: PhantomData<fn() -> C>,
}

impl<C> ClientBuilder<C> {
    pub(crate) fn new(url: impl Into<String>) -> Self {
        ClientBuilder {
            options: Options::new(url),
            client: PhantomData,
        }
    }

    /// Adds an HTTP header to the WebSocket handshake, such as
    /// `authorization: Bearer …`. An invalid name or value makes `connect()`
    /// fail with [`ConnectError::InvalidHeader`].
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.headers.push((name.into(), value.into()));
        self
    }

    /// Offers a WebSocket subprotocol (`Sec-WebSocket-Protocol`); call once
    /// per protocol, in order of preference. When any is offered, the server
    /// must pick one of them or the handshake fails.
    pub fn subprotocol(mut self, protocol: impl Into<String>) -> Self {
        self.options.subprotocols.push(protocol.into());
        self
    }

    /// The longest one connection attempt (TCP, TLS and WebSocket handshake)
    /// may take. Default: 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.options.connect_timeout = timeout;
        self
    }

    /// How long `disconnect()` (or `clean()`, or dropping the client) may
    /// take to close the connection: writing the close frame and waiting for
    /// the server's answer. Past it the socket is dropped. Default: 2 s.
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.options.close_timeout = timeout;
        self
    }

    /// Automatic reconnection. Default: [`ReconnectPolicy::never`].
    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.options.reconnect = policy;
        self
    }

    /// Keep-alive pings and dead-server detection. Default:
    /// [`Heartbeat::default`] (ping every 20 s, dead after 45 s of silence).
    pub fn heartbeat(mut self, heartbeat: Heartbeat) -> Self {
        self.options.heartbeat = heartbeat;
        self
    }

    /// Session recovery and at-least-once sends against a server that
    /// offers them. Default: [`Recovery::on`]; [`Recovery::off`] speaks
    /// plain v1.
    pub fn recovery(mut self, recovery: Recovery) -> Self {
        self.options.recovery = recovery;
        self
    }

    /// The number of events that may wait to be written while online
    /// (at least 1). When it is full, `send_event` returns
    /// [`SendError::Full`](crate::SendError::Full). Default: 256.
    pub fn send_queue(mut self, capacity: usize) -> Self {
        self.options.send_queue = capacity.max(1);
        self
    }

    /// Holds up to `capacity` events sent while a connection attempt is under
    /// way (`connect()` or automatic reconnection) and writes them, in order,
    /// once online, before any event sent later. When it is full the *new*
    /// event is refused with [`SendError::Full`](crate::SendError::Full); the
    /// held ones are kept. Held events are discarded (and reported as
    /// [`ConnectionError::OutboxDiscarded`](crate::ConnectionError::OutboxDiscarded))
    /// when the client stops trying: `disconnect()`, `clean()`, or giving up.
    /// Default: 0 (no outbox: sending while not online is
    /// [`SendError::NotOnline`](crate::SendError::NotOnline) at once). While
    /// the server offers recovery, events accepted while online but not
    /// yet written when the link dropped are kept for the next connection
    /// (up to [`Recovery::max_unacknowledged`]) whatever this says; new
    /// events are held only by an outbox asked for here.
    pub fn outbox(mut self, capacity: usize) -> Self {
        self.options.outbox = capacity;
        self
    }

    /// How many received events each subscription (stream or callback) may
    /// hold before it lags. A lagging subscription loses its *oldest* events,
    /// counted by [`Subscription::missed`](crate::Subscription::missed); the
    /// connection and the other subscriptions are not slowed. Default: 256.
    pub fn subscription_capacity(mut self, capacity: usize) -> Self {
        self.options.subscription_capacity = capacity.max(1);
        self
    }

    /// How long `request()` waits for the reply. Default: 10 s.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.options.request_timeout = timeout;
        self
    }

    /// The largest message accepted from the server, in bytes (`None`: no
    /// limit). A larger one ends the connection. Default: 16 MiB.
    pub fn max_message_size(mut self, bytes: Option<usize>) -> Self {
        self.options.max_message_size = bytes;
        self
    }

    /// How to trust the server of a `wss://` URL (the `tls` feature). Without
    /// it, `wss://` uses the operating system's roots when the
    /// `tls-native-roots` feature is on, else Mozilla's when
    /// `tls-webpki-roots` is on, and fails with [`ConnectError::Tls`] otherwise.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: crate::TlsConfig) -> Self {
        self.options.tls = Some(config);
        self
    }
}

impl ClientBuilder<ZapSubscriber> {
    /// Builds the client without connecting.
    pub fn build(self) -> ZapSubscriber {
        ZapSubscriber::from_options(self.options)
    }

    /// Builds the client and connects it (see [`ZapClient::connect`](crate::ZapClient::connect)).
    pub async fn connect(self) -> Result<ZapSubscriber, ConnectError> {
        let client = self.build();
        client.connect().await?;
        Ok(client)
    }
}

impl ClientBuilder<ZapConsumer> {
    /// Builds the client without connecting: register callbacks, then call
    /// [`ZapClient::connect`](crate::ZapClient::connect), so no early event is missed.
    pub fn build(self) -> ZapConsumer {
        ZapConsumer::from_options(self.options)
    }
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("url", &self.options.url)
            .field("client", &std::any::type_name::<C>())
            .finish_non_exhaustive()
    }
}

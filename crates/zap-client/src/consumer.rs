//! [`ZapConsumer`]: the callback client (Dart `ZapConsumer`).

use std::fmt;

use futures_util::StreamExt;

use zap_protocol::{PayloadError, TypedEvent};

use crate::callback::Reaction;
use crate::common::ZapClient;
use crate::config::Options;
use crate::engine::{Engine, Filter};
use crate::listen::listen;
use crate::{
    ClientBuilder, ConnectionError, ConnectionState, EventData, SessionOutcome, WeakZapConsumer,
};
use std::sync::Arc;

/// A zaptools client that calls your callbacks for received events, state
/// changes and errors.
///
/// Callbacks are plain closures or return a future (async blocks). Each
/// registration runs on its own task: its calls come one at a time, in the
/// order the events arrived, each awaited before the next. A slow callback
/// delays only itself; past its buffer (see
/// [`ClientBuilder::subscription_capacity`]) it loses its oldest pending
/// events. A callback that panics is logged and keeps being called.
/// Callbacks stay registered across `disconnect()` and reconnections; `clean()`
/// (or dropping every clone of the client) ends them.
///
/// A callback that captures a clone of the consumer keeps the client alive
/// (the client holds the callback, the callback holds the client): dropping
/// your handles then neither closes the connection nor ends the callbacks,
/// and `clean()` is required. Capture [`downgrade`](Self::downgrade)'s
/// [`WeakZapConsumer`] instead, which does not keep it alive.
///
/// Registering a callback needs a tokio runtime (it spawns the task) and
/// panics outside one. Register callbacks before `connect()` so no early
/// event is missed.
///
/// ```no_run
/// use zap_client::ZapConsumer;
///
/// # async fn run() -> Result<(), zap_client::ConnectError> {
/// let consumer = ZapConsumer::new("ws://127.0.0.1:8000/");
/// consumer
///     .on_connected(|| println!("online"))
///     .on_event("said", |event| println!("{}", event.payload()))
///     .on_connection_state_changed(|state| println!("{state:?}"));
/// consumer.connect().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ZapConsumer {
    client: ZapClient,
}

impl ZapConsumer {
    /// A client for `url` (`ws://` or `wss://`) with default options, not
    /// connected yet.
    pub fn new(url: impl Into<String>) -> Self {
        Self::builder(url).build()
    }

    /// Options for a client for `url`.
    pub fn builder(url: impl Into<String>) -> ClientBuilder<ZapConsumer> {
        ClientBuilder::new(url)
    }

    pub(crate) fn from_options(options: Options) -> Self {
        ZapConsumer {
            client: ZapClient::from_options(options),
        }
    }

    pub(crate) fn from_engine(engine: Arc<Engine>) -> Self {
        ZapConsumer {
            client: ZapClient::from_engine(engine),
        }
    }

    /// A handle that does not keep the client alive: the one to capture in a
    /// callback (see [`WeakZapConsumer`]).
    pub fn downgrade(&self) -> WeakZapConsumer {
        WeakZapConsumer::new(&self.client.engine)
    }

    /// The shared part of the client (what this face dereferences to), to
    /// hand to code that only sends and requests.
    pub fn client(&self) -> &ZapClient {
        &self.client
    }

    /// Calls `callback` for each event named `event_name`.
    #[track_caller]
    pub fn on_event<F, R, M>(&self, event_name: impl Into<String>, callback: F) -> &Self
    where
        F: Fn(EventData) -> R + Send + Sync + 'static,
        R: Reaction<M>,
    {
        let names = std::iter::once(event_name.into()).collect();
        listen(self.client.engine.subscribe(Filter::Names(names)), callback);
        self
    }

    /// Calls `callback` for each typed event `E`, decoded (a payload that
    /// does not decode is passed as an `Err`).
    #[track_caller]
    pub fn on_typed<E, F, R, M>(&self, callback: F) -> &Self
    where
        E: TypedEvent,
        F: Fn(Result<E, PayloadError>) -> R + Send + Sync + 'static,
        R: Reaction<M>,
    {
        let names = std::iter::once(E::NAME.to_owned()).collect();
        listen(
            self.client.engine.subscribe(Filter::Names(names)),
            move |event: EventData| callback(event.payload().parse()),
        );
        self
    }

    /// Calls `callback` for every event.
    #[track_caller]
    pub fn on_any_event<F, R, M>(&self, callback: F) -> &Self
    where
        F: Fn(EventData) -> R + Send + Sync + 'static,
        R: Reaction<M>,
    {
        listen(self.client.engine.subscribe(Filter::All), callback);
        self
    }

    /// Calls `callback` each time the client goes online (after `connect()`
    /// and after every automatic reconnection).
    #[track_caller]
    pub fn on_connected<F, R, M>(&self, callback: F) -> &Self
    where
        F: Fn() -> R + Send + Sync + 'static,
        R: Reaction<M>,
    {
        let online = self
            .engine
            .states()
            .filter(|state| std::future::ready(state.is_online()));
        listen(online, move |_| callback());
        self
    }

    /// Calls `callback` each time an online connection ends, cleanly
    /// (`Offline`) or not (`Error`).
    #[track_caller]
    pub fn on_disconnected<F, R, M>(&self, callback: F) -> &Self
    where
        F: Fn() -> R + Send + Sync + 'static,
        R: Reaction<M>,
    {
        // Subscribe first, then read the state: a change in between is
        // seen by the stream, not lost.
        let states = self.client.engine.states();
        let mut was_online = self.client.engine.state().is_online();
        let ended = states.filter(move |state| {
            let ended = was_online && !state.is_online();
            was_online = state.is_online();
            std::future::ready(ended)
        });
        listen(ended, move |_| callback());
        self
    }

    /// Calls `callback` with every state change.
    #[track_caller]
    pub fn on_connection_state_changed<F, R, M>(&self, callback: F) -> &Self
    where
        F: Fn(ConnectionState) -> R + Send + Sync + 'static,
        R: Reaction<M>,
    {
        listen(self.client.engine.states(), callback);
        self
    }

    /// Calls `callback` with every problem on the connection (invalid frames,
    /// failed attempts, lost connections).
    #[track_caller]
    pub fn on_error<F, R, M>(&self, callback: F) -> &Self
    where
        F: Fn(ConnectionError) -> R + Send + Sync + 'static,
        R: Reaction<M>,
    {
        listen(self.client.engine.errors(), callback);
        self
    }

    /// Calls `callback` with how each connection's session began, against a
    /// server that offers recovery: new, recovered, or resumed with gaps.
    /// Registered after a session began, it is called with that outcome first.
    #[track_caller]
    pub fn on_session<F, R, M>(&self, callback: F) -> &Self
    where
        F: Fn(SessionOutcome) -> R + Send + Sync + 'static,
        R: Reaction<M>,
    {
        listen(self.client.engine.sessions(), callback);
        self
    }
}

impl fmt::Debug for ZapConsumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZapConsumer")
            .field("url", &self.url())
            .field("state", &self.current_state())
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for ZapConsumer {
    type Target = ZapClient;

    /// The shared methods: connecting, sending, requests, state.
    fn deref(&self) -> &ZapClient {
        &self.client
    }
}

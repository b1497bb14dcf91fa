//! [`ZapSubscriber`]: the stream client (Dart `ZapSubscriber`, Python `ZapClient`).

use std::collections::HashSet;
use std::fmt;

use crate::common::ZapClient;
use crate::config::Options;
use crate::engine::Filter;
use zap_protocol::TypedEvent;

use crate::{
    ClientBuilder, ErrorStream, SessionStream, StateStream, Subscription, TypedSubscription,
};

/// A zaptools client that hands received events, state changes and errors
/// out as [`Stream`](futures_util::Stream)s.
///
/// Cheap to clone: clones share one connection. Subscriptions are made at
/// any time, connected or not, and survive reconnections.
///
/// ```no_run
/// use futures_util::StreamExt;
/// use zap_client::{ReconnectPolicy, ZapSubscriber};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = ZapSubscriber::builder("ws://127.0.0.1:8000/")
///     .header("authorization", "Bearer secret")
///     .reconnect(ReconnectPolicy::exponential())
///     .connect()
///     .await?;
///
/// let mut said = client.subscribe_to_event("said");
/// client.send_event("join", "lobby")?;
/// while let Some(event) = said.next().await {
///     println!("{}", event.payload());
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ZapSubscriber {
    client: ZapClient,
}

impl ZapSubscriber {
    /// A client for `url` (`ws://` or `wss://`) with default options, not
    /// connected yet.
    pub fn new(url: impl Into<String>) -> Self {
        Self::builder(url).build()
    }

    /// Options for a client for `url`.
    pub fn builder(url: impl Into<String>) -> ClientBuilder<ZapSubscriber> {
        ClientBuilder::new(url)
    }

    pub(crate) fn from_options(options: Options) -> Self {
        ZapSubscriber {
            client: ZapClient::from_options(options),
        }
    }

    /// The shared part of the client (what this face dereferences to), to
    /// hand to code that only sends and requests.
    pub fn client(&self) -> &ZapClient {
        &self.client
    }

    /// The events named `event_name`, from now on.
    pub fn subscribe_to_event(&self, event_name: impl Into<String>) -> Subscription {
        self.subscribe_to_events([event_name])
    }

    /// The events with any of these names, from now on, in the order
    /// received (a name listed twice still delivers each event once).
    pub fn subscribe_to_events<I>(&self, event_names: I) -> Subscription
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let names: HashSet<String> = event_names.into_iter().map(Into::into).collect();
        self.client.engine.subscribe(Filter::Names(names))
    }

    /// The typed event `E`, from now on, each decoded (a payload that does
    /// not decode is an `Err`; the stream goes on).
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    /// # use serde::{Deserialize, Serialize};
    /// # use zap_client::schemars::JsonSchema;
    /// #[derive(Serialize, Deserialize, JsonSchema, zap_client::Event)]
    /// #[schemars(crate = "zap_client::schemars")]
    /// #[event(name = "chat.said")]
    /// struct Said { from: String, text: String }
    ///
    /// # async fn run(client: zap_client::ZapSubscriber) {
    /// let mut said = client.subscribe::<Said>();
    /// while let Some(Ok(said)) = said.next().await {
    ///     println!("{}: {}", said.from, said.text);
    /// }
    /// # }
    /// ```
    pub fn subscribe<E: TypedEvent>(&self) -> TypedSubscription<E> {
        TypedSubscription::new(self.subscribe_to_event(E::NAME))
    }

    /// Every event, from now on.
    pub fn subscribe_to_all_events(&self) -> Subscription {
        self.client.engine.subscribe(Filter::All)
    }

    /// The state changes, from now on (see [`StateStream`]).
    pub fn connection_state(&self) -> StateStream {
        self.client.engine.states()
    }

    /// The problems on the connection, from now on: invalid frames, failed
    /// attempts, lost connections (see [`ErrorStream`]).
    pub fn errors(&self) -> ErrorStream {
        self.client.engine.errors()
    }

    /// How each connection's session began against a server that offers
    /// recovery: new, recovered, or resumed with gaps (see
    /// [`SessionStream`]). Starts with the latest outcome, so calling it
    /// after `connect()` still shows how the current session began.
    pub fn sessions(&self) -> SessionStream {
        self.client.engine.sessions()
    }
}

impl fmt::Debug for ZapSubscriber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZapSubscriber")
            .field("url", &self.url())
            .field("state", &self.current_state())
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for ZapSubscriber {
    type Target = ZapClient;

    /// The shared methods: connecting, sending, requests, state.
    fn deref(&self) -> &ZapClient {
        &self.client
    }
}

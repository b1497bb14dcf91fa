//! The connection engine: one per client, driving the socket for both client
//! faces ([`ZapSubscriber`](crate::ZapSubscriber) and [`ZapConsumer`](crate::ZapConsumer)).
//!
//! Data flow: the supervisor task dials and runs one session at a time; the
//! session decodes frames and hands events to the [`Registry`] (one bounded
//! channel per subscription) or to a waiting request ([`Pending`]); sends go
//! through the [`Link`] (a bounded queue while online, the outbox while
//! reconnecting); state changes and problems go out through [`Signals`].
//! With recovery on, [`Resume`](recovery::Resume) keeps the session to
//! resume, drops events already received and journals the sent ones until
//! the server acknowledges them.

mod clock;
mod control;
mod dial;
mod farewell;
mod link;
mod outgoing;
mod pending;
mod random;
mod recovery;
mod registry;
mod session;
mod signals;
mod supervisor;
#[cfg(test)]
mod tests;
#[cfg(feature = "tls")]
mod tls;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use zap_protocol::{EventData, Headers, REQUEST_ID_HEADER};

use crate::config::Options;
use crate::{
    ConnectError, ConnectionState, ErrorStream, RequestError, SendError, SessionStream,
    StateStream, Subscription,
};
use control::Control;
use dial::{Dial, NetDialer};
use link::Link;
use pending::Pending;
use recovery::Resume;
use registry::Registry;
pub(crate) use registry::{Filter, Registration};
use signals::Signals;

/// Everything the client faces and the supervisor task share.
pub(crate) struct Shared {
    options: Options,
    dialer: Box<dyn Dial>,
    signals: Signals,
    registry: Registry,
    link: Link,
    pending: Pending,
    control: Control,
    resume: Resume,
}

/// The engine as a client face holds it. Dropping it (the last clone of a
/// face) stops the connection; streams end once it is closed.
pub(crate) struct Engine {
    shared: Arc<Shared>,
}

impl Engine {
    pub(crate) fn new(options: Options) -> Self {
        Self::with_dialer(options, Box::new(NetDialer))
    }

    pub(crate) fn with_dialer(options: Options, dialer: Box<dyn Dial>) -> Self {
        let shared = Shared {
            signals: Signals::new(),
            registry: Registry::new(options.subscription_capacity),
            link: Link::new(options.send_queue, options.outbox),
            pending: Pending::new(),
            control: Control::default(),
            resume: Resume::new(options.recovery),
            dialer,
            options,
        };
        Engine {
            shared: Arc::new(shared),
        }
    }

    pub(crate) fn url(&self) -> &str {
        &self.shared.options.url
    }

    pub(crate) async fn connect(&self) -> Result<(), ConnectError> {
        supervisor::connect(&self.shared).await
    }

    pub(crate) async fn disconnect(&self) {
        supervisor::disconnect(&self.shared).await;
    }

    pub(crate) async fn clean(&self) {
        self.shared.control.lock().cleaned = true;
        supervisor::disconnect(&self.shared).await;
        self.shared.link.close();
        self.shared.pending.fail_all();
        self.shared.registry.close();
        self.shared.signals.close();
    }

    pub(crate) fn send_event<P: Serialize + ?Sized>(
        &self,
        event_name: &str,
        payload: &P,
        headers: Option<&Headers>,
    ) -> Result<(), SendError> {
        let event = EventData::with_payload(event_name, payload, headers.cloned())?;
        self.shared.link.send(event, || self.state())
    }

    pub(crate) async fn request<P: Serialize + ?Sized>(
        &self,
        event_name: &str,
        payload: &P,
        timeout: Option<Duration>,
    ) -> Result<EventData, RequestError> {
        let timeout = timeout.unwrap_or(self.shared.options.request_timeout);
        let mut ticket = self.shared.pending.register();
        let mut headers = Headers::new();
        headers.insert(REQUEST_ID_HEADER.to_owned(), ticket.id().into());
        let event =
            EventData::with_payload(event_name, payload, Some(headers)).map_err(SendError::from)?;
        self.shared.link.send_live(event, || self.state())?;
        match tokio::time::timeout(timeout, ticket.reply()).await {
            Ok(Some(reply)) => match RequestError::from_error_reply(&reply) {
                Some(error) => Err(error),
                None => Ok(reply),
            },
            Ok(None) => Err(RequestError::ConnectionLost),
            Err(_) => Err(RequestError::Timeout(timeout)),
        }
    }

    pub(crate) fn state(&self) -> ConnectionState {
        self.shared.signals.state()
    }

    pub(crate) fn subscribe(&self, filter: Filter) -> Subscription {
        self.shared.registry.subscribe(filter)
    }

    pub(crate) fn states(&self) -> StateStream {
        self.shared.signals.states()
    }

    pub(crate) fn errors(&self) -> ErrorStream {
        self.shared.signals.errors()
    }

    pub(crate) fn sessions(&self) -> SessionStream {
        self.shared.signals.sessions()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.shared
            .control
            .abandon(self.shared.options.close_timeout);
    }
}

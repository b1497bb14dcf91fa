//! Typed events on the client: send a typed event, make a typed request,
//! and receive a typed event as a stream of `Result<E, PayloadError>`.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use zap_protocol::{PayloadError, Request, TypedEvent};

use crate::{RequestError, SendError, Subscription, ZapClient};

/// A typed request failed: no reply, or a reply that is not the request's
/// response type.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TypedRequestError {
    /// The request itself failed (not sent, timed out, connection lost).
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The reply did not decode into the request's response type.
    #[error("the reply to \"{event}\" is not the expected response")]
    Response {
        /// The request's event name.
        event: &'static str,
        /// What was wrong with the reply.
        #[source]
        source: PayloadError,
    },
}

impl ZapClient {
    /// Sends the typed event `event` under its [`TypedEvent::NAME`].
    ///
    /// ```no_run
    /// # use serde::{Deserialize, Serialize};
    /// # use zap_client::schemars::JsonSchema;
    /// #[derive(Serialize, Deserialize, JsonSchema, zap_client::Event)]
    /// #[schemars(crate = "zap_client::schemars")]
    /// #[event(name = "chat.say")]
    /// struct Say { room: String, text: String }
    ///
    /// # fn run(client: zap_client::ZapSubscriber) -> Result<(), zap_client::SendError> {
    /// client.emit(&Say { room: "lobby".into(), text: "hi".into() })?;
    /// # Ok(()) }
    /// ```
    pub fn emit<E: TypedEvent>(&self, event: &E) -> Result<(), SendError> {
        self.send_event(E::NAME, event)
    }

    /// Sends the typed request `request` and waits for its reply, decoded
    /// as `R::Response` (see [`request`](Self::request) for timeouts).
    pub async fn request_typed<R: Request>(
        &self,
        request: &R,
    ) -> Result<R::Response, TypedRequestError> {
        let reply = self.request(R::NAME, request).await?;
        reply
            .payload()
            .parse()
            .map_err(|source| TypedRequestError::Response {
                event: R::NAME,
                source,
            })
    }
}

/// The events of one typed event `E`, each decoded: a payload that does not
/// decode is an `Err` and the stream goes on. Made by
/// [`ZapSubscriber::subscribe`](crate::ZapSubscriber::subscribe).
pub struct TypedSubscription<E> {
    inner: Subscription,
    event: PhantomData<fn() -> E>,
}

impl<E> TypedSubscription<E> {
    pub(crate) fn new(inner: Subscription) -> Self {
        TypedSubscription {
            inner,
            event: PhantomData,
        }
    }

    /// Events this subscription lost by lagging (see [`Subscription::missed`]).
    pub fn missed(&self) -> u64 {
        self.inner.missed()
    }
}

impl<E: TypedEvent> Stream for TypedSubscription<E> {
    type Item = Result<E, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.inner)
            .poll_next(cx)
            .map(|event| event.map(|event| event.payload().parse()))
    }
}

impl<E> fmt::Debug for TypedSubscription<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedSubscription")
            .field("event", &std::any::type_name::<E>())
            .field("inner", &self.inner)
            .finish()
    }
}

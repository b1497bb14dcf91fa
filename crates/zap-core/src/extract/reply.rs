//! [`Reply`]: answers the event being handled (socketioxide's `AckSender`).

use std::marker::PhantomData;

use serde::Serialize;
use zap_protocol::{REQUEST_ID_HEADER, Request};

use crate::extract::FromContext;
use crate::{Connection, Delivery, EventContext, SendError};

/// The default type parameter of [`Reply`]: a reply of any payload.
#[derive(Debug, Clone, Copy)]
pub struct Untyped;

/// Answers the event being handled: sends an event of the same name back to
/// its connection, with a `zap-response-to` header carrying the request's id
/// (what the client's `request` waits for). A v1 peer that sent no request
/// id gets a plain event of the same name, so replying is always safe.
///
/// `Reply` sends any payload; `Reply<R>` for a typed request `R` sends only
/// `R::Response`:
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use zap_core::extract::{Data, Reply};
/// use zap_core::schemars::JsonSchema;
/// use zap_core::{Event, EventRegister};
///
/// #[derive(Serialize, Deserialize, JsonSchema, Event)]
/// #[schemars(crate = "zap_core::schemars")]
/// #[event(name = "add", response = Sum)]
/// struct Add { a: i64, b: i64 }
///
/// #[derive(Serialize, Deserialize, JsonSchema)]
/// #[schemars(crate = "zap_core::schemars")]
/// struct Sum(i64);
///
/// let register = EventRegister::new()
///     .on_typed(|Data(add): Data<Add>, reply: Reply<Add>| async move {
///         reply.send(Sum(add.a + add.b))
///     });
/// # drop(register);
/// ```
#[derive(Debug, Clone)]
pub struct Reply<R = Untyped> {
    connection: Connection,
    event_name: String,
    request_id: Option<String>,
    response: PhantomData<fn() -> R>,
}

impl<R> Reply<R> {
    /// The request id the peer sent, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    fn send_any(&self, payload: &impl Serialize) -> Result<Delivery, SendError> {
        // The same path as every send: stamped and kept for a resume.
        self.connection
            .reply(&self.event_name, self.request_id.as_deref(), payload)
    }
}

impl Reply<Untyped> {
    /// Sends the reply.
    pub fn send(&self, payload: impl Serialize) -> Result<Delivery, SendError> {
        self.send_any(&payload)
    }
}

impl<R: Request> Reply<R> {
    /// Sends the typed reply.
    pub fn send(&self, response: R::Response) -> Result<Delivery, SendError> {
        self.send_any(&response)
    }
}

impl<R> FromContext for Reply<R> {
    type Rejection = std::convert::Infallible;

    fn from_context(ctx: &EventContext) -> Result<Self, Self::Rejection> {
        Ok(Reply {
            connection: ctx.connection().clone(),
            event_name: ctx.event_name().to_owned(),
            request_id: ctx.header(REQUEST_ID_HEADER).map(str::to_owned),
            response: PhantomData,
        })
    }
}

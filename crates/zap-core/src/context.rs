//! [`EventContext`]: what a handler receives: the event, its connection and
//! the router.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use zap_protocol::{EventData, Headers, Payload, PayloadError, REQUEST_ID_HEADER, lifecycle};

use crate::extract::{FromContext, StateMap};
use crate::{
    Connection, ConnectionRouter, Delivery, ErrorInfo, EventRegister, Handshake, MetaTag, SendError,
};

/// The event being handled, the connection that sent it, and the router of
/// every connection (the Python and Dart `EventContext`).
///
/// ```
/// # async fn demo(ctx: zap_core::EventContext) -> zap_core::HandlerResult {
/// #[derive(serde::Deserialize)]
/// struct Say { room: String, text: String }
///
/// let say: Say = ctx.payload_as()?; // a bad payload goes to `error`
/// ctx.router()
///     .to(&say.room)
///     .except(ctx.connection().id())
///     .send("said", serde_json::json!({ "text": say.text }))?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct EventContext {
    event: EventData,
    env: Arc<HandlerEnv>,
    error: Option<Box<ErrorInfo>>,
}

/// What every handler of one connection shares: made once per connection,
/// so that a context costs one reference count, not three.
#[derive(Debug)]
pub(crate) struct HandlerEnv {
    connection: Connection,
    router: ConnectionRouter,
    state: StateMap,
}

impl HandlerEnv {
    /// The environment of `connection`'s handlers in `register`: its router
    /// and its application state.
    pub(crate) fn new(connection: Connection, register: &EventRegister) -> Arc<Self> {
        Arc::new(HandlerEnv {
            connection,
            router: register.router().clone(),
            state: register.state_map().clone(),
        })
    }
}

impl EventContext {
    /// Builds a context (integrations and tests; the session loop builds
    /// them for handlers).
    pub fn new(event: EventData, connection: Connection, router: ConnectionRouter) -> Self {
        let env = HandlerEnv {
            connection,
            router,
            state: StateMap::default(),
        };
        EventContext {
            event,
            env: Arc::new(env),
            error: None,
        }
    }

    /// The context the session loop gives a handler.
    pub(crate) fn in_env(event: EventData, env: &Arc<HandlerEnv>) -> Self {
        EventContext {
            event,
            env: env.clone(),
            error: None,
        }
    }

    /// The context of the `error` lifecycle event.
    pub(crate) fn for_error(info: ErrorInfo, env: &Arc<HandlerEnv>) -> Self {
        let payload = Payload::from_serialize(&info).unwrap_or_default();
        EventContext {
            event: EventData::new(lifecycle::ERROR, payload, None),
            env: env.clone(),
            error: Some(Box::new(info)),
        }
    }

    /// The event's name.
    pub fn event_name(&self) -> &str {
        self.event.event_name()
    }

    /// The event's payload, as raw JSON (`null` when absent).
    pub fn payload(&self) -> &Payload {
        self.event.payload()
    }

    /// The payload deserialized into `T`. A mismatch is an `Err` that `?`
    /// sends to the `error` handler.
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<T, PayloadError> {
        self.event.payload().parse()
    }

    /// Extracts any [`FromContext`] value, as a handler argument would be.
    pub fn extract<T: FromContext>(&self) -> Result<T, T::Rejection> {
        T::from_context(self)
    }

    /// The application state of type `T` given to
    /// [`EventRegister::with_state`], if any (see
    /// [`State`](crate::extract::State)).
    pub fn state<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.env.state.get::<T>()
    }

    /// The event's headers (empty when the peer sent none).
    pub fn headers(&self) -> &Headers {
        self.event.headers()
    }

    /// One header as a string.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.event.header_str(name)
    }

    /// The whole event.
    pub fn event(&self) -> &EventData {
        &self.event
    }

    /// The connection the event came from.
    pub fn connection(&self) -> &Connection {
        &self.env.connection
    }

    /// The upgrade request of this connection.
    pub fn handshake(&self) -> &Handshake {
        self.env.connection.handshake()
    }

    /// The router: every connection and room.
    pub fn router(&self) -> &ConnectionRouter {
        &self.env.router
    }

    /// Joins this connection to `room`; `false` if already a member.
    pub fn join(&self, room: &str) -> bool {
        self.env.router.join(room, &self.env.connection)
    }

    /// Joins this connection to `room` with metadata.
    pub fn join_with_meta(&self, room: &str, meta: MetaTag) -> bool {
        self.env
            .router
            .join_with_meta(room, &self.env.connection, meta)
    }

    /// Takes this connection out of `room`; `false` if not a member.
    pub fn leave(&self, room: &str) -> bool {
        self.env.router.leave(room, &self.env.connection)
    }

    /// The request id a client put in the `zap-request-id` header, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.event.header_str(REQUEST_ID_HEADER)
    }

    /// Answers the current event: sends an event of the same name to this
    /// connection, with a `zap-response-to` header carrying the request's id.
    ///
    /// A v1 peer that sent no request id gets a plain event of the same name
    /// (no headers), so replying is always safe.
    pub fn reply(&self, payload: impl Serialize) -> Result<Delivery, SendError> {
        self.env
            .connection
            .reply(self.event_name(), self.request_id(), &payload)
    }

    /// In an `error` handler: what failed. `None` in other handlers.
    ///
    /// The same description is the event's payload as JSON
    /// (`{"event": …, "kind": …, "message": …}`).
    pub fn error(&self) -> Option<&ErrorInfo> {
        self.error.as_deref()
    }
}

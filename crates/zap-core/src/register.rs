//! [`EventRegister`]: the handlers of an application, by event name, plus the
//! lifecycle handlers, the authorization hook and the id strategy.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use zap_protocol::lifecycle;

use crate::declared::DeclaredEvent;
use crate::extract::StateMap;
use crate::handler::{AuthHook, BoxedHandler, IntoHandlerResult, boxed_context};
use crate::id::IdStrategy;
use crate::recovery::Hub;
use crate::telemetry::EventMeter;
use crate::{
    Backend, ConnectionId, ConnectionRouter, EventContext, Handshake, Rejection, RouterBuilder,
};

/// An application's event handlers, built once and shared by every
/// connection (cloning is cheap: one reference count).
///
/// Handlers are async closures or async fns taking an [`EventContext`]; they
/// return `()` or a [`HandlerResult`](crate::HandlerResult) whose `Err` reaches the
/// `error` handler.
///
/// ```
/// use serde_json::json;
/// use zap_core::{EventContext, EventRegister, HandlerResult};
///
/// async fn hello(ctx: EventContext) -> HandlerResult {
///     ctx.connection().send("hello", "HELLO FROM SERVER !!!")?;
///     Ok(())
/// }
///
/// let register = EventRegister::new()
///     .on_connected(|ctx| async move { tracing::info!(id = %ctx.connection().id(), "connected") })
///     .on_event("hello", hello)
///     .on_event("echo", |ctx| async move {
///         ctx.connection().send("echo", ctx.payload())?;
///         Ok(())
///     })
///     .on_error(|ctx| async move { tracing::warn!(error = ?ctx.error(), "handler failed") })
///     .fallback(|ctx| async move { tracing::debug!(event = ctx.event_name(), "no handler") });
/// assert!(register.has_handler("hello"));
/// ```
///
/// Events of one connection are handled one at a time, in the order they
/// arrived: the next frame of that connection is not read until its previous
/// handler has finished (spawn a task for long work). Connections are
/// independent: a slow handler on one never stalls another.
#[derive(Clone)]
pub struct EventRegister(Arc<Inner>);

#[derive(Clone, Default)]
struct Inner {
    /// Looked up once per event: foldhash, not SipHash (the names are the
    /// server's own; a peer can only look them up).
    events: HashMap<Box<str>, Route, foldhash::fast::RandomState>,
    connected: Option<BoxedHandler>,
    disconnected: Option<BoxedHandler>,
    error: Option<BoxedHandler>,
    fallback: Option<Route>,
    resumed: Option<BoxedHandler>,
    authorize: Option<AuthHook>,
    id_strategy: Option<IdStrategy>,
    router: ConnectionRouter,
    /// Given by `with_router`: `backend` and `presence_event` must not replace it.
    shared_router: bool,
    state: StateMap,
    declared: Vec<DeclaredEvent>,
    /// Per extractor handler: its event and what says which application
    /// state it lacks (checked when the register is served).
    needs: Vec<(String, StateCheck)>,
}

/// A client event's handler, its name (shared, so that keeping it while the
/// handler runs costs no allocation) and its metric handles.
#[derive(Clone)]
pub(crate) struct Route {
    /// The registered name; `None` for the fallback, which handles any name.
    pub(crate) name: Option<Arc<str>>,
    pub(crate) handler: BoxedHandler,
    pub(crate) meter: Arc<EventMeter>,
}

impl Route {
    fn new(name: &str, handler: BoxedHandler) -> Self {
        Route {
            name: Some(Arc::from(name)),
            handler,
            meter: Arc::new(EventMeter::new(name)),
        }
    }

    fn fallback(handler: BoxedHandler) -> Self {
        Route {
            name: None,
            handler,
            meter: EventMeter::other().clone(),
        }
    }
}

/// Says which application state a handler's arguments lack, if any.
pub(crate) type StateCheck = fn(&EventRegister) -> Option<&'static str>;

/// A handler takes `State<T>` but the register was given no `T`
/// ([`EventRegister::with_state`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the handler of \"{event}\" takes `State<{type_name}>`, but the register has no such state: give it with `EventRegister::with_state`"
)]
pub struct MissingStateError {
    /// The event whose handler needs it.
    pub event: String,
    /// The state's type.
    pub type_name: &'static str,
}

impl Default for EventRegister {
    fn default() -> Self {
        EventRegister::new()
    }
}

impl EventRegister {
    /// An empty register with its own [`ConnectionRouter`].
    pub fn new() -> Self {
        EventRegister(Arc::new(Inner::default()))
    }

    /// An empty register whose connections join an existing router, so that
    /// several registers (or several servers) share rooms and connections.
    pub fn with_router(router: ConnectionRouter) -> Self {
        EventRegister(Arc::new(Inner {
            router,
            shared_router: true,
            ..Inner::default()
        }))
    }

    /// Routes rooms and broadcasts through `backend`, for example
    /// `zap_redis::RedisBackend` to span several server instances. Handler
    /// code does not change. Call it while building the register, before
    /// serving: it gives the register a new, empty router.
    ///
    /// ```
    /// let register = zap_core::EventRegister::new().backend(zap_core::InProcess::default());
    /// ```
    ///
    /// # Panics
    ///
    /// On a register made with [`with_router`](Self::with_router): a shared
    /// router is configured once, on its [`RouterBuilder`](crate::RouterBuilder)
    /// (`ConnectionRouter::builder().backend(…)`), never replaced here.
    #[track_caller]
    pub fn backend(self, backend: impl Backend) -> Self {
        // Everything the backend provides, in one call: the bus, shared
        // room history and resumable sessions (see `RouterBuilder::build`).
        self.rebuild("backend", |router, _| router.backend(backend))
    }

    /// A new, empty router with this register's settings changed by
    /// `change` (builder settings live on the value: the register this one
    /// was cloned from keeps its own router and settings).
    #[track_caller]
    fn rebuild(
        mut self,
        method: &str,
        change: impl FnOnce(RouterBuilder, &Hub) -> RouterBuilder,
    ) -> Self {
        self.assert_own_router(method);
        let old = &self.0.router;
        let hub = Arc::new(old.hub().derive());
        let mut builder = ConnectionRouter::builder().shared_backend(old.backend().clone());
        if let Some(event) = old.presence_event() {
            builder = builder.presence_event(event);
        }
        let builder = change(builder, &hub).hub(hub);
        self.inner_mut().router = builder.build();
        self
    }

    /// Tells room members when a connection joins or leaves their room (on
    /// any instance): they receive the event `name` with payload
    /// `{"room", "id", "action": "join" | "leave", "meta"}`. Call it while
    /// building the register, before serving.
    ///
    /// # Panics
    ///
    /// On a register made with [`with_router`](Self::with_router), as
    /// [`backend`](Self::backend) does.
    #[track_caller]
    pub fn presence_event(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.rebuild("presence_event", |router, _| router.presence_event(name))
    }

    fn inner_mut(&mut self) -> &mut Inner {
        Arc::make_mut(&mut self.0)
    }

    #[track_caller]
    fn assert_own_router(&self, method: &str) {
        assert!(
            !self.0.shared_router,
            "EventRegister::{method} on a register built with `with_router` would drop the shared router: configure the register that owns the router (`EventRegister::new()…`) and share it with `EventRegister::with_router(owner.router().clone())`"
        );
    }

    pub(crate) fn insert_handler(mut self, name: &str, handler: BoxedHandler) -> Self {
        let inner = self.inner_mut();
        match name {
            lifecycle::CONNECTED => inner.connected = Some(handler),
            lifecycle::DISCONNECTED => inner.disconnected = Some(handler),
            lifecycle::ERROR => inner.error = Some(handler),
            _ => {
                inner.events.insert(name.into(), Route::new(name, handler));
            }
        }
        self
    }

    pub(crate) fn need_state(&mut self, event: &str, check: StateCheck) {
        let needs = &mut self.inner_mut().needs;
        needs.retain(|(known, _)| known != event);
        needs.push((event.to_owned(), check));
    }

    /// Checks that every handler's `State<T>` arguments have their state:
    /// what integrations call before serving ([`Endpoint::new`](crate::Endpoint::new)
    /// panics with this error, `zap_server`'s `start` returns it).
    ///
    /// ```
    /// use zap_core::extract::State;
    /// let register = zap_core::EventRegister::new().on("hit", |State(n): State<u32>| async move { let _ = n; });
    /// let err = register.check_state().unwrap_err();
    /// assert_eq!(err.event, "hit");
    /// assert!(register.with_state(7u32).check_state().is_ok());
    /// ```
    pub fn check_state(&self) -> Result<(), MissingStateError> {
        for (event, check) in &self.0.needs {
            if let Some(type_name) = check(self) {
                return Err(MissingStateError {
                    event: event.clone(),
                    type_name,
                });
            }
        }
        Ok(())
    }

    pub(crate) fn state_map(&self) -> &StateMap {
        &self.0.state
    }

    pub(crate) fn state_map_mut(&mut self) -> &mut StateMap {
        &mut self.inner_mut().state
    }

    pub(crate) fn declared(&self) -> &[DeclaredEvent] {
        &self.0.declared
    }

    pub(crate) fn declare(&mut self, event: DeclaredEvent) {
        let declared = &mut self.inner_mut().declared;
        declared
            .retain(|known| (known.name(), known.direction()) != (event.name(), event.direction()));
        declared.push(event);
    }

    /// Registers the handler of event `name`, replacing any previous one.
    ///
    /// `"connected"`, `"disconnected"` and `"error"` register the lifecycle
    /// handlers, as in the Python package (`@register.on_event("connected")`).
    /// Frames a peer sends under those three names are not lifecycle events
    /// (see `docs/protocol.md`): they go to the [`fallback`](Self::fallback) handler,
    /// if any.
    pub fn on_event<F, Fut>(self, name: &str, handler: F) -> Self
    where
        F: Fn(EventContext) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoHandlerResult,
    {
        self.insert_handler(name, boxed_context(handler))
    }

    /// Runs once per connection, after the upgrade and before any other
    /// handler of that connection.
    pub fn on_connected<F, Fut>(self, handler: F) -> Self
    where
        F: Fn(EventContext) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoHandlerResult,
    {
        self.on_event(lifecycle::CONNECTED, handler)
    }

    /// Runs exactly once per connection when it ends, for any reason. The
    /// connection is already closed (sends fail) but is still a member of
    /// its rooms, which it leaves right after this handler.
    pub fn on_disconnected<F, Fut>(self, handler: F) -> Self
    where
        F: Fn(EventContext) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoHandlerResult,
    {
        self.on_event(lifecycle::DISCONNECTED, handler)
    }

    /// Runs when a handler returns `Err` or panics, or a frame is invalid.
    /// [`EventContext::error`] describes what failed. A failure inside this
    /// handler is logged and goes no further.
    pub fn on_error<F, Fut>(self, handler: F) -> Self
    where
        F: Fn(EventContext) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoHandlerResult,
    {
        self.on_event(lifecycle::ERROR, handler)
    }

    /// Runs for events that have no handler of their own. Without a
    /// fallback, such events are ignored (logged at debug level).
    pub fn fallback<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(EventContext) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoHandlerResult,
    {
        self.inner_mut().fallback = Some(Route::fallback(boxed_context(handler)));
        self
    }

    /// Sets the hook that accepts or refuses each upgrade before the
    /// WebSocket opens; a refusal is answered with its 401/403 status.
    /// Values stored in [`Handshake::extensions`] are visible to every
    /// handler of the connection.
    ///
    /// ```
    /// use zap_core::{EventRegister, Rejection};
    ///
    /// #[derive(Clone)]
    /// struct User(String);
    ///
    /// let register = EventRegister::new().authorize(|hs| async move {
    ///     match hs.bearer_token() {
    ///         Some("let-me-in") => {
    ///             hs.extensions().insert(User("ada".into()));
    ///             Ok(())
    ///         }
    ///         Some(_) => Err(Rejection::forbidden()),
    ///         None => Err(Rejection::unauthorized().with_reason("missing bearer token")),
    ///     }
    /// });
    /// ```
    pub fn authorize<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Handshake) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Rejection>> + Send + 'static,
    {
        self.inner_mut().authorize = Some(Arc::new(move |hs| Box::pin(hook(hs))));
        self
    }

    /// Sets how connection ids are chosen (default: `zpt-<uuid v4>`). Ids
    /// must be unique among live connections; a connection whose id is
    /// taken is closed with code 1008.
    ///
    /// ```
    /// let register = zap_core::EventRegister::new().id_strategy(|hs| {
    ///     format!("user-{}", hs.query_param("name").unwrap_or_default()).into()
    /// });
    /// ```
    pub fn id_strategy<F>(mut self, strategy: F) -> Self
    where
        F: Fn(&Handshake) -> ConnectionId + Send + Sync + 'static,
    {
        self.inner_mut().id_strategy = Some(Arc::new(strategy));
        self
    }

    /// Keeps the recent events of the rooms matching `pattern` (`"chat:*"`
    /// for a prefix, `"*"` for every room, or an exact name), so that a
    /// client that asked for recovery gets what it missed (see "Delivery
    /// guarantees" in the crate docs). The first matching rule wins.
    ///
    /// ```
    /// use std::time::Duration;
    /// use zap_core::{EventRegister, History};
    /// let register = EventRegister::new()
    ///     .history("chat:*", History::last(500).max_age(Duration::from_secs(120)));
    /// ```
    #[track_caller]
    pub fn history(self, pattern: &str, history: crate::History) -> Self {
        self.rebuild("history", |router, hub| {
            hub.add_rule(pattern, history);
            router
        })
    }

    /// Sets how resumable sessions behave (window, direct-event buffer).
    #[track_caller]
    pub fn recovery(self, config: crate::RecoveryConfig) -> Self {
        self.rebuild("recovery", |router, hub| {
            hub.set_config(config);
            router
        })
    }

    /// Carries the connection's value of type `T` (in its
    /// [`Extensions`](crate::Extensions)) over to the connection that
    /// resumes its session, stored under `key`. A value the new handshake
    /// already set (in the authorization hook) wins.
    ///
    /// ```
    /// #[derive(Clone, serde::Serialize, serde::Deserialize)]
    /// struct Nick(String);
    /// let register = zap_core::EventRegister::new().keep_on_resume::<Nick>("nick");
    /// ```
    #[track_caller]
    pub fn keep_on_resume<T>(self, key: &str) -> Self
    where
        T: serde::Serialize + serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
    {
        self.rebuild("keep_on_resume", |router, hub| {
            hub.keep::<T>(key);
            router
        })
    }

    /// Binds each resumable session to the identity `identify` reads from
    /// its handshake (usually what the [`authorize`](Self::authorize) hook
    /// stored in its extensions): a resume whose handshake gives another
    /// identity, or none, gets a new session (`reason: "unknown"`, as for a
    /// forged token), and the session stays for its owner. Without it, a
    /// token alone resumes its session: keep tokens secret (they never
    /// appear in the server's logs; clients can keep them out of URLs with
    /// the first-frame resume of `docs/protocol.md`).
    ///
    /// ```
    /// #[derive(Clone)]
    /// struct User(String);
    /// let register = zap_core::EventRegister::new()
    ///     .session_identity(|handshake| handshake.extensions().get::<User>().map(|user| user.0));
    /// ```
    #[track_caller]
    pub fn session_identity<F>(self, identify: F) -> Self
    where
        F: Fn(&Handshake) -> Option<String> + Send + Sync + 'static,
    {
        let identify: crate::recovery::Identify = Arc::new(identify);
        self.rebuild("session_identity", |router, hub| {
            hub.set_identify(identify);
            router
        })
    }

    /// Runs instead of `connected` when a connection resumes an earlier
    /// session; [`Connection::recovery`](crate::Connection::recovery) says
    /// whether events were lost (and in which rooms).
    pub fn on_resumed<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(EventContext) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoHandlerResult,
    {
        self.inner_mut().resumed = Some(boxed_context(handler));
        self
    }

    /// The router holding this register's connections and rooms.
    pub fn router(&self) -> &ConnectionRouter {
        &self.0.router
    }

    /// Whether event `name` has a handler of its own.
    pub fn has_handler(&self, name: &str) -> bool {
        self.0.events.contains_key(name)
    }

    /// Runs the authorization hook (integrations call this before upgrading).
    pub async fn check_handshake(&self, handshake: &Handshake) -> Result<(), Rejection> {
        match &self.0.authorize {
            Some(hook) => hook(handshake.clone()).await,
            None => Ok(()),
        }
    }

    pub(crate) fn connection_id(&self, handshake: &Handshake) -> ConnectionId {
        match &self.0.id_strategy {
            Some(strategy) => strategy(handshake),
            None => ConnectionId::generate(),
        }
    }

    /// Where a client event named `name` goes: its own handler, or the
    /// fallback (lifecycle names always go to the fallback).
    pub(crate) fn route_for(&self, name: &str) -> Option<&Route> {
        if lifecycle::is_lifecycle(name) {
            return self.0.fallback.as_ref();
        }
        self.0.events.get(name).or(self.0.fallback.as_ref())
    }

    pub(crate) fn connected_handler(&self) -> Option<&BoxedHandler> {
        self.0.connected.as_ref()
    }

    pub(crate) fn resumed_handler(&self) -> Option<&BoxedHandler> {
        self.0.resumed.as_ref()
    }

    pub(crate) fn disconnected_handler(&self) -> Option<&BoxedHandler> {
        self.0.disconnected.as_ref()
    }

    pub(crate) fn error_handler(&self) -> Option<&BoxedHandler> {
        self.0.error.as_ref()
    }
}

impl fmt::Debug for EventRegister {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut events: Vec<&str> = self.0.events.keys().map(|name| &**name).collect();
        events.sort_unstable();
        f.debug_struct("EventRegister")
            .field("events", &events)
            .field("connected", &self.0.connected.is_some())
            .field("disconnected", &self.0.disconnected.is_some())
            .field("error", &self.0.error.is_some())
            .field("fallback", &self.0.fallback.is_some())
            .field("authorize", &self.0.authorize.is_some())
            .field("router", &self.0.router)
            .finish()
    }
}

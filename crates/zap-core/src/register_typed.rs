//! [`EventRegister`] methods for extractor handlers, application state and
//! typed events (kept apart from the core builder in `register.rs`).

use zap_protocol::TypedEvent;

use crate::EventRegister;
use crate::declared::{DeclaredEvent, Direction};
use crate::extract::{Handler, TypedArgs};
use crate::handler::boxed;

impl EventRegister {
    /// Registers the handler of event `name`, a handler whose arguments are
    /// extractors (see [`extract`](crate::extract)); replaces any previous
    /// one. Lifecycle names register the lifecycle handlers, as with
    /// [`on_event`](Self::on_event).
    ///
    /// ```
    /// use zap_core::EventRegister;
    /// use zap_core::extract::{Data, Reply};
    ///
    /// let register = EventRegister::new()
    ///     .on("double", |Data(n): Data<i64>, reply: Reply| async move { reply.send(n * 2) });
    /// assert!(register.has_handler("double"));
    /// ```
    pub fn on<H, Args>(self, name: &str, handler: H) -> Self
    where
        H: Handler<Args>,
    {
        self.insert_handler(name, boxed(handler))
    }

    /// Registers the handler of the typed event `E`, read off the handler's
    /// first argument, `Data<E>`; the event is part of the register's
    /// [contract](Self::declared_events).
    ///
    /// ```
    /// use serde::{Deserialize, Serialize};
    /// use zap_core::extract::{Data, State};
    /// use zap_core::schemars::JsonSchema;
    /// use zap_core::{Connection, Event, EventRegister};
    ///
    /// #[derive(Serialize, Deserialize, JsonSchema, Event)]
    /// #[schemars(crate = "zap_core::schemars")]
    /// #[event(name = "chat.say")]
    /// struct Say { room: String, text: String }
    ///
    /// let register = EventRegister::new().on_typed(|Data(say): Data<Say>, conn: Connection| async move {
    ///     conn.emit(&say)
    /// });
    /// assert!(register.has_handler("chat.say"));
    /// ```
    pub fn on_typed<E, H, Args>(self, handler: H) -> Self
    where
        E: TypedEvent,
        H: Handler<Args>,
        Args: TypedArgs<E>,
    {
        let mut register = self.insert_handler(E::NAME, boxed(handler));
        register.declare(DeclaredEvent::of::<E>(Direction::Receives));
        register
    }

    /// Declares that the server sends the typed event `E` (with
    /// [`Connection::emit`](crate::Connection::emit) or
    /// [`Broadcast::emit`](crate::Broadcast::emit)), for the contract.
    pub fn sends<E: TypedEvent>(mut self) -> Self {
        self.declare(DeclaredEvent::of::<E>(Direction::Sends));
        self
    }

    /// Adds application state, one value per type, that handlers take with
    /// [`State<T>`](crate::extract::State) (or read with
    /// [`EventContext::state`](crate::EventContext::state)). Wrap shared
    /// mutable state in an `Arc`; the value is cloned for each handler.
    pub fn with_state<T: Clone + Send + Sync + 'static>(mut self, state: T) -> Self {
        self.state_map_mut().insert(state);
        self
    }

    /// The typed events of this register: those with a typed handler and
    /// those declared with [`sends`](Self::sends), in registration order
    /// (each name and direction once, the last registration winning).
    pub fn declared_events(&self) -> &[DeclaredEvent] {
        self.declared()
    }
}

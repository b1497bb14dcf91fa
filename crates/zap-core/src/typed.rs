//! Sending typed events: [`Connection::emit`], [`Broadcast::emit`] and
//! [`ConnectionRouter::emit_to`] take the event's name from its type.

use zap_protocol::TypedEvent;

use crate::{Broadcast, Connection, ConnectionRouter, Delivery, SendError};

impl Connection {
    /// Queues the typed event `event` for this connection, under its
    /// [`TypedEvent::NAME`].
    ///
    /// ```no_run
    /// # use serde::{Deserialize, Serialize};
    /// # use zap_core::schemars::JsonSchema;
    /// #[derive(Serialize, Deserialize, JsonSchema, zap_core::Event)]
    /// #[schemars(crate = "zap_core::schemars")]
    /// #[event(name = "welcome")]
    /// struct Welcome { id: String }
    ///
    /// # fn demo(conn: zap_core::Connection) -> Result<(), zap_core::SendError> {
    /// conn.emit(&Welcome { id: conn.id().to_string() })?;
    /// # Ok(()) }
    /// ```
    pub fn emit<E: TypedEvent>(&self, event: &E) -> Result<Delivery, SendError> {
        // The same path as `send`: recovery stamping, metrics.
        self.send(E::NAME, event)
    }
}

impl Broadcast<'_> {
    /// Encodes the typed event once and queues it for every recipient,
    /// under its [`TypedEvent::NAME`].
    pub fn emit<E: TypedEvent>(self, event: &E) -> Result<Delivery, SendError> {
        // The same path as `send`: room history, metrics.
        self.send(E::NAME, event)
    }
}

impl ConnectionRouter {
    /// Sends the typed event to the connection with this id, wherever it is
    /// (see [`send_to`](Self::send_to)).
    pub fn emit_to<E: TypedEvent>(&self, id: &str, event: &E) -> Result<Delivery, SendError> {
        self.send_to(id, E::NAME, event)
    }
}

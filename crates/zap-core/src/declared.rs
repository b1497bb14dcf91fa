//! [`DeclaredEvent`]: a typed event a register handles or says it sends,
//! with what a contract needs to describe it.

use std::any::type_name;
use std::fmt;

use zap_protocol::TypedEvent;
use zap_protocol::schemars::{Schema, SchemaGenerator};

/// Which way a declared event travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Direction {
    /// Client to server: the register has a handler for it.
    Receives,
    /// Server to client: declared with [`EventRegister::sends`](crate::EventRegister::sends).
    Sends,
}

/// A typed event of a register (see
/// [`EventRegister::declared_events`](crate::EventRegister::declared_events)):
/// its name, direction, and the JSON Schemas of its payload and, for a
/// request, of its reply.
#[derive(Clone)]
pub struct DeclaredEvent {
    name: &'static str,
    direction: Direction,
    type_name: &'static str,
    payload: fn(&mut SchemaGenerator) -> Schema,
    response: fn(&mut SchemaGenerator) -> Option<Schema>,
}

impl DeclaredEvent {
    /// The declaration of `E` travelling in `direction`.
    pub fn of<E: TypedEvent>(direction: Direction) -> Self {
        DeclaredEvent {
            name: E::NAME,
            direction,
            type_name: type_name::<E>(),
            payload: |generator| generator.subschema_for::<E>(),
            response: E::response_schema,
        }
    }

    /// The event's name on the wire.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Which way it travels.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The Rust type of its payload (for diagnostics).
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// The schema of its payload; named types become references into the
    /// generator's definitions.
    pub fn payload_schema(&self, generator: &mut SchemaGenerator) -> Schema {
        (self.payload)(generator)
    }

    /// The schema of its reply, when it is a request.
    pub fn response_schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        (self.response)(generator)
    }
}

impl fmt::Debug for DeclaredEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeclaredEvent")
            .field("name", &self.name)
            .field("direction", &self.direction)
            .field("type_name", &self.type_name)
            .finish_non_exhaustive()
    }
}

//! Typed events: a payload type that knows the name of its event, so both
//! ends agree on names and shapes at compile time.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A payload type that names its event: a trait, not a type (a received
/// event is an [`EventData`](crate::EventData)).
///
/// Derive it with `#[derive(Event)]` from `zap-macros` (re-exported by
/// `zap-core` and `zap-client`), next to serde's derives and
/// [`JsonSchema`], which describes the payload in generated contracts:
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use zap_protocol::schemars::JsonSchema;
///
/// #[derive(Serialize, Deserialize, JsonSchema)]
/// #[schemars(crate = "zap_protocol::schemars")]
/// struct Say { room: String, text: String }
///
/// impl zap_protocol::TypedEvent for Say {
///     const NAME: &'static str = "chat.say";
/// }
///
/// assert_eq!(<Say as zap_protocol::TypedEvent>::NAME, "chat.say");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a typed event",
    label = "no event name for this type",
    note = "derive it: `#[derive(Serialize, Deserialize, JsonSchema, Event)]` with `#[event(name = \"...\")]`"
)]
pub trait TypedEvent: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static {
    /// The event's name on the wire (`eventName`).
    const NAME: &'static str;

    /// The schema of the reply when this event is a [`Request`], `None`
    /// otherwise. The derive fills it in for `#[event(response = T)]`;
    /// contracts read it.
    fn response_schema(generator: &mut SchemaGenerator) -> Option<Schema> {
        let _ = generator;
        None
    }
}

/// A typed event answered by one reply of a known type: the client's typed
/// request resolves to [`Request::Response`].
///
/// Derived by `#[event(name = "…", response = Reply)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a typed request",
    note = "give its event a response type: `#[event(name = \"...\", response = MyReply)]`"
)]
pub trait Request: TypedEvent {
    /// The payload of the reply.
    type Response: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static;
}

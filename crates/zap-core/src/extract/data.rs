//! [`Data<T>`]: the event's payload, decoded.

use serde::de::DeserializeOwned;

use crate::EventContext;
use crate::extract::FromContext;

/// The event's payload decoded as `T` (socketioxide's `Data`).
///
/// A payload that does not decode skips the handler: the `error` handler
/// gets a [`DataRejection`] whose text names the event and says what was
/// wrong, without Rust type names.
#[derive(Debug, Clone)]
pub struct Data<T>(pub T);

/// A payload that did not decode into what the handler asked for.
///
/// Its text is what peers may see (for example in the `error` handler's
/// `message`): `invalid payload for event "say": missing field `text` at
/// line 1 column 12`.
#[derive(Debug, thiserror::Error)]
#[error("invalid payload for event \"{event}\": {detail}")]
pub struct DataRejection {
    event: String,
    detail: String,
}

impl DataRejection {
    /// The event whose payload was rejected.
    pub fn event(&self) -> &str {
        &self.event
    }

    /// What was wrong with it (serde's description).
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl<T: DeserializeOwned> FromContext for Data<T> {
    type Rejection = DataRejection;

    fn from_context(ctx: &EventContext) -> Result<Self, Self::Rejection> {
        serde_json::from_str(ctx.payload().as_json())
            .map(Data)
            .map_err(|err| DataRejection {
                event: ctx.event_name().to_owned(),
                detail: err.to_string(),
            })
    }
}

//! [`MetaTag`]: metadata attached to a room member (the Dart `MetaTag`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Metadata about a connection's membership of a room: a name, a
/// description and free-form values (Dart's `MetaTag`).
///
/// ```
/// use zap_core::MetaTag;
/// let tag = MetaTag::new("ada").description("moderator").value("color", "teal");
/// assert_eq!(tag.values["color"], "teal");
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MetaTag {
    /// A display name, for example the member's nickname.
    pub name: String,
    /// A free-form description.
    #[serde(default)]
    pub description: String,
    /// Free-form values.
    #[serde(default)]
    pub values: Map<String, Value>,
}

impl MetaTag {
    /// A tag with this name.
    pub fn new(name: impl Into<String>) -> Self {
        MetaTag {
            name: name.into(),
            ..MetaTag::default()
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Adds one value.
    pub fn value(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.values.insert(key.into(), value.into());
        self
    }
}

//! The event contract of a zaptools application, generated from its
//! [`EventRegister`]: the typed events it handles
//! ([`on_typed`](EventRegister::on_typed)) and the typed events it declares
//! it sends ([`sends`](EventRegister::sends)) become
//!
//! - an **AsyncAPI 3.0** document, each payload a JSON Schema (from
//!   `schemars`), and
//! - **TypeScript declarations**: every event name, its payload type, and a
//!   typed client interface, so a browser or Node app stops compiling when
//!   the server's events change.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use zap_core::extract::Data;
//! use zap_core::schemars::JsonSchema;
//! use zap_core::{Event, EventRegister};
//!
//! #[derive(Serialize, Deserialize, JsonSchema, Event)]
//! #[schemars(crate = "zap_core::schemars")]
//! #[event(name = "chat.say")]
//! struct Say { text: String }
//!
//! let register = EventRegister::new().on_typed(|Data(_say): Data<Say>| async move {});
//! let contract = zap_contract::Contract::from_register(&register).title("chat").version("1.0.0");
//! assert_eq!(contract.asyncapi()["asyncapi"], "3.0.0");
//! assert!(contract.typescript().contains(r#""chat.say": Say;"#));
//! ```
//!
//! # Writing the files from your application
//!
//! The contract is built from the same register the server runs, so the
//! application itself writes it: give its binary a way to call
//! [`Contract::write_to`] and exit, for example an environment variable
//! checked first thing in `main` with [`Contract::write_if_requested`]:
//!
//! ```no_run
//! # fn register() -> zap_core::EventRegister { zap_core::EventRegister::new() }
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let register = register();
//!     // `ZAP_CONTRACT_DIR=contract cargo run` writes contract/asyncapi.json
//!     // and contract/events.d.ts, then exits.
//!     if zap_contract::Contract::from_register(&register).write_if_requested()? {
//!         return Ok(());
//!     }
//!     // … serve `register` …
//!     Ok(())
//! }
//! ```
#![forbid(unsafe_code)]

mod asyncapi;
mod collect;
mod typescript;
mod write;

use zap_core::EventRegister;

pub use write::{CONTRACT_DIR_ENV, ContractFiles, WriteError};

use collect::Collected;

/// The contract of one register: its typed events and their schemas.
#[derive(Debug, Clone)]
pub struct Contract {
    title: String,
    version: String,
    address: String,
    collected: Collected,
}

impl Contract {
    /// The contract of `register`'s typed events. Untyped (string-named)
    /// handlers are not part of it.
    pub fn from_register(register: &EventRegister) -> Self {
        Contract {
            title: "zaptools application".to_owned(),
            version: "0.0.0".to_owned(),
            address: "/".to_owned(),
            collected: Collected::from_events(register.declared_events()),
        }
    }

    /// The application's title (AsyncAPI `info.title`).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// The application's version (AsyncAPI `info.version`).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// The WebSocket path the register is served at (default `/`).
    pub fn address(mut self, address: impl Into<String>) -> Self {
        self.address = address.into();
        self
    }

    /// The AsyncAPI 3.0 document.
    pub fn asyncapi(&self) -> serde_json::Value {
        asyncapi::document(self)
    }

    /// The AsyncAPI 3.0 document as pretty-printed JSON, ending in a newline.
    pub fn asyncapi_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.asyncapi()).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The TypeScript declarations.
    pub fn typescript(&self) -> String {
        typescript::declarations(self)
    }
}

//! Extractors: a handler's arguments, taken from the event's
//! [`EventContext`], as axum takes them from a request's parts.
//!
//! Register a handler whose arguments are extractors with
//! [`EventRegister::on`](crate::EventRegister::on) (or, for a typed event,
//! [`on_typed`](crate::EventRegister::on_typed)):
//!
//! ```
//! use serde::Deserialize;
//! use zap_core::EventRegister;
//! use zap_core::extract::{Data, Reply, State};
//!
//! #[derive(Clone)]
//! struct Greeting(&'static str);
//!
//! #[derive(Deserialize)]
//! struct Hello { name: String }
//!
//! let register = EventRegister::new()
//!     .with_state(Greeting("hello"))
//!     .on("hello", |Data(hello): Data<Hello>, State(greeting): State<Greeting>, reply: Reply| async move {
//!         reply.send(format!("{}, {}", greeting.0, hello.name))
//!     });
//! # drop(register);
//! ```
//!
//! | extractor | what it gives |
//! | --- | --- |
//! | [`EventContext`] | everything (today's handlers) |
//! | [`Data<T>`] | the payload as `T`; a bad payload goes to the `error` handler |
//! | [`State<T>`] | application state set with [`EventRegister::with_state`](crate::EventRegister::with_state) |
//! | [`Connection`](crate::Connection) | the connection that sent the event |
//! | [`Headers`](crate::Headers) | the event's headers |
//! | [`Extension<T>`] / [`Extensions`](crate::Extensions) | per-connection state |
//! | [`Reply`] | answers the event when it is a request |
//!
//! Your own types implement [`FromContext`].

mod data;
mod from_context;
mod handler;
mod reply;
mod state;

pub use data::{Data, DataRejection};
pub use from_context::{Extension, FromContext, MissingExtension, NotAnError};
pub use handler::{Handler, TypedArgs};
pub use reply::{Reply, Untyped};
pub(crate) use state::StateMap;
pub use state::{MissingState, State};

pub use crate::EventContext;

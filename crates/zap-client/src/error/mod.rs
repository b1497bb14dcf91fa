//! The error types, one per operation.

mod connect;
mod connection;
mod request;
mod send;

pub use connect::ConnectError;
pub(crate) use connect::body_text;
pub use connection::ConnectionError;
pub use request::RequestError;
pub use send::SendError;

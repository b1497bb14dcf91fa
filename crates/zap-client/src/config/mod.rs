//! Client configuration: the builder and the policies it takes.

mod builder;
mod heartbeat;
mod options;
mod reconnect;
#[cfg(feature = "tls")]
mod tls;

pub use builder::ClientBuilder;
pub use heartbeat::Heartbeat;
pub(crate) use options::Options;
pub use reconnect::ReconnectPolicy;
#[cfg(feature = "tls")]
pub use tls::{TlsConfig, TlsConfigError};

//! Client configuration: the builder and the policies it takes.

mod builder;
mod heartbeat;
mod options;
mod reconnect;
mod recovery;
#[cfg(feature = "tls")]
mod tls;

pub use builder::ClientBuilder;
pub use heartbeat::Heartbeat;
pub(crate) use options::Options;
pub use reconnect::ReconnectPolicy;
pub use recovery::Recovery;
#[cfg(feature = "tls")]
pub use tls::{TlsConfig, TlsConfigError};

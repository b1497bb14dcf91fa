//! [`ServerError`]: why a server could not start.

/// A server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The address could not be bound (in use, no permission, bad host).
    /// Pick another port, or port 0 for any free one.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address that was asked for.
        address: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The TLS certificate or key could not be loaded.
    #[error("invalid TLS configuration: {0}")]
    Tls(String),
    /// A handler takes a `State<T>` the register was not given: add it
    /// with `EventRegister::with_state`.
    #[error(transparent)]
    MissingState(#[from] zap_core::MissingStateError),
    /// The configured path does not start with `/`.
    #[error("path `{0}` must start with `/`")]
    InvalidPath(String),
}

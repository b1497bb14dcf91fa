//! [`ConnectError`]: why a Redis backend could not start.

/// A [`RedisBackend`](crate::RedisBackend) could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL is not a Redis URL.
    #[error("invalid redis url: {0}")]
    InvalidUrl(#[source] redis::RedisError),
    /// Redis did not answer within the connect timeout, or refused us.
    /// Check that it runs and is reachable, then try again.
    #[error("cannot reach redis: {0}")]
    Unreachable(String),
}

//! [`ErrorStream`]: problems on the connection, as a stream.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::sync::broadcast;

use crate::ConnectionError;
use crate::relay::{Relay, relay};

/// Every [`ConnectionError`] from the moment the stream was made: invalid
/// frames, failed attempts, lost connections. Ends after `clean()` or when
/// the client is dropped. Every error is also logged through `tracing`.
///
/// The buffer holds 64 errors; a stream that is not read loses the oldest.
///
/// ```no_run
/// use futures_util::StreamExt;
/// # async fn run(client: zap_client::ZapSubscriber) {
/// let mut errors = client.errors();
/// while let Some(error) = errors.next().await {
///     eprintln!("zaptools: {error}");
/// }
/// # }
/// ```
pub struct ErrorStream {
    errors: Relay<ConnectionError>,
}

impl ErrorStream {
    pub(crate) fn new(rx: Option<broadcast::Receiver<ConnectionError>>) -> Self {
        ErrorStream {
            errors: relay(rx, Arc::new(AtomicU64::new(0)), "error stream"),
        }
    }
}

impl Stream for ErrorStream {
    type Item = ConnectionError;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ConnectionError>> {
        self.get_mut().errors.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for ErrorStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErrorStream").finish_non_exhaustive()
    }
}

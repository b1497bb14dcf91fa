//! [`relay`]: a broadcast receiver as a boxed stream that counts what it missed.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::Stream;
use tokio::sync::broadcast::{self, error::RecvError};

/// A boxed, `Send` stream of `T`.
pub(crate) type Relay<T> = Pin<Box<dyn Stream<Item = T> + Send>>;

/// Streams what `rx` receives. When the receiver lags, the oldest items are
/// lost: their number is added to `missed` and logged, and the stream goes on
/// with the oldest item still held. The stream ends when every sender is
/// gone; `None` gives a stream that has already ended.
pub(crate) fn relay<T>(
    rx: Option<broadcast::Receiver<T>>,
    missed: Arc<AtomicU64>,
    what: &'static str,
) -> Relay<T>
where
    T: Clone + Send + 'static,
{
    let Some(rx) = rx else {
        return Box::pin(futures_util::stream::empty());
    };
    Box::pin(futures_util::stream::unfold(
        (rx, missed),
        move |(mut rx, missed)| async move {
            loop {
                match rx.recv().await {
                    Ok(item) => return Some((item, (rx, missed))),
                    Err(RecvError::Lagged(n)) => {
                        missed.fetch_add(n, Ordering::Relaxed);
                        tracing::warn!(missed = n, "{what} lagged: its oldest items were dropped");
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    ))
}

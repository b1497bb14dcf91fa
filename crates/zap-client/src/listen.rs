//! [`listen`]: runs a callback for each item of a stream, on its own task.

use std::panic::AssertUnwindSafe;

use futures_util::{FutureExt, Stream, StreamExt};

use crate::callback::Reaction;

/// Spawns a task that calls `callback` for each item, one at a time and in
/// order, awaiting what it returns. A panicking callback is logged and the
/// next item is still delivered. The task ends with the stream.
///
/// # Panics
///
/// Outside a tokio runtime.
#[track_caller]
pub(crate) fn listen<S, F, R, M>(mut items: S, callback: F)
where
    S: Stream + Send + Unpin + 'static,
    S::Item: Send,
    F: Fn(S::Item) -> R + Send + Sync + 'static,
    R: Reaction<M>,
{
    tokio::spawn(async move {
        while let Some(item) = items.next().await {
            let call = AssertUnwindSafe(async { callback(item).react().await });
            if call.catch_unwind().await.is_err() {
                tracing::error!("a zap-client callback panicked; it stays registered");
            }
        }
    });
}

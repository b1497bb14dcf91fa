//! How handlers are stored: any async closure or async fn taking an
//! [`EventContext`] and returning `()` or a [`HandlerResult`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::{EventContext, HandlerError, HandlerResult, Handshake, Rejection};

/// A boxed, sendable future.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A type-erased event handler.
pub(crate) type BoxedHandler = Arc<dyn Fn(EventContext) -> BoxFuture<HandlerResult> + Send + Sync>;

/// A type-erased authorization hook.
pub(crate) type AuthHook = Arc<dyn Fn(Handshake) -> BoxFuture<Result<(), Rejection>> + Send + Sync>;

/// What a handler may return: `()` (it cannot fail) or a [`HandlerResult`]
/// (its `Err` goes to the `error` handler).
pub trait IntoHandlerResult {
    /// Converts the handler's output.
    fn into_handler_result(self) -> HandlerResult;
}

impl IntoHandlerResult for () {
    fn into_handler_result(self) -> HandlerResult {
        Ok(())
    }
}

impl IntoHandlerResult for Result<(), HandlerError> {
    fn into_handler_result(self) -> HandlerResult {
        self
    }
}

pub(crate) fn boxed<F, Fut>(handler: F) -> BoxedHandler
where
    F: Fn(EventContext) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoHandlerResult,
{
    Arc::new(move |ctx| {
        let future = handler(ctx);
        Box::pin(async move { future.await.into_handler_result() })
    })
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "handler panicked".to_owned()
    }
}

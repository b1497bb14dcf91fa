//! How handlers are stored: any [`Handler`](crate::extract::Handler) (an
//! async fn or closure taking extractors, such as an [`EventContext`]),
//! returning `()` or `Result<(), E>`, boxed behind one type.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::extract::Handler;
use crate::{EventContext, HandlerError, HandlerResult, Handshake, Rejection};

/// A boxed, sendable future (what a [`Handler`] returns).
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A type-erased event handler.
pub(crate) type BoxedHandler = Arc<dyn Fn(EventContext) -> BoxFuture<HandlerResult> + Send + Sync>;

/// A type-erased authorization hook.
pub(crate) type AuthHook = Arc<dyn Fn(Handshake) -> BoxFuture<Result<(), Rejection>> + Send + Sync>;

/// What a handler may return: `()` (it cannot fail) or `Result<(), E>` for
/// any error `E` that converts into [`HandlerError`] (its `Err` goes to the
/// `error` handler), so `async move { ctx.reply(x) }` is a handler.
#[diagnostic::on_unimplemented(
    message = "a handler cannot return `{Self}`",
    label = "handlers return `()` or `Result<(), E>`",
    note = "return `()` or `Result<(), E>` where `E` converts into `HandlerError` (any `std::error::Error + Send + Sync`, `&str`, `String`)"
)]
pub trait IntoHandlerResult {
    /// Converts the handler's output.
    fn into_handler_result(self) -> HandlerResult;
}

impl IntoHandlerResult for () {
    fn into_handler_result(self) -> HandlerResult {
        Ok(())
    }
}

impl<E: Into<HandlerError>> IntoHandlerResult for Result<(), E> {
    fn into_handler_result(self) -> HandlerResult {
        self.map_err(Into::into)
    }
}

/// Boxes any handler.
pub(crate) fn boxed<H, Args>(handler: H) -> BoxedHandler
where
    H: Handler<Args>,
{
    Arc::new(move |ctx| handler.call(ctx))
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

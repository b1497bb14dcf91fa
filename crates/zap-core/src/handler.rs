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

/// What an [`on_event`](crate::EventRegister::on_event) handler returns:
/// `()` (it cannot fail) or a [`HandlerResult`] (its `Err` goes to the
/// `error` handler). One error type, so a closure ending in `Ok(())` after
/// some `?` needs no annotation.
#[diagnostic::on_unimplemented(
    message = "an `on_event` handler cannot return `{Self}`",
    label = "`on_event` handlers return `()` or `HandlerResult`",
    note = "return `()` or `Result<(), HandlerError>` (`?` converts any error); to return another error type such as `Result<(), SendError>`, register with `on`, which takes `Result<(), E>` for any `E: Into<HandlerError>`"
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

impl IntoHandlerResult for Result<(), HandlerError> {
    fn into_handler_result(self) -> HandlerResult {
        self
    }
}

/// What a [`Handler`] registered with [`on`](crate::EventRegister::on) or
/// [`on_typed`](crate::EventRegister::on_typed) returns: `()` or
/// `Result<(), E>` for any `E` converting into [`HandlerError`], so
/// `async move { reply.send(x) }` is a handler.
///
/// Being generic over `E`, a closure whose body ends in `Ok(())` after a
/// `?` must name its error type (`Ok::<_, HandlerError>(())`), as in axum;
/// an `async fn … -> HandlerResult` needs nothing.
#[diagnostic::on_unimplemented(
    message = "a handler cannot return `{Self}`",
    label = "handlers return `()` or `Result<(), E>`",
    note = "return `()` or `Result<(), E>` where `E` converts into `HandlerError` (any `std::error::Error + Send + Sync`, `&str`, `String`)",
    note = "a closure ending in `Ok(())` after `?` names its error: `Ok::<_, HandlerError>(())`"
)]
pub trait HandlerReturn {
    /// Converts the handler's output.
    fn into_result(self) -> HandlerResult;
}

impl HandlerReturn for () {
    fn into_result(self) -> HandlerResult {
        Ok(())
    }
}

impl<E: Into<HandlerError>> HandlerReturn for Result<(), E> {
    fn into_result(self) -> HandlerResult {
        self.map_err(Into::into)
    }
}

/// A handler may end with a send: `async move { conn.send("pong", ()) }`.
impl<E: Into<HandlerError>> HandlerReturn for Result<crate::Delivery, E> {
    fn into_result(self) -> HandlerResult {
        self.map(drop).map_err(Into::into)
    }
}

/// Boxes an `on_event` handler (the context alone).
pub(crate) fn boxed_context<F, Fut>(handler: F) -> BoxedHandler
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

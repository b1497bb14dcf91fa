//! [`Handler`]: what can be registered, implemented for every async
//! function or closure whose arguments are extractors.

use std::future::Future;

use crate::extract::{Data, FromContext};
use crate::handler::{BoxFuture, HandlerReturn};
use crate::{EventContext, HandlerResult};

/// An event handler: an async fn or closure taking up to eight extractors
/// ([`FromContext`]) and returning `()` or `Result<(), E>` where `E`
/// converts into [`HandlerError`](crate::HandlerError).
///
/// Implemented for you; `Args` is the tuple of argument types.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a zaptools event handler",
    label = "not a handler",
    note = "a handler is an async fn or closure whose arguments are extractors (`EventContext`, `Data<T>`, `State<T>`, `Connection`, `Headers`, `Extension<T>`, `Reply`) and which returns `()` or `Result<(), E>` with `E: Into<HandlerError>`",
    note = "a closure's arguments need their types written out: `|ctx: EventContext| async move {{ … }}`"
)]
pub trait Handler<Args>: Send + Sync + 'static {
    /// Runs the handler for one event: extracts its arguments, then awaits it.
    fn call(&self, ctx: EventContext) -> BoxFuture<HandlerResult>;

    /// The first application state type an argument needs and `register`
    /// lacks.
    #[doc(hidden)]
    fn missing_state(register: &crate::EventRegister) -> Option<&'static str> {
        let _ = register;
        None
    }
}

/// Argument lists that start with [`Data<E>`]: what
/// [`EventRegister::on_typed`](crate::EventRegister::on_typed) takes, so
/// the event type is read off the handler's first argument.
#[diagnostic::on_unimplemented(
    message = "a typed handler's first argument must be `Data<E>` for a typed event `E`",
    label = "first argument is not `Data<E>`"
)]
pub trait TypedArgs<E> {}

macro_rules! handler_impls {
    ($($ty:ident),*) => {
        impl<F, Fut, $($ty,)*> Handler<($($ty,)*)> for F
        where
            F: Fn($($ty),*) -> Fut + Send + Sync + 'static,
            Fut: Future + Send + 'static,
            Fut::Output: HandlerReturn,
            $($ty: FromContext + Send + 'static,)*
        {
            #[allow(non_snake_case, unused_variables)]
            fn call(&self, ctx: EventContext) -> BoxFuture<HandlerResult> {
                $(
                    let $ty = match $ty::from_context(&ctx) {
                        Ok(value) => value,
                        Err(rejection) => {
                            let err = rejection.into();
                            return Box::pin(async move { Err(err) });
                        }
                    };
                )*
                let future = self($($ty),*);
                Box::pin(async move { future.await.into_result() })
            }

            #[allow(unused_variables)]
            fn missing_state(register: &crate::EventRegister) -> Option<&'static str> {
                $(
                    if let Some(missing) = $ty::missing_state(register) {
                        return Some(missing);
                    }
                )*
                None
            }
        }
    };
}

macro_rules! typed_args_impls {
    ($($ty:ident),*) => {
        impl<E, $($ty,)*> TypedArgs<E> for (Data<E>, $($ty,)*) {}
    };
}

handler_impls!();
handler_impls!(T1);
handler_impls!(T1, T2);
handler_impls!(T1, T2, T3);
handler_impls!(T1, T2, T3, T4);
handler_impls!(T1, T2, T3, T4, T5);
handler_impls!(T1, T2, T3, T4, T5, T6);
handler_impls!(T1, T2, T3, T4, T5, T6, T7);
handler_impls!(T1, T2, T3, T4, T5, T6, T7, T8);

typed_args_impls!();
typed_args_impls!(T2);
typed_args_impls!(T2, T3);
typed_args_impls!(T2, T3, T4);
typed_args_impls!(T2, T3, T4, T5);
typed_args_impls!(T2, T3, T4, T5, T6);
typed_args_impls!(T2, T3, T4, T5, T6, T7);
typed_args_impls!(T2, T3, T4, T5, T6, T7, T8);

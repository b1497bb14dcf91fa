//! [`FromContext`], the extractor trait, and the extractors that are plain
//! parts of the context: the context itself, the connection, the headers and
//! the per-connection extensions.

use std::any::type_name;

use zap_protocol::Headers;

use crate::{Connection, EventContext, Extensions, HandlerError};

/// A value a handler can take as an argument, extracted from the event's
/// context (axum's `FromRequestParts`).
///
/// Extraction runs before the handler; a failure skips the handler and goes
/// to the `error` handler as [`ErrorKind::Handler`](crate::ErrorKind::Handler).
///
/// ```
/// use zap_core::extract::FromContext;
/// use zap_core::EventContext;
///
/// /// The caller's display name, from the `name` query parameter.
/// struct Nick(String);
///
/// impl FromContext for Nick {
///     type Rejection = &'static str;
///     fn from_context(ctx: &EventContext) -> Result<Self, Self::Rejection> {
///         ctx.handshake().query_param("name").map(|name| Nick(name.into_owned())).ok_or("no name given")
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler argument",
    label = "not an extractor",
    note = "handler arguments are extractors: `EventContext`, `Data<T>`, `State<T>`, `Connection`, `Headers`, `Extension<T>`, `Extensions`, `Reply`, or a type implementing `zap_core::extract::FromContext`"
)]
pub trait FromContext: Sized {
    /// Why extraction failed; it reaches the `error` handler.
    type Rejection: Into<HandlerError>;

    /// Extracts the value.
    fn from_context(ctx: &EventContext) -> Result<Self, Self::Rejection>;

    /// The application state this extractor needs and `register` lacks (its
    /// type name): checked when the register is served, so a missing
    /// `with_state` is found at start-up rather than at every event.
    #[doc(hidden)]
    fn missing_state(register: &crate::EventRegister) -> Option<&'static str> {
        let _ = register;
        None
    }
}

impl FromContext for EventContext {
    type Rejection = std::convert::Infallible;

    fn from_context(ctx: &EventContext) -> Result<Self, Self::Rejection> {
        Ok(ctx.clone())
    }
}

impl FromContext for Connection {
    type Rejection = std::convert::Infallible;

    fn from_context(ctx: &EventContext) -> Result<Self, Self::Rejection> {
        Ok(ctx.connection().clone())
    }
}

impl FromContext for Headers {
    type Rejection = std::convert::Infallible;

    fn from_context(ctx: &EventContext) -> Result<Self, Self::Rejection> {
        Ok(ctx.headers().clone())
    }
}

impl FromContext for Extensions {
    type Rejection = std::convert::Infallible;

    fn from_context(ctx: &EventContext) -> Result<Self, Self::Rejection> {
        Ok(ctx.connection().extensions().clone())
    }
}

/// A per-connection value of type `T` (see [`Extensions`]), cloned out.
/// Missing: the handler does not run and the `error` handler gets
/// [`MissingExtension`].
///
/// ```
/// use zap_core::EventRegister;
/// use zap_core::extract::Extension;
///
/// #[derive(Clone)]
/// struct User(String);
///
/// let register = EventRegister::new()
///     .authorize(|hs| async move {
///         hs.extensions().insert(User("ada".into()));
///         Ok(())
///     })
///     .on("whoami", |Extension(user): Extension<User>, reply: zap_core::extract::Reply| async move {
///         reply.send(user.0)
///     });
/// # drop(register);
/// ```
#[derive(Debug, Clone)]
pub struct Extension<T>(pub T);

/// No per-connection value of the type an [`Extension`] asked for.
#[derive(Debug, thiserror::Error)]
#[error("no per-connection value of type `{type_name}`")]
pub struct MissingExtension {
    type_name: &'static str,
}

impl<T: Clone + Send + Sync + 'static> FromContext for Extension<T> {
    type Rejection = MissingExtension;

    fn from_context(ctx: &EventContext) -> Result<Self, Self::Rejection> {
        ctx.connection()
            .extensions()
            .get::<T>()
            .map(Extension)
            .ok_or(MissingExtension {
                type_name: type_name::<T>(),
            })
    }
}

/// What failed, in an `error` handler: the [`ErrorInfo`](crate::ErrorInfo)
/// itself rather than `EventContext::error`'s `Option`. Register the
/// handler with `on("error", …)` to take it.
///
/// ```
/// use zap_core::{ErrorInfo, EventRegister};
/// let register = EventRegister::new().on("error", |info: ErrorInfo| async move {
///     tracing::warn!(kind = ?info.kind, %info, "a handler failed");
/// });
/// # drop(register);
/// ```
impl FromContext for crate::ErrorInfo {
    type Rejection = NotAnError;

    fn from_context(ctx: &EventContext) -> Result<Self, Self::Rejection> {
        ctx.error().cloned().ok_or(NotAnError)
    }
}

/// `ErrorInfo` was asked for outside an `error` handler.
#[derive(Debug, thiserror::Error)]
#[error("`ErrorInfo` is only available to the `error` handler")]
pub struct NotAnError;

//! [`State<T>`]: application state set once on the register.

use std::any::type_name;
use std::fmt;
use std::sync::Arc;

use crate::EventContext;
use crate::extract::FromContext;

/// Application state of type `T`, set with
/// [`EventRegister::with_state`](crate::EventRegister::with_state) and
/// cloned into each handler that asks for it (wrap big state in an `Arc`).
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use zap_core::EventRegister;
/// use zap_core::extract::State;
///
/// #[derive(Clone, Default)]
/// struct Counter(Arc<AtomicU64>);
///
/// let register = EventRegister::new()
///     .with_state(Counter::default())
///     .on("tick", |State(counter): State<Counter>| async move {
///         counter.0.fetch_add(1, Ordering::Relaxed);
///     });
/// # drop(register);
/// ```
#[derive(Debug, Clone)]
pub struct State<T>(pub T);

/// A handler asked for state that the register was not given.
#[derive(Debug, thiserror::Error)]
#[error("no application state of type `{type_name}`: give it with `EventRegister::with_state`")]
pub struct MissingState {
    type_name: &'static str,
}

impl<T: Clone + Send + Sync + 'static> FromContext for State<T> {
    type Rejection = MissingState;

    fn from_context(ctx: &EventContext) -> Result<Self, Self::Rejection> {
        ctx.state::<T>().map(State).ok_or(MissingState {
            type_name: type_name::<T>(),
        })
    }

    fn missing_state(register: &crate::EventRegister) -> Option<&'static str> {
        register
            .state_map()
            .get::<T>()
            .is_none()
            .then(type_name::<T>)
    }
}

/// The states of a register, one per type; read-only once serving.
#[derive(Clone, Default)]
pub(crate) struct StateMap(Arc<http::Extensions>);

impl StateMap {
    pub(crate) fn insert<T: Clone + Send + Sync + 'static>(&mut self, value: T) {
        Arc::make_mut(&mut self.0).insert(value);
    }

    pub(crate) fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.0.get::<T>().cloned()
    }
}

impl fmt::Debug for StateMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateMap")
            .field("len", &self.0.len())
            .finish()
    }
}

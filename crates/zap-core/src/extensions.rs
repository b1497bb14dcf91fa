//! [`Extensions`]: typed per-connection state that handlers set and read.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Typed state attached to one connection, shared by every handle to it.
///
/// One value per type: set it in `connected` (or in the authorization hook,
/// through [`Handshake::extensions`](crate::Handshake::extensions)) and read
/// it in any later handler. Values are cloned out, so no lock is ever held by
/// the caller.
///
/// ```
/// #[derive(Clone, Debug, PartialEq)]
/// struct User(String);
///
/// let ext = zap_core::Extensions::default();
/// ext.insert(User("ada".into()));
/// assert_eq!(ext.get::<User>(), Some(User("ada".into())));
/// assert_eq!(ext.remove::<User>(), Some(User("ada".into())));
/// assert!(!ext.contains::<User>());
/// ```
#[derive(Clone, Default)]
pub struct Extensions(Arc<Mutex<http::Extensions>>);

impl Extensions {
    fn lock(&self) -> MutexGuard<'_, http::Extensions> {
        // A panic while the lock was held cannot leave the map half-written.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores `value`, returning the previous value of that type.
    pub fn insert<T: Clone + Send + Sync + 'static>(&self, value: T) -> Option<T> {
        self.lock().insert(value)
    }

    /// A clone of the value of type `T`, if any.
    pub fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.lock().get::<T>().cloned()
    }

    /// Whether a value of type `T` is stored.
    pub fn contains<T: Send + Sync + 'static>(&self) -> bool {
        self.lock().get::<T>().is_some()
    }

    /// Removes and returns the value of type `T`.
    pub fn remove<T: Send + Sync + 'static>(&self) -> Option<T> {
        self.lock().remove::<T>()
    }

    /// Runs `f` on the value of type `T` in place (for counters and the like).
    /// Don't call other methods of this `Extensions` inside `f`.
    pub fn update<T: Send + Sync + 'static, R>(&self, f: impl FnOnce(Option<&mut T>) -> R) -> R {
        f(self.lock().get_mut::<T>())
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extensions")
            .field("len", &self.lock().len())
            .finish()
    }
}

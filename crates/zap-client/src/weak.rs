//! [`WeakZapConsumer`]: a handle on a [`ZapConsumer`] that does not keep it alive.

use std::fmt;
use std::sync::{Arc, Weak};

use crate::ZapConsumer;
use crate::engine::Engine;

/// A [`ZapConsumer`] handle that does not keep the client alive, made by
/// [`ZapConsumer::downgrade`]: what a callback should capture when it needs
/// the client (to answer an event, say).
///
/// A callback that captures a `ZapConsumer` itself keeps the client alive
/// for as long as the callback is registered, which is until the client is
/// gone: a cycle, so dropping your own handles would not close the
/// connection and only `clean()` would end it. A weak handle breaks the
/// cycle: once every `ZapConsumer` clone is dropped, the connection closes,
/// the callbacks end, and [`upgrade`](Self::upgrade) returns `None`.
///
/// ```no_run
/// use zap_client::ZapConsumer;
///
/// # async fn run() -> Result<(), zap_client::ConnectError> {
/// let consumer = ZapConsumer::new("ws://127.0.0.1:8000/");
/// let weak = consumer.downgrade();
/// consumer.on_event("ping", move |_| {
///     if let Some(consumer) = weak.upgrade() {
///         consumer.send_event("pong", ()).ok();
///     }
/// });
/// consumer.connect().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct WeakZapConsumer {
    engine: Weak<Engine>,
}

impl WeakZapConsumer {
    pub(crate) fn new(engine: &Arc<Engine>) -> Self {
        WeakZapConsumer {
            engine: Arc::downgrade(engine),
        }
    }

    /// The client, while any [`ZapConsumer`] clone of it is still alive.
    pub fn upgrade(&self) -> Option<ZapConsumer> {
        self.engine.upgrade().map(ZapConsumer::from_engine)
    }
}

impl fmt::Debug for WeakZapConsumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakZapConsumer")
            .field("alive", &(self.engine.strong_count() > 0))
            .finish()
    }
}

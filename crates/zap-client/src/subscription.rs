//! [`Subscription`]: a stream of the received events one subscriber asked for.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::sync::broadcast;
use zap_protocol::EventData;

use crate::engine::Registration;
use crate::relay::{Relay, relay};

/// The events received for one subscription, in the order the server sent
/// them: made by `subscribe_to_event`, `subscribe_to_events` or
/// `subscribe_to_all_events`.
///
/// Every subscription gets every matching event: two subscriptions to the
/// same name each receive it. A subscription lives across `disconnect()` and
/// reconnections, receiving again as soon as the client is back online; it
/// ends (`next()` returns `None`) after `clean()` or when the client is
/// dropped. Dropping it unsubscribes.
///
/// Each subscription has its own bounded buffer
/// ([`ClientBuilder::subscription_capacity`](crate::ClientBuilder::subscription_capacity)).
/// A subscription that is not read fast enough loses its *oldest* buffered
/// events (they are counted by [`Subscription::missed`] and logged); it never
/// slows the connection or the other subscriptions. Polling is cancel-safe:
/// dropping a pending `next()` loses no event.
///
/// ```no_run
/// use futures_util::StreamExt;
/// # async fn run(client: zap_client::ZapSubscriber) {
/// let mut said = client.subscribe_to_event("said");
/// while let Some(event) = said.next().await {
///     println!("{}", event.payload());
/// }
/// # }
/// ```
pub struct Subscription {
    events: Relay<EventData>,
    missed: Arc<AtomicU64>,
    /// Removes the subscription from the client when dropped.
    _registration: Option<Registration>,
}

impl Subscription {
    /// A subscription receiving from `rx`; `None` makes one that has
    /// already ended.
    pub(crate) fn new(rx: Option<(broadcast::Receiver<EventData>, Registration)>) -> Self {
        let missed = Arc::new(AtomicU64::new(0));
        let (rx, registration) = rx.unzip();
        Subscription {
            events: relay(rx, Arc::clone(&missed), "subscription"),
            missed,
            _registration: registration,
        }
    }

    /// How many events this subscription lost because it lagged.
    pub fn missed(&self) -> u64 {
        self.missed.load(Ordering::Relaxed)
    }
}

impl Stream for Subscription {
    type Item = EventData;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<EventData>> {
        self.get_mut().events.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("missed", &self.missed())
            .finish_non_exhaustive()
    }
}

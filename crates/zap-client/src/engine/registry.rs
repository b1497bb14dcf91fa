//! [`Registry`]: the live subscriptions and the delivery of events to them.

use std::collections::{HashMap, HashSet};
use std::sync::{PoisonError, RwLock};

use tokio::sync::broadcast;
use zap_protocol::EventData;

use crate::Subscription;

/// Which events a subscription wants.
#[derive(Debug)]
pub(crate) enum Filter {
    /// Events with one of these names.
    Names(HashSet<String>),
    /// Every event.
    All,
}

/// The subscriptions, each behind its own bounded broadcast channel with a
/// single receiver: delivery never waits, and a lagging subscriber loses its
/// own oldest events only.
#[derive(Debug)]
pub(crate) struct Registry {
    inner: RwLock<Inner>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Inner {
    by_name: HashMap<String, Vec<broadcast::Sender<EventData>>>,
    all: Vec<broadcast::Sender<EventData>>,
    closed: bool,
}

impl Registry {
    pub(crate) fn new(capacity: usize) -> Self {
        Registry {
            inner: RwLock::new(Inner::default()),
            capacity,
        }
    }

    /// Adds a subscription. After [`Registry::close`], the subscription has
    /// already ended.
    pub(crate) fn subscribe(&self, filter: Filter) -> Subscription {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if inner.closed {
            return Subscription::new(None);
        }
        let (tx, rx) = broadcast::channel(self.capacity);
        match filter {
            Filter::All => inner.all.push(tx),
            Filter::Names(names) => {
                for name in names {
                    inner.by_name.entry(name).or_default().push(tx.clone());
                }
            }
        }
        Subscription::new(Some(rx))
    }

    /// Hands `event` to every subscription that wants it; forgets the
    /// subscriptions that were dropped.
    pub(crate) fn dispatch(&self, event: &EventData) {
        let mut stale = false;
        {
            let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
            let named = inner.by_name.get(event.event_name()).into_iter().flatten();
            for tx in named.chain(&inner.all) {
                stale |= tx.send(event.clone()).is_err();
            }
        }
        if stale {
            self.prune();
        }
    }

    fn prune(&self) {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let live = |tx: &broadcast::Sender<EventData>| tx.receiver_count() > 0;
        inner.all.retain(live);
        inner.by_name.retain(|_, txs| {
            txs.retain(live);
            !txs.is_empty()
        });
    }

    /// Ends every subscription, present and future.
    pub(crate) fn close(&self) {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        *inner = Inner {
            closed: true,
            ..Inner::default()
        };
    }
}

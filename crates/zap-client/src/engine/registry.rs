//! [`Registry`]: the live subscriptions and the delivery of events to them.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock, RwLockWriteGuard, Weak};

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
/// own oldest events only. A subscription leaves the registry when it is
/// dropped ([`Registration`]), so memory is bounded by the live ones.
#[derive(Debug)]
pub(crate) struct Registry {
    inner: Arc<RwLock<Inner>>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    by_name: HashMap<String, Vec<Entry>>,
    all: Vec<Entry>,
    closed: bool,
}

#[derive(Debug)]
struct Entry {
    id: u64,
    tx: broadcast::Sender<EventData>,
}

/// A subscription's place in the registry: dropping it (with the
/// [`Subscription`]) removes the subscription.
#[derive(Debug)]
pub(crate) struct Registration {
    id: u64,
    /// `None` for an all-events subscription.
    names: Option<Vec<String>>,
    registry: Weak<RwLock<Inner>>,
}

fn write(inner: &RwLock<Inner>) -> RwLockWriteGuard<'_, Inner> {
    inner.write().unwrap_or_else(PoisonError::into_inner)
}

impl Registry {
    pub(crate) fn new(capacity: usize) -> Self {
        Registry {
            inner: Arc::default(),
            capacity,
        }
    }

    /// Adds a subscription. After [`Registry::close`], the subscription has
    /// already ended.
    pub(crate) fn subscribe(&self, filter: Filter) -> Subscription {
        let mut inner = write(&self.inner);
        if inner.closed {
            return Subscription::new(None);
        }
        let id = inner.next_id;
        inner.next_id += 1;
        let (tx, rx) = broadcast::channel(self.capacity);
        let names = match filter {
            Filter::All => {
                inner.all.push(Entry { id, tx });
                None
            }
            Filter::Names(names) => {
                for name in &names {
                    let entry = Entry { id, tx: tx.clone() };
                    inner.by_name.entry(name.clone()).or_default().push(entry);
                }
                Some(names.into_iter().collect())
            }
        };
        let registration = Registration {
            id,
            names,
            registry: Arc::downgrade(&self.inner),
        };
        Subscription::new(Some((rx, registration)))
    }

    /// Hands `event` to every subscription that wants it.
    pub(crate) fn dispatch(&self, event: &EventData) {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let named = inner.by_name.get(event.event_name()).into_iter().flatten();
        for entry in named.chain(&inner.all) {
            // An error means the subscription is being dropped right now.
            let _gone = entry.tx.send(event.clone());
        }
    }

    /// Ends every subscription, present and future.
    pub(crate) fn close(&self) {
        let mut inner = write(&self.inner);
        *inner = Inner {
            closed: true,
            ..Inner::default()
        };
    }

    /// How many subscriptions are registered (a name subscription counts
    /// once per name).
    #[cfg(test)]
    fn len(&self) -> usize {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        inner.all.len() + inner.by_name.values().map(Vec::len).sum::<usize>()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let Some(registry) = self.registry.upgrade() else {
            return;
        };
        let mut inner = write(&registry);
        let id = self.id;
        match &self.names {
            None => inner.all.retain(|entry| entry.id != id),
            Some(names) => {
                for name in names {
                    if let Some(entries) = inner.by_name.get_mut(name) {
                        entries.retain(|entry| entry.id != id);
                        if entries.is_empty() {
                            inner.by_name.remove(name);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(names: &[&str]) -> Filter {
        Filter::Names(names.iter().map(|name| (*name).to_owned()).collect())
    }

    #[test]
    fn subscriptions_that_never_saw_an_event_are_removed_when_dropped() {
        let registry = Registry::new(4);
        for n in 0..1000 {
            let by_name = registry.subscribe(names(&["a", &n.to_string()]));
            let all = registry.subscribe(Filter::All);
            drop((by_name, all));
        }
        assert_eq!(registry.len(), 0);
        let inner = registry.inner.read().expect("lock");
        assert!(inner.by_name.is_empty());
    }

    #[test]
    fn dropping_one_subscription_leaves_the_others() {
        let registry = Registry::new(4);
        let kept = registry.subscribe(names(&["a", "b"]));
        drop(registry.subscribe(names(&["a"])));
        let _all = registry.subscribe(Filter::All);
        assert_eq!(registry.len(), 3);
        drop(kept);
        assert_eq!(registry.len(), 1);
    }
}

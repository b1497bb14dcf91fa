//! [`Hub`]: a router's recovery state: which rooms keep history and their
//! logs, the session settings and store, the live recoverable connections
//! and the state codecs the application registered.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tokio::sync::Notify;

use super::RecoveryConfig;
use super::history::{History, RoomLog};
use super::sequenced::HistoryStore;
use super::store::{InMemorySessions, SessionStore};
use crate::{Connection, Extensions};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T: Clone>(lock: &RwLock<T>) -> T {
    lock.read().unwrap_or_else(PoisonError::into_inner).clone()
}

/// Which rooms a history rule covers: `"chat:*"` (a prefix), `"*"` (every
/// room) or an exact name.
#[derive(Debug, Clone)]
enum Pattern {
    Prefix(String),
    Exact(String),
}

impl Pattern {
    fn parse(pattern: &str) -> Self {
        match pattern.strip_suffix('*') {
            Some(prefix) => Pattern::Prefix(prefix.to_owned()),
            None => Pattern::Exact(pattern.to_owned()),
        }
    }

    fn matches(&self, room: &str) -> bool {
        match self {
            Pattern::Prefix(prefix) => room.starts_with(prefix.as_str()),
            Pattern::Exact(name) => room == name,
        }
    }
}

/// Says who a connection's session belongs to, from its handshake.
pub(crate) type Identify = Arc<dyn Fn(&crate::Handshake) -> Option<String> + Send + Sync>;

type Save = Arc<dyn Fn(&Extensions) -> Option<Value> + Send + Sync>;
type Load = Arc<dyn Fn(&Extensions, Value) + Send + Sync>;

/// Saves and restores one type of per-connection state across a resume.
#[derive(Clone)]
struct StateCodec {
    key: String,
    save: Save,
    load: Load,
}

pub(crate) type SharedLog = Arc<Mutex<RoomLog>>;

/// The recovery state of one router.
pub(crate) struct Hub {
    has_rules: AtomicBool,
    rules: RwLock<Vec<(Pattern, History)>>,
    logs: Mutex<HashMap<Arc<str>, SharedLog>>,
    config: RwLock<RecoveryConfig>,
    store: RwLock<Arc<dyn SessionStore>>,
    history_store: RwLock<Option<Arc<dyn HistoryStore>>>,
    live: Mutex<HashMap<String, Connection>>,
    waiters: Mutex<HashMap<String, Arc<Notify>>>,
    parked: Mutex<ParkedSessions>,
    codecs: RwLock<Vec<StateCodec>>,
    identify: RwLock<Option<Identify>>,
    /// Notified whenever a log records an event from a shared store.
    pub(crate) accepted: Notify,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            has_rules: AtomicBool::new(false),
            rules: RwLock::default(),
            logs: Mutex::default(),
            config: RwLock::default(),
            store: RwLock::new(Arc::new(InMemorySessions::default())),
            history_store: RwLock::default(),
            live: Mutex::default(),
            waiters: Mutex::default(),
            parked: Mutex::default(),
            codecs: RwLock::default(),
            identify: RwLock::default(),
            accepted: Notify::new(),
        }
    }
}

impl Hub {
    /// A new hub with this one's settings (history rules, session settings,
    /// state codecs, identity) and none of its state: what a register's
    /// builder methods start from, so that a clone of a register is
    /// independent of the one it was cloned from.
    pub(crate) fn derive(&self) -> Hub {
        let hub = Hub::default();
        *hub.rules.write().unwrap_or_else(PoisonError::into_inner) = read(&self.rules);
        hub.has_rules
            .store(self.has_rules.load(Ordering::Acquire), Ordering::Release);
        hub.set_config(self.config());
        // Stores are not settings: a fresh in-memory one, or those the
        // backend provides (installed by `RouterBuilder::build`).
        *hub.codecs.write().unwrap_or_else(PoisonError::into_inner) = read(&self.codecs);
        *hub.identify.write().unwrap_or_else(PoisonError::into_inner) = read(&self.identify);
        hub
    }

    pub(crate) fn set_identify(&self, identify: Identify) {
        *self
            .identify
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(identify);
    }

    /// The identity a session opened with `handshake` belongs to.
    pub(crate) fn identity(&self, handshake: &crate::Handshake) -> Option<String> {
        read(&self.identify).and_then(|identify| identify(handshake))
    }

    pub(crate) fn add_rule(&self, pattern: &str, history: History) {
        self.rules
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push((Pattern::parse(pattern), history));
        self.has_rules.store(true, Ordering::Release);
    }

    /// The history limits of `room`, if a rule covers it (the first wins).
    pub(crate) fn history_of(&self, room: &str) -> Option<History> {
        if !self.has_rules.load(Ordering::Acquire) {
            return None;
        }
        self.rules
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(pattern, _)| pattern.matches(room))
            .map(|(_, history)| *history)
    }

    /// The log of `room`, created on first use, if the room keeps history.
    pub(crate) fn log(&self, room: &str) -> Option<SharedLog> {
        let limits = self.history_of(room)?;
        let mut logs = lock(&self.logs);
        if let Some(log) = logs.get(room) {
            return Some(log.clone());
        }
        let log = Arc::new(Mutex::new(RoomLog::new(new_epoch(), limits)));
        logs.insert(Arc::from(room), log.clone());
        Some(log)
    }

    pub(crate) fn set_config(&self, config: RecoveryConfig) {
        *self.config.write().unwrap_or_else(PoisonError::into_inner) = config;
    }

    pub(crate) fn config(&self) -> RecoveryConfig {
        read(&self.config)
    }

    pub(crate) fn set_store(&self, store: Arc<dyn SessionStore>) {
        *self.store.write().unwrap_or_else(PoisonError::into_inner) = store;
    }

    pub(crate) fn store(&self) -> Arc<dyn SessionStore> {
        read(&self.store)
    }

    pub(crate) fn set_history_store(&self, store: Arc<dyn HistoryStore>) {
        *self
            .history_store
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(store);
    }

    pub(crate) fn history_store(&self) -> Option<Arc<dyn HistoryStore>> {
        read(&self.history_store)
    }

    pub(crate) fn keep<T>(&self, key: &str)
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let codec = StateCodec {
            key: key.to_owned(),
            save: Arc::new(|ext: &Extensions| {
                ext.get::<T>()
                    .and_then(|value| serde_json::to_value(value).ok())
            }),
            load: Arc::new(|ext: &Extensions, value: Value| {
                if !ext.contains::<T>()
                    && let Ok(value) = serde_json::from_value::<T>(value)
                {
                    ext.insert(value);
                }
            }),
        };
        self.codecs
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(codec);
    }

    /// The recoverable state of a connection, by key.
    pub(crate) fn save_state(&self, extensions: &Extensions) -> Map<String, Value> {
        read(&self.codecs)
            .iter()
            .filter_map(|codec| Some((codec.key.clone(), (codec.save)(extensions)?)))
            .collect()
    }

    /// Puts saved state back (values the new handshake already has win).
    pub(crate) fn load_state(&self, extensions: &Extensions, state: &Map<String, Value>) {
        for codec in read(&self.codecs) {
            if let Some(value) = state.get(&codec.key) {
                (codec.load)(extensions, value.clone());
            }
        }
    }

    pub(crate) fn set_live(&self, token: &str, connection: &Connection) {
        lock(&self.live).insert(token.to_owned(), connection.clone());
    }

    pub(crate) fn unset_live(&self, token: &str, connection: &Connection) {
        let mut live = lock(&self.live);
        if live.get(token) == Some(connection) {
            live.remove(token);
        }
    }

    pub(crate) fn live(&self, token: &str) -> Option<Connection> {
        lock(&self.live).get(token).cloned()
    }

    /// Registers the wake-up of a session parked by this instance.
    pub(crate) fn waiter(&self, token: &str) -> Arc<Notify> {
        lock(&self.waiters)
            .entry(token.to_owned())
            .or_default()
            .clone()
    }

    pub(crate) fn forget_waiter(&self, token: &str) {
        lock(&self.waiters).remove(token);
    }

    /// Tells the instance's task that parked `token` that it was resumed.
    pub(crate) fn wake(&self, token: &str) {
        if let Some(waiter) = lock(&self.waiters).get(token) {
            waiter.notify_one();
        }
    }
}

/// The sessions this process has parked, oldest first, with their size:
/// what bounds them ([`RecoveryConfig::max_parked`]).
#[derive(Debug, Default)]
struct ParkedSessions {
    order: std::collections::VecDeque<(String, usize)>,
    bytes: usize,
    /// Parked sessions ended to make room: their tasks expire them.
    evicted: std::collections::HashSet<String>,
}

impl Hub {
    /// Counts a session just parked (`bytes` of it) and, past the limits,
    /// ends the oldest parked ones: their tasks wake and expire them.
    pub(crate) fn note_parked(&self, token: &str, bytes: usize) {
        let config = self.config();
        let evicted: Vec<String> = {
            let mut parked = lock(&self.parked);
            parked.order.push_back((token.to_owned(), bytes));
            parked.bytes += bytes;
            let mut evicted = Vec::new();
            while parked.order.len() > config.max_parked
                || (parked.bytes > config.max_parked_bytes && parked.order.len() > 1)
            {
                let Some((oldest, size)) = parked.order.pop_front() else {
                    break;
                };
                parked.bytes -= size;
                parked.evicted.insert(oldest.clone());
                evicted.push(oldest);
            }
            crate::telemetry::parked_sessions(parked.order.len());
            evicted
        };
        for token in evicted {
            crate::telemetry::parked_evicted();
            tracing::debug!("parked session evicted: too many parked sessions");
            self.wake(&token);
        }
    }

    /// The session of `token` is no longer parked here (resumed, expired or
    /// evicted). Returns whether it was evicted.
    pub(crate) fn unpark(&self, token: &str) -> bool {
        let mut parked = lock(&self.parked);
        if let Some(at) = parked.order.iter().position(|(t, _)| t == token)
            && let Some((_, size)) = parked.order.remove(at)
        {
            parked.bytes -= size;
        }
        crate::telemetry::parked_sessions(parked.order.len());
        parked.evicted.remove(token)
    }

    /// How many sessions this process keeps parked.
    pub(crate) fn parked_count(&self) -> usize {
        lock(&self.parked).order.len()
    }
}

/// A fresh random epoch.
pub(crate) fn new_epoch() -> Arc<str> {
    let uuid = uuid::Uuid::new_v4().simple().to_string();
    Arc::from(&uuid[..16])
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("rules", &self.rules)
            .field("logs", &lock(&self.logs).len())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

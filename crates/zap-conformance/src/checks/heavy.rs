//! Checks that load the machine (1 MB broadcasts, a 100,000-event flood)
//! or measure it (RSS, latency) run one at a time: each takes [`exclusive`]
//! first, so they neither disturb each other's measurements nor stack up.

use tokio::sync::{Mutex, MutexGuard};

static HEAVY: Mutex<()> = Mutex::const_new(());

/// Held for the whole of a heavy check.
pub(crate) async fn exclusive() -> MutexGuard<'static, ()> {
    HEAVY.lock().await
}

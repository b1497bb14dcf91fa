//! [`RecoveryConfig`]: how long a dropped session stays resumable, how
//! many direct events it keeps, and how many parked sessions a process
//! holds.

use std::time::Duration;

/// Settings of resumable sessions (see the crate docs, "Delivery
/// guarantees").
///
/// ```
/// use std::time::Duration;
/// let config = zap_core::RecoveryConfig::default().window(Duration::from_secs(30)).direct_buffer(256);
/// assert_eq!(config.window, Duration::from_secs(30));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RecoveryConfig {
    /// Whether clients that ask for recovery get it. Default: true.
    pub enabled: bool,
    /// How long a connection that dropped without a clean close stays
    /// resumable. Default: 120 s.
    pub window: Duration,
    /// How many direct events (`send`, `send_to`) a session keeps for a
    /// resume; older ones are lost (the resume reports `directGap`).
    /// Default: 1024.
    pub direct_buffer: usize,
    /// Most sessions this process keeps parked for a resume; past it the
    /// oldest parked session ends (its client is told `expired` when it
    /// comes back, `disconnected` runs). Default: 10,000.
    pub max_parked: usize,
    /// Most bytes of parked sessions (their rooms, saved state and kept
    /// direct events, plus a fixed cost per session) this process keeps;
    /// past it the oldest end as for [`Self::max_parked`]. Default: 64 MiB.
    pub max_parked_bytes: usize,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        RecoveryConfig {
            enabled: true,
            window: Duration::from_secs(120),
            direct_buffer: 1024,
            max_parked: 10_000,
            max_parked_bytes: 64 << 20,
        }
    }
}

impl RecoveryConfig {
    /// Clients that ask for recovery get plain v1.
    pub fn disabled() -> Self {
        RecoveryConfig {
            enabled: false,
            ..RecoveryConfig::default()
        }
    }

    /// Sets [`Self::window`].
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Sets [`Self::max_parked`] (at least 1).
    pub fn max_parked(mut self, sessions: usize) -> Self {
        self.max_parked = sessions.max(1);
        self
    }

    /// Sets [`Self::max_parked_bytes`].
    pub fn max_parked_bytes(mut self, bytes: usize) -> Self {
        self.max_parked_bytes = bytes;
        self
    }

    /// Sets [`Self::direct_buffer`] (at least 1).
    pub fn direct_buffer(mut self, events: usize) -> Self {
        self.direct_buffer = events.max(1);
        self
    }
}

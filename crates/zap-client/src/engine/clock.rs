//! [`after`]: deadlines that saturate instead of overflowing.

use std::time::Duration;

use tokio::time::Instant;

/// About 30 years: "never" for a deadline, as tokio itself uses.
const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);

/// The instant `duration` from now, or a far-off instant when that does not
/// fit (for example `Duration::MAX`, a disabled heartbeat's timeout).
pub(crate) fn after(duration: Duration) -> Instant {
    after_from(Instant::now(), duration)
}

/// The instant `duration` after `start`, saturating like [`after`].
pub(crate) fn after_from(start: Instant, duration: Duration) -> Instant {
    start
        .checked_add(duration.min(FAR))
        .unwrap_or_else(|| start + Duration::from_secs(86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_durations_do_not_overflow() {
        let now = Instant::now();
        assert!(after_from(now, Duration::MAX) > now + Duration::from_secs(86_400 * 365));
        assert_eq!(
            after_from(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
    }
}

//! [`Heartbeat`]: the deadline timer behind pings and the idle timeout.
//!
//! One timer per connection, armed for the earliest of "ping due" and "idle
//! timeout due". Activity does not touch the timer (that would cost a timer
//! wheel update per frame): when it fires early because the peer was heard
//! from meanwhile, it is re-armed for the real deadline. So the idle timeout
//! fires within the timer's resolution (1 ms) of the setting, not within a
//! tick period.

use std::pin::Pin;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// What the timer asks the loop to do when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Beat {
    /// Send a ping.
    Ping,
    /// The peer was silent for the idle timeout: end the connection.
    Idle,
    /// Nothing is due yet (the timer was re-armed).
    Nothing,
}

/// The ping and idle deadlines of one connection.
pub(crate) struct Heartbeat {
    ping_interval: Option<Duration>,
    idle_timeout: Option<Duration>,
    last_ping: Option<Instant>,
    timer: Option<Pin<Box<Sleep>>>,
}

impl Heartbeat {
    /// A heartbeat for a connection last heard from at `last_seen`; without
    /// either setting, it never fires.
    pub(crate) fn new(
        ping_interval: Option<Duration>,
        idle_timeout: Option<Duration>,
        last_seen: Instant,
    ) -> Self {
        let mut heartbeat = Heartbeat {
            ping_interval,
            idle_timeout,
            last_ping: None,
            timer: None,
        };
        if let Some(due) = heartbeat.due(last_seen, false) {
            heartbeat.timer = Some(Box::pin(tokio::time::sleep_until(due)));
        }
        heartbeat
    }

    /// Whether the heartbeat has a timer at all.
    pub(crate) fn is_armed(&self) -> bool {
        self.timer.is_some()
    }

    /// Waits for the timer (forever when there is none).
    pub(crate) async fn fired(&mut self) {
        match self.timer.as_mut() {
            Some(timer) => timer.as_mut().await,
            None => std::future::pending().await,
        }
    }

    /// The next deadline, given when the peer was last heard from; `busy`
    /// (a handler is running, so nothing is being read) postpones the idle
    /// timeout by a full period from now.
    fn due(&self, last_seen: Instant, busy: bool) -> Option<Instant> {
        let idle = self.idle_timeout.map(|idle| {
            if busy {
                Instant::now() + idle
            } else {
                last_seen + idle
            }
        });
        let ping = self.ping_interval.map(|interval| {
            let base = match self.last_ping {
                Some(pinged) if pinged > last_seen => pinged,
                _ => last_seen,
            };
            base + interval
        });
        match (idle, ping) {
            (Some(idle), Some(ping)) => Some(idle.min(ping)),
            (idle, ping) => idle.or(ping),
        }
    }

    /// Called once the timer fired: says what is due and re-arms the timer
    /// for the next deadline.
    pub(crate) fn on_fired(&mut self, last_seen: Instant, busy: bool) -> Beat {
        let now = Instant::now();
        let beat = match self.idle_timeout {
            Some(idle) if !busy && now >= last_seen + idle => return Beat::Idle,
            _ => match self.due(last_seen, busy) {
                Some(due) if due <= now => {
                    self.last_ping = Some(now);
                    Beat::Ping
                }
                _ => Beat::Nothing,
            },
        };
        if let (Some(due), Some(timer)) = (self.due(last_seen, busy), self.timer.as_mut()) {
            timer.as_mut().reset(due);
        }
        beat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PING: Duration = Duration::from_secs(25);
    const IDLE: Duration = Duration::from_secs(60);

    #[tokio::test(start_paused = true)]
    async fn a_silent_peer_is_pinged_every_interval_then_idle_exactly_at_the_timeout() {
        let start = Instant::now();
        let mut heartbeat = Heartbeat::new(Some(PING), Some(IDLE), start);
        let mut beats = Vec::new();
        loop {
            heartbeat.fired().await;
            let beat = heartbeat.on_fired(start, false);
            beats.push((beat, start.elapsed().as_millis()));
            if beat == Beat::Idle {
                break;
            }
        }
        assert_eq!(
            beats,
            vec![
                (Beat::Ping, 25_000),
                (Beat::Ping, 50_000),
                (Beat::Idle, 60_000)
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn activity_moves_the_idle_deadline_without_touching_the_timer() {
        let start = Instant::now();
        let mut heartbeat = Heartbeat::new(None, Some(IDLE), start);
        tokio::time::sleep(Duration::from_secs(42)).await;
        let heard = Instant::now();
        heartbeat.fired().await;
        assert_eq!(heartbeat.on_fired(heard, false), Beat::Nothing);
        heartbeat.fired().await;
        assert_eq!(heartbeat.on_fired(heard, false), Beat::Idle);
        assert_eq!(start.elapsed(), Duration::from_secs(102));
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_connection_is_not_idle() {
        let start = Instant::now();
        let mut heartbeat = Heartbeat::new(None, Some(IDLE), start);
        heartbeat.fired().await;
        assert_eq!(heartbeat.on_fired(start, true), Beat::Nothing);
        assert_eq!(start.elapsed(), IDLE);
    }

    #[test]
    fn without_settings_there_is_no_timer() {
        let heartbeat = Heartbeat::new(None, None, Instant::now());
        assert!(!heartbeat.is_armed());
    }
}

//! The supervisor: one task per connection effort that connects, runs the
//! session, and reconnects according to the [`ReconnectPolicy`](crate::ReconnectPolicy).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use super::Shared;
use super::clock::after;
use super::control::{Outcome, Running};
use super::random;
use super::session::{self, SessionEnd};
use crate::{ConnectError, ConnectionError, ConnectionState};

/// What a supervisor task owns.
pub(crate) struct Run {
    generation: u64,
    /// Set to the instant by which the connection must be closed.
    pub(crate) stop: watch::Receiver<Option<Instant>>,
    kick: Arc<Notify>,
    pub(crate) outcome: watch::Sender<Outcome>,
}

impl Run {
    /// Drops a pending kick, if any.
    pub(crate) fn forget_kicks(&self) {
        let _pending = futures_util::FutureExt::now_or_never(self.kick.notified());
    }
}

/// Starts a supervisor unless one runs, then waits until it is online or
/// gives up. A supervisor joined while its connection was ending (it ends
/// with [`Outcome::Ended`]) does not count: a new one is started.
pub(crate) async fn connect(shared: &Arc<Shared>) -> Result<(), ConnectError> {
    loop {
        let (mut outcome, started) = join_or_start(shared).await?;
        let settled = outcome
            .wait_for(|outcome| !matches!(outcome, Outcome::Pending))
            .await
            .map(|outcome| outcome.clone());
        return match settled {
            Ok(Outcome::Online) => Ok(()),
            Ok(Outcome::Failed(error)) => Err(error),
            Ok(Outcome::Ended { online_for }) if started => {
                Err(ConnectError::ClosedEarly { online_for })
            }
            Ok(Outcome::Ended { .. }) => continue,
            Ok(Outcome::Pending) | Err(_) => Err(ConnectError::Aborted),
        };
    }
}

/// The outcome of the running supervisor, or of a new one; `true` when
/// this call started it.
async fn join_or_start(
    shared: &Arc<Shared>,
) -> Result<(watch::Receiver<Outcome>, bool), ConnectError> {
    let _serial = shared.control.lifecycle.lock().await;
    let mut control = shared.control.lock();
    if control.cleaned {
        return Err(ConnectError::Cleaned);
    }
    if let Some(running) = &control.running {
        // A permit: kept if the supervisor is not waiting yet (dialing).
        running.kick.notify_one();
        return Ok((running.outcome.clone(), false));
    }
    control.generation += 1;
    let (stop_tx, stop) = watch::channel(None);
    let (outcome_tx, outcome) = watch::channel(Outcome::Pending);
    let kick = Arc::new(Notify::new());
    let run = Run {
        generation: control.generation,
        stop,
        kick: Arc::clone(&kick),
        outcome: outcome_tx,
    };
    shared.link.hold(true);
    let task = tokio::spawn(supervise(Arc::clone(shared), run));
    control.running = Some(Running {
        generation: control.generation,
        stop: stop_tx,
        kick,
        outcome: outcome.clone(),
        task,
    });
    Ok((outcome, true))
}

/// How long past its deadline a stopping connection may take to end on its
/// own before its task is aborted.
const GRACE: Duration = Duration::from_millis(50);

/// Stops the supervisor, if any, and waits until its connection is closed:
/// at most the close timeout (plus [`GRACE`]), after which the task is
/// aborted (dropping the socket).
pub(crate) async fn disconnect(shared: &Shared) {
    // Serializes with `connect()`; held for a bounded time only.
    let _serial = shared.control.lifecycle.lock().await;
    let running = shared.control.lock().running.take();
    if let Some(running) = running {
        let deadline = after(shared.options.close_timeout);
        let _already_stopped = running.stop.send(Some(deadline));
        let mut task = running.task;
        match tokio::time::timeout_at(deadline + GRACE, &mut task).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "the connection task failed"),
            Err(_) => {
                tracing::debug!("the connection did not close in time: dropping it");
                task.abort();
                if let Err(error) = task.await
                    && !error.is_cancelled()
                {
                    tracing::error!(%error, "the connection task failed");
                }
            }
        }
    }
    shared.signals.set_state(ConnectionState::Offline);
    discard_outbox(shared);
    // A clean close ends the session for good: the next `connect()` starts
    // a new one.
    shared.resume.forget();
    shared.link.set_floor(0);
}

/// Resolves when the supervisor is asked to stop, with the instant by which
/// the connection must be closed (`None`: the handle is gone).
pub(crate) async fn stopped(stop: &mut watch::Receiver<Option<Instant>>) -> Option<Instant> {
    match stop.wait_for(Option::is_some).await {
        Ok(deadline) => *deadline,
        Err(_) => None,
    }
}

async fn supervise(shared: Arc<Shared>, mut run: Run) {
    let options = &shared.options;
    let policy = &options.reconnect;
    let mut attempt = 0;
    loop {
        attempt += 1;
        shared.signals.set_state(ConnectionState::Connecting);
        let url = shared.resume.url(&options.url);
        let dialed = tokio::select! {
            biased;
            _ = stopped(&mut run.stop) => break,
            dialed = tokio::time::timeout(options.connect_timeout, shared.dialer.dial(&url, options)) => {
                dialed.unwrap_or(Err(ConnectError::Timeout(options.connect_timeout)))
            }
        };
        let failure = match dialed {
            Ok(ws) => {
                let online_at = Instant::now();
                // The session publishes `Pending`, the new state and the
                // error as soon as the connection ends.
                match session::run(&shared, ws, &mut run).await {
                    SessionEnd::Stopped => break,
                    SessionEnd::Closed | SessionEnd::Lost(_) => {}
                }
                let online_for = online_at.elapsed();
                if !policy.is_enabled() {
                    return finish(&shared, &run, Outcome::Ended { online_for });
                }
                if policy.is_stable(online_for) {
                    // A connection that lasted resets the backoff: the next
                    // attempt is number 1, immediate.
                    attempt = 0;
                    continue;
                }
                tracing::debug!(
                    ?online_for,
                    attempt,
                    "the connection ended early: counted as a failed attempt"
                );
                ConnectError::ClosedEarly { online_for }
            }
            Err(error) => {
                shared.signals.set_state(ConnectionState::Error);
                shared.signals.report(ConnectionError::ConnectFailed {
                    attempt,
                    error: error.clone(),
                });
                if error.is_permanent() {
                    return finish(&shared, &run, Outcome::Failed(error));
                }
                error
            }
        };
        let Some(delay) = policy.delay_before(attempt + 1, random::unit()) else {
            if policy.is_enabled() {
                shared
                    .signals
                    .report(ConnectionError::GaveUp { attempts: attempt });
            }
            return finish(&shared, &run, Outcome::Failed(failure));
        };
        tracing::debug!(?delay, next_attempt = attempt + 1, "waiting to reconnect");
        tokio::select! {
            biased;
            _ = stopped(&mut run.stop) => break,
            () = tokio::time::sleep(delay) => {}
            () = run.kick.notified() => {}
        }
    }
    // Stopped by `disconnect()`, `clean()` or the client being dropped; the
    // caller already removed this supervisor from `Control`.
    run.outcome
        .send_replace(Outcome::Failed(ConnectError::Aborted));
    shared.signals.set_state(ConnectionState::Offline);
    discard_outbox(&shared);
}

/// Ends a supervisor that stops on its own: discards the outbox, removes
/// itself from `Control` and publishes its final outcome in one step, so a
/// `connect()` either joins it before or starts a new one after.
fn finish(shared: &Shared, run: &Run, outcome: Outcome) {
    discard_outbox(shared);
    let mut control = shared.control.lock();
    if control
        .running
        .as_ref()
        .is_some_and(|running| running.generation == run.generation)
    {
        control.running = None;
    }
    run.outcome.send_replace(outcome);
}

fn discard_outbox(shared: &Shared) {
    let count = shared.link.hold(false);
    if count > 0 {
        shared
            .signals
            .report(ConnectionError::OutboxDiscarded { count });
    }
}

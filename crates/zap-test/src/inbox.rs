//! [`Inbox`]: what a test client received, filled by a small task that
//! reads the client's end of the link, and the bounded waits on it.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;
use zap_core::{CloseFrame, Inbound, Outbound};

use crate::Received;
use crate::recovery::{Recovery, Verdict};

/// How the link ended, as the client saw it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ended {
    /// The server sent this close frame.
    Closed(CloseFrame),
    /// The link went away without a close frame.
    Dropped,
}

/// A client's received events and link state, shared with its reader task.
#[derive(Debug)]
pub(crate) struct Inbox {
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Debug)]
pub(crate) struct State {
    /// Every event received, in order.
    pub(crate) history: Vec<Received>,
    /// Received and not yet taken by an `expect`.
    pub(crate) pending: VecDeque<Received>,
    pub(crate) ended: Option<Ended>,
    pub(crate) recovery: Recovery,
    /// The sending half of the current link, `None` once cut.
    pub(crate) link: Option<mpsc::UnboundedSender<Inbound>>,
}

impl Inbox {
    pub(crate) fn new(recovery: Recovery) -> Self {
        Inbox {
            state: Mutex::new(State {
                history: Vec::new(),
                pending: VecDeque::new(),
                ended: None,
                recovery,
                link: None,
            }),
            changed: Notify::new(),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a new link: not ended, sending through `link`.
    pub(crate) fn attach(&self, link: mpsc::UnboundedSender<Inbound>) {
        let mut state = self.lock();
        state.ended = None;
        state.link = Some(link);
    }

    /// Reads the server's writes until the link ends.
    pub(crate) async fn pump(&self, mut from_server: mpsc::UnboundedReceiver<Outbound>) {
        while let Some(outbound) = from_server.recv().await {
            match outbound {
                Outbound::Text(frame) => self.on_event(frame.as_str()),
                Outbound::Ping => continue,
                Outbound::Close(frame) => self.lock().ended = Some(Ended::Closed(frame)),
            }
            self.changed.notify_waiters();
        }
        self.lock().ended.get_or_insert(Ended::Dropped);
        self.changed.notify_waiters();
    }

    fn on_event(&self, text: &str) {
        let Some(event) = Received::decode(text) else {
            tracing::warn!(
                frame = text,
                "the server wrote a frame that is not an event"
            );
            return;
        };
        let mut state = self.lock();
        match state.recovery.receive(&event) {
            Verdict::Drop => return,
            Verdict::Keep => {}
            Verdict::Resend(frames) => {
                if let Some(link) = &state.link {
                    for frame in frames {
                        let _ = link.send(Inbound::Text(frame.into()));
                    }
                }
            }
            Verdict::ResendAfter(wait, frames) => {
                // As the protocol says: wait, then resend from the refused id.
                if let Some(link) = state.link.clone() {
                    tokio::spawn(async move {
                        tokio::time::sleep(wait).await;
                        for frame in frames {
                            let _ = link.send(Inbound::Text(frame.into()));
                        }
                    });
                }
                return;
            }
        }
        state.history.push(event.clone());
        state.pending.push_back(event);
    }

    /// Waits until `check` returns `Some`, at most `wait`; `Err` carries
    /// the state at the deadline (or when the link ended, if `check` cannot
    /// succeed on an ended link).
    pub(crate) async fn wait_for<T>(
        &self,
        wait: Duration,
        stop_when_ended: bool,
        mut check: impl FnMut(&mut State) -> Option<T>,
    ) -> Result<T, Failure> {
        let deadline = Instant::now() + wait;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.lock();
                if let Some(found) = check(&mut state) {
                    return Ok(found);
                }
                if stop_when_ended && state.ended.is_some() {
                    return Err(Failure::of(&state));
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(Failure::of(&self.lock()));
            }
        }
    }
}

/// What had arrived when a wait failed: for its panic message.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) pending: Vec<Received>,
    pub(crate) ended: Option<Ended>,
}

impl Failure {
    fn of(state: &State) -> Self {
        Failure {
            pending: state.pending.iter().cloned().collect(),
            ended: state.ended.clone(),
        }
    }

    /// "arrived instead: …" plus how the link ended, if it did.
    pub(crate) fn describe(&self) -> String {
        let mut text = format!(
            "arrived instead:{}",
            crate::received::listing(&self.pending)
        );
        match &self.ended {
            Some(Ended::Closed(frame)) => text.push_str(&format!(
                "\nthen the server closed the connection ({frame})"
            )),
            Some(Ended::Dropped) => {
                text.push_str("\nthen the link went away without a close frame")
            }
            None => {}
        }
        text
    }
}

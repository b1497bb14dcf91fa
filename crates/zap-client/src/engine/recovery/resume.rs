//! [`Resume`]: the session a client resumes on every reconnect, what it
//! received (to drop duplicates) and what it sent but the server has not
//! acknowledged (to send again).

use std::sync::{Mutex, MutexGuard, PoisonError};

use zap_protocol::{EventData, Frame, Payload};

use super::journal::Journal;
use super::seen::Seen;
use super::wire::{self, Ack, Form, Nack, Query, Session, Status};
use crate::{ConnectionError, NewReason, Recovery, SessionOutcome};

/// The recovery state of one client, shared by its connections.
#[derive(Debug)]
pub(crate) struct Resume {
    recovery: Recovery,
    inner: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The session to resume, from the last `zap.session`.
    token: Option<String>,
    seen: Seen,
    journal: Journal,
    /// The last `zap-id` given in this session.
    last_id: u64,
    /// Whether the current connection's server sent `zap.session`.
    negotiated: bool,
    /// The session's server accepts the resume in a first frame.
    resume_frame: bool,
    /// The `zap.resume` frame the connection being dialed must send first.
    hello: Option<Frame>,
}

/// How an event goes out.
#[derive(Debug)]
pub(crate) enum Stamp {
    /// As plain v1 (the server does not offer recovery).
    Plain(Frame),
    /// With its `zap-id`, kept in the journal until acknowledged.
    Stamped(Frame),
    /// Not now: the journal is full until the server acknowledges.
    Full,
}

/// A session that began: what to announce, report and write again first.
#[derive(Debug)]
pub(crate) struct Started {
    pub(crate) outcome: SessionOutcome,
    pub(crate) problems: Vec<ConnectionError>,
    /// Unacknowledged events of the resumed session, in order.
    pub(crate) resend: Vec<Frame>,
}

impl Resume {
    pub(crate) fn new(recovery: Recovery) -> Self {
        Resume {
            recovery,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the client asks servers for recovery.
    pub(crate) fn is_enabled(&self) -> bool {
        self.recovery.is_enabled()
    }

    /// How many events the outbox holds at least while reconnecting: the
    /// journal's bound once a server offered recovery, else 0.
    pub(crate) fn outbox_floor(&self) -> usize {
        if self.lock().token.is_some() {
            self.recovery.unacknowledged_limit()
        } else {
            0
        }
    }

    /// The URL to dial: `base` plus, with recovery on, the request for it
    /// and what to resume.
    pub(crate) fn url(&self, base: &str) -> String {
        if !self.is_enabled() {
            return base.to_owned();
        }
        let mut state = self.lock();
        state.negotiated = false;
        let mut rooms: Vec<_> = state
            .seen
            .rooms
            .iter()
            .map(|(room, at)| (room.as_str(), at.epoch.as_str(), at.offset))
            .collect();
        rooms.sort_unstable();
        let query = Query {
            token: state.token.as_deref(),
            seq: state.seen.seq,
            rooms,
        };
        // The token goes in a first frame only to a server that said it
        // accepts one: a v1 server never receives `zap.resume`.
        let form = if state.resume_frame {
            Form::Frame
        } else {
            Form::Query
        };
        let hello = match form {
            Form::Frame => wire::resume_frame(&query),
            Form::Query => None,
        };
        let url = wire::url(base, &query, form);
        state.hello = hello;
        url
    }

    /// The frame the connection just dialed writes before anything else
    /// (`zap.resume`), if it resumes in that form.
    pub(crate) fn take_hello(&self) -> Option<Frame> {
        self.lock().hello.take()
    }

    /// The server's `zap.session` arrived.
    pub(crate) fn begin(&self, payload: &Payload) -> Result<Started, String> {
        let session: Session = wire::parse(payload)?;
        let mut state = self.lock();
        let resuming = state.token.is_some();
        let mut problems = Vec::new();
        let mut resend = Vec::new();
        let outcome = match session.status {
            Status::New => {
                let reason = match (NewReason::from(session.reason), resuming) {
                    (NewReason::First, true) => NewReason::Unknown,
                    (reason, _) => reason,
                };
                let undelivered = state.journal.clear();
                if undelivered > 0 {
                    problems.push(ConnectionError::NotDelivered {
                        count: undelivered,
                        reason,
                    });
                }
                state.last_id = 0;
                state.seen.seq = 0;
                SessionOutcome::New {
                    id: session.id,
                    reason,
                    undelivered,
                }
            }
            Status::Recovered | Status::Gaps => {
                state.journal.acknowledge(session.ack);
                state.last_id = state.last_id.max(session.ack);
                resend = state.journal.frames();
                if session.status == Status::Recovered {
                    SessionOutcome::Recovered { id: session.id }
                } else {
                    problems.push(ConnectionError::Gaps {
                        rooms: session.gaps.clone(),
                        direct: session.direct_gap,
                    });
                    SessionOutcome::Gaps {
                        id: session.id,
                        rooms: session.gaps,
                        direct: session.direct_gap,
                    }
                }
            }
        };
        state.token = Some(session.token);
        state.resume_frame = session.resume_frame;
        state.negotiated = true;
        Ok(Started {
            outcome,
            problems,
            resend,
        })
    }

    /// The server's `zap.ack` arrived.
    pub(crate) fn acknowledge(&self, payload: &Payload) -> Result<(), String> {
        let ack: Ack = wire::parse(payload)?;
        let mut state = self.lock();
        state.journal.acknowledge(ack.id);
        tracing::trace!(
            ack = ack.id,
            unacknowledged = state.journal.len(),
            "acknowledged"
        );
        Ok(())
    }

    /// The server's `zap.nack` arrived: the refused id and how long to wait
    /// before sending it (and everything after it) again. The journal keeps
    /// every entry: nothing is dropped on a refusal.
    pub(crate) fn refused(&self, payload: &Payload) -> Result<(u64, std::time::Duration), String> {
        let nack: Nack = wire::parse(payload)?;
        tracing::debug!(id = nack.id, retry_after_ms = nack.retry_after, reason = ?nack.reason,
            "the server refused an event: sending it again");
        Ok((nack.id, std::time::Duration::from_millis(nack.retry_after)))
    }

    /// The unacknowledged events from `id` on, in order, to write again.
    pub(crate) fn frames_from(&self, id: u64) -> Vec<Frame> {
        self.lock().journal.frames_from(id)
    }

    /// Records a received event's stamps; `false` for an event already
    /// received.
    pub(crate) fn admit(&self, event: &EventData) -> bool {
        self.lock().seen.admit(event)
    }

    /// Encodes an event to write now: with its id while the server offers
    /// recovery (kept until acknowledged), plain otherwise.
    pub(crate) fn stamp(&self, event: &EventData) -> Stamp {
        let mut state = self.lock();
        if !state.negotiated {
            return Stamp::Plain(event.encode());
        }
        if state.journal.len() >= self.recovery.unacknowledged_limit() {
            tracing::trace!("the journal is full: writing waits for an acknowledgement");
            return Stamp::Full;
        }
        state.last_id += 1;
        let id = state.last_id;
        let frame = wire::stamped(event, id);
        state.journal.push(id, frame.clone());
        Stamp::Stamped(frame)
    }

    /// The session ended for good (`disconnect()`, `clean()`): the next
    /// connection starts a new one. Events written before are not reported:
    /// a clean close writes them first.
    pub(crate) fn forget(&self) {
        *self.lock() = State::default();
    }
}

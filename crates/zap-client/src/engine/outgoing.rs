//! [`Outgoing`]: the frames on their way to the socket (a `zap.resume`
//! first frame, unacknowledged events of a resumed session or of a refusal
//! (`zap.nack`), held events, then the send queue, plus pings and our close
//! frame), written without ever keeping the session from reading, timing
//! out or stopping.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Sink;
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Bytes, Error as WsError, Message};
use zap_protocol::{EventData, Frame};

use super::link::Queued;
use super::recovery::{Resume, Stamp};

/// One thing to write.
#[derive(Debug)]
enum Item {
    /// An encoded event. `unsent` holds the event while it may still be put
    /// back into the outbox (a plain event); `None` for requests and for
    /// events the journal keeps.
    Frame {
        frame: Frame,
        unsent: Option<Queued>,
    },
    Ping,
    Close,
}

impl Item {
    fn into_message(self) -> Message {
        match self {
            Item::Frame { frame, .. } => Message::text(frame.as_str()),
            Item::Ping => Message::Ping(Bytes::new()),
            Item::Close => Message::Close(Some(CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            })),
        }
    }
}

/// The writing half of a session, as a state machine polled from the
/// session's `select!` ([`Outgoing::poll_drive`]): all its state lives here,
/// so dropping a pending poll loses nothing, and a socket that does not take
/// our bytes (TCP backpressure) only leaves an item waiting in `next`.
#[derive(Debug)]
pub(crate) struct Outgoing {
    /// `zap.resume`, when this connection resumes in a first frame:
    /// written before anything else, the ping included.
    hello: Option<Frame>,
    /// A refusal (`zap.nack`) being waited out: no event is written until
    /// its deadline, then the journal from its id on is written again.
    refusal: Option<Refusal>,
    /// Unacknowledged events of the resumed session, already stamped:
    /// written first.
    resend: VecDeque<Frame>,
    /// Events held in the outbox during the attempt: written next, in order.
    backlog: VecDeque<EventData>,
    /// The live send queue.
    queue: mpsc::Receiver<Queued>,
    queue_open: bool,
    /// Taken from the backlog or the queue while the journal was full.
    waiting: Option<Queued>,
    /// Taken from above, waiting for the socket to accept it.
    next: Option<Item>,
    ping_due: bool,
    close_due: bool,
    /// Events wait (pings do not) until the server's first frame says
    /// whether it offers recovery.
    gated: bool,
    /// `false` once our close frame went out or the server's arrived: only
    /// what the socket already holds is flushed.
    writing: bool,
    unflushed: bool,
}

/// The server refused the event `from` and drops every later one until it
/// comes again.
#[derive(Debug)]
struct Refusal {
    from: u64,
    until: Pin<Box<Sleep>>,
}

impl Outgoing {
    /// `gated`: recovery was asked for. A ping goes out first, so even a
    /// server that waits for the client answers (with a pong), and events
    /// wait for [`Outgoing::open_gate`]. `hello` (a `zap.resume`) goes out
    /// before the ping.
    pub(crate) fn new(
        backlog: Vec<EventData>,
        queue: mpsc::Receiver<Queued>,
        gated: bool,
        hello: Option<Frame>,
    ) -> Self {
        Outgoing {
            hello,
            refusal: None,
            resend: VecDeque::new(),
            backlog: backlog.into(),
            queue,
            queue_open: true,
            waiting: None,
            next: None,
            ping_due: gated,
            close_due: false,
            gated,
            writing: true,
            unflushed: false,
        }
    }

    /// Whether events still wait for the server's first frame.
    pub(crate) fn is_gated(&self) -> bool {
        self.gated
    }

    /// The server's first frame arrived: events may go, `resend` first.
    pub(crate) fn open_gate(&mut self, resend: Vec<Frame>) {
        self.gated = false;
        self.resend.extend(resend);
    }

    /// The server refused the event `id` (`zap.nack`): after `retry_after`,
    /// every unacknowledged event from `id` on is written again, in order,
    /// before any other; meanwhile no event is written (the server would
    /// drop it). A second refusal meanwhile extends the wait and resends
    /// from the lower id.
    pub(crate) fn refused(&mut self, id: u64, retry_after: Duration) {
        let deadline = Instant::now() + retry_after;
        match &mut self.refusal {
            Some(refusal) => {
                refusal.from = refusal.from.min(id);
                if deadline > refusal.until.deadline() {
                    refusal.until.as_mut().reset(deadline);
                }
            }
            None => {
                self.refusal = Some(Refusal {
                    from: id,
                    until: Box::pin(tokio::time::sleep_until(deadline)),
                });
            }
        }
    }

    /// Writes a ping before the next event.
    pub(crate) fn ping(&mut self) {
        self.ping_due = self.writing;
    }

    /// Writes our close frame once every event accepted so far is written:
    /// the held ones and the send queue, up to the end of the queue (the
    /// caller detaches the queue's sender, so the queue ends).
    pub(crate) fn close_after_queue(&mut self) {
        self.close_due = self.writing;
    }

    /// The server sent its close frame: nothing more may be written, but
    /// tungstenite's answer to it still has to be flushed.
    pub(crate) fn flush_only(&mut self) {
        self.writing = false;
        self.ping_due = false;
        self.close_due = false;
    }

    /// Whether everything there is to write has been written and flushed.
    pub(crate) fn is_done(&self) -> bool {
        let nothing_left = !self.writing
            || (self.hello.is_none()
                && self.refusal.is_none()
                && self.resend.is_empty()
                && self.backlog.is_empty()
                && self.waiting.is_none()
                && !self.queue_open
                && !self.ping_due
                && !self.close_due);
        self.next.is_none() && !self.unflushed && nothing_left
    }

    /// Writes what it can. Pending while the socket is busy or there is
    /// nothing to write; ready with `Ok` once [`Outgoing::is_done`], with
    /// the error when the socket fails.
    pub(crate) fn poll_drive<S>(
        &mut self,
        sink: &mut S,
        resume: &Resume,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), WsError>>
    where
        S: Sink<Message, Error = WsError> + Unpin,
    {
        loop {
            if self.next.is_none() && self.writing {
                self.next = self.take_next(resume, cx);
            }
            let Some(item) = self.next.take() else {
                if self.unflushed {
                    match Pin::new(&mut *sink).poll_flush(cx) {
                        Poll::Ready(Ok(())) => self.unflushed = false,
                        Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                        Poll::Pending => return Poll::Pending,
                    }
                }
                return if self.is_done() {
                    Poll::Ready(Ok(()))
                } else {
                    Poll::Pending
                };
            };
            match Pin::new(&mut *sink).poll_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) => {
                    self.next = Some(item);
                    return Poll::Ready(Err(error));
                }
                Poll::Pending => {
                    self.next = Some(item);
                    return Poll::Pending;
                }
            }
            let closing = matches!(item, Item::Close);
            Pin::new(&mut *sink).start_send(item.into_message())?;
            self.unflushed = true;
            if closing {
                self.writing = false;
            }
        }
    }

    /// The next item to write, if any is ready: a due ping, then (once the
    /// gate is open) the events to resend, the held events, the send queue,
    /// then our close frame.
    fn take_next(&mut self, resume: &Resume, cx: &mut Context<'_>) -> Option<Item> {
        if let Some(frame) = self.hello.take() {
            return Some(Item::Frame {
                frame,
                unsent: None,
            });
        }
        if self.ping_due {
            self.ping_due = false;
            return Some(Item::Ping);
        }
        if self.gated {
            return None;
        }
        if let Some(refusal) = &mut self.refusal {
            if refusal.until.as_mut().poll(cx).is_pending() {
                return None;
            }
            // Everything from the refused id on, again, in order; what was
            // queued to resend is among it.
            self.resend = resume.frames_from(refusal.from).into();
            self.refusal = None;
        }
        if let Some(frame) = self.resend.pop_front() {
            return Some(Item::Frame {
                frame,
                unsent: None,
            });
        }
        if let Some(queued) = self.next_event(cx) {
            return match encode(queued, resume) {
                Encoded::Ready(item) => Some(item),
                Encoded::JournalFull(queued) => {
                    // The journal is full: an acknowledgement (a frame read)
                    // polls this again.
                    self.waiting = Some(queued);
                    None
                }
            };
        }
        if self.queue_open {
            return None;
        }
        if self.close_due {
            self.close_due = false;
            return Some(Item::Close);
        }
        None
    }

    /// The next event to encode: one that waited, the held ones, the queue.
    fn next_event(&mut self, cx: &mut Context<'_>) -> Option<Queued> {
        if let Some(queued) = self.waiting.take() {
            return Some(queued);
        }
        if let Some(event) = self.backlog.pop_front() {
            let request = false;
            return Some(Queued { event, request });
        }
        if self.queue_open {
            match self.queue.poll_recv(cx) {
                Poll::Ready(Some(queued)) => return Some(queued),
                Poll::Ready(None) => self.queue_open = false,
                Poll::Pending => {}
            }
        }
        None
    }

    /// The events that were accepted but not handed to the socket, oldest
    /// first. Request frames are left out (their callers fail with
    /// `ConnectionLost`), and so are events the journal keeps (they are
    /// written again after a resume). Call once the queue's sender is gone.
    pub(crate) fn unsent(&mut self) -> Vec<EventData> {
        let mut unsent = Vec::new();
        let mut requests = 0;
        let mut keep = |queued: Queued| {
            if queued.request {
                requests += 1;
            } else {
                unsent.push(queued.event);
            }
        };
        if let Some(Item::Frame {
            unsent: Some(queued),
            ..
        }) = self.next.take()
        {
            keep(queued);
        }
        if let Some(queued) = self.waiting.take() {
            keep(queued);
        }
        let request = false;
        self.backlog
            .drain(..)
            .for_each(|event| keep(Queued { event, request }));
        self.queue.close();
        while let Ok(queued) = self.queue.try_recv() {
            keep(queued);
        }
        if requests > 0 {
            tracing::debug!(requests, "unsent requests dropped with their connection");
        }
        unsent
    }
}

/// What [`encode`] made of a queued event.
enum Encoded {
    /// The frame to write.
    Ready(Item),
    /// The journal of unacknowledged events is full: the event, handed back.
    JournalFull(Queued),
}

/// Encodes an event: requests always plain (they are at most once), other
/// events stamped while the server offers recovery. Hands the event back
/// when the journal is full.
fn encode(queued: Queued, resume: &Resume) -> Encoded {
    if queued.request {
        let frame = queued.event.encode();
        return Encoded::Ready(Item::Frame {
            frame,
            unsent: Some(queued),
        });
    }
    match resume.stamp(&queued.event) {
        Stamp::Plain(frame) => Encoded::Ready(Item::Frame {
            frame,
            unsent: Some(queued),
        }),
        Stamp::Stamped(frame) => Encoded::Ready(Item::Frame {
            frame,
            unsent: None,
        }),
        Stamp::Full => Encoded::JournalFull(queued),
    }
}

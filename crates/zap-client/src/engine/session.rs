//! One live connection: reads events, writes queued frames, keeps the
//! heartbeat, and takes part in recovery when the server offers it.

use std::future::poll_fn;
use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream::{SplitSink, SplitStream};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use zap_protocol::{EventData, RESPONSE_TO_HEADER};

use super::Shared;
use super::clock::{after, after_from};
use super::control::Outcome;
use super::dial::Ws;
use super::farewell::Farewell;
use super::outgoing::Outgoing;
use super::recovery::{ACK_EVENT, NACK_EVENT, SESSION_EVENT, is_reserved, unstamped};
use super::supervisor::{Run, stopped};
use crate::{ConnectionError, ConnectionState};

/// How a session ended.
#[derive(Debug)]
pub(crate) enum SessionEnd {
    /// `disconnect()`, `clean()` or the client dropped: closed by us.
    Stopped,
    /// Closed cleanly by the server.
    Closed,
    /// Lost without a close handshake (already reported).
    Lost(ConnectionError),
}

/// Runs the connection until it ends: goes online (held events are written
/// first), then serves the socket.
pub(crate) async fn run(shared: &Shared, ws: Ws, run: &mut Run) -> SessionEnd {
    let (tx, rx) = mpsc::channel(shared.options.send_queue);
    let backlog = shared.link.open(tx);
    let mut attached = Attached {
        shared,
        out: Outgoing::new(
            backlog,
            rx,
            shared.resume.is_enabled(),
            shared.resume.take_hello(),
        ),
    };
    shared.signals.set_state(ConnectionState::Online);
    run.outcome.send_replace(Outcome::Online);
    let end = serve(shared, ws, &mut attached.out, &mut run.stop).await;
    // A `connect()` that kicked while online got `Online`: its kick must not
    // cut the next backoff wait short. Those from now on wait, and count.
    run.forget_kicks();
    // No longer online: a `connect()` must not see `Online` from here on.
    run.outcome.send_replace(Outcome::Pending);
    match &end {
        SessionEnd::Stopped | SessionEnd::Closed => {
            shared.signals.set_state(ConnectionState::Offline);
        }
        SessionEnd::Lost(error) => {
            shared.signals.set_state(ConnectionState::Error);
            shared.signals.report(error.clone());
        }
    }
    // The state is set before the send queue is detached, so a refused
    // send reports the state the connection ended in.
    drop(attached);
    end
}

/// The session's hold on the send path. Dropping it, when the session ends
/// or when its task is aborted, detaches the send queue, puts what was not
/// written back into the outbox (or drops it, reported as
/// [`ConnectionError::EventsDropped`]), and fails waiting requests.
struct Attached<'a> {
    shared: &'a Shared,
    out: Outgoing,
}

impl Drop for Attached<'_> {
    fn drop(&mut self) {
        self.shared.link.detach();
        let count = self.shared.link.put_back(self.out.unsent());
        if count > 0 {
            self.shared
                .signals
                .report(ConnectionError::EventsDropped { count });
        }
        self.shared.pending.fail_all();
    }
}

/// Reads, writes and keeps the heartbeat, all polled from one `select!`: a
/// socket that does not take our bytes never keeps the session from
/// reading, noticing a dead server or stopping.
async fn serve(
    shared: &Shared,
    ws: Ws,
    out: &mut Outgoing,
    stop: &mut watch::Receiver<Option<Instant>>,
) -> SessionEnd {
    let (sink, stream) = ws.split();
    // Dropped before `serve_split` returns (the task dropped by a runtime
    // that shuts down): a close frame ends the session at once.
    let mut farewell = Farewell::new(sink);
    let end = serve_split(shared, &mut farewell.sink, stream, out, stop).await;
    farewell.disarm();
    end
}

async fn serve_split(
    shared: &Shared,
    sink: &mut SplitSink<Ws, Message>,
    mut stream: SplitStream<Ws>,
    out: &mut Outgoing,
    stop: &mut watch::Receiver<Option<Instant>>,
) -> SessionEnd {
    let options = &shared.options;
    let heartbeat = options.heartbeat;
    let watching = heartbeat.interval().is_some();
    let mut ticker = heartbeat.interval().map(|every| {
        let mut ticker = tokio::time::interval_at(after(every), every);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticker
    });
    let mut last_heard = Instant::now();
    // Dead when nothing at all arrives for the heartbeat timeout.
    let silence = tokio::time::sleep_until(after(heartbeat.timeout()));
    tokio::pin!(silence);
    // Once a close frame went either way, the TCP connection must end by
    // then (RFC 6455 lets the server close first).
    let ending = tokio::time::sleep_until(Instant::now());
    tokio::pin!(ending);
    let mut winding_down = false;
    let mut close_received = false;
    let mut stopping = false;
    let mut negotiation = Negotiation::new(shared);
    // A server that neither speaks first nor answers as expected: plain v1
    // after the connect timeout, so events never wait forever.
    let gate_deadline = tokio::time::sleep_until(after(options.connect_timeout));
    tokio::pin!(gate_deadline);
    loop {
        tokio::select! {
            deadline = stopped(stop), if !stopping => {
                stopping = true;
                let deadline = deadline.unwrap_or_else(|| after(options.close_timeout));
                ending.as_mut().reset(deadline);
                winding_down = true;
                // From now on sending fails; what was accepted is written
                // first, then our close frame, all before the deadline.
                shared.signals.set_state(ConnectionState::Offline);
                shared.link.detach();
                out.close_after_queue();
            }
            incoming = stream.next() => {
                let message = match incoming {
                    Some(Ok(message)) => message,
                    Some(Err(_)) | None if stopping => return SessionEnd::Stopped,
                    Some(Err(error)) => return ended_by(error, close_received),
                    None if close_received => return SessionEnd::Closed,
                    None => return lost("the server ended the stream without a close frame"),
                };
                last_heard = Instant::now();
                silence.as_mut().reset(after_from(last_heard, heartbeat.timeout()));
                negotiation.observe(shared, out, &message);
                match message {
                    Message::Text(text) => receive(shared, out, &mut negotiation, text.as_str()),
                    Message::Binary(bytes) => shared
                        .signals
                        .report(ConnectionError::BinaryFrame { len: bytes.len() }),
                    Message::Close(frame) => {
                        tracing::debug!(?frame, "the server closes the connection");
                        close_received = true;
                        out.flush_only();
                        if !stopping {
                            ending.as_mut().reset(after(options.close_timeout));
                            winding_down = true;
                        }
                        // Nothing follows a close frame: no reply can come.
                        shared.pending.fail_all();
                    }
                    // tungstenite answers pings itself, on the next read or write.
                    Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                }
            }
            written = poll_fn(|cx| out.poll_drive(sink, &shared.resume, cx)), if !out.is_done() => {
                if let Err(error) = written {
                    if stopping {
                        return SessionEnd::Stopped;
                    }
                    return ended_by(error, close_received);
                }
            }
            () = &mut ending, if winding_down => {
                tracing::debug!("the connection did not end in time after the close frame");
                return if stopping { SessionEnd::Stopped } else { SessionEnd::Closed };
            }
            () = tick(&mut ticker), if !stopping => out.ping(),
            () = &mut gate_deadline, if out.is_gated() => plain_v1(shared, out),
            () = &mut silence, if watching && !stopping && !close_received => {
                return SessionEnd::Lost(ConnectionError::HeartbeatTimeout(last_heard.elapsed()));
            }
        }
    }
}

/// Whether the server's first event is still awaited, to tell a server
/// that offers recovery (`zap.session` first) from a plain v1 one.
#[derive(Debug)]
struct Negotiation {
    /// No text frame yet: a `zap.session` now begins the session.
    awaiting: bool,
    /// A session is being resumed: the server spoke recovery before, so a
    /// pong (answered before its session was ready) does not mean v1.
    resuming: bool,
}

impl Negotiation {
    fn new(shared: &Shared) -> Self {
        Negotiation {
            awaiting: shared.resume.is_enabled(),
            resuming: shared.resume.outbox_floor() > 0,
        }
    }

    /// Looks at a frame before it is handled: any text frame but
    /// `zap.session` first means plain v1; so does any other frame first
    /// (the pong to our ping, typically), unless resuming.
    fn observe(&mut self, shared: &Shared, out: &mut Outgoing, message: &Message) {
        if !self.awaiting {
            return;
        }
        let text = match message {
            Message::Text(text) => Some(text.as_str()),
            Message::Binary(_) | Message::Close(_) => None,
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {
                if out.is_gated() && !self.resuming {
                    plain_v1(shared, out);
                }
                return;
            }
        };
        self.awaiting = false;
        let session = text.is_some_and(|text| {
            zap_protocol::decode(text).is_ok_and(|event| event.event_name() == SESSION_EVENT)
        });
        if !session {
            plain_v1(shared, out);
        } else {
            // `receive` begins the session.
            self.awaiting = true;
        }
    }
}

/// The server's first frame was not `zap.session`: it does not offer
/// recovery, events go out plain.
fn plain_v1(shared: &Shared, out: &mut Outgoing) {
    if out.is_gated() {
        tracing::debug!("no session from the server (yet): writing plain v1");
        shared.link.set_floor(0);
        out.open_gate(Vec::new());
    }
}

/// Decodes one text frame and delivers it: recovery events to the engine,
/// a duplicate nowhere, a reply to the request it answers, anything else to
/// the subscriptions. A bad frame is reported and skipped.
fn receive(shared: &Shared, out: &mut Outgoing, negotiation: &mut Negotiation, text: &str) {
    let event = match zap_protocol::decode(text) {
        Ok(event) => event,
        Err(error) => {
            return shared.signals.report(ConnectionError::InvalidFrame {
                error: Arc::new(error),
                frame: preview(text),
            });
        }
    };
    if is_reserved(event.event_name()) {
        return extension(shared, out, negotiation, &event);
    }
    if !shared.resume.admit(&event) {
        tracing::debug!(event = event.event_name(), "already received: dropped");
        return;
    }
    let event = unstamped(event);
    let event = match event.header_str(RESPONSE_TO_HEADER).map(str::to_owned) {
        Some(id) => match shared.pending.resolve(&id, event) {
            Some(unclaimed) => unclaimed,
            None => return,
        },
        None => event,
    };
    shared.registry.dispatch(&event);
}

/// A reserved `zap.*` event: never handed to the application.
fn extension(
    shared: &Shared,
    out: &mut Outgoing,
    negotiation: &mut Negotiation,
    event: &EventData,
) {
    let name = event.event_name();
    let first = std::mem::replace(&mut negotiation.awaiting, false);
    let handled = match name {
        SESSION_EVENT if first => shared.resume.begin(event.payload()).map(|started| {
            shared.link.set_floor(shared.resume.outbox_floor());
            out.open_gate(started.resend);
            shared.signals.announce(started.outcome);
            for problem in started.problems {
                shared.signals.report(problem);
            }
        }),
        SESSION_EVENT => Err("sent again on the same connection".to_owned()),
        ACK_EVENT => shared.resume.acknowledge(event.payload()),
        NACK_EVENT => shared
            .resume
            .refused(event.payload())
            .map(|(id, retry_after)| out.refused(id, retry_after)),
        _ => {
            tracing::debug!(event = name, "unknown reserved event: skipped");
            Ok(())
        }
    };
    if let Err(reason) = handled {
        plain_v1(shared, out);
        shared.signals.report(ConnectionError::InvalidExtension {
            event: name.to_owned(),
            reason,
        });
    }
}

async fn tick(ticker: &mut Option<Interval>) {
    match ticker {
        Some(ticker) => {
            ticker.tick().await;
        }
        None => std::future::pending().await,
    }
}

fn ended_by(error: WsError, close_received: bool) -> SessionEnd {
    match error {
        WsError::ConnectionClosed | WsError::AlreadyClosed if close_received => SessionEnd::Closed,
        error => SessionEnd::Lost(ConnectionError::ConnectionLost(Arc::new(error))),
    }
}

fn lost(reason: &'static str) -> SessionEnd {
    SessionEnd::Lost(ConnectionError::ConnectionLost(Arc::new(
        std::io::Error::new(std::io::ErrorKind::UnexpectedEof, reason),
    )))
}

/// The start of a frame, at most 256 bytes, cut on a character boundary.
fn preview(text: &str) -> String {
    let mut end = text.len().min(256);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

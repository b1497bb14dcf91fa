//! One live connection: reads events, writes queued frames, keeps the heartbeat.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Bytes, Error as WsError, Message};
use zap_protocol::{Frame, RESPONSE_TO_HEADER};

use super::Shared;
use super::control::Outcome;
use super::dial::Ws;
use super::link::Opening;
use super::supervisor::{Run, stopped};
use crate::{ConnectionError, ConnectionState};

/// How a session ended.
#[derive(Debug)]
pub(crate) enum SessionEnd {
    /// `disconnect()`, `clean()` or the client dropped: closed by us.
    Stopped,
    /// Closed cleanly by the server.
    Closed,
    /// Lost without a close handshake.
    Lost(ConnectionError),
}

/// Runs the connection until it ends: flushes the outbox, goes online,
/// then serves the socket.
pub(crate) async fn run(shared: &Shared, mut ws: Ws, run: &mut Run) -> SessionEnd {
    let (tx, mut rx) = mpsc::channel(shared.options.send_queue);
    let end = match go_online(shared, &mut ws, &tx).await {
        Ok(()) => {
            drop(tx);
            shared.signals.set_state(ConnectionState::Online);
            run.outcome.send_replace(Outcome::Online);
            serve(shared, &mut ws, &mut rx, &mut run.stop).await
        }
        Err(end) => end,
    };
    let dropped = shared.link.shut(&mut rx);
    if dropped > 0 {
        tracing::warn!(dropped, "events queued for a lost connection were dropped");
    }
    shared.pending.fail_all();
    end
}

/// Writes the held events, in order, then makes the send queue live.
async fn go_online(
    shared: &Shared,
    ws: &mut Ws,
    tx: &mpsc::Sender<Frame>,
) -> Result<(), SessionEnd> {
    loop {
        match shared.link.open(tx) {
            Opening::Open => return Ok(()),
            Opening::Flush(frames) => {
                let mut frames = frames.into_iter();
                for frame in frames.by_ref() {
                    if let Err(error) = ws.feed(text(&frame)).await {
                        shared.link.requeue(frames.collect());
                        return Err(ended_by(error, false));
                    }
                }
                if let Err(error) = ws.flush().await {
                    return Err(ended_by(error, false));
                }
            }
        }
    }
}

async fn serve(
    shared: &Shared,
    ws: &mut Ws,
    rx: &mut mpsc::Receiver<Frame>,
    stop: &mut watch::Receiver<bool>,
) -> SessionEnd {
    let heartbeat = shared.options.heartbeat;
    let mut ticker = heartbeat.interval().map(|every| {
        let mut ticker = tokio::time::interval_at(Instant::now() + every, every);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticker
    });
    let mut last_heard = Instant::now();
    let mut close_received = false;
    // After the server's close frame, wait at most this long for it to end
    // the TCP connection (RFC 6455 lets the server close first).
    let mut close_deadline = Instant::now();
    let mut queue_open = true;
    loop {
        tokio::select! {
            biased;
            () = stopped(stop) => return close(ws, shared.options.close_timeout).await,
            incoming = ws.next() => {
                let message = match incoming {
                    Some(Ok(message)) => message,
                    Some(Err(error)) => return ended_by(error, close_received),
                    None if close_received => return SessionEnd::Closed,
                    None => return lost("the server ended the stream without a close frame"),
                };
                last_heard = Instant::now();
                match message {
                    Message::Text(text) => receive(shared, text.as_str()),
                    Message::Binary(bytes) => shared
                        .signals
                        .report(ConnectionError::BinaryFrame { len: bytes.len() }),
                    Message::Close(frame) => {
                        tracing::debug!(?frame, "the server closes the connection");
                        close_received = true;
                        close_deadline = Instant::now() + shared.options.close_timeout;
                        // Nothing follows a close frame: no reply can come.
                        shared.pending.fail_all();
                    }
                    // tungstenite answers pings itself, on the next read or write.
                    Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                }
            }
            frame = rx.recv(), if queue_open => match frame {
                Some(frame) => {
                    if let Err(error) = ws.send(text(&frame)).await {
                        return ended_by(error, close_received);
                    }
                }
                None => queue_open = false,
            },
            () = tokio::time::sleep_until(close_deadline), if close_received => {
                return SessionEnd::Closed;
            }
            () = tick(&mut ticker) => {
                let silent = last_heard.elapsed();
                if silent >= heartbeat.timeout() {
                    return SessionEnd::Lost(ConnectionError::HeartbeatTimeout(silent));
                }
                if let Err(error) = ws.send(Message::Ping(Bytes::new())).await {
                    return ended_by(error, close_received);
                }
            }
        }
    }
}

/// Decodes one text frame and delivers it: to the request it answers, or to
/// the subscriptions. A bad frame is reported and skipped.
fn receive(shared: &Shared, text: &str) {
    let event = match zap_protocol::decode(text) {
        Ok(event) => event,
        Err(error) => {
            return shared.signals.report(ConnectionError::InvalidFrame {
                error: Arc::new(error),
                frame: preview(text),
            });
        }
    };
    let event = match event.header_str(RESPONSE_TO_HEADER).map(str::to_owned) {
        Some(id) => match shared.pending.resolve(&id, event) {
            Some(unclaimed) => unclaimed,
            None => return,
        },
        None => event,
    };
    shared.registry.dispatch(&event);
}

/// Sends our close frame and waits, within `timeout`, for the server's.
async fn close(ws: &mut Ws, timeout: Duration) -> SessionEnd {
    let frame = CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    };
    let handshake = async {
        if ws.close(Some(frame)).await.is_ok() {
            while let Some(Ok(_)) = ws.next().await {}
        }
    };
    if tokio::time::timeout(timeout, handshake).await.is_err() {
        tracing::debug!(?timeout, "the server did not answer the close frame");
    }
    SessionEnd::Stopped
}

async fn tick(ticker: &mut Option<Interval>) {
    match ticker {
        Some(ticker) => {
            ticker.tick().await;
        }
        None => std::future::pending().await,
    }
}

fn text(frame: &Frame) -> Message {
    Message::text(frame.as_str())
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

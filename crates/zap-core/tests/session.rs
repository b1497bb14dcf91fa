//! The session loop against a hand-driven channel transport, for what needs
//! one: ping timing, a writer that never completes, a busy socket, a
//! transport error. Handler behaviour is tested through zap-test in
//! `handlers.rs`.
#![allow(clippy::unwrap_used)]

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Sink, Stream};
use tokio::sync::mpsc;
use tokio::time::Instant;
use zap_core::{
    CloseFrame, ConnectionConfig, EndReason, EventRegister, Handshake, Inbound, Outbound,
    OverflowPolicy, Session, TransportError,
};

/// The peer's ends of an in-memory transport.
struct Peer {
    to_server: mpsc::UnboundedSender<Result<Inbound, TransportError>>,
    from_server: mpsc::UnboundedReceiver<Outbound>,
}

/// The server's end: frames from `Peer::to_server`, writes to `Peer::from_server`.
/// With `stuck`, writes never complete (a peer that stopped reading).
struct MemTransport {
    inbound: mpsc::UnboundedReceiver<Result<Inbound, TransportError>>,
    outbound: mpsc::UnboundedSender<Outbound>,
    stuck: bool,
    /// Every other write is not ready at first (a busy socket).
    sluggish: bool,
    turn: bool,
}

fn pair(stuck: bool) -> (MemTransport, Peer) {
    let (to_server, inbound) = mpsc::unbounded_channel();
    let (outbound, from_server) = mpsc::unbounded_channel();
    (
        MemTransport {
            inbound,
            outbound,
            stuck,
            sluggish: false,
            turn: false,
        },
        Peer {
            to_server,
            from_server,
        },
    )
}

impl Stream for MemTransport {
    type Item = Result<Inbound, TransportError>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inbound.poll_recv(cx)
    }
}

impl Sink<Outbound> for MemTransport {
    type Error = TransportError;
    fn poll_ready(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), TransportError>> {
        if self.stuck {
            return Poll::Pending;
        }
        if self.sluggish {
            self.turn = !self.turn;
            if self.turn {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
        Poll::Ready(Ok(()))
    }
    fn start_send(self: Pin<&mut Self>, item: Outbound) -> Result<(), TransportError> {
        self.outbound.send(item).map_err(|_| TransportError::Closed)
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), TransportError>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), TransportError>> {
        Poll::Ready(Ok(()))
    }
}

impl Peer {
    fn send(&self, text: &str) {
        self.to_server
            .send(Ok(Inbound::Text(text.to_owned().into())))
            .unwrap();
    }

    async fn next(&mut self) -> Outbound {
        tokio::time::timeout(Duration::from_secs(3600), self.from_server.recv())
            .await
            .expect("no outbound message within an hour of virtual time")
            .expect("transport dropped")
    }

    async fn next_text(&mut self) -> String {
        loop {
            match self.next().await {
                Outbound::Text(frame) => return frame.as_str().to_owned(),
                Outbound::Ping => continue,
                Outbound::Close(frame) => panic!("unexpected close {frame:?}"),
            }
        }
    }
}

fn handshake() -> Handshake {
    Handshake::new("/", None, Default::default(), None)
}

fn spawn(
    register: EventRegister,
    config: ConnectionConfig,
    transport: MemTransport,
) -> tokio::task::JoinHandle<EndReason> {
    tokio::spawn(
        Session::new(register, handshake())
            .config(config)
            .run(transport),
    )
}

fn quiet() -> ConnectionConfig {
    ConnectionConfig::default()
        .ping_interval(None)
        .idle_timeout(None)
}

#[tokio::test(start_paused = true)]
async fn a_silent_peer_is_pinged_then_dropped_at_the_idle_timeout() {
    let (transport, mut peer) = pair(false);
    let config = ConnectionConfig::default()
        .ping_interval(Some(Duration::from_secs(10)))
        .idle_timeout(Some(Duration::from_secs(30)));
    let started = Instant::now();
    let session = spawn(EventRegister::new(), config, transport);
    let mut pings = Vec::new();
    loop {
        match peer.next().await {
            Outbound::Ping => pings.push(started.elapsed().as_secs()),
            Outbound::Close(frame) => {
                assert_eq!(frame, CloseFrame::new(1001, "idle timeout"));
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(pings, vec![10, 20]);
    assert_eq!(session.await.unwrap(), EndReason::IdleTimeout);
    assert_eq!(started.elapsed().as_secs(), 30);
}

#[tokio::test(start_paused = true)]
async fn a_jammed_writer_is_dropped_when_its_queue_overflows() {
    let register = EventRegister::new().on_event("flood", |ctx| async move {
        let mut full = 0;
        for i in 0..10 {
            if ctx.connection().send("n", i).is_err() {
                full += 1;
            }
        }
        assert!(full > 0);
        assert!(ctx.connection().is_closed());
    });
    let (transport, peer) = pair(true);
    let config = quiet()
        .outbound_queue(2)
        .overflow_policy(OverflowPolicy::Close);
    let session = spawn(register, config, transport);
    peer.send(r#"{"eventName":"flood"}"#);
    // The close frame cannot be written either: given up after the close timeout.
    let end = tokio::time::timeout(Duration::from_secs(10), session)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        end,
        EndReason::Closed(CloseFrame::new(1008, "outbound queue full"))
    );
}

#[tokio::test]
async fn a_transport_error_ends_the_session_and_runs_disconnected() {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let register = EventRegister::new().on_disconnected(move |_| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let (transport, peer) = pair(false);
    let session = spawn(register, quiet(), transport);
    peer.to_server
        .send(Err(TransportError::Other("connection reset".into())))
        .unwrap();
    let end = session.await.unwrap();
    assert!(
        matches!(end, EndReason::Transport(ref e) if e.contains("connection reset")),
        "{end:?}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[test]
fn a_session_over_a_send_transport_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let (transport, _peer) = pair(false);
    let future = Session::new(EventRegister::new(), handshake()).run(transport);
    assert_send(&future);
}

/// Idle connections are cheap only if the loop's state is small: guard it
/// (1,728 bytes with rustc 1.95: the loop, the idle deadline timer, the
/// rate limiter, the shutdown grace and handler timing; the settings are
/// shared, not copied; a recoverable session's opening and attach are
/// boxed; the bound leaves room for compiler changes).
#[test]
fn a_session_future_stays_small() {
    let (transport, _peer) = pair(false);
    let future = Session::new(EventRegister::new(), handshake()).run(transport);
    let size = std::mem::size_of_val(&future);
    assert!(size <= 1792, "the session future grew to {size} bytes");
}

#[tokio::test]
async fn everything_queued_before_close_is_written_before_the_close_frame() {
    let register = EventRegister::new().on_event("bye", |ctx| async move {
        for n in 0..10 {
            ctx.connection().send("n", n)?;
        }
        ctx.connection().close_with(4000, "done");
        Ok(())
    });
    for _ in 0..50 {
        let (mut transport, mut peer) = pair(false);
        transport.sluggish = true;
        let session = spawn(register.clone(), quiet(), transport);
        peer.send(r#"{"eventName":"bye"}"#);
        for n in 0..10 {
            assert_eq!(
                peer.next_text().await,
                format!(r#"{{"eventName":"n","payload":{n}}}"#)
            );
        }
        assert_eq!(
            peer.next().await,
            Outbound::Close(CloseFrame::new(4000, "done"))
        );
        drop(peer);
        let end = session.await.unwrap();
        assert_eq!(end, EndReason::Closed(CloseFrame::new(4000, "done")));
    }
}

/// The defaults (ping 25 s, idle 60 s): a silent peer is dropped at 60 s,
/// not at the next tick of a coarse timer (which made it 60 to 85 s).
#[tokio::test(start_paused = true)]
async fn the_idle_timeout_fires_at_the_setting_not_at_a_tick() {
    let (transport, mut peer) = pair(false);
    let started = Instant::now();
    let session = spawn(EventRegister::new(), ConnectionConfig::default(), transport);
    // Heard from at 7 s: the deadline moves to 67 s.
    tokio::time::sleep(Duration::from_secs(7)).await;
    peer.to_server.send(Ok(Inbound::Pong)).unwrap();
    let mut pings = Vec::new();
    loop {
        match peer.next().await {
            Outbound::Ping => pings.push(started.elapsed().as_secs()),
            Outbound::Close(frame) => {
                assert_eq!(frame, CloseFrame::new(1001, "idle timeout"));
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(session.await.unwrap(), EndReason::IdleTimeout);
    assert_eq!(pings, vec![32, 57]);
    let late = started.elapsed() - Duration::from_secs(67);
    assert!(late < Duration::from_millis(10), "fired {late:?} late");
}

/// At shutdown a handler that never finishes gets the grace period, then is
/// aborted; `disconnected` runs exactly once and the peer gets 1001.
#[tokio::test(start_paused = true)]
async fn a_hanging_handler_is_aborted_after_the_shutdown_grace() {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let register = EventRegister::new()
        .on_event("hang", |_ctx| std::future::pending::<()>())
        .on_disconnected(move |_| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
    let (transport, mut peer) = pair(false);
    let shutdown = zap_core::CancellationToken::new();
    let config = quiet().shutdown_grace(Duration::from_secs(3));
    let session = tokio::spawn(
        Session::new(register, handshake())
            .config(config)
            .shutdown_token(shutdown.clone())
            .run(transport),
    );
    peer.send(r#"{"eventName":"hang"}"#);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = Instant::now();
    shutdown.cancel();
    assert_eq!(
        peer.next().await,
        Outbound::Close(CloseFrame::new(1001, "server shutting down"))
    );
    assert_eq!(started.elapsed(), Duration::from_secs(3));
    drop(peer);
    assert_eq!(session.await.unwrap(), EndReason::Shutdown);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

/// Under `FloodPolicy::Close` the event over the limit raises `error`
/// (kind `rate_limited`) and the connection is closed with 1008.
#[tokio::test(start_paused = true)]
async fn over_the_rate_limit_the_close_policy_closes_with_1008() {
    let handled = Arc::new(AtomicUsize::new(0));
    let (count, errors) = (handled.clone(), Arc::new(std::sync::Mutex::new(Vec::new())));
    let seen = errors.clone();
    let register = EventRegister::new()
        .on_event("e", move |_ctx| {
            count.fetch_add(1, Ordering::SeqCst);
            std::future::ready(())
        })
        .on_error(move |ctx| {
            seen.lock().unwrap().push(ctx.error().map(|e| e.kind));
            std::future::ready(())
        });
    let limits = zap_core::RateLimit::unlimited()
        .event("e", zap_core::Limit::new(1.0, 2.0))
        .policy(zap_core::FloodPolicy::Close);
    let (transport, mut peer) = pair(false);
    let session = spawn(register, quiet().rate_limit(limits), transport);
    for _ in 0..3 {
        peer.send(r#"{"eventName":"e"}"#);
    }
    assert_eq!(
        peer.next().await,
        Outbound::Close(CloseFrame::new(1008, "rate limit exceeded"))
    );
    drop(peer);
    let end = session.await.unwrap();
    assert_eq!(
        end,
        EndReason::Closed(CloseFrame::new(1008, "rate limit exceeded"))
    );
    assert_eq!(handled.load(Ordering::SeqCst), 2, "the burst was handled");
    assert_eq!(
        *errors.lock().unwrap(),
        vec![Some(zap_core::ErrorKind::RateLimited)]
    );
}

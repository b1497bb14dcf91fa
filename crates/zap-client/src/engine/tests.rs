//! The engine under tokio's paused clock, with a scripted in-memory dialer:
//! exact backoff spacing, immediate first retry, heartbeat timing, a
//! `connect()` that cuts a backoff short, and a server that stops reading.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::DuplexStream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::Engine;
use super::dial::{Dial, Dialing, Io};
use crate::config::Options;
use crate::{ConnectError, ConnectionError, ConnectionState, Heartbeat, ReconnectPolicy, Recovery};

/// What the next dial does.
#[derive(Debug, Clone, Copy)]
enum Step {
    Refuse,
    /// Refuses after a second (a dial in progress).
    SlowRefuse,
    Accept,
}

/// A dialer that follows a script (refusing once it runs out), records when
/// each attempt was made, and hands the server half of accepted connections
/// to the test.
#[derive(Debug)]
struct Script {
    steps: Mutex<VecDeque<Step>>,
    attempts: Mutex<Vec<Instant>>,
    servers: mpsc::UnboundedSender<WebSocketStream<DuplexStream>>,
}

impl Script {
    fn new(
        steps: &[Step],
    ) -> (
        Arc<Self>,
        mpsc::UnboundedReceiver<WebSocketStream<DuplexStream>>,
    ) {
        let (servers, rx) = mpsc::unbounded_channel();
        let script = Script {
            steps: Mutex::new(steps.iter().copied().collect()),
            attempts: Mutex::default(),
            servers,
        };
        (Arc::new(script), rx)
    }

    /// The attempts' times, relative to `origin`, in milliseconds.
    fn attempts_since(&self, origin: Instant) -> Vec<u128> {
        let attempts = self.attempts.lock().expect("lock");
        attempts.iter().map(|t| (*t - origin).as_millis()).collect()
    }
}

impl Dial for Arc<Script> {
    fn dial<'a>(&'a self, _url: &'a str, _options: &'a Options) -> Dialing<'a> {
        Box::pin(async move {
            self.attempts.lock().expect("lock").push(Instant::now());
            let step = self.steps.lock().expect("lock").pop_front();
            match step.unwrap_or(Step::Refuse) {
                Step::Refuse => Err(ConnectError::Io(Arc::new(io::Error::from(
                    io::ErrorKind::ConnectionRefused,
                )))),
                Step::SlowRefuse => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    Err(ConnectError::Io(Arc::new(io::Error::from(
                        io::ErrorKind::ConnectionRefused,
                    ))))
                }
                Step::Accept => {
                    let (client, server) = tokio::io::duplex(64 * 1024);
                    let server = WebSocketStream::from_raw_socket(server, Role::Server, None).await;
                    let _ = self.servers.send(server);
                    let client: Box<dyn Io> = Box::new(client);
                    Ok(WebSocketStream::from_raw_socket(client, Role::Client, None).await)
                }
            }
        })
    }
}

fn engine(script: &Arc<Script>, reconnect: ReconnectPolicy, heartbeat: Heartbeat) -> Engine {
    let mut options = Options::new("ws://scripted/");
    // These cases are about the connection itself: plain v1.
    options.recovery = Recovery::off();
    options.reconnect = reconnect;
    options.heartbeat = heartbeat;
    Engine::with_dialer(options, Box::new(Arc::clone(script)))
}

fn policy() -> ReconnectPolicy {
    ReconnectPolicy::exponential()
        .initial_delay(Duration::from_millis(100))
        .max_delay(Duration::from_secs(1))
        .jitter(0.0)
}

#[tokio::test(start_paused = true)]
async fn attempts_are_spaced_by_the_backoff_schedule_up_to_the_cap() {
    let (script, _servers) = Script::new(&[]);
    let engine = engine(&script, policy().max_attempts(7), Heartbeat::disabled());
    let start = Instant::now();
    let error = engine
        .connect()
        .await
        .expect_err("every attempt is refused");
    assert!(matches!(error, ConnectError::Io(_)), "{error:?}");
    assert_eq!(
        script.attempts_since(start),
        [0, 100, 300, 700, 1500, 2500, 3500]
    );
    assert_eq!(engine.state(), ConnectionState::Error);
}

#[tokio::test(start_paused = true)]
async fn jitter_only_shortens_the_delays() {
    let (script, _servers) = Script::new(&[]);
    let policy = policy().jitter(0.5).max_attempts(12);
    let engine = engine(&script, policy.clone(), Heartbeat::disabled());
    let start = Instant::now();
    engine.connect().await.expect_err("refused");
    let times = script.attempts_since(start);
    assert_eq!(times.len(), 12);
    for (n, gap) in times.windows(2).map(|w| w[1] - w[0]).enumerate() {
        let full = policy
            .delay_before(n as u32 + 2, 0.0)
            .expect("allowed")
            .as_millis();
        assert!(
            gap <= full && gap >= full / 2,
            "gap {n}: {gap} ms for {full} ms"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn after_a_lost_connection_the_first_retry_is_immediate_then_backs_off() {
    use Step::{Accept, Refuse};
    let (script, mut servers) = Script::new(&[Accept, Refuse, Refuse, Accept]);
    let engine = engine(&script, policy(), Heartbeat::disabled());
    let mut states = engine.states();
    engine.connect().await.expect("first connection");
    let first = servers.recv().await.expect("server half");

    tokio::time::sleep(Duration::from_secs(5)).await;
    let lost_at = Instant::now();
    drop(first); // the network drops
    let _second = servers.recv().await.expect("reconnected");
    let attempts = script.attempts_since(lost_at);
    assert_eq!(attempts[1..], [0, 100, 300]);

    let mut seen = Vec::new();
    while seen.last() != Some(&ConnectionState::Online) || seen.len() < 3 {
        seen.push(states.next().await.expect("open"));
    }
    use ConnectionState::{Connecting, Error, Online};
    assert_eq!(
        seen,
        [
            Connecting, Online, Error, Connecting, Error, Connecting, Error, Connecting, Online
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_is_dead_as_soon_as_the_timeout_has_passed() {
    let (script, mut servers) = Script::new(&[Step::Accept]);
    let heartbeat = Heartbeat::new(Duration::from_secs(10), Duration::from_secs(25));
    let engine = engine(&script, ReconnectPolicy::never(), heartbeat);
    let mut errors = engine.errors();
    engine.connect().await.expect("connects");
    let online_at = Instant::now();
    let _silent = servers.recv().await.expect("server half, never read");

    let error = errors.next().await.expect("open");
    assert!(matches!(error, ConnectionError::HeartbeatTimeout(t) if t == Duration::from_secs(25)));
    assert_eq!(online_at.elapsed(), Duration::from_secs(25));
    assert_eq!(engine.state(), ConnectionState::Error);
}

#[tokio::test(start_paused = true)]
async fn an_answering_server_stays_alive_under_the_heartbeat() {
    let (script, mut servers) = Script::new(&[Step::Accept]);
    let heartbeat = Heartbeat::new(Duration::from_secs(10), Duration::from_secs(25));
    let engine = engine(&script, ReconnectPolicy::never(), heartbeat);
    engine.connect().await.expect("connects");
    let mut server = servers.recv().await.expect("server half");
    // Reading answers each ping with a pong; count the pings.
    let pings = tokio::spawn(async move {
        let mut pings = 0;
        while let Some(Ok(message)) = server.next().await {
            pings += u32::from(message.is_ping());
        }
        pings
    });
    tokio::time::sleep(Duration::from_secs(305)).await;
    assert_eq!(engine.state(), ConnectionState::Online);
    engine.disconnect().await;
    assert_eq!(pings.await.expect("task"), 30);
}

#[tokio::test(start_paused = true)]
async fn connect_during_a_backoff_wait_retries_at_once() {
    let (script, _servers) = Script::new(&[Step::Refuse, Step::Accept]);
    let slow = ReconnectPolicy::exponential()
        .initial_delay(Duration::from_secs(60))
        .jitter(0.0);
    let engine = Arc::new(engine(&script, slow, Heartbeat::disabled()));
    let mut states = engine.states();
    let start = Instant::now();
    let first = tokio::spawn({
        let engine = Arc::clone(&engine);
        async move { engine.connect().await }
    });
    while states.next().await != Some(ConnectionState::Error) {}
    engine
        .connect()
        .await
        .expect("second connect succeeds at once");
    first
        .await
        .expect("task")
        .expect("first connect resolves too");
    assert_eq!(script.attempts_since(start), [0, 0]);
}

/// A megabyte of payload: a few of them fill the in-memory pipe.
fn big() -> String {
    "x".repeat(1 << 20)
}

#[tokio::test(start_paused = true)]
async fn a_server_that_stops_reading_is_dead_at_the_timeout_while_a_write_is_stuck() {
    let (script, mut servers) = Script::new(&[Step::Accept]);
    let heartbeat = Heartbeat::new(Duration::from_secs(10), Duration::from_secs(25));
    let engine = engine(&script, ReconnectPolicy::never(), heartbeat);
    let mut errors = engine.errors();
    engine.connect().await.expect("connects");
    let online_at = Instant::now();
    let _not_reading = servers.recv().await.expect("server half, never read");
    for _ in 0..8 {
        engine.send_event("big", &big(), None).expect("queued");
    }

    let error = errors.next().await.expect("open");
    assert!(
        matches!(error, ConnectionError::HeartbeatTimeout(t) if t == Duration::from_secs(25)),
        "{error:?}"
    );
    assert_eq!(online_at.elapsed(), Duration::from_secs(25));
    assert_eq!(engine.state(), ConnectionState::Error);
}

#[tokio::test(start_paused = true)]
async fn disconnect_with_a_write_stuck_ends_at_the_close_timeout() {
    let (script, mut servers) = Script::new(&[Step::Accept]);
    let engine = engine(&script, ReconnectPolicy::never(), Heartbeat::disabled());
    engine.connect().await.expect("connects");
    let _not_reading = servers.recv().await.expect("server half, never read");
    for _ in 0..8 {
        engine.send_event("big", &big(), None).expect("queued");
    }
    tokio::task::yield_now().await;

    let start = Instant::now();
    engine.disconnect().await;
    let took = start.elapsed();
    let close_timeout = Options::new("ws://scripted/").close_timeout;
    assert!(took <= close_timeout, "disconnect took {took:?}");
    assert_eq!(engine.state(), ConnectionState::Offline);
}

#[tokio::test(start_paused = true)]
async fn a_server_that_drops_every_connection_at_once_is_redialled_with_backoff() {
    let (script, mut servers) = Script::new(&[Step::Accept; 10]);
    let engine = engine(&script, policy().max_attempts(5), Heartbeat::disabled());
    let mut errors = engine.errors();
    let dropper = tokio::spawn(async move { while servers.recv().await.is_some() {} });
    let start = Instant::now();
    // Online for a moment, then gave up: either outcome is right for connect().
    let _ = engine.connect().await;
    loop {
        match errors.next().await.expect("open") {
            ConnectionError::GaveUp { attempts } => break assert_eq!(attempts, 5),
            ConnectionError::ConnectionLost(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    // Each early end counts as a failed attempt: the backoff schedule.
    assert_eq!(script.attempts_since(start), [0, 100, 300, 700, 1500]);
    assert_eq!(engine.state(), ConnectionState::Error);
    dropper.abort();
}

#[tokio::test(start_paused = true)]
async fn a_connection_that_lasted_min_uptime_resets_the_backoff() {
    use Step::Accept;
    let (script, mut servers) = Script::new(&[Accept, Accept, Accept]);
    let policy = policy().min_uptime(Duration::from_secs(2));
    let engine = engine(&script, policy, Heartbeat::disabled());
    engine.connect().await.expect("connects");
    let start = Instant::now();
    // Lost at once: an early end, so the next attempt waits 100 ms.
    drop(servers.recv().await.expect("first"));
    let second = servers.recv().await.expect("second");
    // Online for 2 s: stable, so after this loss the retry is immediate.
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(second);
    let _third = servers.recv().await.expect("third");
    assert_eq!(script.attempts_since(start)[1..], [100, 2100]);
}

#[tokio::test(start_paused = true)]
async fn a_request_queued_when_the_connection_is_lost_is_not_resent() {
    use Step::Accept;
    let (script, mut servers) = Script::new(&[Accept, Accept]);
    let mut options = Options::new("ws://scripted/");
    // These cases are about the connection itself: plain v1.
    options.recovery = Recovery::off();
    options.reconnect = policy().min_uptime(Duration::ZERO);
    options.heartbeat = Heartbeat::disabled();
    options.outbox = 16;
    let engine = Arc::new(Engine::with_dialer(options, Box::new(Arc::clone(&script))));
    let mut states = engine.states();
    engine.connect().await.expect("connects");
    let first = servers.recv().await.expect("server half, not read yet");
    // Fill the pipe so that what follows stays in the send queue.
    for _ in 0..4 {
        engine.send_event("big", &big(), None).expect("queued");
    }
    let request = tokio::spawn({
        let engine = Arc::clone(&engine);
        async move { engine.request("ask", &1, None).await }
    });
    engine.send_event("after", &2, None).expect("queued");
    tokio::task::yield_now().await;

    drop(first); // the connection is lost
    let error = request.await.expect("task").expect_err("lost");
    assert!(
        matches!(error, crate::RequestError::ConnectionLost),
        "{error:?}"
    );
    let mut second = servers.recv().await.expect("reconnected");
    while states.next().await != Some(ConnectionState::Online) {}
    engine.send_event("end", &3, None).expect("sent");
    let mut names = Vec::new();
    while let Some(Ok(message)) = second.next().await {
        if let Ok(text) = message.to_text() {
            let event = zap_protocol::decode(text).expect("event");
            names.push(event.event_name().to_owned());
            if event.event_name() == "end" {
                break;
            }
        }
    }
    // Events that were not written are put back and sent again; the
    // request, whose caller was told the connection was lost, is not.
    assert!(!names.contains(&"ask".to_owned()), "{names:?}");
    assert_eq!(names.last().map(String::as_str), Some("end"));
    assert!(names.contains(&"after".to_owned()), "{names:?}");
}

#[tokio::test(start_paused = true)]
async fn events_that_do_not_fit_the_outbox_after_a_loss_are_reported() {
    use Step::Accept;
    let (script, mut servers) = Script::new(&[Accept, Accept]);
    let mut options = Options::new("ws://scripted/");
    // These cases are about the connection itself: plain v1.
    options.recovery = Recovery::off();
    options.reconnect = policy();
    options.heartbeat = Heartbeat::disabled();
    options.outbox = 2;
    let engine = Engine::with_dialer(options, Box::new(Arc::clone(&script)));
    let mut errors = engine.errors();
    engine.connect().await.expect("connects");
    let first = servers.recv().await.expect("server half, not read");
    for _ in 0..4 {
        engine.send_event("big", &big(), None).expect("queued");
    }
    for n in 0..5 {
        engine.send_event("small", &n, None).expect("queued");
    }
    tokio::task::yield_now().await;
    drop(first);
    let dropped = loop {
        match errors.next().await.expect("open") {
            ConnectionError::EventsDropped { count } => break count,
            ConnectionError::ConnectionLost(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    };
    // At least the five small events and two big ones were still queued;
    // two of them fit the outbox.
    assert!(dropped >= 5, "{dropped}");
}

#[tokio::test(start_paused = true)]
async fn connect_while_an_attempt_is_dialing_cuts_the_next_backoff_short() {
    let (script, _servers) = Script::new(&[Step::SlowRefuse, Step::Accept]);
    let slow = ReconnectPolicy::exponential()
        .initial_delay(Duration::from_secs(60))
        .jitter(0.0);
    let engine = Arc::new(engine(&script, slow, Heartbeat::disabled()));
    let mut states = engine.states();
    let start = Instant::now();
    let first = tokio::spawn({
        let engine = Arc::clone(&engine);
        async move { engine.connect().await }
    });
    while states.next().await != Some(ConnectionState::Connecting) {}
    // The first attempt is still dialing: the kick must not be lost.
    engine.connect().await.expect("connects");
    first.await.expect("task").expect("connects too");
    assert_eq!(script.attempts_since(start), [0, 1000]);
}

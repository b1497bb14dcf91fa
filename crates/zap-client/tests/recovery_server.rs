//! zap-client against a real zap-server with recovery, through a proxy that
//! cuts the link (and keeps it down while events pile up): 10,000 room
//! events across 20 cuts arrive exactly once and in order, and 10,000 sent
//! events across 20 cuts run the server's handler exactly once, in order.

mod common;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Proxy, wait_for_state};
use futures_util::StreamExt;
use tokio::sync::watch;
use zap_client::{
    ConnectionState, ReconnectPolicy, SessionOutcome, SessionStream, Subscription, ZapSubscriber,
};
use zap_core::{EventContext, EventRegister, History};
use zap_server::ZapServer;

const EVENTS: u64 = 10_000;
const CUTS: u64 = 20;
/// The bound of the longer waits (thousands of events in a debug build on a
/// busy machine).
const LONG: Duration = Duration::from_secs(120);

async fn long<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(LONG, future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

fn fast_retries() -> ReconnectPolicy {
    ReconnectPolicy::exponential()
        .initial_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(50))
        .jitter(0.0)
        .min_uptime(Duration::ZERO)
}

/// `join`: into the payload's room, with a reply; `count`: records the
/// payload (a number) in `handled`.
fn register(handled: watch::Sender<Vec<u64>>) -> EventRegister {
    let handled = Arc::new(Mutex::new(handled));
    EventRegister::new()
        .history("feed", History::last(EVENTS as usize))
        .on_event("join", |ctx: EventContext| async move {
            let room: String = ctx.payload_as()?;
            ctx.join(&room);
            ctx.reply("joined")?;
            Ok(())
        })
        .on_event("count", move |ctx: EventContext| {
            let handled = Arc::clone(&handled);
            async move {
                let n: u64 = ctx.payload_as()?;
                let handled = handled.lock().map_err(|_| "poisoned")?;
                handled.send_modify(|seen| seen.push(n));
                Ok(())
            }
        })
}

struct Setup {
    server: ZapServer,
    proxy: Proxy,
    client: ZapSubscriber,
    sessions: SessionStream,
    ticks: Subscription,
    handled: watch::Receiver<Vec<u64>>,
}

async fn setup() -> Setup {
    common::trace();
    let (tx, handled) = watch::channel(Vec::new());
    let server = ZapServer::builder()
        .port(0)
        .register(register(tx))
        .start()
        .await
        .expect("server starts");
    let proxy = Proxy::start(server.local_addr()).await;
    let client = ZapSubscriber::builder(&proxy.url)
        .reconnect(fast_retries())
        // Events sent during the cuts wait in the outbox.
        .outbox(EVENTS as usize)
        .subscription_capacity(EVENTS as usize + 64)
        .build();
    let mut sessions = client.sessions();
    let ticks = client.subscribe_to_event("tick");
    common::within("connect", client.connect())
        .await
        .expect("connects");
    let first = next_outcome(&mut sessions).await;
    assert!(matches!(first, SessionOutcome::New { .. }), "{first:?}");
    let reply = common::within("join", client.request("join", "feed")).await;
    reply.expect("joined");
    Setup {
        server,
        proxy,
        client,
        sessions,
        ticks,
        handled,
    }
}

async fn next_outcome(sessions: &mut SessionStream) -> SessionOutcome {
    common::within("a session outcome", sessions.next())
        .await
        .expect("session stream open")
}

/// Cuts the link and keeps it down until [`restore`].
async fn cut(setup: &mut Setup) {
    let mut states = setup.client.connection_state();
    setup.proxy.down();
    wait_for_state(&mut states, ConnectionState::Error).await;
}

/// Lets the client back in and waits for its session to resume completely.
async fn restore(setup: &mut Setup) {
    setup.proxy.route_to(setup.server.local_addr());
    let outcome = next_outcome(&mut setup.sessions).await;
    assert!(
        matches!(outcome, SessionOutcome::Recovered { .. }),
        "{outcome:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_events_across_twenty_cuts_arrive_exactly_once_in_order() {
    let mut setup = setup().await;
    let router = setup.server.router().clone();
    let mut published = 0..EVENTS;
    let chunk = EVENTS / (2 * CUTS + 1);
    let publish = |published: &mut std::ops::Range<u64>, count: u64| {
        for n in published.by_ref().take(count as usize) {
            router.to("feed").send("tick", n).expect("published");
        }
    };
    for _ in 0..CUTS {
        // Some of these are in flight when the link drops.
        publish(&mut published, chunk);
        cut(&mut setup).await;
        publish(&mut published, chunk);
        restore(&mut setup).await;
    }
    publish(&mut published, EVENTS);
    let ticks: Vec<u64> = long(
        "every tick",
        (&mut setup.ticks)
            .take(EVENTS as usize)
            .map(|event| event.payload().parse::<u64>().expect("a number"))
            .collect(),
    )
    .await;
    assert_eq!(setup.ticks.missed(), 0, "the subscription never lagged");
    let expected: Vec<u64> = (0..EVENTS).collect();
    assert!(ticks == expected, "not every tick once in order");
}

/// Sends the next `count` numbers of `sent` as `count` events, waiting
/// while the send queue is full (it fills when the link is slower).
async fn send(client: &ZapSubscriber, sent: &mut std::ops::Range<u64>, count: u64) {
    for n in sent.by_ref().take(count as usize) {
        loop {
            match client.send_event("count", n) {
                Ok(()) => break,
                Err(zap_client::SendError::Full { .. }) => tokio::task::yield_now().await,
                Err(error) => panic!("event {n} refused: {error}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sent_events_across_twenty_cuts_run_the_handler_exactly_once_in_order() {
    let mut setup = setup().await;
    let client = setup.client.clone();
    let mut sent = 0..EVENTS;
    let chunk = EVENTS / (2 * CUTS + 1);
    for _ in 0..CUTS {
        // Some of these are unacknowledged, or not even written, at the cut.
        send(&client, &mut sent, chunk).await;
        cut(&mut setup).await;
        send(&client, &mut sent, chunk).await;
        restore(&mut setup).await;
        // Paced like an application that waits for the server now and then:
        // what was sent so far is handled before the next round, so the
        // bounded outbox never overflows.
        let so_far = sent.start as usize;
        let caught_up = setup.handled.wait_for(|handled| handled.len() >= so_far);
        long("the server to catch up", caught_up)
            .await
            .expect("server alive");
    }
    send(&client, &mut sent, EVENTS).await;
    let handled = long(
        "every event handled",
        setup
            .handled
            .wait_for(|handled| handled.len() as u64 >= EVENTS),
    )
    .await
    .expect("server alive")
    .clone();
    let expected: Vec<u64> = (0..EVENTS).collect();
    assert_eq!(handled.len(), expected.len(), "handled exactly once each");
    assert!(handled == expected, "handled in order");
}

//! The recovery extension over real sockets, through a proxy that cuts the
//! link: room events and direct events survive cuts exactly once and in
//! order, client events run exactly once, gaps are reported, and a v1 client
//! sees nothing new.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "support/proxy.rs"]
mod proxy;
#[path = "support/raw_client.rs"]
mod raw_client;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{connect_url, log, recv_event, recv_text, send_text, start, within};
use proxy::Proxy;
use raw_client::RawClient;
use serde_json::{Value, json};
use tokio::sync::watch;
use zap_core::{ConnectionRouter, EventRegister, History, RecoveryConfig, RecoveryStatus};

const EVENTS: u64 = 10_000;
const CUTS: u64 = 20;

/// `join` puts the connection in the payload's room and answers.
fn register() -> EventRegister {
    EventRegister::new().on_event("join", |ctx| async move {
        let room: String = ctx.payload_as()?;
        ctx.join(&room);
        ctx.reply("joined")?;
        Ok(())
    })
}

async fn join(client: &mut RawClient, room: &str) {
    client.send("join", json!(room)).await.unwrap();
    client.flush().await.unwrap();
    let reply = client.next().await.unwrap();
    assert_eq!(reply.event_name(), "join");
}

fn tick(router: &ConnectionRouter, room: &str, n: u64) {
    router.to(room).send("tick", n).unwrap();
}

fn ticks(events: &[zap_core::EventData]) -> impl Iterator<Item = u64> + '_ {
    events
        .iter()
        .filter(|event| event.event_name() == "tick")
        .map(|event| event.payload().parse::<u64>().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_events_survive_twenty_cuts_exactly_once_in_order() {
    let server = start(register().history("feed", History::last(EVENTS as usize))).await;
    let router = server.router().clone();
    let proxy = Proxy::start(server.local_addr()).await;
    let mut client = RawClient::new(proxy.url());
    let session = client.connect().await.unwrap();
    assert_eq!(session["status"], "new");
    join(&mut client, "feed").await;

    let chunk = EVENTS / (2 * CUTS + 1);
    let mut published = 0;
    let publish = |published: &mut u64, count: u64| {
        for _ in 0..count {
            tick(&router, "feed", *published);
            *published += 1;
        }
    };
    let mut received = Vec::new();
    for _ in 0..CUTS {
        publish(&mut published, chunk); // while connected: some are in flight at the cut
        proxy.cut();
        received.extend(ticks(&client.drain_until_lost().await));
        publish(&mut published, chunk); // while cut
        proxy.restore();
        let session = client.connect().await.unwrap();
        assert_eq!(session["status"], "recovered", "{session}");
    }
    let rest = EVENTS - published;
    publish(&mut published, rest);
    while (received.len() as u64) < EVENTS {
        let event = client.next().await.unwrap();
        received.extend(ticks(std::slice::from_ref(&event)));
    }
    assert_eq!(received, (0..EVENTS).collect::<Vec<_>>());
    assert_eq!(
        client.duplicates, 0,
        "the server resent events the client had"
    );
    let ids: Vec<&Value> = client.sessions.iter().map(|s| &s["id"]).collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "the connection id is kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_events_run_exactly_once_in_order_across_twenty_cuts() {
    let handled = Arc::new(Mutex::new(Vec::new()));
    let (count_tx, mut count_rx) = watch::channel(0usize);
    let register = {
        let handled = handled.clone();
        EventRegister::new()
            .on_event("n", move |ctx| {
                let handled = handled.clone();
                let count_tx = count_tx.clone();
                async move {
                    let n: u64 = ctx.payload_as()?;
                    let mut handled = handled.lock().unwrap();
                    handled.push(n);
                    count_tx.send_replace(handled.len());
                    Ok(())
                }
            })
            .on_event("ping", |ctx| async move {
                ctx.reply("pong")?;
                Ok(())
            })
    };
    let server = start(register).await;
    let proxy = Proxy::start(server.local_addr()).await;
    let mut client = RawClient::new(proxy.url());
    client.connect().await.unwrap();

    let chunk = EVENTS / CUTS;
    let mut next = 1;
    for _ in 0..CUTS {
        for _ in 0..chunk {
            // A write may fail once the link is gone: the event stays queued.
            let _ = client.send("n", json!(next)).await;
            next += 1;
        }
        let _ = client.flush().await;
        proxy.cut();
        client.drain_until_lost().await;
        proxy.restore();
        let session = client.connect().await.unwrap();
        assert_eq!(session["status"], "recovered", "{session}");
    }
    // Acknowledged means handled: once every event is acknowledged (flood
    // control refusing some on the way with zap.nack), every one has run.
    client.until_acked().await.unwrap();
    within(
        "every event handled",
        count_rx.wait_for(|n| *n as u64 >= EVENTS),
    )
    .await
    .unwrap();
    // A round trip after the last event: any duplicate would have run by now.
    client.send("ping", Value::Null).await.unwrap();
    client.flush().await.unwrap();
    loop {
        let event = client.next().await.unwrap();
        if event.event_name() == "ping" {
            break;
        }
    }
    assert_eq!(*handled.lock().unwrap(), (1..=EVENTS).collect::<Vec<_>>());
    client.until_acked().await.unwrap();
    assert!(
        client.acks < EVENTS / 2,
        "acknowledgements are cumulative ({} for {EVENTS} events)",
        client.acks
    );
}

#[tokio::test]
async fn direct_events_sent_during_a_cut_are_replayed_in_order() {
    let (ids_tx, mut ids_rx) = tokio::sync::mpsc::unbounded_channel();
    let register = EventRegister::new().on_connected(move |ctx| {
        let ids_tx = ids_tx.clone();
        async move {
            let _ = ids_tx.send(ctx.connection().id().clone());
        }
    });
    let server = start(register).await;
    let router = server.router().clone();
    let proxy = Proxy::start(server.local_addr()).await;
    let mut client = RawClient::new(proxy.url());
    client.connect().await.unwrap();
    let id = within("connected", ids_rx.recv()).await.unwrap();

    router.send_to(id.as_str(), "direct", 1).unwrap();
    assert_eq!(client.next().await.unwrap().payload().as_json(), "1");
    router.send_to(id.as_str(), "direct", 2).unwrap();
    proxy.cut();
    let before: Vec<String> = client
        .drain_until_lost()
        .await
        .iter()
        .map(|e| e.payload().as_json().to_owned())
        .collect();
    for n in 3..=5 {
        router.send_to(id.as_str(), "direct", n).unwrap();
    }
    proxy.restore();
    let session = client.connect().await.unwrap();
    assert_eq!(session["status"], "recovered");
    assert_eq!(session["directGap"], false);
    let mut all = before;
    while all.len() < 4 {
        all.push(client.next().await.unwrap().payload().as_json().to_owned());
    }
    assert_eq!(all, ["2", "3", "4", "5"]);
    assert_eq!(client.seq, 5);
}

#[tokio::test]
async fn another_epoch_is_reported_as_a_gap() {
    let server = start(register().history("feed", History::last(100))).await;
    let router = server.router().clone();
    let proxy = Proxy::start(server.local_addr()).await;
    let mut client = RawClient::new(proxy.url());
    client.connect().await.unwrap();
    join(&mut client, "feed").await;
    tick(&router, "feed", 0);
    client.next().await.unwrap();
    proxy.cut();
    client.drain_until_lost().await;
    proxy.restore();
    // The client's position is from a history that no longer exists.
    client.rooms.insert("feed".into(), ("gone".into(), 1));
    let session = client.connect().await.unwrap();
    assert_eq!(session["status"], "gaps");
    assert_eq!(session["gaps"], json!(["feed"]));
}

#[tokio::test]
async fn a_restarted_server_starts_a_new_session_with_reason_unknown() {
    let first = start(register().history("feed", History::last(100))).await;
    let proxy = Proxy::start(first.local_addr()).await;
    let mut client = RawClient::new(proxy.url());
    client.connect().await.unwrap();
    join(&mut client, "feed").await;
    // Reading while the server shuts down answers its close at once.
    tokio::join!(first.shutdown(), client.drain_until_lost());

    let second = start(register().history("feed", History::last(100))).await;
    proxy.set_upstream(second.local_addr());
    let session = client.connect().await.unwrap();
    assert_eq!(session["status"], "new");
    assert_eq!(session["reason"], "unknown");
}

#[tokio::test]
async fn an_expired_window_ends_the_session_and_says_so() {
    let (log, mut seen) = log();
    let register = {
        let (connected, disconnected) = (log.clone(), log.clone());
        register()
            .recovery(RecoveryConfig::default().window(Duration::ZERO))
            .on_connected(move |_| {
                let log = connected.clone();
                async move { log.push("connected") }
            })
            .on_disconnected(move |_| {
                let log = disconnected.clone();
                async move { log.push("disconnected") }
            })
    };
    let server = start(register).await;
    let proxy = Proxy::start(server.local_addr()).await;
    let mut client = RawClient::new(proxy.url());
    client.connect().await.unwrap();
    seen.expect("connected").await;
    proxy.cut();
    client.drain_until_lost().await;
    seen.expect("disconnected").await;
    proxy.restore();
    let session = client.connect().await.unwrap();
    assert_eq!(session["status"], "new");
    assert_eq!(session["reason"], "expired");
    seen.expect("connected").await;
}

#[tokio::test]
async fn a_resumed_session_runs_resumed_not_connected_and_keeps_presence_quiet() {
    let (log, mut seen) = log();
    let register = {
        let (connected, resumed, disconnected) = (log.clone(), log.clone(), log.clone());
        register()
            .history("lobby", History::last(100))
            .presence_event("presence")
            .on_connected(move |ctx| {
                let log = connected.clone();
                async move {
                    if ctx.connection().is_recoverable() {
                        log.push("connected");
                    }
                }
            })
            .on_resumed(move |ctx| {
                let log = resumed.clone();
                async move {
                    let status = ctx.connection().recovery();
                    log.push(format!(
                        "resumed {:?}",
                        status == Some(RecoveryStatus::Recovered)
                    ));
                }
            })
            .on_disconnected(move |ctx| {
                let log = disconnected.clone();
                async move {
                    if ctx.connection().is_recoverable() {
                        log.push("disconnected");
                    }
                }
            })
    };
    let server = start(register).await;
    let router = server.router().clone();
    // A v1 observer in the room sees presence events.
    let mut observer = connect_url(server.url()).await;
    send_text(&mut observer, r#"{"eventName":"join","payload":"lobby"}"#).await;
    assert_eq!(recv_event(&mut observer).await.event_name(), "join");

    let proxy = Proxy::start(server.local_addr()).await;
    let mut client = RawClient::new(proxy.url());
    client.connect().await.unwrap();
    seen.expect("connected").await;
    join(&mut client, "lobby").await;
    let joined = recv_event(&mut observer).await;
    assert_eq!(joined.event_name(), "presence");
    assert_eq!(joined.payload().to_value().unwrap()["action"], "join");

    proxy.cut();
    client.drain_until_lost().await;
    proxy.restore();
    let session = client.connect().await.unwrap();
    assert_eq!(session["status"], "recovered");
    seen.expect("resumed true").await;

    // No leave/join was announced: the next thing the observer sees is this.
    tick(&router, "lobby", 1);
    let next = recv_event(&mut observer).await;
    assert_eq!(next.event_name(), "tick", "{:?}", next.payload());
    assert_eq!(client.next().await.unwrap().event_name(), "tick");

    // A clean close ends the session: `disconnected` and a leave, once.
    client.close().await;
    seen.expect("disconnected").await;
    let left = recv_event(&mut observer).await;
    assert_eq!(left.payload().to_value().unwrap()["action"], "leave");
}

#[tokio::test]
async fn a_v1_client_sees_no_extension() {
    let (ids_tx, mut ids_rx) = tokio::sync::mpsc::unbounded_channel();
    let register = register()
        .history("feed", History::last(100))
        .on_connected(move |ctx| {
            let ids_tx = ids_tx.clone();
            async move {
                let _ = ids_tx.send(ctx.connection().id().clone());
            }
        });
    let server = start(register).await;
    let router = server.router().clone();
    let mut v1 = connect_url(server.url()).await;
    let id = within("connected", ids_rx.recv()).await.unwrap();
    send_text(
        &mut v1,
        r#"{"eventName":"join","payload":"feed","headers":{"zap-id":1}}"#,
    )
    .await;
    assert_eq!(
        recv_text(&mut v1).await,
        r#"{"eventName":"join","payload":"joined"}"#
    );
    // A recoverable member of the same room gets the stamped frame.
    let mut recovering = RawClient::new(server.url());
    recovering.connect().await.unwrap();
    join(&mut recovering, "feed").await;

    tick(&router, "feed", 7);
    router.send_to(id.as_str(), "direct", 8).unwrap();
    assert_eq!(
        recv_text(&mut v1).await,
        r#"{"eventName":"tick","payload":7}"#
    );
    assert_eq!(
        recv_text(&mut v1).await,
        r#"{"eventName":"direct","payload":8}"#
    );
    // zap-id means nothing to a v1 connection: the same id runs again, unacknowledged.
    send_text(
        &mut v1,
        r#"{"eventName":"join","payload":"feed","headers":{"zap-id":1}}"#,
    )
    .await;
    assert_eq!(
        recv_text(&mut v1).await,
        r#"{"eventName":"join","payload":"joined"}"#
    );

    let stamped = recovering.next().await.unwrap();
    assert_eq!(stamped.headers()["zap-room"], "feed");
    assert_eq!(stamped.headers()["zap-offset"], 1);
}

#[tokio::test]
async fn a_resume_takes_over_a_connection_the_server_still_holds() {
    let server = start(register().history("feed", History::last(100))).await;
    let router = server.router().clone();
    let mut first = RawClient::new(server.url());
    first.connect().await.unwrap();
    join(&mut first, "feed").await;
    tick(&router, "feed", 1);
    assert_eq!(first.next().await.unwrap().payload().as_json(), "1");

    // The client gave up on a link the server still thinks is fine.
    let mut second = RawClient::new(server.url());
    second.token = first.token.clone();
    second.rooms = first.rooms.clone();
    second.seq = first.seq;
    tick(&router, "feed", 2);
    let session = second.connect().await.unwrap();
    assert_eq!(session["status"], "recovered", "{session}");
    assert_eq!(second.next().await.unwrap().payload().as_json(), "2");
    // The old connection was closed by the server, not left behind.
    first.drain_until_lost().await;
    assert_eq!(router.count(), 1);
}

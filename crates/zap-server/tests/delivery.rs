//! Delivery with the other features on, default settings: flood control,
//! handler errors and requests against recovery. "Acknowledged" must mean
//! handled; an answer sent while the link is down must reach the client
//! after its resume, whatever API sent it.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "support/proxy.rs"]
mod proxy;
#[path = "support/raw_client.rs"]
mod raw_client;

use std::sync::{Arc, Mutex};

use common::{start, within};
use proxy::Proxy;
use raw_client::RawClient;
use serde_json::{Value, json};
use tokio::sync::watch;
use zap_core::extract::{Data, Reply};
use zap_core::{ErrorKind, EventContext, EventRegister, History};

/// A register counting the payloads of `n` in the order they were handled.
fn counting() -> (EventRegister, Arc<Mutex<Vec<u64>>>, watch::Receiver<usize>) {
    let handled = Arc::new(Mutex::new(Vec::new()));
    let (count_tx, count_rx) = watch::channel(0usize);
    let register = {
        let handled = handled.clone();
        EventRegister::new().on("n", move |Data(n): Data<u64>| {
            let handled = handled.clone();
            let count_tx = count_tx.clone();
            async move {
                let mut handled = handled.lock().unwrap();
                handled.push(n);
                count_tx.send_replace(handled.len());
            }
        })
    };
    (register, handled, count_rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_control_never_acknowledges_what_it_drops() {
    const SENT: u64 = 5_000; // over the default burst of 2,000
    let (register, handled, mut count) = counting();
    let server = start(register).await;
    let mut client = RawClient::new(server.url());
    client.connect().await.unwrap();
    for n in 1..=SENT {
        client.send("n", json!(n)).await.unwrap();
    }
    client.flush().await.unwrap();
    // Every acknowledgement covers only handled events; refused ones are
    // told (zap.nack) and resent until everything is acknowledged.
    while !client.unacked.is_empty() {
        let acked = SENT - client.unacked.len() as u64;
        assert!(
            handled.lock().unwrap().len() as u64 >= acked,
            "{acked} acknowledged, {} handled",
            handled.lock().unwrap().len()
        );
        client.until_acked_once().await.unwrap();
    }
    within("every event handled", count.wait_for(|n| *n as u64 >= SENT))
        .await
        .unwrap();
    assert_eq!(*handled.lock().unwrap(), (1..=SENT).collect::<Vec<_>>());
    assert!(client.nacks > 0, "flood control refused nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_extractor_answer_sent_while_the_link_is_down_arrives_after_the_resume() {
    let (release_tx, release_rx) = watch::channel(false);
    let register = EventRegister::new().on("ask", move |reply: Reply| {
        let mut release = release_rx.clone();
        async move {
            // Answers only once the test has cut the link.
            release.wait_for(|go| *go).await.unwrap();
            reply.send("answer")
        }
    });
    let server = start(register).await;
    let proxy = Proxy::start(server.local_addr()).await;
    let mut client = RawClient::new(proxy.url());
    client.connect().await.unwrap();
    client.request("ask", Value::Null, "r1").await.unwrap();
    client.flush().await.unwrap();
    proxy.cut();
    client.drain_until_lost().await;
    release_tx.send_replace(true);
    proxy.restore();
    let session = client.connect().await.unwrap();
    assert_eq!(session["status"], "recovered", "{session}");
    let answer = client.next().await.unwrap();
    assert_eq!(answer.event_name(), "ask");
    assert_eq!(answer.header_str("zap-response-to"), Some("r1"));
    assert_eq!(answer.payload().to_value().unwrap(), json!("answer"));
    client.until_acked().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_payload_does_not_decode_gets_an_error_reply_and_its_own_kind() {
    let (kinds_tx, mut kinds) = tokio::sync::mpsc::unbounded_channel();
    let register = EventRegister::new()
        .on(
            "shout",
            |Data(text): Data<String>, reply: Reply| async move { reply.send(text.to_uppercase()) },
        )
        .on_error(move |ctx: EventContext| {
            let kinds_tx = kinds_tx.clone();
            async move {
                let _ = kinds_tx.send(ctx.error().map(|info| info.kind));
            }
        });
    let server = start(register).await;
    let mut client = RawClient::new(server.url());
    client.connect().await.unwrap();
    client.request("shout", json!(42), "q1").await.unwrap();
    client.flush().await.unwrap();
    let answer = client.next().await.unwrap();
    assert_eq!(answer.header_str("zap-response-to"), Some("q1"));
    let error = &answer.headers()["zap-error"];
    assert_eq!(error["kind"], "invalid_payload", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("invalid payload"),
        "{error}"
    );
    let kind = within("the error handler", kinds.recv()).await.unwrap();
    assert_eq!(kind, Some(ErrorKind::InvalidPayload));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_a_handler_gets_an_error_reply() {
    let server = start(EventRegister::new()).await;
    let mut client = RawClient::new(server.url());
    client.connect().await.unwrap();
    client.request("nobody", Value::Null, "q2").await.unwrap();
    client.flush().await.unwrap();
    let answer = client.next().await.unwrap();
    assert_eq!(answer.event_name(), "nobody");
    assert_eq!(answer.headers()["zap-error"]["kind"], "no_handler");
    client.until_acked().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_answered_before_failing_is_not_answered_twice() {
    let register = EventRegister::new().on("half", |reply: Reply| async move {
        reply.send("partial")?;
        Err::<(), _>(zap_core::HandlerError::from("then it failed"))
    });
    let server = start(register).await;
    let mut client = RawClient::new(server.url());
    client.connect().await.unwrap();
    client.request("half", Value::Null, "q3").await.unwrap();
    client.request("half", Value::Null, "q4").await.unwrap();
    client.flush().await.unwrap();
    for id in ["q3", "q4"] {
        let answer = client.next().await.unwrap();
        assert_eq!(answer.header_str("zap-response-to"), Some(id));
        assert!(!answer.headers().contains_key("zap-error"), "{answer:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_gap_the_events_history_still_holds_are_replayed() {
    const KEPT: u64 = 5;
    let register = EventRegister::new()
        .history("feed", History::last(KEPT as usize))
        .on_event("join", |ctx| async move {
            ctx.join("feed");
            ctx.reply("joined")?;
            Ok(())
        });
    let server = start(register).await;
    let router = server.router().clone();
    let proxy = Proxy::start(server.local_addr()).await;
    let mut client = RawClient::new(proxy.url());
    client.connect().await.unwrap();
    client.send("join", Value::Null).await.unwrap();
    client.flush().await.unwrap();
    assert_eq!(client.next().await.unwrap().event_name(), "join");
    router.to("feed").send("tick", 0).unwrap();
    assert_eq!(client.next().await.unwrap().event_name(), "tick");
    proxy.cut();
    client.drain_until_lost().await;
    for n in 1..=20u64 {
        router.to("feed").send("tick", n).unwrap();
    }
    proxy.restore();
    let session = client.connect().await.unwrap();
    assert_eq!(session["status"], "gaps", "{session}");
    assert_eq!(session["gaps"], json!(["feed"]));
    let mut replayed = Vec::new();
    while (replayed.len() as u64) < KEPT {
        let event = client.next().await.unwrap();
        replayed.push(event.payload().parse::<u64>().unwrap());
    }
    assert_eq!(replayed, (16..=20).collect::<Vec<_>>());
    // New events follow the replay, without duplicates.
    router.to("feed").send("tick", 21).unwrap();
    let next = within("a new event", client.next()).await.unwrap();
    assert_eq!(next.payload().parse::<u64>().unwrap(), 21);
    assert_eq!(client.duplicates, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_cut_off_for_overflowing_its_queue_resumes_with_everything() {
    const EVENTS: u64 = 100;
    let blob = "b".repeat(32 * 1024); // fills the socket's buffers fast
    let register = EventRegister::new()
        .history("feed", History::last(1000).max_bytes(64 << 20))
        .on_event("join", |ctx| async move {
            ctx.join("feed");
            ctx.reply("joined")?;
            Ok(())
        });
    // The default overflow policy, with a queue small enough to overflow.
    let config = zap_core::ConnectionConfig::default().outbound_queue(16);
    let server = common::builder(register)
        .config(config)
        .start()
        .await
        .unwrap();
    let router = server.router().clone();
    let mut client = RawClient::new(server.url());
    let session = client.connect().await.unwrap();
    let id = session["id"].as_str().unwrap().to_owned();
    client.send("join", Value::Null).await.unwrap();
    client.flush().await.unwrap();
    assert_eq!(client.next().await.unwrap().event_name(), "join");
    // The client reads nothing while a burst far larger than its queue is
    // sent, direct and to its room: it is cut off (1008).
    for n in 0..EVENTS {
        let _ = router.send_to(&id, "dm", (n, &blob));
        router.to("feed").send("tick", (n, &blob)).unwrap();
    }
    let mut got = (Vec::new(), Vec::new());
    let take = |event: zap_core::EventData, got: &mut (Vec<u64>, Vec<u64>)| {
        let (n, _): (u64, String) = event.payload().parse().unwrap();
        match event.event_name() {
            "dm" => got.0.push(n),
            "tick" => got.1.push(n),
            _ => {}
        }
    };
    for event in client.drain_until_lost().await {
        take(event, &mut got);
    }
    assert!(
        got.0.len() + got.1.len() < 2 * EVENTS as usize,
        "the reader was not cut off"
    );
    let resumed = client.connect().await.unwrap();
    assert_eq!(resumed["status"], "recovered", "{resumed}");
    while got.0.len() < EVENTS as usize || got.1.len() < EVENTS as usize {
        match client.next().await {
            Ok(event) => take(event, &mut got),
            // Cut off again while catching up: resume again, as a client does.
            Err(_) => {
                let resumed = client.connect().await.unwrap();
                assert_eq!(resumed["status"], "recovered", "{resumed}");
            }
        }
    }
    assert_eq!(got.0, (0..EVENTS).collect::<Vec<_>>());
    assert_eq!(got.1, (0..EVENTS).collect::<Vec<_>>());
    assert_eq!(client.duplicates, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_parked_sessions_and_runs_disconnected_once() {
    let disconnected = Arc::new(Mutex::new(Vec::new()));
    let register = {
        let disconnected = disconnected.clone();
        EventRegister::new().on_disconnected(move |ctx: EventContext| {
            let disconnected = disconnected.clone();
            async move {
                disconnected
                    .lock()
                    .unwrap()
                    .push(ctx.connection().id().to_string());
            }
        })
    };
    let server = start(register).await;
    let proxy = Proxy::start(server.local_addr()).await;
    let mut parked = RawClient::new(proxy.url());
    let session = parked.connect().await.unwrap();
    proxy.cut();
    parked.drain_until_lost().await;
    let router = server.router().clone();
    within("the session parked", async {
        while router.parked_sessions() == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    server.shutdown().await;
    assert_eq!(
        *disconnected.lock().unwrap(),
        [session["id"].as_str().unwrap().to_owned()],
        "disconnected ran once for the parked session, before shutdown returned"
    );
}

//! Recovery and at-least-once sends against a server playing the recovery
//! extension of `docs/protocol.md` by hand ([`Scripted`]), on real sockets:
//! what the client asks for, what it hands back on a resume, what it drops
//! as already seen, what it sends again, and how it reports each outcome.

mod common;

use std::time::Duration;

use common::scripted::{Link, Scripted};
use common::{RawServer, next_payload, within};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use zap_client::{
    ConnectionError, NewReason, ReconnectPolicy, Recovery, SessionOutcome, SessionStream,
    ZapSubscriber,
};

fn fast_retries() -> ReconnectPolicy {
    ReconnectPolicy::exponential()
        .initial_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(100))
        .jitter(0.0)
        .min_uptime(Duration::ZERO)
}

fn client(url: &str) -> ZapSubscriber {
    ZapSubscriber::builder(url)
        .reconnect(fast_retries())
        .build()
}

async fn next_outcome(sessions: &mut SessionStream) -> SessionOutcome {
    within("a session outcome", sessions.next())
        .await
        .expect("session stream open")
}

/// Connects `client` to `server` and opens a new session `token`.
async fn connected(client: &ZapSubscriber, server: &mut Scripted, token: &str) -> Link {
    let mut sessions = client.sessions();
    let (connected, mut link) = tokio::join!(client.connect(), server.accept());
    connected.expect("connects");
    link.session(token, "new", json!({})).await;
    let outcome = next_outcome(&mut sessions).await;
    assert!(matches!(outcome, SessionOutcome::New { .. }), "{outcome:?}");
    link
}

/// The `zap-id` of a client event (`None` without one).
fn id_of(event: &Value) -> Option<u64> {
    event["headers"]["zap-id"].as_u64()
}

#[tokio::test]
async fn the_first_connection_asks_for_recovery_and_the_session_event_is_not_delivered() {
    let mut server = Scripted::start().await;
    let client = client(&server.url);
    let mut all = client.subscribe_to_all_events();
    let mut sessions = client.sessions();
    let (connected, mut link) = tokio::join!(client.connect(), server.accept());
    connected.expect("connects");
    assert_eq!(link.param("zap_recover"), Some("1"));
    assert_eq!(link.param("zap_session"), None, "nothing to resume yet");
    link.session("t1", "new", json!({})).await;
    link.ack(0).await;
    link.send(json!({"eventName": "zap.future", "payload": 1}))
        .await;
    link.send(json!({"eventName": "hello", "payload": 1})).await;
    let outcome = next_outcome(&mut sessions).await;
    assert_eq!(
        outcome,
        SessionOutcome::New {
            id: "zpt-scripted".into(),
            reason: NewReason::First,
            undelivered: 0
        }
    );
    let first = within("an event", all.next()).await.expect("open");
    assert_eq!(first.event_name(), "hello", "reserved events stay inside");
}

#[tokio::test]
async fn sends_carry_ids_from_one_in_order() {
    let mut server = Scripted::start().await;
    let client = client(&server.url);
    let mut link = connected(&client, &mut server, "t1").await;
    for n in 0..3 {
        client.send_event("say", n).expect("sent");
    }
    for n in 0..3 {
        let event = link.next_event().await;
        assert_eq!(event["payload"], json!(n));
        assert_eq!(id_of(&event), Some(n + 1));
    }
}

#[tokio::test]
async fn against_a_v1_server_events_go_out_plain_and_no_session_is_announced() {
    let mut raw = RawServer::start().await;
    let client = ZapSubscriber::new(&raw.url);
    let mut sessions = client.sessions();
    let (connected, mut socket) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");
    client.send_event("say", 1).expect("sent");
    let frame = loop {
        match within("the event", socket.next()).await {
            Some(Ok(Message::Text(text))) => break text.to_string(),
            Some(Ok(_)) => {}
            other => panic!("ended: {other:?}"),
        }
    };
    assert_eq!(frame, r#"{"eventName":"say","payload":1}"#);
    client.disconnect().await;
    let announced = futures_util::FutureExt::now_or_never(sessions.next());
    assert!(announced.is_none(), "no session: {announced:?}");
}

#[tokio::test]
async fn with_recovery_off_the_upgrade_asks_for_nothing() {
    let mut server = Scripted::start().await;
    let client = ZapSubscriber::builder(&server.url)
        .recovery(Recovery::off())
        .build();
    let (connected, link) = tokio::join!(client.connect(), server.accept());
    connected.expect("connects");
    assert!(link.query.is_empty(), "{:?}", link.query);
}

#[tokio::test]
async fn a_reconnect_hands_back_the_token_the_seq_and_every_room_offset() {
    let mut server = Scripted::start().await;
    let client = client(&server.url);
    let mut said = client.subscribe_to_events(["said", "direct"]);
    let mut link = connected(&client, &mut server, "tok/1").await;
    link.room_event("chat:a", "e1", 1, json!("a1")).await;
    link.room_event("b", "e9", 7, json!("b7")).await;
    link.direct(1, json!("d1")).await;
    for _ in 0..3 {
        next_payload(&mut said).await;
    }
    link.cut();
    let link = server.accept().await;
    assert_eq!(link.param("zap_recover"), Some("1"));
    assert_eq!(link.param("zap_session"), Some("tok/1"));
    assert_eq!(link.param("zap_seq"), Some("1"));
    assert_eq!(link.params("zap_room"), ["e9:7:b", "e1:1:chat:a"]);
}

#[tokio::test]
async fn a_recovered_session_delivers_what_was_missed_once_and_in_order() {
    let mut server = Scripted::start().await;
    let client = client(&server.url);
    let mut sessions = client.sessions();
    let mut events = client.subscribe_to_events(["said", "direct"]);
    let mut link = connected(&client, &mut server, "t").await;
    next_outcome(&mut sessions).await;
    for offset in 1..=3 {
        link.room_event("r", "e", offset, json!(offset)).await;
    }
    link.direct(1, json!("d1")).await;
    for want in [json!(1), json!(2), json!(3), json!("d1")] {
        assert_eq!(next_payload(&mut events).await, want);
    }
    link.cut();

    let mut link = server.accept().await;
    link.session("t", "recovered", json!({})).await;
    // A replay that overlaps what arrived before the cut.
    for offset in 2..=5 {
        link.room_event("r", "e", offset, json!(offset)).await;
    }
    for seq in 1..=2 {
        link.direct(seq, json!(format!("d{seq}"))).await;
    }
    link.room_event("r", "e", 6, json!(6)).await;
    assert_eq!(
        next_outcome(&mut sessions).await,
        SessionOutcome::Recovered {
            id: "zpt-scripted".into()
        }
    );
    for want in [json!(4), json!(5), json!("d2"), json!(6)] {
        assert_eq!(next_payload(&mut events).await, want);
    }
}

#[tokio::test]
async fn a_new_epoch_is_delivered_from_its_first_offset() {
    let mut server = Scripted::start().await;
    let client = client(&server.url);
    let mut events = client.subscribe_to_event("said");
    let mut link = connected(&client, &mut server, "t").await;
    link.room_event("r", "old", 40, json!("old")).await;
    assert_eq!(next_payload(&mut events).await, json!("old"));
    link.room_event("r", "new", 1, json!("restarted")).await;
    assert_eq!(next_payload(&mut events).await, json!("restarted"));
}

#[tokio::test]
async fn gaps_are_announced_and_reported_with_their_rooms() {
    let mut server = Scripted::start().await;
    let client = client(&server.url);
    let mut sessions = client.sessions();
    let mut errors = client.errors();
    let link = connected(&client, &mut server, "t").await;
    next_outcome(&mut sessions).await;
    link.cut();
    let mut link = server.accept().await;
    link.session(
        "t",
        "gaps",
        json!({"gaps": ["r1", "r2"], "directGap": true}),
    )
    .await;
    assert_eq!(
        next_outcome(&mut sessions).await,
        SessionOutcome::Gaps {
            id: "zpt-scripted".into(),
            rooms: vec!["r1".into(), "r2".into()],
            direct: true
        }
    );
    loop {
        match within("the gap report", errors.next()).await.expect("open") {
            ConnectionError::Gaps { rooms, direct } => {
                assert_eq!(rooms, ["r1", "r2"]);
                assert!(direct);
                break;
            }
            _lost_connection => {}
        }
    }
}

#[tokio::test]
async fn unacknowledged_sends_are_sent_again_first_after_a_resume() {
    let mut server = Scripted::start().await;
    let client = client(&server.url);
    let mut link = connected(&client, &mut server, "t").await;
    for n in 1..=5 {
        client.send_event("say", n).expect("sent");
    }
    for n in 1..=5 {
        assert_eq!(id_of(&link.next_event().await), Some(n));
    }
    link.ack(2).await;
    link.cut();

    let mut link = server.accept().await;
    // The server had handled up to 3 when the link dropped.
    link.session("t", "recovered", json!({"ack": 3})).await;
    let resent: Vec<_> = [link.next_event().await, link.next_event().await].into();
    assert_eq!(
        resent.iter().map(id_of).collect::<Vec<_>>(),
        [Some(4), Some(5)]
    );
    assert_eq!(resent[0]["payload"], json!(4));
    client.send_event("say", 6).expect("sent");
    let next = link.next_event().await;
    assert_eq!((id_of(&next), &next["payload"]), (Some(6), &json!(6)));
}

#[tokio::test]
async fn an_expired_session_reports_unacknowledged_sends_as_not_delivered() {
    let mut server = Scripted::start().await;
    let client = client(&server.url);
    let mut sessions = client.sessions();
    let mut errors = client.errors();
    let mut link = connected(&client, &mut server, "t").await;
    next_outcome(&mut sessions).await;
    for n in 1..=3 {
        client.send_event("say", n).expect("sent");
    }
    for n in 1..=3 {
        assert_eq!(id_of(&link.next_event().await), Some(n));
    }
    link.ack(1).await;
    // The ack is read before the cut is noticed: a ping answered after it
    // proves the client read it.
    link.ping("after the ack").await;
    while !matches!(link.next_any().await, Message::Pong(_)) {}
    link.cut();

    let mut link = server.accept().await;
    link.session("t2", "new", json!({"reason": "expired"}))
        .await;
    assert_eq!(
        next_outcome(&mut sessions).await,
        SessionOutcome::New {
            id: "zpt-scripted".into(),
            reason: NewReason::Expired,
            undelivered: 2
        }
    );
    loop {
        match within("the report", errors.next()).await.expect("open") {
            ConnectionError::NotDelivered { count, reason } => {
                assert_eq!((count, reason), (2, NewReason::Expired));
                break;
            }
            _lost_connection => {}
        }
    }
    // Not sent again; the new session's ids start at 1.
    client.send_event("say", "fresh").expect("sent");
    let next = link.next_event().await;
    assert_eq!((id_of(&next), &next["payload"]), (Some(1), &json!("fresh")));
}

#[tokio::test]
async fn writing_pauses_at_the_unacknowledged_bound_until_an_ack() {
    let mut server = Scripted::start().await;
    let client = ZapSubscriber::builder(&server.url)
        .recovery(Recovery::on().max_unacknowledged(2))
        .build();
    let mut link = connected(&client, &mut server, "t").await;
    for n in 1..=4 {
        client.send_event("say", n).expect("sent");
    }
    for n in 1..=2 {
        assert_eq!(id_of(&link.next_event().await), Some(n));
    }
    // Nothing more until the ack: the pong to this ping comes first.
    link.ping("paused?").await;
    assert_eq!(link.next_any().await, Message::Pong("paused?".into()));
    link.ack(2).await;
    for n in 3..=4 {
        assert_eq!(id_of(&link.next_event().await), Some(n));
    }
}

#[tokio::test]
async fn connect_after_a_loss_resumes_but_after_disconnect_starts_over() {
    let mut server = Scripted::start().await;
    let client = ZapSubscriber::new(&server.url);
    let link = connected(&client, &mut server, "t").await;
    let mut states = client.connection_state();
    link.cut();
    common::wait_for_state(&mut states, zap_client::ConnectionState::Error).await;
    let (connected, mut link) = tokio::join!(client.connect(), server.accept());
    connected.expect("reconnects");
    assert_eq!(link.param("zap_session"), Some("t"), "connect() resumes");
    link.session("t", "recovered", json!({})).await;

    within("disconnect", client.disconnect()).await;
    let (connected, link) = tokio::join!(client.connect(), server.accept());
    connected.expect("connects again");
    assert_eq!(link.param("zap_session"), None, "a clean close ended it");
}

#[tokio::test]
async fn a_pong_ahead_of_the_session_of_a_resume_is_not_taken_for_v1() {
    let mut server = Scripted::start().await;
    let client = client(&server.url);
    let mut sessions = client.sessions();
    let link = connected(&client, &mut server, "t").await;
    next_outcome(&mut sessions).await;
    link.cut();
    let mut link = server.accept().await;
    // The client's ping, answered (flushed by the next write) before the
    // session is ready, as a server busy taking the session over may.
    assert!(matches!(link.next_any().await, Message::Ping(_)));
    link.ping("flush").await;
    link.session("t", "recovered", json!({})).await;
    assert!(next_outcome(&mut sessions).await.is_resumed());
    client.send_event("say", 1).expect("sent");
    assert_eq!(id_of(&link.next_event().await), Some(1));
}

#[tokio::test]
async fn the_application_sees_no_recovery_headers() {
    let mut server = Scripted::start().await;
    let client = client(&server.url);
    let mut events = client.subscribe_to_events(["said", "direct", "echo"]);
    let mut link = connected(&client, &mut server, "t").await;
    link.room_event("r", "e", 1, json!(1)).await;
    link.direct(1, json!(2)).await;
    let echoed = json!({"n": 3, "zap-id": 7, "zap-seq": 2});
    link.send(json!({"eventName": "echo", "payload": 3, "headers": echoed}))
        .await;
    for _ in 0..2 {
        let event = within("an event", events.next()).await.expect("open");
        assert_eq!(event.headers_opt(), None, "{event:?}");
    }
    let event = within("an event", events.next()).await.expect("open");
    assert_eq!(event.headers().len(), 1, "{event:?}");
    assert_eq!(event.headers()["n"], json!(3));
}

#[tokio::test]
async fn a_session_stream_made_after_connect_starts_with_the_current_outcome() {
    let mut server = Scripted::start().await;
    let client = client(&server.url);
    // `connected` waits for the outcome on a stream of its own: by then
    // the outcome has been announced.
    let _link = connected(&client, &mut server, "t").await;
    let mut late = client.sessions();
    let outcome = next_outcome(&mut late).await;
    assert_eq!(
        outcome,
        SessionOutcome::New {
            id: "zpt-scripted".into(),
            reason: NewReason::First,
            undelivered: 0
        }
    );
    // Once: nothing else is waiting on the late stream.
    assert!(futures_util::FutureExt::now_or_never(late.next()).is_none());
}

#[tokio::test]
async fn sending_while_the_link_is_down_is_refused_at_once_even_when_the_server_offers_recovery() {
    let mut server = Scripted::start().await;
    let target = server
        .url
        .trim_start_matches("ws://")
        .trim_end_matches("/ws")
        .parse()
        .expect("an address");
    let proxy = common::Proxy::start(target).await;
    let client = client(&proxy.url);
    let mut states = client.connection_state();
    let _link = connected(&client, &mut server, "t").await;
    proxy.down();
    common::wait_for_state(&mut states, zap_client::ConnectionState::Error).await;
    // Reconnection keeps trying (and failing) meanwhile: `Error` or
    // `Connecting`, never online, and nothing is held for later.
    let error = client.send_event("say", 1).expect_err("not online");
    match &error {
        zap_client::SendError::NotOnline { state } => assert!(!state.is_online(), "{state}"),
        other => panic!("{other:?}"),
    }
    let said = error.to_string();
    assert!(
        said == "cannot send: the connection failed or was lost, and is not back"
            || said == "cannot send: the client is still connecting",
        "{said}"
    );
}

#[tokio::test]
async fn a_refused_event_and_every_later_one_are_sent_again_in_order_after_retry_after() {
    let mut server = Scripted::start().await;
    let client = client(&server.url);
    let mut link = connected(&client, &mut server, "t").await;
    for n in 1..=4 {
        client.send_event("say", n).expect("sent");
    }
    for n in 1..=4 {
        assert_eq!(id_of(&link.next_event().await), Some(n));
    }
    // 1 was handled; 2 was refused (so 3 and 4 were dropped).
    link.ack(1).await;
    let retry_after = Duration::from_millis(80);
    let refused_at = tokio::time::Instant::now();
    link.send(json!({"eventName": "zap.nack",
        "payload": {"id": 2, "reason": "rate_limited", "retryAfter": 80}}))
        .await;
    let again: Vec<Value> = [
        link.next_event().await,
        link.next_event().await,
        link.next_event().await,
    ]
    .into();
    assert!(
        refused_at.elapsed() >= retry_after,
        "sent again after {:?}, before retryAfter",
        refused_at.elapsed()
    );
    assert_eq!(
        again
            .iter()
            .map(|event| (id_of(event), event["payload"].clone()))
            .collect::<Vec<_>>(),
        [
            (Some(2), json!(2)),
            (Some(3), json!(3)),
            (Some(4), json!(4))
        ]
    );
    // The journal still holds them (nothing dropped on a refusal): a second
    // refusal of 3 sends 3 and 4 again.
    link.send(json!({"eventName": "zap.nack",
        "payload": {"id": 3, "reason": "rate_limited", "retryAfter": 0}}))
        .await;
    assert_eq!(id_of(&link.next_event().await), Some(3));
    assert_eq!(id_of(&link.next_event().await), Some(4));
    // New events follow, with the next ids.
    client.send_event("say", 5).expect("sent");
    assert_eq!(id_of(&link.next_event().await), Some(5));
}

#[tokio::test]
async fn a_server_that_offers_it_gets_the_resume_in_the_first_frame_not_the_url() {
    let mut server = Scripted::start().await;
    let client = client(&server.url);
    let mut sessions = client.sessions();
    let mut said = client.subscribe_to_events(["said", "direct"]);
    let (connected, mut link) = tokio::join!(client.connect(), server.accept());
    connected.expect("connects");
    link.session("tok/1", "new", json!({"resumeFrame": true}))
        .await;
    next_outcome(&mut sessions).await;
    link.room_event("chat:a", "e1", 4, json!("a4")).await;
    link.direct(2, json!("d2")).await;
    for _ in 0..2 {
        next_payload(&mut said).await;
    }
    link.cut();

    let mut link = server.accept().await;
    assert_eq!(link.param("zap_recover"), Some("1"));
    assert_eq!(link.param("zap_resume"), Some("frame"));
    assert_eq!(
        link.param("zap_session"),
        None,
        "the token stays out of the URL"
    );
    assert_eq!(link.param("zap_seq"), None);
    assert!(link.params("zap_room").is_empty());
    // The very first frame, before the ping.
    let first = match link.next_any().await {
        Message::Text(text) => serde_json::from_str::<Value>(text.as_str()).expect("JSON"),
        other => panic!("the first frame is not zap.resume: {other:?}"),
    };
    assert_eq!(
        first,
        json!({"eventName": "zap.resume", "payload": {"token": "tok/1", "seq": 2,
            "rooms": [{"room": "chat:a", "epoch": "e1", "offset": 4}]}})
    );
    link.session("tok/1", "recovered", json!({"resumeFrame": true}))
        .await;
    assert!(matches!(
        next_outcome(&mut sessions).await,
        SessionOutcome::Recovered { .. }
    ));
}

//! Reconnection: manual `connect()` after `disconnect()` or a loss, and
//! automatic reconnection across a server restart, with the outbox. A
//! restarted server is reached through a [`Proxy`] that keeps its port, so
//! no test rebinds a port another process could have taken.

mod common;

use std::time::Duration;

use common::{Proxy, RawServer, next_payload, server, wait_for_state, within};
use futures_util::StreamExt;
use serde_json::json;
use zap_client::ConnectionState::{Connecting, Error, Offline, Online};
use zap_client::{
    ConnectError, ConnectionError, ReconnectPolicy, Recovery, SendError, ZapSubscriber,
};

fn fast_retries() -> ReconnectPolicy {
    ReconnectPolicy::exponential()
        .initial_delay(Duration::from_millis(20))
        .max_delay(Duration::from_millis(200))
        .jitter(0.0)
}

/// Sends `echo` events `values` and checks that exactly those come back, in
/// order, with nothing in between (no duplicate from an earlier connection).
async fn round_trip(client: &ZapSubscriber, echoes: &mut zap_client::Subscription, values: &[i32]) {
    for value in values {
        client.send_event("echo", value).expect("sent");
    }
    for value in values {
        assert_eq!(next_payload(echoes).await, json!(value));
    }
}

#[tokio::test]
async fn connect_after_disconnect_resumes_subscriptions_without_duplicates() {
    let server = server().await;
    let client = ZapSubscriber::new(server.url());
    let mut echoes = client.subscribe_to_event("echo");
    within("connect", client.connect()).await.expect("connects");
    round_trip(&client, &mut echoes, &[1, 2]).await;
    within("disconnect", client.disconnect()).await;
    within("connect", client.connect())
        .await
        .expect("reconnects");
    round_trip(&client, &mut echoes, &[3, 4]).await;
}

#[tokio::test]
async fn connect_after_a_lost_connection_resumes_subscriptions() {
    let server = server().await;
    let proxy = Proxy::start(server.local_addr()).await;
    let client = ZapSubscriber::new(&proxy.url);
    let mut echoes = client.subscribe_to_event("echo");
    let mut states = client.connection_state();
    within("connect", client.connect()).await.expect("connects");
    round_trip(&client, &mut echoes, &[1]).await;
    proxy.cut();
    wait_for_state(&mut states, Error).await;
    within("connect", client.connect())
        .await
        .expect("reconnects");
    round_trip(&client, &mut echoes, &[2, 3]).await;
}

#[tokio::test]
async fn a_server_restart_is_survived_without_the_application_doing_anything() {
    let server = server().await;
    let proxy = Proxy::start(server.local_addr()).await;
    // Online for a moment only: with no minimum uptime that still counts as
    // a success, so the attempts after the restart are numbered from 1.
    let client = ZapSubscriber::builder(&proxy.url)
        .reconnect(fast_retries().min_uptime(Duration::ZERO))
        .connect()
        .await
        .expect("connects");
    let mut echoes = client.subscribe_to_event("echo");
    let mut all = client.subscribe_to_all_events();
    let mut states = client.connection_state();
    let mut errors = client.errors();
    round_trip(&client, &mut echoes, &[1]).await;

    within("shutdown", server.shutdown()).await;
    // Let at least three attempts fail, so the backoff is seen at work.
    let mut failures = Vec::new();
    while failures.len() < 3 {
        match within("an error", errors.next()).await.expect("open") {
            ConnectionError::ConnectFailed { attempt, .. } => failures.push(attempt),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(failures, [1, 2, 3]);
    let server = common::server().await;
    proxy.route_to(server.local_addr());
    let before = wait_for_state(&mut states, Online).await;
    assert_eq!(before[..5], [Offline, Connecting, Error, Connecting, Error]);

    round_trip(&client, &mut echoes, &[2, 3]).await;
    // The all-events subscription saw each echo exactly once, in order.
    for want in [1, 2, 3] {
        assert_eq!(next_payload(&mut all).await, json!(want));
    }
    drop(server);
}

#[tokio::test]
async fn the_outbox_holds_events_while_reconnecting_and_flushes_them_in_order() {
    let server = server().await;
    let proxy = Proxy::start(server.local_addr()).await;
    // The outbox option alone: with recovery, a server that offers it makes
    // the outbox hold at least `max_unacknowledged` (tests/recovery*.rs).
    let client = ZapSubscriber::builder(&proxy.url)
        .recovery(Recovery::off())
        .reconnect(fast_retries())
        .outbox(3)
        .connect()
        .await
        .expect("connects");
    let mut echoes = client.subscribe_to_event("echo");
    let mut states = client.connection_state();
    within("shutdown", server.shutdown()).await;
    wait_for_state(&mut states, Error).await;

    for value in [1, 2, 3] {
        client.send_event("echo", value).expect("held");
    }
    let full = client.send_event("echo", 4).expect_err("outbox full");
    assert!(matches!(full, SendError::Full { capacity: 3 }), "{full:?}");

    let server = common::server().await;
    proxy.route_to(server.local_addr());
    wait_for_state(&mut states, Online).await;
    client.send_event("echo", 5).expect("sent");
    for want in [1, 2, 3, 5] {
        assert_eq!(next_payload(&mut echoes).await, json!(want));
    }
}

#[tokio::test]
async fn without_an_outbox_sending_while_reconnecting_fails_at_once() {
    let server = server().await;
    let client = ZapSubscriber::builder(server.url())
        .recovery(Recovery::off())
        .reconnect(fast_retries())
        .connect()
        .await
        .expect("connects");
    let mut states = client.connection_state();
    within("shutdown", server.shutdown()).await;
    wait_for_state(&mut states, Error).await;
    let error = client.send_event("echo", 1).expect_err("not online");
    assert!(matches!(error, SendError::NotOnline { .. }), "{error:?}");
}

#[tokio::test]
async fn a_first_connect_with_a_policy_waits_for_the_server_to_appear() {
    let proxy = Proxy::refusing().await;
    let client = ZapSubscriber::builder(&proxy.url)
        .reconnect(fast_retries())
        .build();
    let mut states = client.connection_state();
    let connecting = tokio::spawn({
        let client = client.clone();
        async move { client.connect().await }
    });
    wait_for_state(&mut states, Error).await;
    let server = server().await;
    proxy.route_to(server.local_addr());
    within("connect", connecting)
        .await
        .expect("task")
        .expect("connects once the server is up");
    assert!(client.is_connected());
}

#[tokio::test]
async fn reconnection_gives_up_after_the_maximum_number_of_attempts() {
    let client = ZapSubscriber::builder("ws://127.0.0.1:1/")
        .reconnect(fast_retries().max_attempts(3))
        .build();
    let mut errors = client.errors();
    let error = within("connect", client.connect())
        .await
        .expect_err("gives up");
    assert!(matches!(error, ConnectError::Io(_)), "{error:?}");
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(within("error", errors.next()).await.expect("open"));
    }
    assert!(matches!(
        seen[0],
        ConnectionError::ConnectFailed { attempt: 1, .. }
    ));
    assert!(matches!(
        seen[2],
        ConnectionError::ConnectFailed { attempt: 3, .. }
    ));
    assert!(matches!(seen[3], ConnectionError::GaveUp { attempts: 3 }));
    assert_eq!(client.current_state(), Error);
}

#[tokio::test]
async fn disconnect_during_reconnection_stops_it_and_goes_offline() {
    let client = ZapSubscriber::builder("ws://127.0.0.1:1/")
        .reconnect(ReconnectPolicy::exponential().initial_delay(Duration::from_secs(60)))
        .build();
    let mut states = client.connection_state();
    let connecting = tokio::spawn({
        let client = client.clone();
        async move { client.connect().await }
    });
    wait_for_state(&mut states, Error).await; // now waiting 60 s to retry
    within("disconnect", client.disconnect()).await;
    let outcome = within("connect", connecting).await.expect("task");
    assert!(matches!(outcome, Err(ConnectError::Aborted)), "{outcome:?}");
    assert_eq!(client.current_state(), Offline);
}

#[tokio::test]
async fn a_server_that_closes_every_connection_at_once_is_redialled_with_backoff() {
    let mut raw = RawServer::start().await;
    let client = ZapSubscriber::builder(&raw.url)
        .reconnect(
            ReconnectPolicy::exponential()
                .initial_delay(Duration::from_millis(50))
                .jitter(0.0)
                .max_attempts(4),
        )
        .build();
    let mut errors = client.errors();
    let closer = tokio::spawn(async move {
        let mut accepted = 0;
        loop {
            let mut socket = raw.accept().await;
            accepted += 1;
            let _ = socket.close(None).await;
            if accepted == 4 {
                return accepted;
            }
        }
    });
    let start = std::time::Instant::now();
    // Online for a moment, then gave up: either outcome is right for connect().
    let _ = within("connect", client.connect()).await;
    let gave_up = loop {
        match within("an error", errors.next()).await.expect("open") {
            ConnectionError::GaveUp { attempts } => break attempts,
            other => assert!(
                matches!(other, ConnectionError::ConnectionLost(_)),
                "{other:?}"
            ),
        }
    };
    assert_eq!(gave_up, 4);
    assert_eq!(within("the closer", closer).await.expect("task"), 4);
    // Waits of 50, 100 and 200 ms between the four connections.
    assert!(start.elapsed() >= Duration::from_millis(350));
}

//! Heartbeat: the client answers pings and detects a server that went silent.

mod common;

use std::time::{Duration, Instant};

use common::{RawServer, flood, wait_for_state, within};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use zap_client::ConnectionState::{Error, Online};
use zap_client::{ConnectionError, Heartbeat, ReconnectPolicy, ZapSubscriber};

#[tokio::test]
async fn pings_from_the_server_are_answered() {
    let mut raw = RawServer::start().await;
    let client = ZapSubscriber::builder(&raw.url)
        .heartbeat(Heartbeat::disabled())
        .build();
    let (connected, mut socket) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");
    socket
        .send(Message::Ping("are you there".into()))
        .await
        .expect("pings");
    // The client's own ping (it asks for recovery, see tests/recovery.rs)
    // may come first.
    let pong = loop {
        match within("the pong", socket.next()).await {
            Some(Ok(Message::Ping(_))) => {}
            other => break other.expect("open").expect("frame"),
        }
    };
    assert_eq!(pong, Message::Pong("are you there".into()));
}

#[tokio::test]
async fn a_silent_server_is_declared_dead_and_a_new_one_is_reached() {
    let mut raw = RawServer::start().await;
    let (interval, timeout) = (Duration::from_millis(50), Duration::from_millis(300));
    let client = ZapSubscriber::builder(&raw.url)
        .heartbeat(Heartbeat::new(interval, timeout))
        .reconnect(ReconnectPolicy::exponential().initial_delay(Duration::from_millis(10)))
        .build();
    let mut states = client.connection_state();
    let mut errors = client.errors();
    let (connected, silent) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");
    // `silent` is never read, so the client's pings are never answered.
    wait_for_state(&mut states, Error).await;
    let error = within("the error", errors.next()).await.expect("open");
    assert!(
        matches!(error, ConnectionError::HeartbeatTimeout(t) if t >= timeout),
        "{error:?}"
    );
    // Automatic reconnection opens a second connection; this one answers
    // each ping (reading does) and counts them.
    let mut second = raw.accept().await;
    wait_for_state(&mut states, Online).await;
    let (pinged, mut pings) = tokio::sync::mpsc::unbounded_channel();
    let answering = tokio::spawn(async move {
        while let Some(Ok(message)) = second.next().await {
            if message.is_ping() {
                let _ = pinged.send(());
            }
        }
    });
    // Wait for pings spanning twice the timeout: a server that answers is
    // never declared dead, so no error comes and the client stays online.
    let enough = 2 * timeout.as_millis() / interval.as_millis();
    for _ in 0..enough {
        within("a ping", pings.recv()).await.expect("answering");
    }
    assert!(client.is_connected(), "an answering server must stay alive");
    let reported = futures_util::FutureExt::now_or_never(errors.next());
    assert!(reported.is_none(), "unexpected {reported:?}");
    drop((silent, answering));
}

#[tokio::test]
async fn a_server_that_stops_reading_is_declared_dead_while_a_write_is_stuck() {
    let mut raw = RawServer::start().await;
    let timeout = Duration::from_millis(300);
    let client = ZapSubscriber::builder(&raw.url)
        .heartbeat(Heartbeat::new(Duration::from_millis(100), timeout))
        .close_timeout(Duration::from_millis(500))
        .build();
    let mut errors = client.errors();
    let (connected, _not_reading) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");
    let start = Instant::now();
    flood(&client, 32);

    let error = within("the heartbeat timeout", errors.next())
        .await
        .expect("open");
    assert!(
        matches!(error, ConnectionError::HeartbeatTimeout(t) if t >= timeout),
        "{error:?}"
    );
    // The timeout, plus generous slack for a loaded machine.
    assert!(start.elapsed() < timeout + Duration::from_secs(2));
    assert_eq!(client.current_state(), Error);
    within("disconnect", client.disconnect()).await;
}

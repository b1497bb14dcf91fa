//! The sequence of connection states on connect, server close, network drop
//! and `disconnect()`.

mod common;

use common::{Proxy, RawServer, expect_states, server, wait_for_state, within};
use futures_util::StreamExt;
use zap_client::ConnectionState::{Connecting, Error, Offline, Online};
use zap_client::{ConnectionError, ZapSubscriber};

#[tokio::test]
async fn connect_goes_connecting_then_online() {
    let server = server().await;
    let client = ZapSubscriber::new(server.url());
    let mut states = client.connection_state();
    assert_eq!(client.current_state(), Offline);
    within("connect", client.connect()).await.expect("connects");
    expect_states(&mut states, &[Connecting, Online]).await;
}

#[tokio::test]
async fn a_failed_attempt_goes_connecting_then_error() {
    let client = ZapSubscriber::new("ws://127.0.0.1:1/");
    let mut states = client.connection_state();
    within("connect", client.connect())
        .await
        .expect_err("refused");
    expect_states(&mut states, &[Connecting, Error]).await;
}

#[tokio::test]
async fn a_server_shutdown_goes_offline() {
    let server = server().await;
    let client = ZapSubscriber::new(server.url());
    within("connect", client.connect()).await.expect("connects");
    let mut states = client.connection_state();
    within("shutdown", server.shutdown()).await;
    expect_states(&mut states, &[Offline]).await;
    assert!(!client.is_connected());
}

#[tokio::test]
async fn the_server_closing_one_connection_goes_offline() {
    let server = server().await;
    let client = ZapSubscriber::new(server.url());
    within("connect", client.connect()).await.expect("connects");
    let mut states = client.connection_state();
    client.send_event("bye", ()).expect("sent");
    expect_states(&mut states, &[Offline]).await;
}

#[tokio::test]
async fn a_network_drop_goes_error_and_reports_the_loss() {
    let server = server().await;
    let proxy = Proxy::start(server.local_addr()).await;
    let client = ZapSubscriber::new(&proxy.url);
    within("connect", client.connect()).await.expect("connects");
    let mut states = client.connection_state();
    let mut errors = client.errors();
    proxy.cut();
    expect_states(&mut states, &[Error]).await;
    let error = within("error", errors.next()).await.expect("open");
    assert!(
        matches!(error, ConnectionError::ConnectionLost(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn disconnect_goes_offline_and_is_idempotent() {
    let server = server().await;
    let client = ZapSubscriber::new(server.url());
    within("connect", client.connect()).await.expect("connects");
    let mut states = client.connection_state();
    within("disconnect", client.disconnect()).await;
    assert_eq!(client.current_state(), Offline);
    within("disconnect again", client.disconnect()).await;
    within("connect", client.connect())
        .await
        .expect("reconnects");
    expect_states(&mut states, &[Offline, Connecting, Online]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_right_after_a_loss_opens_a_new_connection() {
    // The window between the end of a connection and its supervisor's
    // end is short: go through it many times, on two threads.
    let mut raw = RawServer::start().await;
    let client = ZapSubscriber::new(&raw.url);
    let (connected, mut socket) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");
    for round in 0..20 {
        let mut states = client.connection_state();
        drop(socket); // the connection is lost
        wait_for_state(&mut states, Error).await;
        let (connected, next) = tokio::join!(client.connect(), raw.accept());
        connected.expect("reconnects");
        assert!(client.is_connected(), "round {round}: Ok while offline");
        socket = next;
    }
}

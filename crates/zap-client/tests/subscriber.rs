//! The stream client against a real zap-server: sending, subscribing,
//! ordering, many subscribers, lagging, and the errors of `send_event` and
//! `connect`.

mod common;

use std::time::Duration;

use common::{RawServer, next_payload, server, within};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use zap_client::{ConnectError, ConnectionState, Headers, RequestError, SendError, ZapSubscriber};

#[tokio::test]
async fn a_sent_event_comes_back_to_its_subscription() {
    let server = server().await;
    let client = within("connect", ZapSubscriber::builder(server.url()).connect())
        .await
        .expect("connects");
    let mut echoes = client.subscribe_to_event("echo");
    client
        .send_event("echo", json!({"text": "hi"}))
        .expect("sent");
    assert_eq!(next_payload(&mut echoes).await, json!({"text": "hi"}));
    assert!(client.is_connected());
    assert_eq!(client.current_state(), ConnectionState::Online);
    assert_eq!(client.url(), server.url());
}

#[tokio::test]
async fn headers_are_left_off_the_wire_when_none_and_sent_when_some() {
    let mut raw = RawServer::start().await;
    let client = ZapSubscriber::new(&raw.url);
    let (connected, mut socket) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");

    let mut headers = Headers::new();
    headers.insert("room".into(), json!("lobby"));
    client.send_event("a", 1).expect("sent");
    client
        .send_event_with_headers("b", 2, Headers::new())
        .expect("sent");
    client
        .send_event_with_headers("c", 3, headers)
        .expect("sent");

    let mut texts = Vec::new();
    while texts.len() < 3 {
        match within("a frame", socket.next()).await {
            Some(Ok(Message::Text(text))) => texts.push(text.to_string()),
            Some(Ok(_)) => {}
            other => panic!("socket ended: {other:?}"),
        }
    }
    assert_eq!(
        texts,
        [
            r#"{"eventName":"a","payload":1}"#,
            r#"{"eventName":"b","payload":2,"headers":{}}"#,
            r#"{"eventName":"c","payload":3,"headers":{"room":"lobby"}}"#,
        ]
    );
}

#[tokio::test]
async fn subscriptions_receive_exactly_the_names_they_asked_for() {
    let mut raw = RawServer::start().await;
    let client = ZapSubscriber::new(&raw.url);
    let mut a_or_b = client.subscribe_to_events(["a", "b", "a"]);
    let mut only_c = client.subscribe_to_event("c");
    let mut all = client.subscribe_to_all_events();
    let (connected, mut socket) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");

    for (name, n) in [("a", 1), ("b", 2), ("c", 3), ("a", 4)] {
        let text = format!(r#"{{"eventName":"{name}","payload":{n}}}"#);
        socket
            .send(Message::text(text))
            .await
            .expect("server sends");
    }
    for want in [1, 2, 4] {
        assert_eq!(next_payload(&mut a_or_b).await, json!(want));
    }
    assert_eq!(next_payload(&mut only_c).await, json!(3));
    for want in [1, 2, 3, 4] {
        assert_eq!(next_payload(&mut all).await, json!(want));
    }
}

#[tokio::test]
async fn many_subscribers_each_get_every_event_in_order() {
    const EVENTS: u32 = 1000;
    let server = server().await;
    let client = ZapSubscriber::builder(server.url())
        .subscription_capacity(EVENTS as usize)
        .connect()
        .await
        .expect("connects");
    let mut subscribers: Vec<_> = (0..10).map(|_| client.subscribe_to_event("tick")).collect();
    subscribers.push(client.subscribe_to_all_events());
    client.send_event("burst", EVENTS).expect("sent");
    for subscriber in &mut subscribers {
        for want in 0..EVENTS {
            assert_eq!(next_payload(subscriber).await, json!(want));
        }
        assert_eq!(subscriber.missed(), 0);
    }
}

#[tokio::test]
async fn a_lagging_subscription_loses_its_oldest_events_and_counts_them() {
    let server = server().await;
    let client = ZapSubscriber::builder(server.url())
        .subscription_capacity(4)
        .connect()
        .await
        .expect("connects");
    let mut slow = client.subscribe_to_event("tick");
    client.send_event("burst", 20).expect("sent");
    // The server handles one connection's events in order, so the reply to
    // this request comes after the 20 ticks: by then all were delivered.
    within("barrier", client.request("ask", ()))
        .await
        .expect("reply");
    // `slow` kept the 4 newest of 20 ticks.
    for want in 16..20 {
        assert_eq!(next_payload(&mut slow).await, json!(want));
    }
    assert_eq!(slow.missed(), 16);
}

#[tokio::test]
async fn sending_while_offline_fails_at_once() {
    let client = ZapSubscriber::new("ws://127.0.0.1:9/");
    let error = client.send_event("e", ()).expect_err("offline");
    assert!(
        matches!(
            error,
            SendError::NotOnline {
                state: ConnectionState::Offline
            }
        ),
        "{error:?}"
    );
    let error = within("request", client.request("e", ()))
        .await
        .expect_err("offline");
    assert!(
        matches!(error, RequestError::Send(SendError::NotOnline { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn connecting_to_a_closed_port_fails_with_an_io_error_and_the_error_state() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let client = ZapSubscriber::new(format!("ws://127.0.0.1:{port}/"));
    let error = within("connect", client.connect())
        .await
        .expect_err("refused");
    assert!(matches!(error, ConnectError::Io(_)), "{error:?}");
    assert_eq!(client.current_state(), ConnectionState::Error);
}

#[tokio::test]
async fn a_bad_url_is_a_permanent_error() {
    for url in ["http://127.0.0.1:1/", "not a url", "ws://"] {
        let client = ZapSubscriber::new(url);
        let error = within("connect", client.connect())
            .await
            .expect_err("bad url");
        assert!(error.is_permanent(), "{url}: {error:?}");
    }
}

#[tokio::test]
async fn a_silent_server_makes_connect_time_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let _hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp); // accept, never answer the upgrade
        }
    });
    let client = ZapSubscriber::builder(format!("ws://{addr}/"))
        .connect_timeout(Duration::from_millis(200))
        .build();
    let error = within("connect", client.connect())
        .await
        .expect_err("timeout");
    assert!(
        matches!(error, ConnectError::Timeout(t) if t == Duration::from_millis(200)),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_wrong_path_is_rejected_with_the_http_status_and_the_body_text() {
    let server = zap_server::ZapServer::builder()
        .port(0)
        .path("/ws")
        .start()
        .await
        .expect("starts");
    let url = format!("ws://{}/elsewhere", server.local_addr());
    let error = within("connect", ZapSubscriber::builder(url).connect())
        .await
        .expect_err("rejected");
    assert!(
        matches!(&error, ConnectError::Rejected { status: 400, body } if body == "no WebSocket endpoint at this path"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "server refused the WebSocket upgrade with HTTP status 400: no WebSocket endpoint at this path"
    );
}

#[tokio::test]
async fn a_bearer_token_reaches_the_server_and_a_wrong_one_stops_reconnection() {
    let register = common::register().authorize(|handshake| async move {
        match handshake.bearer_token() {
            Some("good") => Ok(()),
            _ => Err(zap_core::Rejection::unauthorized()),
        }
    });
    let server = zap_server::ZapServer::builder()
        .port(0)
        .register(register)
        .start()
        .await
        .expect("starts");
    let good = ZapSubscriber::builder(server.url())
        .header("authorization", "Bearer good")
        .connect();
    within("connect", good).await.expect("authorized");

    let bad = ZapSubscriber::builder(server.url())
        .header("authorization", "Bearer bad")
        .reconnect(zap_client::ReconnectPolicy::exponential())
        .connect();
    let error = within("connect", bad).await.expect_err("refused");
    assert!(
        matches!(error, ConnectError::Rejected { status: 401, .. }),
        "{error:?}"
    );
    assert!(error.is_permanent(), "a 401 is not retried");
}

#[tokio::test]
#[allow(clippy::result_large_err)] // tungstenite's handshake callback signature
async fn subprotocols_are_offered_in_the_handshake() {
    use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("ws://{}/", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        let mut offered = None;
        let callback = |request: &Request, mut response: Response| {
            offered = request
                .headers()
                .get("sec-websocket-protocol")
                .map(|v| v.to_str().unwrap_or_default().to_owned());
            response
                .headers_mut()
                .insert("sec-websocket-protocol", "zap.v2".parse().expect("value"));
            Ok(response)
        };
        let ws = tokio_tungstenite::accept_hdr_async(tcp, callback)
            .await
            .expect("upgrade");
        (offered, ws)
    });
    let client = ZapSubscriber::builder(url)
        .subprotocol("zap.v1")
        .subprotocol("zap.v2")
        .build();
    within("connect", client.connect()).await.expect("connects");
    let (offered, _ws) = within("server", server).await.expect("task");
    assert_eq!(offered.as_deref(), Some("zap.v1, zap.v2"));
}

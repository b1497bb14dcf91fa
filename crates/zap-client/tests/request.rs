//! Request/response over v1: `zap-request-id` out, `zap-response-to` back.

mod common;

use std::time::Duration;

use common::{RawServer, next_payload, server, within};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use zap_client::{RequestError, ZapSubscriber};

#[tokio::test]
async fn a_request_gets_the_reply_carrying_its_id() {
    let server = server().await;
    let client = within("connect", ZapSubscriber::builder(server.url()).connect())
        .await
        .expect("connects");
    let mut asks = client.subscribe_to_event("ask");
    let mut echoes = client.subscribe_to_event("echo");
    let reply = within("reply", client.request("ask", json!({"q": 1})))
        .await
        .expect("reply");
    assert_eq!(reply.event_name(), "ask");
    assert_eq!(
        reply.payload().to_value().expect("json"),
        json!({"ok": true, "echo": {"q": 1}})
    );
    assert!(reply.header_str("zap-response-to").is_some());
    // The reply went to the request only: events are delivered in order,
    // so once a later event arrived, the reply would have too.
    client.send_event("echo", "marker").expect("sent");
    assert_eq!(next_payload(&mut echoes).await, json!("marker"));
    assert!(
        futures_util::FutureExt::now_or_never(asks.next()).is_none(),
        "the reply was also delivered to a subscription"
    );
}

#[tokio::test]
async fn concurrent_requests_each_get_their_own_reply() {
    let server = server().await;
    let client = within("connect", ZapSubscriber::builder(server.url()).connect())
        .await
        .expect("connects");
    let requests = (0..20).map(|n| {
        let client = client.clone();
        async move { (n, client.request("ask", n).await) }
    });
    for (n, reply) in within("replies", futures_util::future::join_all(requests)).await {
        let reply = reply.expect("reply");
        assert_eq!(reply.payload().to_value().expect("json")["echo"], json!(n));
    }
}

#[tokio::test]
async fn a_request_without_reply_times_out() {
    let server = server().await;
    let client = within("connect", ZapSubscriber::builder(server.url()).connect())
        .await
        .expect("connects");
    // `echo` answers with the same headers, so `zap-request-id` but no
    // `zap-response-to`: not a reply.
    let mut echoes = client.subscribe_to_event("echo");
    let timeout = Duration::from_millis(100);
    let error = within("timeout", client.request_with_timeout("echo", 7, timeout))
        .await
        .expect_err("no reply");
    assert!(
        matches!(error, RequestError::Timeout(t) if t == timeout),
        "{error:?}"
    );
    assert_eq!(next_payload(&mut echoes).await, json!(7));
}

#[tokio::test]
async fn a_reply_to_an_unknown_id_resolves_nothing_and_is_delivered_as_an_event() {
    let mut raw = RawServer::start().await;
    let client = ZapSubscriber::new(&raw.url);
    let mut all = client.subscribe_to_all_events();
    let (connected, mut socket) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");

    let request = tokio::spawn({
        let client = client.clone();
        async move { client.request("ask", "q").await }
    });
    let id = loop {
        match within("the request", socket.next()).await {
            Some(Ok(Message::Text(text))) => {
                let event = zap_protocol::decode(&text).expect("valid");
                break event
                    .header_str("zap-request-id")
                    .expect("has an id")
                    .to_owned();
            }
            Some(Ok(_)) => {}
            other => panic!("socket ended: {other:?}"),
        }
    };
    let reply = |to: &str, payload: &str| {
        Message::text(format!(
            r#"{{"eventName":"ask","payload":"{payload}","headers":{{"zap-response-to":"{to}"}}}}"#
        ))
    };
    socket
        .send(reply("no-such-id", "stray"))
        .await
        .expect("sends");
    socket.send(reply(&id, "answer")).await.expect("sends");

    let answer = within("reply", request)
        .await
        .expect("task")
        .expect("reply");
    assert_eq!(answer.payload().to_value().expect("json"), json!("answer"));
    let stray = within("stray", all.next()).await.expect("open");
    assert_eq!(stray.header_str("zap-response-to"), Some("no-such-id"));
}

#[tokio::test]
async fn a_request_fails_when_the_connection_ends_first() {
    let mut raw = RawServer::start().await;
    let client = ZapSubscriber::new(&raw.url);
    let (connected, mut socket) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");
    let request = tokio::spawn({
        let client = client.clone();
        async move { client.request("ask", "q").await }
    });
    let _request_frame = within("the request", socket.next()).await;
    socket.close(None).await.expect("closes");
    let error = within("failure", request)
        .await
        .expect("task")
        .expect_err("lost");
    assert!(matches!(error, RequestError::ConnectionLost), "{error:?}");
}

/// The `zap-request-id` of the next request `client` makes, as the server
/// sees it.
async fn next_request_id(client: &ZapSubscriber, raw: &mut RawServer) -> String {
    let (connected, mut socket) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");
    let request = tokio::spawn({
        let client = client.clone();
        async move { client.request("ask", "q").await }
    });
    let id = loop {
        match within("the request", socket.next()).await {
            Some(Ok(Message::Text(text))) => {
                let event = zap_protocol::decode(&text).expect("valid");
                break event
                    .header_str("zap-request-id")
                    .expect("has an id")
                    .to_owned();
            }
            Some(Ok(_)) => {}
            other => panic!("socket ended: {other:?}"),
        }
    };
    request.abort();
    id
}

#[tokio::test]
async fn request_ids_of_different_clients_do_not_collide() {
    let mut raw = RawServer::start().await;
    let one = ZapSubscriber::new(&raw.url);
    let two = ZapSubscriber::new(&raw.url);
    let first = next_request_id(&one, &mut raw).await;
    let second = next_request_id(&two, &mut raw).await;
    // Both are each client's first request, yet the ids differ.
    assert_ne!(first, second);
    assert!(
        first.ends_with("-0") && second.ends_with("-0"),
        "{first} {second}"
    );
}

#[tokio::test]
async fn an_error_reply_fails_the_request_at_once_with_its_kind_and_message() {
    let mut raw = RawServer::start().await;
    let client = ZapSubscriber::new(&raw.url);
    let mut all = client.subscribe_to_all_events();
    let (connected, mut socket) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");
    // A timeout far beyond the test's own limit: only the error reply can
    // end this request in time.
    let request = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .request_with_timeout("shout", 42, Duration::from_secs(3600))
                .await
        }
    });
    let id = loop {
        match within("the request", socket.next()).await {
            Some(Ok(Message::Text(text))) => {
                let event = zap_protocol::decode(&text).expect("valid");
                break event
                    .header_str("zap-request-id")
                    .expect("has an id")
                    .to_owned();
            }
            Some(Ok(_)) => {}
            other => panic!("socket ended: {other:?}"),
        }
    };
    let error_reply = json!({
        "eventName": "shout",
        "payload": null,
        "headers": {
            "zap-response-to": id,
            "zap-error": {"kind": "invalid_payload", "message": "invalid type: integer `42`, expected a string"},
        },
    });
    socket
        .send(Message::text(error_reply.to_string()))
        .await
        .expect("sends");
    let error = within("the error reply", request)
        .await
        .expect("task")
        .expect_err("an error reply");
    match &error {
        RequestError::Remote {
            event,
            kind,
            message,
        } => {
            assert_eq!(event, "shout");
            assert_eq!(kind, "invalid_payload");
            assert_eq!(message, "invalid type: integer `42`, expected a string");
        }
        other => panic!("not a remote error: {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "the server could not handle `shout` (invalid_payload): invalid type: integer `42`, expected a string"
    );
    // The error reply answered the request only.
    assert!(futures_util::FutureExt::now_or_never(all.next()).is_none());
}

/// End to end against zap-server: a request whose payload is not what the
/// handler takes (`Data<String>`, given a number) gets its error reply.
#[tokio::test]
async fn a_request_with_a_payload_the_handler_cannot_take_fails_with_invalid_payload() {
    use zap_core::extract::{Data, Reply};
    let register = zap_core::EventRegister::new().on(
        "shout",
        |Data(text): Data<String>, reply: Reply| async move { reply.send(text.to_uppercase()) },
    );
    let server = zap_server::ZapServer::builder()
        .port(0)
        .register(register)
        .start()
        .await
        .expect("serves");
    let client = within("connect", ZapSubscriber::builder(server.url()).connect())
        .await
        .expect("connects");
    let shouted = within("reply", client.request("shout", "hi"))
        .await
        .expect("a reply");
    assert_eq!(shouted.payload().to_value().expect("json"), json!("HI"));
    let error = within(
        "the error reply",
        client.request_with_timeout("shout", 42, Duration::from_secs(3600)),
    )
    .await
    .expect_err("an error reply");
    assert!(
        matches!(&error, RequestError::Remote { kind, .. } if kind == "invalid_payload"),
        "{error:?}"
    );
}

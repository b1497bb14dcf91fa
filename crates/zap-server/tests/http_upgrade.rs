//! The HTTP side: 400 for plain HTTP and wrong paths, 401/403 from the
//! authorization hook, 503 past max connections, the HTTP fallback, handshake
//! data and extensions in handlers, id strategies.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use tokio::io::AsyncReadExt;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use zap_core::{EventRegister, Rejection};

async fn refused_status(request: impl IntoClientRequest + Unpin) -> u16 {
    match tokio_tungstenite::connect_async(request).await {
        Err(WsError::Http(response)) => response.status().as_u16(),
        other => panic!(
            "expected an HTTP refusal, got {:?}",
            other.map(|(_, r)| r.status())
        ),
    }
}

#[tokio::test]
async fn a_plain_http_request_is_answered_400() {
    let server = start(echo_register()).await;
    let response = http(&server, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(
        response.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{response}"
    );
    assert!(
        response.contains("zaptools WebSocket endpoint"),
        "{response}"
    );
}

#[tokio::test]
async fn an_upgrade_on_the_wrong_path_is_answered_400() {
    let server = builder(echo_register()).path("/ws").start().await.unwrap();
    let url = format!("ws://{}/elsewhere", server.local_addr());
    assert_eq!(refused_status(url).await, 400);
    let good = format!("ws://{}/ws?x=1", server.local_addr());
    let mut ws = connect_url(&good).await;
    assert_echoes(&mut ws, "right path").await;
}

#[tokio::test]
async fn malformed_and_oversized_request_heads_are_refused() {
    let server = start(echo_register()).await;
    let response = http(&server, "NOT HTTP AT ALL\r\n\r\n").await;
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    let huge = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(32 * 1024));
    let response = http(&server, &huge).await;
    assert!(response.starts_with("HTTP/1.1 431"), "{response}");
}

#[tokio::test]
async fn a_silent_socket_is_dropped_after_the_handshake_timeout() {
    let server = builder(echo_register())
        .handshake_timeout(Duration::from_millis(100))
        .start()
        .await
        .unwrap();
    let mut tcp = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    let mut buf = [0u8; 16];
    let read = within("the server to drop the socket", tcp.read(&mut buf)).await;
    assert!(matches!(read, Ok(0) | Err(_)));
}

#[derive(Clone, Debug, PartialEq)]
struct User(String);

fn auth_register() -> EventRegister {
    EventRegister::new()
        .authorize(|hs| async move {
            match hs.bearer_token() {
                Some("good") => {
                    hs.extensions().insert(User("ada".into()));
                    Ok(())
                }
                Some(_) => Err(Rejection::forbidden().with_reason("token not allowed")),
                None => Err(Rejection::unauthorized().with_reason("missing token")),
            }
        })
        .on_connected(|ctx| async move {
            let user = ctx.connection().extensions().get::<User>().unwrap();
            ctx.connection().send("hello", &user.0)?;
            Ok(())
        })
}

fn request_with_token(url: &str, token: Option<&str>) -> http::Request<()> {
    let mut request = url.into_client_request().unwrap();
    if let Some(token) = token {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    request
}

#[tokio::test]
async fn the_authorization_hook_refuses_with_401_and_403() {
    let server = start(auth_register()).await;
    assert_eq!(
        refused_status(request_with_token(server.url(), None)).await,
        401
    );
    assert_eq!(
        refused_status(request_with_token(server.url(), Some("bad"))).await,
        403
    );
    let raw = http(
        &server,
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    )
    .await;
    assert!(raw.starts_with("HTTP/1.1 401 Unauthorized"), "{raw}");
    assert!(raw.ends_with("missing token\n"), "{raw}");
    assert_eq!(server.router().count(), 0);
}

#[tokio::test]
async fn what_the_authorization_hook_stores_reaches_the_handlers() {
    let server = start(auth_register()).await;
    let (mut ws, _) =
        tokio_tungstenite::connect_async(request_with_token(server.url(), Some("good")))
            .await
            .unwrap();
    let hello = recv_event(&mut ws).await;
    assert_eq!(hello.payload().as_json(), "\"ada\"");
}

#[tokio::test]
async fn upgrades_past_max_connections_are_answered_503() {
    let server = builder(echo_register())
        .max_connections(2)
        .start()
        .await
        .unwrap();
    let mut a = connect(&server).await;
    let _b = connect(&server).await;
    assert_eq!(refused_status(server.url()).await, 503);
    assert_echoes(&mut a, "a still works").await;
    futures_util::SinkExt::close(&mut a).await.unwrap();
    drop(a);

    within("a slot to free up", async {
        loop {
            if let Ok((mut c, _)) = tokio_tungstenite::connect_async(server.url()).await {
                assert_echoes(&mut c, "c got the slot").await;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn the_http_fallback_answers_plain_requests() {
    let server = builder(echo_register())
        .path("/ws")
        .http_fallback(|request| match request.uri().path() {
            "/" => Some(
                http::Response::builder()
                    .header("content-type", "text/html")
                    .body("<h1>chat</h1>".to_owned())
                    .unwrap(),
            ),
            _ => None,
        })
        .start()
        .await
        .unwrap();
    let page = http(&server, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
    assert!(page.contains("content-type: text/html"), "{page}");
    assert!(page.ends_with("<h1>chat</h1>"), "{page}");
    let missing = http(&server, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(missing.starts_with("HTTP/1.1 400"), "{missing}");
}

#[tokio::test]
async fn handshake_data_reaches_the_connected_handler() {
    let register = EventRegister::new().on_connected(|ctx| async move {
        let hs = ctx.handshake();
        let seen = json!({
            "path": hs.path(),
            "room": hs.query_param("room"),
            "agent": hs.header("x-agent"),
            "peer_ip": hs.peer_addr().map(|a| a.ip().to_string()),
        });
        ctx.connection().send("handshake", seen)?;
        Ok(())
    });
    let server = builder(register).path("/chat").start().await.unwrap();
    let url = format!("ws://{}/chat?room=the%20lobby", server.local_addr());
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("x-agent", "tests/1.0".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let seen = recv_event(&mut ws).await.payload().to_value().unwrap();
    assert_eq!(
        seen,
        json!({"path": "/chat", "room": "the lobby", "agent": "tests/1.0", "peer_ip": "127.0.0.1"})
    );
}

#[tokio::test]
async fn an_id_strategy_names_connections_and_duplicates_are_refused() {
    let register = echo_register()
        .id_strategy(|hs| format!("user-{}", hs.query_param("name").unwrap_or_default()).into())
        .on_connected(|ctx| async move {
            ctx.connection()
                .send("id", ctx.connection().id().as_str())?;
            Ok(())
        });
    let server = start(register).await;
    let url = format!("{}?name=ada", server.url());
    let mut first = connect_url(&url).await;
    assert_eq!(
        recv_event(&mut first).await.payload().as_json(),
        "\"user-ada\""
    );
    let mut second = connect_url(&url).await;
    let close = recv_close(&mut second).await.unwrap();
    assert_eq!(u16::from(close.code), 1008);
    assert_eq!(close.reason.as_str(), "duplicate connection id");
    assert_echoes(&mut first, "first keeps its id").await;
}

#[tokio::test]
async fn the_first_offered_subprotocol_the_server_supports_is_chosen() {
    let config = zap_core::ConnectionConfig::default().subprotocols(["zap.v1", "chat"]);
    let server = builder(echo_register())
        .config(config)
        .start()
        .await
        .unwrap();
    let mut request = server.url().into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "other, chat, zap.v1".parse().unwrap(),
    );
    let (mut ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
    assert_echoes(&mut ws, "with a subprotocol").await;
}

//! The chat's handlers, tested in memory with zap-test (join, messages
//! with exclude, who joined and left, refusals), plus the two things that
//! need the real server: the page at `/` and the socket at `/ws`.
#![allow(clippy::unwrap_used)]

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use zap_test::{TestClient, TestServer};

async fn seated(server: &TestServer, room: &str, name: &str) -> TestClient {
    let mut client = server.connect().await;
    client.send("join", json!({"room": room, "name": name}));
    client.expect("joined").await;
    client
}

#[tokio::test(start_paused = true)]
async fn joining_lists_the_members() {
    let server = TestServer::new(example_chat::register());
    let mut ada = server.connect().await;
    ada.send("join", json!({"room": "lobby", "name": "ada"}));
    ada.expect_payload("joined", json!({"room": "lobby", "members": ["ada"]}))
        .await;
}

#[tokio::test(start_paused = true)]
async fn the_room_is_told_who_joined() {
    let server = TestServer::new(example_chat::register());
    let mut ada = seated(&server, "lobby", "ada").await;
    let mut bob = server.connect().await;
    bob.send("join", json!({"room": "lobby", "name": "bob"}));
    bob.expect_payload(
        "joined",
        json!({"room": "lobby", "members": ["ada", "bob"]}),
    )
    .await;
    ada.expect_payload(
        "user-joined",
        json!({"room": "lobby", "name": "bob", "members": ["ada", "bob"]}),
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_message_reaches_the_room_but_not_its_sender() {
    let server = TestServer::new(example_chat::register());
    let ada = seated(&server, "lobby", "ada").await;
    let mut bob = seated(&server, "lobby", "bob").await;
    let mut other = seated(&server, "elsewhere", "cy").await;
    let lobby = server.room("lobby").except(bob.id());
    bob.take_all();
    bob.send("message", json!({"text": "hi ada"}));
    lobby
        .expect_payload(
            "message",
            json!({"room": "lobby", "name": "bob", "text": "hi ada"}),
        )
        .await;
    assert_eq!(lobby.members(), {
        let mut ids = vec![ada.id().clone(), bob.id().clone()];
        ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        ids
    });
    bob.expect_nothing().await;
    other.expect_nothing().await;
}

#[tokio::test(start_paused = true)]
async fn leaving_is_answered_and_announced() {
    let server = TestServer::new(example_chat::register());
    let mut ada = seated(&server, "lobby", "ada").await;
    let mut bob = seated(&server, "lobby", "bob").await;
    ada.take_all();
    bob.send("leave", Value::Null);
    bob.expect_payload("left", json!({"room": "lobby"})).await;
    ada.expect_payload(
        "user-left",
        json!({"room": "lobby", "name": "bob", "members": ["ada"]}),
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn leaving_by_disconnecting_is_announced() {
    let server = TestServer::new(example_chat::register());
    let mut ada = seated(&server, "r", "ada").await;
    let bob = seated(&server, "r", "bob").await;
    ada.take_all();
    bob.close().await;
    ada.expect_payload(
        "user-left",
        json!({"room": "r", "name": "bob", "members": ["ada"]}),
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_message_before_joining_is_refused_with_a_reason() {
    let server = TestServer::new(example_chat::register());
    let mut client = server.connect().await;
    client.send("message", json!({"text": "hello?"}));
    client
        .expect_payload(
            "chat-error",
            json!({"message": "join a room before sending messages"}),
        )
        .await;
}

#[tokio::test(start_paused = true)]
async fn a_blank_room_is_refused_with_a_reason() {
    let server = TestServer::new(example_chat::register());
    let mut client = server.connect().await;
    client.send("join", json!({"room": "  ", "name": "ada"}));
    client
        .expect_payload("chat-error", json!({"message": "room is empty"}))
        .await;
}

#[tokio::test(start_paused = true)]
async fn a_malformed_join_is_refused_and_the_connection_stays() {
    let server = TestServer::new(example_chat::register());
    let mut client = server.connect().await;
    client.send("join", json!("lobby"));
    client.expect("chat-error").await;
    client.send("join", json!({"room": "lobby", "name": "ada"}));
    client.expect("joined").await;
}

#[tokio::test]
async fn the_chat_is_served_at_ws() {
    let server = example_chat::start("127.0.0.1", 0).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(server.url())
        .await
        .unwrap();
    let join = json!({"eventName": "join", "payload": {"room": "lobby", "name": "ada"}});
    ws.send(Message::text(join.to_string())).await.unwrap();
    let answer = tokio::time::timeout(zap_test::WAIT, ws.next())
        .await
        .expect("an answer within the wait")
        .unwrap()
        .unwrap();
    let answer: Value = serde_json::from_str(answer.to_text().unwrap()).unwrap();
    assert_eq!(answer["eventName"], "joined");
}

#[tokio::test]
async fn the_page_is_served_at_the_root() {
    let server = example_chat::start("127.0.0.1", 0).await.unwrap();
    let mut tcp = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut page = String::new();
    tcp.read_to_string(&mut page).await.unwrap();
    assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
    assert!(page.contains("text/html"), "{page}");
    assert!(page.contains("<title>zaptools chat</title>"), "{page}");
}

#[tokio::test(start_paused = true)]
async fn a_name_taken_in_the_room_is_refused() {
    let server = TestServer::new(example_chat::register());
    let _ada = seated(&server, "lobby", "ada").await;
    let mut other = server.connect().await;
    other.send("join", json!({"room": "lobby", "name": "ADA"}));
    other
        .expect_payload(
            "chat-error",
            json!({"message": "the name ADA is taken in lobby"}),
        )
        .await;
    // The same name in another room is fine.
    other.send("join", json!({"room": "hall", "name": "ada"}));
    other.expect("joined").await;
}

/// `GET path` on the chat; the whole response.
async fn get(server: &zap_server::ZapServer, path: &str) -> String {
    let mut tcp = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn every_module_of_the_npm_package_build_is_served_under_zaptools() {
    let server = example_chat::start("127.0.0.1", 0).await.unwrap();
    let dist =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../clients/typescript/dist");
    let mut built: Vec<String> = std::fs::read_dir(&dist)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".js"))
        .collect();
    built.sort();
    let served: Vec<&str> = example_chat::ZAPTOOLS_MODULES
        .iter()
        .map(|(name, _)| *name)
        .collect();
    assert_eq!(
        served,
        built,
        "ZAPTOOLS_MODULES must list every module of {}",
        dist.display()
    );
    for name in built {
        let response = get(&server, &format!("/zaptools/{name}")).await;
        assert!(
            response.starts_with("HTTP/1.1 200 OK"),
            "{name}: {response}"
        );
        assert!(response.contains("text/javascript"), "{name}: {response}");
        let body = std::fs::read_to_string(dist.join(&name)).unwrap();
        assert!(response.ends_with(&body), "{name} is served as built");
    }
    let index = get(&server, "/zaptools/index.js").await;
    assert!(index.contains("createClient"), "{index}");
    let outside = get(&server, "/zaptools/../Cargo.toml").await;
    assert!(!outside.starts_with("HTTP/1.1 200"), "{outside}");
}

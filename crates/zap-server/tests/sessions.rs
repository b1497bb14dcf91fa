//! Resumable sessions and who may resume them: the resume in the first
//! frame (the token out of the URL), a first frame that is not a resume,
//! and sessions bound to an identity.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "support/proxy.rs"]
mod proxy;
#[path = "support/raw_client.rs"]
mod raw_client;

use common::start;
use proxy::Proxy;
use raw_client::RawClient;
use serde_json::json;
use zap_core::{EventRegister, Rejection};

fn register() -> EventRegister {
    EventRegister::new()
        .on_event("join", |ctx| async move {
            let room: String = ctx.payload_as()?;
            ctx.join(&room);
            ctx.reply("joined")?;
            Ok(())
        })
        .on_event("echo", |ctx| async move {
            ctx.reply(ctx.payload())?;
            Ok(())
        })
}

#[tokio::test]
async fn a_session_resumes_with_its_token_in_the_first_frame() {
    let server = start(register()).await;
    let router = server.router().clone();
    let proxy = Proxy::start(server.local_addr()).await;
    let mut client = RawClient::new(proxy.url());
    let session = client.connect().await.unwrap();
    assert_eq!(session["resumeFrame"], true, "{session}");
    client.send("join", json!("lobby")).await.unwrap();
    client.flush().await.unwrap();
    assert_eq!(client.next().await.unwrap().event_name(), "join");
    proxy.cut();
    client.drain_until_lost().await;
    let id = session["id"].as_str().unwrap().to_owned();
    router.send_to(&id, "dm", 1).unwrap();
    proxy.restore();
    let resumed = client.connect_in_frame().await.unwrap();
    assert_eq!(resumed["status"], "recovered", "{resumed}");
    assert_eq!(resumed["id"], session["id"]);
    let dm = client.next().await.unwrap();
    assert_eq!(dm.event_name(), "dm");
    assert!(router.is_member("lobby", &id));
}

#[tokio::test]
async fn a_first_frame_that_is_not_a_resume_starts_a_new_session_and_is_handled() {
    let server = start(register()).await;
    let mut client = RawClient::new(server.url());
    let url = format!("{}?zap_recover=1&zap_resume=frame", server.url());
    let first = json!({"eventName": "echo", "payload": "first",
                       "headers": {"zap-request-id": "e1"}})
    .to_string();
    let session = client.open(url, Some(first)).await.unwrap();
    assert_eq!(session["status"], "new", "{session}");
    let echo = client.next().await.unwrap();
    assert_eq!(echo.header_str("zap-response-to"), Some("e1"));
    assert_eq!(echo.payload().to_value().unwrap(), json!("first"));
}

/// A register whose clients say who they are in `?user=`, and whose
/// sessions are bound to that identity.
fn with_identity() -> EventRegister {
    #[derive(Clone)]
    struct User(String);
    register()
        .authorize(|handshake| async move {
            let user = handshake
                .query_pairs()
                .find(|(key, _)| key == "user")
                .map(|(_, value)| value.into_owned())
                .ok_or_else(Rejection::unauthorized)?;
            handshake.extensions().insert(User(user));
            Ok(())
        })
        .session_identity(|handshake| handshake.extensions().get::<User>().map(|user| user.0))
}

#[tokio::test]
async fn a_token_resumes_only_under_the_identity_it_was_issued_to() {
    let server = start(with_identity()).await;
    let proxy = Proxy::start(server.local_addr()).await;
    let mut alice = RawClient::new(format!("{}?user=alice", proxy.url()));
    let session = alice.connect().await.unwrap();
    alice.send("join", json!("secret")).await.unwrap();
    alice.flush().await.unwrap();
    assert_eq!(alice.next().await.unwrap().event_name(), "join");
    proxy.cut();
    alice.drain_until_lost().await;
    proxy.restore();

    // Mallory has Alice's token, not her identity: a new session of his own.
    let mut mallory = RawClient::new(format!("{}?user=mallory", server.url()));
    mallory.token = alice.token.clone();
    let stolen = mallory.connect().await.unwrap();
    assert_eq!(stolen["status"], "new", "{stolen}");
    assert_eq!(stolen["reason"], "unknown", "{stolen}");
    assert_ne!(stolen["id"], session["id"]);
    assert!(
        !server
            .router()
            .is_member("secret", stolen["id"].as_str().unwrap())
    );

    // Alice still resumes it.
    let resumed = alice.connect().await.unwrap();
    assert_eq!(resumed["status"], "recovered", "{resumed}");
    assert_eq!(resumed["id"], session["id"]);
}

/// This process's resident memory, in bytes (Linux).
fn rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: usize = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

/// A client that asks for recovery, joins a room, gets an 8 KB answer (its
/// session keeps it for a resume) and drops its link without a close
/// frame: its session is parked.
async fn churn_one(url: &str) -> RawClient {
    let mut client = RawClient::new(url);
    client.connect().await.unwrap();
    client.send("join", json!("churn")).await.unwrap();
    client.send("echo", json!("x".repeat(8192))).await.unwrap();
    client.flush().await.unwrap();
    assert_eq!(client.next().await.unwrap().event_name(), "join");
    assert_eq!(client.next().await.unwrap().event_name(), "echo");
    client.drop_link();
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parked_sessions_are_bounded_and_the_oldest_are_told_expired() {
    const MAX: usize = 200;
    let register = register().recovery(zap_core::RecoveryConfig::default().max_parked(MAX));
    let server = start(register).await;
    let router = server.router().clone();
    let url = server.url().to_owned();
    let mut oldest = churn_one(&url).await;
    for _ in 0..MAX {
        churn_one(&url).await;
    }
    let before = rss();
    // Unbounded, these would hold some 15 KB each: about 60 MB.
    for _ in 0..4_000 {
        churn_one(&url).await;
    }
    let mut newest = churn_one(&url).await;
    common::within("the last session parked", async {
        while router.count() > 0 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    let grown = rss().saturating_sub(before);
    assert!(
        grown < 12 << 20,
        "RSS grew by {grown} bytes while churning past the limit"
    );
    assert!(
        router.parked_sessions() <= MAX,
        "{} parked",
        router.parked_sessions()
    );

    let evicted = oldest.connect().await.unwrap();
    assert_eq!(evicted["status"], "new", "{evicted}");
    assert_eq!(evicted["reason"], "expired", "{evicted}");
    let resumed = newest.connect().await.unwrap();
    assert_eq!(resumed["status"], "recovered", "{resumed}");
    assert!(router.is_member("churn", resumed["id"].as_str().unwrap()));
}

#[tokio::test]
async fn a_client_going_away_keeps_its_session_and_a_normal_close_ends_it() {
    let server = start(register()).await;
    let mut client = RawClient::new(server.url());
    let session = client.connect().await.unwrap();
    // 1001, as a browser closes a page it reloads.
    client.close_with(1001).await;
    let resumed = client.connect().await.unwrap();
    assert_eq!(resumed["status"], "recovered", "{resumed}");
    assert_eq!(resumed["id"], session["id"]);
    client.close_with(1000).await;
    let after = client.connect().await.unwrap();
    assert_eq!(after["status"], "new", "{after}");
}

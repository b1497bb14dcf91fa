//! Faults: Redis stopped mid-test and restarted (local delivery never stops,
//! cross-instance sends are dropped and counted, then everything recovers,
//! membership included), and a crashed instance (a killed process) whose
//! members leave cluster membership within the heartbeat TTL, and a stalled
//! instance (a stopped process) that registers again when it resumes.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use std::process::Stdio;

use common::*;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test]
async fn redis_going_away_and_coming_back_is_survived() {
    let Some(mut redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("outage");
    let (a, b) = (
        instance(&redis, &prefix).await,
        instance(&redis, &prefix).await,
    );
    let (a1, a2, b1) = (
        client(a.server.url()).await,
        client(a.server.url()).await,
        client(b.server.url()).await,
    );
    for c in [&a1, &a2, &b1] {
        ask(c, "join", json!("r")).await;
    }
    let (mut a2_said, mut b1_said) = (a2.subscribe_to_event("said"), b1.subscribe_to_event("said"));
    until_members("3 members", &a1, "r", 3).await;
    ask(&a1, "say", json!(["r", "before"])).await;
    next(&mut a2_said).await;
    next(&mut b1_said).await;

    redis.stop().await;
    eventually("the outage to be noticed", || async {
        !a.backend.stats().available
    })
    .await;
    // Local delivery never stops; the cross-instance part is dropped and counted.
    let remote = ask(&a1, "say", json!(["r", "during"])).await;
    assert!(remote.as_str().unwrap().starts_with("Dropped"), "{remote}");
    assert_eq!(next(&mut a2_said).await.payload().as_json(), "\"during\"");
    assert!(a.backend.stats().dropped >= 1);
    // A cluster query fails at once with a typed error instead of hanging.
    let started = std::time::Instant::now();
    let reply = ask(&a1, "members", json!("r")).await;
    assert_eq!(
        reply,
        json!({"error": "backend unavailable: redis unreachable"})
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(2));

    redis.restart().await; // empty: no persistence
    within("cross-instance delivery to resume", async {
        loop {
            if ask(&a1, "say", json!(["r", "after"])).await == json!("Published") {
                let got =
                    tokio::time::timeout(std::time::Duration::from_millis(300), next(&mut b1_said))
                        .await;
                if got.is_ok_and(|event| event.payload().as_json() == "\"after\"") {
                    break;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
    // The restarted Redis knew nothing: both instances rewrote their membership.
    eventually("membership to be resynchronised", || async {
        ask(&a1, "members", json!("r"))
            .await
            .as_array()
            .is_some_and(|m| m.len() == 3)
            && ask(&a1, "count", json!(null)).await == json!(3)
    })
    .await;
    assert!(b.backend.stats().received >= 2);
}

/// Runs as a separate process in the crash and stall tests:
/// an instance with the Redis backend, killed (SIGKILL) or stopped (SIGSTOP) by the parent.
#[tokio::test]
#[ignore = "helper process for the crash and stall tests"]
async fn child_instance() {
    let (Ok(url), Ok(prefix)) = (
        std::env::var("ZAP_TEST_REDIS"),
        std::env::var("ZAP_TEST_PREFIX"),
    ) else {
        return;
    };
    let config = zap_redis::RedisConfig::new(url)
        .prefix(prefix)
        .heartbeat(std::time::Duration::from_millis(100))
        .instance_ttl(std::time::Duration::from_millis(600));
    let backend = zap_redis::RedisBackend::connect_with_config(config)
        .await
        .unwrap();
    let register = register().presence_event("presence").backend(backend);
    let server = zap_server::ZapServer::builder()
        .port(0)
        .register(register)
        .start()
        .await
        .unwrap();
    println!("URL {}", server.url());
    std::future::pending::<()>().await;
}

/// Starts `child_instance` as a separate process; returns it and its URL.
async fn spawn_child(redis: &Redis, prefix: &str) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_instance",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ZAP_TEST_REDIS", redis.url())
        .env("ZAP_TEST_PREFIX", prefix)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = within("the child instance", async {
        loop {
            let line = lines
                .next_line()
                .await
                .unwrap()
                .expect("child exited early");
            if let Some((_, url)) = line.split_once("URL ") {
                return url.trim().to_owned();
            }
        }
    })
    .await;
    (child, url)
}

/// Sends `signal` (`STOP`, `CONT`) to a child process.
async fn signal(child: &tokio::process::Child, signal: &str) {
    let pid = child.id().expect("the child runs").to_string();
    let status = tokio::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .await
        .unwrap();
    assert!(status.success(), "kill -{signal} {pid}");
}

/// Reads presence events until one with `action` about `id`.
async fn until_presence(events: &mut zap_client::Subscription, action: &str, id: &str) {
    loop {
        let event = next(events).await.payload().to_value().unwrap();
        if event["action"] == action && event["id"] == id {
            return;
        }
    }
}

#[tokio::test]
async fn a_crashed_instance_leaves_the_cluster() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("crash");
    let a = instance_with(&redis, &prefix, register().presence_event("presence")).await;
    let a1 = client(a.server.url()).await;
    ask(&a1, "join", json!("r")).await;

    let (mut child, url) = spawn_child(&redis, &prefix).await;
    let (c1, c2) = (client(&url).await, client(&url).await);
    ask(&c1, "join", json!("r")).await;
    ask(&c2, "join", json!("r")).await;
    let mut presence = a1.subscribe_to_event("presence");
    until_members("3 members", &a1, "r", 3).await;
    assert_eq!(ask(&a1, "count", json!(null)).await, json!(3));

    child.kill().await.unwrap(); // SIGKILL: no goodbye, no cleanup
    until_members("the dead instance's members to disappear", &a1, "r", 1).await;
    assert_eq!(ask(&a1, "count", json!(null)).await, json!(1));
    // The reaper told the room, once per member that vanished.
    let mut left = Vec::new();
    while left.len() < 2 {
        let event = next(&mut presence).await.payload().to_value().unwrap();
        if event["action"] == "leave" {
            left.push(event["id"].as_str().unwrap().to_owned());
        }
    }
    left.sort();
    left.dedup();
    assert_eq!(left.len(), 2);
}

/// An instance stopped (SIGSTOP) for longer than the TTL is reaped by the
/// others; resumed (SIGCONT), it registers again: its members come back to
/// `cluster_members` and `cluster_count`, every room-mate is told they joined
/// again, and its connection counter in Redis never goes negative.
#[tokio::test]
async fn a_stalled_instance_registers_again_when_it_resumes() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("stall");
    let a = instance_with(&redis, &prefix, register().presence_event("presence")).await;
    let a1 = client(a.server.url()).await;
    ask(&a1, "join", json!("r")).await;
    let (child, url) = spawn_child(&redis, &prefix).await;
    let (c1, c2) = (client(&url).await, client(&url).await);
    let c2_id = ask(&c2, "whoami", json!(null)).await;
    let c2_id = c2_id.as_str().unwrap();
    ask(&c1, "join", json!("r")).await;
    ask(&c2, "join", json!("r")).await;
    let mut a1_presence = a1.subscribe_to_event("presence");
    let mut c1_presence = c1.subscribe_to_event("presence");
    until_members("3 members", &a1, "r", 3).await;

    signal(&child, "STOP").await;
    until_members("the stalled instance to be reaped", &a1, "r", 1).await;
    assert_eq!(ask(&a1, "count", json!(null)).await, json!(1));
    until_presence(&mut a1_presence, "leave", c2_id).await;

    signal(&child, "CONT").await;
    until_members("the resumed instance's members to return", &a1, "r", 3).await;
    eventually("the cluster count to include them again", || async {
        ask(&a1, "count", json!(null)).await == json!(3)
    })
    .await;
    // Both the other instance's client and the resumed instance's own
    // client (told by the reaper that its room-mate left) hear it is back.
    until_presence(&mut a1_presence, "join", c2_id).await;
    until_presence(&mut c1_presence, "leave", c2_id).await;
    until_presence(&mut c1_presence, "join", c2_id).await;

    c1.disconnect().await;
    c2.disconnect().await;
    eventually("the count to drop to 1", || async {
        ask(&a1, "count", json!(null)).await == json!(1)
    })
    .await;
    let counts: std::collections::HashMap<String, i64> = {
        let client = redis::Client::open(redis.url()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        redis::cmd("HGETALL")
            .arg(common::registry_key(&prefix, "count"))
            .query_async(&mut conn)
            .await
            .unwrap()
    };
    assert!(counts.values().all(|n| *n >= 0), "{counts:?}");
    assert_eq!(counts.values().sum::<i64>(), 1, "{counts:?}");
}

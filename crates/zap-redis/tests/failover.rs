//! Sessions across instances, fault by fault, over a real redis-server with
//! a spec-following raw client: a clean close ends the session everywhere;
//! direct events sent from another instance, while the session moves, are
//! numbered once and arrive exactly once in order; the numbers continue
//! after a crash; membership and presence survive a resume elsewhere and
//! the reaping (or the late park) of the old instance.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "../../zap-server/tests/support/proxy.rs"]
mod proxy;
#[path = "../../zap-server/tests/support/raw_client.rs"]
mod raw_client;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Redis, eventually, prefix, signal, spawn_test_child};
use proxy::Proxy;
use raw_client::RawClient;
use serde_json::{Value, json};
use zap_core::{EventData, EventRegister, History};
use zap_redis::{RedisBackend, RedisConfig};
use zap_server::ZapServer;

const NODE_ENTRY: &str = "failover_node";

fn config(redis_url: &str, prefix: &str) -> RedisConfig {
    RedisConfig::new(redis_url)
        .prefix(prefix)
        .heartbeat(Duration::from_millis(200))
        .instance_ttl(Duration::from_secs(1))
}

fn register() -> EventRegister {
    EventRegister::new()
        .history("feed", History::last(1000))
        .presence_event("presence")
        .on_event("join", |ctx| async move {
            let room: String = ctx.payload_as()?;
            ctx.join(&room);
            ctx.reply("joined")?;
            Ok(())
        })
        .on_event("ping", |ctx| async move {
            ctx.reply("pong")?;
            Ok(())
        })
}

async fn instance_with(redis_url: &str, prefix: &str, register: EventRegister) -> ZapServer {
    let backend = RedisBackend::connect_with_config(config(redis_url, prefix))
        .await
        .unwrap();
    ZapServer::builder()
        .port(0)
        .register(register.backend(backend))
        .start()
        .await
        .unwrap()
}

async fn instance(redis_url: &str, prefix: &str) -> ZapServer {
    instance_with(redis_url, prefix, register()).await
}

/// An instance in a child process (to be SIGKILLed or SIGSTOPped).
#[tokio::test]
#[ignore = "runs as a child process of the tests below"]
#[allow(clippy::print_stdout)]
async fn failover_node() {
    let (Ok(url), Ok(prefix)) = (
        std::env::var("ZAP_TEST_REDIS"),
        std::env::var("ZAP_TEST_PREFIX"),
    ) else {
        return;
    };
    let server = instance(&url, &prefix).await;
    println!("ZAP-NODE-ADDR {}", server.local_addr());
    std::future::pending::<()>().await;
}

async fn spawn_node(redis: &Redis, prefix: &str) -> (tokio::process::Child, std::net::SocketAddr) {
    let vars = [
        ("ZAP_TEST_REDIS", redis.url()),
        ("ZAP_TEST_PREFIX", prefix.to_owned()),
    ];
    let (child, addr) = spawn_test_child(NODE_ENTRY, &vars, "ZAP-NODE-ADDR ").await;
    (child, addr.parse().unwrap())
}

async fn request(client: &mut RawClient, event: &str, payload: Value) -> EventData {
    let id = format!("r{}", client.seq + 1000 * client.sessions.len() as u64);
    client.request(event, payload, &id).await.unwrap();
    client.flush().await.unwrap();
    loop {
        let event = client.next().await.unwrap();
        if event.header_str("zap-response-to") == Some(id.as_str()) {
            return event;
        }
    }
}

/// Reads events until `count` `dm` payloads arrived; returns them.
async fn dms(client: &mut RawClient, count: usize) -> Vec<u64> {
    let mut got = Vec::new();
    while got.len() < count {
        let event = client.next().await.unwrap();
        if event.event_name() == "dm" {
            assert!(
                event.headers().contains_key("zap-seq"),
                "a direct event without zap-seq: {event:?}"
            );
            got.push(event.payload().parse().unwrap());
        }
    }
    got
}

async fn redis_connection(redis: &Redis) -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_cleanly_closed_session_is_not_resumed_on_any_instance() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("failover-clean");
    let disconnected = Arc::new(AtomicUsize::new(0));
    let counting = {
        let disconnected = disconnected.clone();
        register().on_disconnected(move |_ctx| {
            let disconnected = disconnected.clone();
            async move {
                disconnected.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let a = instance_with(&redis.url(), &prefix, counting.clone()).await;
    let b = instance_with(&redis.url(), &prefix, counting).await;
    let mut client = RawClient::new(a.url());
    let first = client.connect().await.unwrap();
    request(&mut client, "join", json!("feed")).await;
    client.close().await;
    eventually("disconnected on A", || async {
        disconnected.load(Ordering::SeqCst) == 1
    })
    .await;

    client.set_base(b.url());
    let session = client.connect().await.unwrap();
    assert_eq!(session["status"], "new", "{session}");
    assert_ne!(session["id"], first["id"], "a new session gets a new id");
    // The resume found nothing to take: `disconnected` ran exactly once.
    request(&mut client, "ping", Value::Null).await;
    assert_eq!(disconnected.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_events_sent_from_another_instance_while_the_session_moves_arrive_once_in_order() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("failover-move");
    let a = instance(&redis.url(), &prefix).await;
    let b = instance(&redis.url(), &prefix).await;
    let proxy = Proxy::start(a.local_addr()).await;
    let mut client = RawClient::new(proxy.url());
    let session = client.connect().await.unwrap();
    let id = session["id"].as_str().unwrap().to_owned();
    request(&mut client, "join", json!("feed")).await;
    for round in 0..4u64 {
        // The link drops; B sends at once, while A notices, parks, and the
        // client comes back (on B or A in turn), and keeps sending during
        // the resume.
        proxy.cut();
        client.drain_until_lost().await;
        let from = round * 200;
        for n in from..from + 100 {
            b.router().send_to(&id, "dm", n).unwrap();
            a.router().to("feed").send("tick", n).unwrap();
        }
        let sender = {
            let router = b.router().clone();
            let id = id.clone();
            tokio::spawn(async move {
                for n in from + 100..from + 200 {
                    router.send_to(&id, "dm", n).unwrap();
                    tokio::task::yield_now().await;
                }
            })
        };
        proxy.set_upstream(if round % 2 == 0 {
            b.local_addr()
        } else {
            a.local_addr()
        });
        proxy.restore();
        let session = client.connect().await.unwrap();
        assert_eq!(session["status"], "recovered", "{session}");
        assert_eq!(session["directGap"], false, "{session}");
        sender.await.unwrap();
        assert_eq!(
            dms(&mut client, 200).await,
            (from..from + 200).collect::<Vec<_>>()
        );
    }
    assert_eq!(client.duplicates, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_direct_sequence_continues_after_the_instance_dies_and_membership_survives_its_reaping()
{
    let Some(redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("failover-kill");
    let (mut doomed, doomed_addr) = spawn_node(&redis, &prefix).await;
    let survivor = instance(&redis.url(), &prefix).await;
    // Someone on the survivor watches the room's presence.
    let mut observer = RawClient::new(survivor.url());
    observer.connect().await.unwrap();
    request(&mut observer, "join", json!("feed")).await;

    let proxy = Proxy::start(doomed_addr).await;
    let mut client = RawClient::new(proxy.url());
    let session = client.connect().await.unwrap();
    let id = session["id"].as_str().unwrap().to_owned();
    request(&mut client, "join", json!("feed")).await;
    for _ in 0..3 {
        request(&mut client, "ping", Value::Null).await;
    }
    let seen = client.seq;
    assert!(seen >= 4, "numbered replies: {seen}");

    doomed.start_kill().unwrap(); // SIGKILL
    doomed.wait().await.unwrap();
    client.drain_until_lost().await;
    proxy.set_upstream(survivor.local_addr());
    let session = client.connect().await.unwrap();
    assert_eq!(session["status"], "recovered", "{session}");
    assert_eq!(session["id"], id.as_str());
    survivor.router().send_to(&id, "dm", 1).unwrap();
    assert_eq!(dms(&mut client, 1).await, [1]);
    assert_eq!(client.seq, seen + 1, "numbers continue after the crash");

    // The dead instance is reaped: its members leave, the resumed one stays.
    let mut redis_conn = redis_connection(&redis).await;
    let alive_key = common::registry_key(&prefix, "alive");
    eventually("the dead instance reaped", || {
        let (mut conn, key) = (redis_conn.clone(), alive_key.clone());
        async move {
            let alive: usize = redis::cmd("ZCARD")
                .arg(key)
                .query_async(&mut conn)
                .await
                .unwrap();
            alive == 1
        }
    })
    .await;
    let members: Vec<String> = redis::cmd("HKEYS")
        .arg(common::bucket_key(&prefix, "feed", "room:feed"))
        .query_async(&mut redis_conn)
        .await
        .unwrap();
    assert!(members.contains(&id), "{id} missing from {members:?}");
    let cluster = survivor.router().cluster_members("feed").await.unwrap();
    assert!(cluster.iter().any(|m| m.id.as_str() == id), "{cluster:?}");
    // A round trip on the observer: no leave was announced for the client.
    request(&mut observer, "ping", Value::Null).await;
    let left = observer_leaves(&mut observer, &id).await;
    assert_eq!(left, 0, "presence announced the resumed client as gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_instance_that_wakes_after_the_resume_does_not_take_the_membership_away() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("failover-stall");
    let (stalled, stalled_addr) = spawn_node(&redis, &prefix).await;
    let survivor = instance(&redis.url(), &prefix).await;
    let proxy = Proxy::start(stalled_addr).await;
    let mut client = RawClient::new(proxy.url());
    let session = client.connect().await.unwrap();
    let id = session["id"].as_str().unwrap().to_owned();
    request(&mut client, "join", json!("feed")).await;
    survivor.router().to("feed").send("tick", 0).unwrap();
    while client.next().await.unwrap().event_name() != "tick" {}

    // The instance freezes holding a link that is dead for the client.
    signal(&stalled, "STOP").await;
    proxy.cut();
    client.drain_until_lost().await;
    proxy.set_upstream(survivor.local_addr());
    proxy.restore();
    let session = client.connect().await.unwrap();
    assert_eq!(session["status"], "recovered", "{session}");
    // It wakes up, sees its dead link and lets go of the session.
    signal(&stalled, "CONT").await;
    let mut conn = redis_connection(&redis).await;
    let cluster = survivor.router().cluster_members("feed").await.unwrap();
    assert!(
        cluster.iter().any(|m| m.id.as_str() == id && m.local),
        "{cluster:?}"
    );
    // Give the woken instance its chance to park and leave (it must not
    // touch what the survivor holds): its next heartbeats come within 1 s.
    let alive_key = common::registry_key(&prefix, "alive");
    eventually("the woken instance heartbeating again", || {
        let (mut conn, key) = (conn.clone(), alive_key.clone());
        async move {
            let alive: usize = redis::cmd("ZCARD")
                .arg(key)
                .query_async(&mut conn)
                .await
                .unwrap();
            alive == 2
        }
    })
    .await;
    request(&mut client, "ping", Value::Null).await;
    let cluster = survivor.router().cluster_members("feed").await.unwrap();
    assert!(
        cluster.iter().any(|m| m.id.as_str() == id && m.local),
        "{cluster:?}"
    );
    let owner: Option<String> = redis::cmd("HGET")
        .arg(common::registry_key(&prefix, "conn"))
        .arg(&id)
        .query_async(&mut conn)
        .await
        .unwrap();
    let all: Vec<String> = redis::cmd("HGETALL")
        .arg(common::registry_key(&prefix, "conn"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        owner.is_some(),
        "the connection vanished from the cluster: {id} {all:?}"
    );
}

/// Reads the observer's events for a bounded while; counts presence
/// `leave` events about `id`.
async fn observer_leaves(observer: &mut RawClient, id: &str) -> usize {
    let mut leaves = 0;
    let quiet = tokio::time::sleep(Duration::from_millis(500));
    tokio::pin!(quiet);
    loop {
        tokio::select! {
            () = &mut quiet => return leaves,
            event = observer.next() => {
                let event = event.unwrap();
                if event.event_name() == "presence" {
                    let payload = event.payload().to_value().unwrap();
                    if payload["action"] == "leave" && payload["id"] == id {
                        leaves += 1;
                    }
                }
            }
        }
    }
}

//! Recovery across instances over a real redis-server: a client whose link
//! is cut resumes on another instance, or after the instance it was on was
//! SIGKILLed, and receives every room event exactly once, in order.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "../../zap-server/tests/support/proxy.rs"]
mod proxy;
#[path = "../../zap-server/tests/support/raw_client.rs"]
mod raw_client;

use std::process::Stdio;

use common::{Redis, config, prefix, within};
use proxy::Proxy;
use raw_client::RawClient;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use zap_core::{ConnectionRouter, EventRegister, History};
use zap_redis::RedisBackend;
use zap_server::ZapServer;

const EVENTS: u64 = 10_000;
const CUTS: u64 = 20;
const NODE_ENV: &str = "ZAP_RECOVERY_NODE";

fn register() -> EventRegister {
    EventRegister::new()
        .history("feed", History::last(EVENTS as usize))
        .on_event("join", |ctx| async move {
            let room: String = ctx.payload_as()?;
            ctx.join(&room);
            ctx.reply("joined")?;
            Ok(())
        })
}

/// A server whose rooms, history and sessions are in Redis.
async fn instance(redis_url: &str, prefix: &str) -> (ZapServer, RedisBackend) {
    let mut config = zap_redis::RedisConfig::new(redis_url).prefix(prefix);
    config = config
        .heartbeat(std::time::Duration::from_millis(200))
        .instance_ttl(std::time::Duration::from_secs(1));
    let backend = RedisBackend::connect_with_config(config).await.unwrap();
    let register = register().backend(backend.clone());
    let server = ZapServer::builder()
        .port(0)
        .register(register)
        .start()
        .await
        .unwrap();
    (server, backend)
}

/// Waits until `instances` listen on the bus (an instance that is not
/// subscribed yet misses what is published meanwhile).
async fn until_subscribed(redis: &Redis, prefix: &str, instances: usize) {
    let client = redis::Client::open(redis.url()).unwrap();
    let conn = client.get_multiplexed_async_connection().await.unwrap();
    let bus = common::registry_key(prefix, "bus");
    common::eventually("the instances subscribed", || {
        let (mut conn, bus) = (conn.clone(), bus.clone());
        async move {
            let (_, count): (String, usize) = redis::cmd("PUBSUB")
                .arg("NUMSUB")
                .arg(&bus)
                .query_async(&mut conn)
                .await
                .unwrap();
            count >= instances
        }
    })
    .await;
}

async fn join(client: &mut RawClient, room: &str) {
    client.send("join", json!(room)).await.unwrap();
    client.flush().await.unwrap();
    assert_eq!(client.next().await.unwrap().event_name(), "join");
}

fn publish(router: &ConnectionRouter, from: u64, count: u64) -> u64 {
    for n in from..from + count {
        router.to("feed").send("tick", n).unwrap();
    }
    from + count
}

/// Reads ticks until `expected` of them were received in all. A burst
/// larger than the outbound queue cuts the connection off (the default
/// overflow policy): the client resumes, as a real one does, and recovers.
async fn read_ticks(client: &mut RawClient, received: &mut Vec<u64>, expected: u64) {
    while (received.len() as u64) < expected {
        match client.next().await {
            Ok(event) if event.event_name() == "tick" => {
                received.push(event.payload().parse().unwrap());
            }
            Ok(_) => {}
            Err(lost) => {
                let session = client.connect().await.unwrap_or_else(|err| {
                    panic!("{lost:?} then {err:?} after {} ticks", received.len())
                });
                assert_eq!(session["status"], "recovered", "{session}");
            }
        }
    }
}

fn ticks(events: Vec<zap_core::EventData>) -> impl Iterator<Item = u64> {
    events
        .into_iter()
        .filter(|event| event.event_name() == "tick")
        .map(|event| event.payload().parse::<u64>().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_events_survive_twenty_cuts_across_two_instances() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("recovery-two");
    let (a, _ba) = instance(&redis.url(), &prefix).await;
    let (b, _bb) = instance(&redis.url(), &prefix).await;
    until_subscribed(&redis, &prefix, 2).await;
    let proxy = Proxy::start(a.local_addr()).await;
    let mut client = RawClient::new(proxy.url());
    client.connect().await.unwrap();
    join(&mut client, "feed").await;

    let routers = [a.router().clone(), b.router().clone()];
    let addrs = [a.local_addr(), b.local_addr()];
    let chunk = EVENTS / (2 * CUTS + 1);
    // The client's first event of the room tells the server where its
    // membership starts in the shared history (see "Delivery guarantees").
    let mut published = publish(&routers[0], 0, 1);
    let mut received = Vec::new();
    read_ticks(&mut client, &mut received, 1).await;
    // One publisher, so that publish order is offset order (two instances
    // publishing at once are ordered by Redis, not by the test).
    let publisher = &routers[0];
    for cut in 0..CUTS as usize {
        published = publish(publisher, published, chunk);
        proxy.cut();
        received.extend(ticks(client.drain_until_lost().await));
        published = publish(publisher, published, chunk);
        proxy.set_upstream(addrs[(cut + 1) % 2]);
        proxy.restore();
        let session = client.connect().await.unwrap();
        assert_eq!(session["status"], "recovered", "{session}");
    }
    let rest = EVENTS - published;
    publish(publisher, published, rest);
    read_ticks(&mut client, &mut received, EVENTS).await;
    assert_eq!(received, (0..EVENTS).collect::<Vec<_>>());
    assert_eq!(
        client.duplicates, 0,
        "the server resent events the client had"
    );
    let ids: Vec<_> = client.sessions.iter().map(|s| s["id"].clone()).collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "the connection id is kept"
    );
}

/// The body of the child process: an instance that prints its port and
/// runs until killed.
#[tokio::test]
#[allow(clippy::print_stdout)]
async fn node() {
    let Ok(spec) = std::env::var(NODE_ENV) else {
        return; // only as a child of the test below
    };
    let (url, prefix) = spec.split_once(' ').unwrap();
    let (server, _backend) = instance(url, prefix).await;
    println!("ZAP-NODE-PORT {}", server.local_addr().port());
    std::future::pending::<()>().await;
}

/// Runs [`node`] in a child process; returns it and its address.
async fn spawn_node(redis_url: &str, prefix: &str) -> (Child, std::net::SocketAddr) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "node", "--nocapture", "--test-threads", "1"])
        .env(NODE_ENV, format!("{redis_url} {prefix}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = within("the node's port", async {
        loop {
            let line = lines.next_line().await.unwrap().expect("the node exited");
            // The harness may print `test node ... ` on the same line.
            if let Some((_, port)) = line.split_once("ZAP-NODE-PORT ") {
                return port.trim().parse::<u16>().unwrap();
            }
        }
    })
    .await;
    (child, ([127, 0, 0, 1], port).into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_events_survive_the_sigkill_of_the_instance_the_client_was_on() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("recovery-kill");
    let (mut doomed, doomed_addr) = spawn_node(&redis.url(), &prefix).await;
    let (survivor, _backend) = instance(&redis.url(), &prefix).await;
    let router = survivor.router().clone();
    until_subscribed(&redis, &prefix, 2).await;
    let proxy = Proxy::start(doomed_addr).await;
    let mut client = RawClient::new(proxy.url());
    client.connect().await.unwrap();
    join(&mut client, "feed").await;

    let mut received = Vec::new();
    let published = publish(&router, 0, 3000);
    read_ticks(&mut client, &mut received, 1000).await;
    doomed.start_kill().unwrap(); // SIGKILL
    doomed.wait().await.unwrap();
    received.extend(ticks(client.drain_until_lost().await));
    let published = publish(&router, published, 3000);
    proxy.set_upstream(survivor.local_addr());
    let session = client.connect().await.unwrap();
    assert_eq!(session["status"], "recovered", "{session}");
    publish(&router, published, EVENTS - published);
    read_ticks(&mut client, &mut received, EVENTS).await;
    assert_eq!(received, (0..EVENTS).collect::<Vec<_>>());
    assert_eq!(client.duplicates, 0);
}

#[tokio::test]
async fn a_restarted_instance_resumes_the_session_with_history_from_redis() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("recovery-epoch");
    // `.backend(redis)` alone keeps sessions and room history in Redis: a
    // restart of the only instance loses neither.
    let start = || async {
        let backend = RedisBackend::connect_with_config(config(&redis, &prefix))
            .await
            .unwrap();
        let register = register().backend(backend);
        ZapServer::builder()
            .port(0)
            .register(register)
            .start()
            .await
            .unwrap()
    };
    let first = start().await;
    let proxy = Proxy::start(first.local_addr()).await;
    let mut client = RawClient::new(proxy.url());
    client.connect().await.unwrap();
    join(&mut client, "feed").await;
    first.router().to("feed").send("tick", 0).unwrap();
    assert_eq!(client.next().await.unwrap().event_name(), "tick");
    tokio::join!(first.shutdown(), client.drain_until_lost());

    let second = start().await;
    proxy.set_upstream(second.local_addr());
    let session = client.connect().await.unwrap();
    assert_eq!(session["status"], "recovered", "{session}");
    second.router().to("feed").send("tick", 1).unwrap();
    let next = client.next().await.unwrap();
    assert_eq!(next.payload().parse::<u64>().unwrap(), 1);
    assert_eq!(
        next.headers()["zap-offset"],
        2,
        "the room's offsets continue"
    );
    assert_eq!(client.duplicates, 0);
}

#[tokio::test]
async fn direct_events_to_a_session_parked_in_redis_are_replayed_on_another_instance() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let prefix = prefix("recovery-direct");
    let (a, _ba) = instance(&redis.url(), &prefix).await;
    let (b, _bb) = instance(&redis.url(), &prefix).await;
    let proxy = Proxy::start(a.local_addr()).await;
    let mut client = RawClient::new(proxy.url());
    let session = client.connect().await.unwrap();
    let id = session["id"].as_str().unwrap().to_owned();
    let token = client.token.clone().unwrap();
    proxy.cut();
    client.drain_until_lost().await;

    let conn = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let key = |kind: &str| match kind {
        "sd" => common::bucket_key(&prefix, &id, &format!("sd:{id}")),
        _ => common::bucket_key(&prefix, &id, &format!("{kind}:{token}")),
    };
    let count = |kind: &'static str, n: usize| {
        let (conn, key) = (conn.clone(), key(kind));
        move || {
            let (mut conn, key) = (conn.clone(), key.clone());
            async move {
                let exists: usize = redis::cmd("EXISTS")
                    .arg(&key)
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                let len: usize = match kind {
                    "sd" => redis::cmd("LLEN")
                        .arg(&key)
                        .query_async(&mut conn)
                        .await
                        .unwrap(),
                    _ => exists,
                };
                len >= n
            }
        }
    };
    common::eventually("the session parked in redis", count("sp", 1)).await;
    for n in 1..=3 {
        b.router().send_to(&id, "direct", n).unwrap();
    }
    common::eventually("the direct events kept in redis", count("sd", 3)).await;

    proxy.set_upstream(b.local_addr());
    proxy.restore();
    let session = client.connect().await.unwrap();
    assert_eq!(session["status"], "recovered", "{session}");
    assert_eq!(session["id"], id.as_str());
    let mut got = Vec::new();
    while got.len() < 3 {
        got.push(client.next().await.unwrap().payload().as_json().to_owned());
    }
    assert_eq!(got, ["1", "2", "3"]);
    assert_eq!(client.seq, 3);
}

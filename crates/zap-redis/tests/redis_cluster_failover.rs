//! Recovery over a real Redis Cluster (six `redis-server` processes started
//! by the tests), with a spec-following raw client behind a TCP proxy:
//! room and direct events survive cuts and moves between instances; a
//! master killed mid-stream is replaced by its replica while the instances
//! keep serving, and the events its replica never had are reported as a
//! gap (a new epoch), never dropped as "already seen".
#![allow(clippy::unwrap_used)]

mod common;
#[path = "../../zap-server/tests/support/proxy.rs"]
mod proxy;
#[path = "../../zap-server/tests/support/raw_client.rs"]
mod raw_client;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use common::deployments::RedisCluster;
use common::{bucket_key, prefix};
use proxy::Proxy;
use raw_client::RawClient;
use serde_json::json;
use zap_core::{ConnectionRouter, EventRegister, History};
use zap_redis::{RedisBackend, RedisConfig};
use zap_server::ZapServer;

fn register(rooms: &[&str]) -> EventRegister {
    let mut register = EventRegister::new();
    for room in rooms {
        register = register.history(room, History::last(10_000));
    }
    register.on_event("join", |ctx| async move {
        let room: String = ctx.payload_as()?;
        ctx.join(&room);
        ctx.reply("joined")?;
        Ok(())
    })
}

async fn instance(url: &str, prefix: &str, rooms: &[&str]) -> (ZapServer, RedisBackend) {
    let config = RedisConfig::new(url)
        .prefix(prefix)
        .heartbeat(Duration::from_millis(100))
        .instance_ttl(Duration::from_secs(2))
        .connect_timeout(Duration::from_secs(2));
    let backend = RedisBackend::connect_with_config(config).await.unwrap();
    let server = ZapServer::builder()
        .port(0)
        .register(register(rooms).backend(backend.clone()))
        .start()
        .await
        .unwrap();
    (server, backend)
}

async fn join(client: &mut RawClient, room: &str) {
    client.send("join", json!(room)).await.unwrap();
    client.flush().await.unwrap();
    loop {
        if client.next().await.unwrap().event_name() == "join" {
            return;
        }
    }
}

/// What a client received, by kind.
#[derive(Default)]
struct Received {
    /// `(room, n)` of every `tick`.
    ticks: Vec<(String, u64)>,
    dms: Vec<u64>,
}

impl Received {
    fn take(&mut self, events: Vec<zap_core::EventData>) {
        events.into_iter().for_each(|event| self.add(&event));
    }

    fn add(&mut self, event: &zap_core::EventData) {
        match event.event_name() {
            "tick" => {
                let room = event.headers()["zap-room"].as_str().unwrap().to_owned();
                self.ticks.push((room, event.payload().parse().unwrap()));
            }
            "dm" => self.dms.push(event.payload().parse().unwrap()),
            _ => {}
        }
    }

    fn in_room(&self, room: &str) -> Vec<u64> {
        self.ticks
            .iter()
            .filter(|(r, _)| r == room)
            .map(|(_, n)| *n)
            .collect()
    }
}

/// Reads until `done` holds, resuming (as a real client does) when the link
/// drops; every resume must be `recovered`.
async fn read_until(client: &mut RawClient, got: &mut Received, done: impl Fn(&Received) -> bool) {
    let reading = tokio::time::timeout(common::WAIT, async {
        while !done(got) {
            match client.next().await {
                Ok(event) => got.add(&event),
                Err(lost) => {
                    let session = client
                        .connect()
                        .await
                        .unwrap_or_else(|err| panic!("{lost:?} then {err:?}"));
                    assert_eq!(session["status"], "recovered", "{session}");
                }
            }
        }
    })
    .await;
    if reading.is_err() {
        let tail = |room: &str| {
            let all = got.in_room(room);
            all[all.len().saturating_sub(8)..].to_vec()
        };
        let rooms: Vec<String> = client.rooms.keys().cloned().collect();
        let tails: Vec<(String, Vec<u64>)> = rooms.iter().map(|r| (r.clone(), tail(r))).collect();
        panic!(
            "timed out waiting for the events; last received: {tails:?}; positions {:?}",
            client.rooms
        );
    }
}

fn publish(router: &ConnectionRouter, room: &str, from: u64, count: u64) -> u64 {
    for n in from..from + count {
        router.to(room).send("tick", n).unwrap();
    }
    from + count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_and_direct_events_recover_through_cuts_and_moves_over_a_redis_cluster() {
    let Some(cluster) = RedisCluster::start().await else {
        return;
    };
    let prefix = prefix("cluster-cuts");
    let url = cluster.url();
    let (a, _ba) = instance(&url, &prefix, &["feed"]).await;
    let (b, _bb) = instance(&url, &prefix, &["feed"]).await;
    let proxy = Proxy::start(a.local_addr()).await;
    let mut client = RawClient::new(proxy.url());
    let session = client.connect().await.unwrap();
    let id = session["id"].as_str().unwrap().to_owned();
    join(&mut client, "feed").await;

    const CUTS: u64 = 8;
    const CHUNK: u64 = 100;
    let publisher = b.router().clone();
    let mut got = Received::default();
    let mut published = publish(&publisher, "feed", 0, 1);
    read_until(&mut client, &mut got, |got| got.ticks.len() == 1).await;
    let addrs = [a.local_addr(), b.local_addr()];
    let mut dms = 0;
    for cut in 0..CUTS as usize {
        published = publish(&publisher, "feed", published, CHUNK);
        proxy.cut();
        got.take(client.drain_until_lost().await);
        // While the client is away: room events and direct events from
        // the instance it is not on.
        published = publish(&publisher, "feed", published, CHUNK);
        for _ in 0..10 {
            publisher.send_to(&id, "dm", dms).unwrap();
            dms += 1;
        }
        proxy.set_upstream(addrs[(cut + 1) % 2]);
        proxy.restore();
        let session = client.connect().await.unwrap();
        assert_eq!(session["status"], "recovered", "{session}");
        assert_eq!(session["directGap"], false, "{session}");
    }
    read_until(&mut client, &mut got, |got| {
        got.ticks.len() as u64 == published && got.dms.len() as u64 == dms
    })
    .await;
    assert_eq!(got.in_room("feed"), (0..published).collect::<Vec<_>>());
    assert_eq!(got.dms, (0..dms).collect::<Vec<_>>());
    assert_eq!(
        client.duplicates, 0,
        "the server resent events the client had"
    );
}

/// A room name (from `candidates`) whose keys a master other than
/// `master` serves.
async fn room_off(cluster: &RedisCluster, prefix: &str, master: usize) -> String {
    for n in 0..64 {
        let room = format!("calm-{n}");
        if cluster
            .master_of(&bucket_key(prefix, &room, &format!("h:{room}")))
            .await
            != master
        {
            return room;
        }
    }
    panic!("every room on master {master}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_killed_mid_stream_is_replaced_and_lost_history_is_a_gap_never_a_silent_loss() {
    common::logs();
    let Some(mut cluster) = RedisCluster::start().await else {
        return;
    };
    let prefix = prefix("cluster-kill");
    let feed_master = cluster
        .master_of(&bucket_key(&prefix, "feed", "h:feed"))
        .await;
    let calm = room_off(&cluster, &prefix, feed_master).await;
    let url = cluster.url();
    let rooms = ["feed", calm.as_str()];
    let (a, backend_a) = instance(&url, &prefix, &rooms).await;
    let (b, backend_b) = instance(&url, &prefix, &rooms).await;
    let proxy = Proxy::start(a.local_addr()).await;
    let mut client = RawClient::new(proxy.url());
    client.connect().await.unwrap();
    join(&mut client, "feed").await;
    join(&mut client, &calm).await;

    // Both rooms flow; the client has everything.
    let publisher = b.router().clone();
    let mut got = Received::default();
    let feed = publish(&publisher, "feed", 0, 200);
    let calm_n = publish(&publisher, &calm, 0, 200);
    read_until(&mut client, &mut got, |got| got.ticks.len() == 400).await;

    // The replica of the feed's master stops following it; the master goes
    // on: these 100 events reach the client, not the replica.
    let replica = cluster.replica_of(feed_master).await;
    let _frozen = cluster.detach_replica(replica, feed_master, 2).await;
    let feed = publish(&publisher, "feed", feed, 100);
    read_until(&mut client, &mut got, |got| {
        got.in_room("feed").len() == 300
    })
    .await;
    let (epoch_before, offset_before) = client.rooms["feed"].clone();
    let calm_epoch = client.rooms[&calm].0.clone();

    // The master dies; its replica is promoted without those events.
    let promoted = cluster.kill_master_until_promoted(feed_master).await;
    assert_eq!(promoted, replica);

    // The instances keep serving: new events reach the client. (What was
    // published while the shard had no master was refused by Redis and
    // counted as dropped: never stamped, so no client can have seen it.)
    let ticking = Arc::new(AtomicBool::new(true));
    let next_feed = Arc::new(AtomicU64::new(feed));
    let ticker = {
        let (router, ticking, next_feed) = (publisher.clone(), ticking.clone(), next_feed.clone());
        tokio::spawn(async move {
            while ticking.load(Ordering::SeqCst) {
                let n = next_feed.fetch_add(1, Ordering::SeqCst);
                router.to("feed").send("tick", n).unwrap();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    read_until(&mut client, &mut got, |got| got.in_room("feed").len() > 300).await;
    ticking.store(false, Ordering::SeqCst);
    ticker.await.unwrap();
    let feed = next_feed.load(Ordering::SeqCst);
    let from_feed = feed;
    let from_calm = calm_n;
    let feed = publish(&publisher, "feed", feed, 100);
    let calm_n = publish(&publisher, &calm, calm_n, 100);
    read_until(&mut client, &mut got, |got| {
        got.in_room("feed").last() == Some(&(feed - 1))
            && got.in_room(&calm).last() == Some(&(calm_n - 1))
    })
    .await;

    // Nothing the client saw was given again as "new", and nothing new was
    // taken for something already seen: the lost stream is a new epoch.
    assert_eq!(client.duplicates, 0, "events dropped as already seen");
    let (epoch_after, _) = client.rooms["feed"].clone();
    assert_ne!(
        epoch_after, epoch_before,
        "the feed lost events at offset {offset_before} without a new epoch"
    );
    assert_eq!(
        client.rooms[&calm].0, calm_epoch,
        "the other shard's room kept its epoch"
    );
    for (room, from, to) in [
        ("feed", from_feed, feed),
        (calm.as_str(), from_calm, calm_n),
    ] {
        let tail: Vec<u64> = got
            .in_room(room)
            .into_iter()
            .filter(|n| *n >= from)
            .collect();
        assert_eq!(tail, (from..to).collect::<Vec<_>>(), "{room}");
        let all = got.in_room(room);
        assert!(
            all.windows(2).all(|w| w[0] < w[1]),
            "{room} out of order: {all:?}"
        );
    }
    assert_eq!(got.in_room("feed")[..300], (0..300).collect::<Vec<_>>()[..]);

    // A cut and a move to the other instance after the failover: recovered.
    proxy.cut();
    got.take(client.drain_until_lost().await);
    let feed = publish(&publisher, "feed", feed, 50);
    proxy.set_upstream(b.local_addr());
    proxy.restore();
    let session = client.connect().await.unwrap();
    // `recovered`, or `gaps` when the instance resumed on was still
    // subscribing again after the failover and could not vouch for its
    // copy of the room yet: reported, and the events come from history.
    match session["status"].as_str() {
        Some("recovered") => {}
        Some("gaps") => assert!(
            session["gaps"]
                .as_array()
                .unwrap()
                .iter()
                .all(|room| room == "feed" || *room == json!(calm)),
            "{session}"
        ),
        _ => panic!("{session}"),
    }
    read_until(&mut client, &mut got, |got| {
        got.in_room("feed").last() == Some(&(feed - 1))
    })
    .await;
    let after_cut: Vec<u64> = got
        .in_room("feed")
        .into_iter()
        .filter(|n| *n >= feed - 50)
        .collect();
    assert_eq!(after_cut, (feed - 50..feed).collect::<Vec<_>>());
    assert_eq!(client.duplicates, 0);
    assert!(backend_a.stats().available && backend_b.stats().available);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_whose_slot_migrates_mid_stream_keeps_its_epoch_and_loses_nothing_delivered() {
    common::logs();
    let Some(cluster) = RedisCluster::start().await else {
        return;
    };
    let prefix = prefix("cluster-migrate");
    let url = cluster.url();
    let (a, _ba) = instance(&url, &prefix, &["feed"]).await;
    let (b, _bb) = instance(&url, &prefix, &["feed"]).await;
    let proxy = Proxy::start(a.local_addr()).await;
    let mut client = RawClient::new(proxy.url());
    client.connect().await.unwrap();
    join(&mut client, "feed").await;
    let publisher = b.router().clone();
    let mut got = Received::default();
    let feed = publish(&publisher, "feed", 0, 100);
    read_until(&mut client, &mut got, |got| got.ticks.len() == 100).await;
    let epoch = client.rooms["feed"].0.clone();

    // The slot moves while events keep coming (those Redis refuses while
    // the room's keys are split between two nodes are dropped and counted:
    // never numbered, never seen).
    let ticking = Arc::new(AtomicBool::new(true));
    let next_feed = Arc::new(AtomicU64::new(feed));
    let ticker = {
        let (router, ticking, next_feed) = (publisher.clone(), ticking.clone(), next_feed.clone());
        tokio::spawn(async move {
            while ticking.load(Ordering::SeqCst) {
                let n = next_feed.fetch_add(1, Ordering::SeqCst);
                router.to("feed").send("tick", n).unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let moved_to = cluster
        .migrate_slot_of(&bucket_key(&prefix, "feed", "h:feed"))
        .await;
    ticking.store(false, Ordering::SeqCst);
    ticker.await.unwrap();
    assert_eq!(
        cluster
            .master_of(&bucket_key(&prefix, "feed", "h:feed"))
            .await,
        moved_to
    );

    // Events flow from the new owner, exactly once, in the same epoch.
    let from = next_feed.load(Ordering::SeqCst);
    let feed = publish(&publisher, "feed", from, 100);
    read_until(&mut client, &mut got, |got| {
        got.in_room("feed").last() == Some(&(feed - 1))
    })
    .await;
    let all = got.in_room("feed");
    assert!(all.windows(2).all(|w| w[0] < w[1]), "out of order: {all:?}");
    let tail: Vec<u64> = all.iter().copied().filter(|n| *n >= from).collect();
    assert_eq!(tail, (from..feed).collect::<Vec<_>>());
    assert_eq!(
        client.rooms["feed"].0, epoch,
        "the stream moved with its slot"
    );
    assert_eq!(client.duplicates, 0);

    // A resume on the other instance reads the moved stream.
    proxy.cut();
    got.take(client.drain_until_lost().await);
    let feed = publish(&publisher, "feed", feed, 20);
    proxy.set_upstream(b.local_addr());
    proxy.restore();
    let session = client.connect().await.unwrap();
    assert_eq!(session["status"], "recovered", "{session}");
    read_until(&mut client, &mut got, |got| {
        got.in_room("feed").last() == Some(&(feed - 1))
    })
    .await;
    assert_eq!(client.duplicates, 0);
}

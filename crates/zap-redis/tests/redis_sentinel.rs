//! zap-redis behind Sentinel, with real processes started by the test (a
//! master, a replica, three `redis-server --sentinel`): the master is
//! killed, the Sentinels promote the replica, and the backend follows it:
//! cross-instance delivery resumes, and the membership the replica never
//! had is written again by the instances.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::deployments::{RedisSentinel, detach_replica};
use common::{ask, client, instance_at, next, prefix, register, silent, until_members, within};
use futures_util::StreamExt;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backend_follows_a_promoted_master_and_rewrites_the_membership_it_lost() {
    common::logs();
    let Some(mut sentinel) = RedisSentinel::start().await else {
        return;
    };
    let prefix = prefix("sentinel");
    let url = sentinel.url();
    let a = instance_at(&url, &prefix, register()).await;
    let b = instance_at(&url, &prefix, register()).await;
    let ca = client(a.server.url()).await;
    let cb = client(b.server.url()).await;

    // The replica stops following the master before anyone joins: the
    // memberships exist only on the master, which then dies.
    let _frozen = detach_replica(sentinel.replica.port, sentinel.master.port, 1).await;
    for client in [&ca, &cb] {
        assert_eq!(ask(client, "join", json!("lobby")).await, json!(true));
    }
    until_members("both members in redis", &ca, "lobby", 2).await;
    let killed = Instant::now();
    sentinel.kill_master_until_promoted().await;
    let promoted = killed.elapsed();

    // The backends find the new master through the Sentinels...
    common::eventually("both backends on the new master", || async {
        a.backend.stats().available && b.backend.stats().available
    })
    .await;
    let followed = killed.elapsed();
    // ... and delivery across instances resumes through it.
    let mut said = cb.subscribe_to_event("said");
    let resumed = within("delivery through the new master", async {
        for n in 0.. {
            ask(&ca, "say", json!(["lobby", format!("probe-{n}")])).await;
            if let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(200), said.next()).await
            {
                return killed.elapsed();
            }
        }
        unreachable!()
    })
    .await;
    // Probes sent just before may still arrive: wait for the marker.
    ask(&ca, "say", json!(["lobby", "marker"])).await;
    while next(&mut said).await.payload().to_value().unwrap() != json!("marker") {}
    for n in 0..20 {
        ask(&ca, "say", json!(["lobby", n.to_string()])).await;
    }
    for n in 0..20 {
        assert_eq!(
            next(&mut said).await.payload().to_value().unwrap(),
            json!(n.to_string())
        );
    }
    silent(&mut said).await;

    // The new master lacked the memberships: the instances wrote them again.
    until_members("both members on the new master", &cb, "lobby", 2).await;
    assert_eq!(ask(&cb, "count", json!(null)).await, json!(2));
    assert!(
        followed < promoted + Duration::from_secs(3) && resumed < promoted + Duration::from_secs(5),
        "promoted after {promoted:?}, followed after {followed:?}, delivery resumed after {resumed:?}"
    );
}

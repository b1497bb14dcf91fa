//! zap-redis over a real Redis Cluster (six `redis-server` processes: three
//! masters, three replicas), started by the tests: broadcast, `send_to`,
//! presence and cluster queries across instances over sharded pub/sub;
//! recovery through cuts; a master killed mid-stream and its replica
//! promoted while the instances keep serving.
#![allow(clippy::unwrap_used)]

mod common;

use common::deployments::RedisCluster;
use common::{ask, bucket_key, client, eventually, instance_at, next, prefix, register, silent};
use serde_json::json;
use zap_client::ZapSubscriber;

/// Room names whose keys live on at least two different masters.
async fn rooms_on_two_shards(cluster: &RedisCluster, prefix: &str) -> (String, String) {
    let first = "room-0".to_owned();
    let home = cluster
        .master_of(&bucket_key(prefix, &first, &format!("room:{first}")))
        .await;
    for n in 1..64 {
        let other = format!("room-{n}");
        let master = cluster
            .master_of(&bucket_key(prefix, &other, &format!("room:{other}")))
            .await;
        if master != home {
            return (first, other);
        }
    }
    panic!("every room on one master");
}

async fn joined(client: &ZapSubscriber, room: &str) {
    assert_eq!(ask(client, "join", json!(room)).await, json!(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_send_to_presence_and_queries_span_instances_over_a_redis_cluster() {
    let Some(cluster) = RedisCluster::start().await else {
        return;
    };
    let prefix = prefix("cluster-span");
    let (here, there) = rooms_on_two_shards(&cluster, &prefix).await;
    let url = cluster.url();
    let watched = || register().presence_event("presence");
    let a = instance_at(&url, &prefix, watched()).await;
    let b = instance_at(&url, &prefix, watched()).await;
    let c = instance_at(&url, &prefix, watched()).await;
    let ca = client(a.server.url()).await;
    let cb = client(b.server.url()).await;
    let cc = client(c.server.url()).await;
    let id_a = ask(&ca, "whoami", json!(null)).await;
    let mut presence_a = ca.subscribe_to_event("presence");
    for room in [&here, &there] {
        for client in [&ca, &cb, &cc] {
            joined(client, room).await;
        }
        common::until_members("three members", &ca, room, 3).await;
    }
    // Presence from the other instances reached A.
    let mut joins = 0;
    while joins < 4 {
        let event = next(&mut presence_a).await;
        let payload = event.payload().to_value().unwrap();
        if payload["action"] == "join" && payload["id"] != id_a {
            joins += 1;
        }
    }

    // Broadcasts in rooms on two shards: exactly once on every other instance.
    let mut said_b = cb.subscribe_to_event("said");
    let mut said_c = cc.subscribe_to_event("said");
    let mut said_a = ca.subscribe_to_event("said");
    for room in [&here, &there] {
        for n in 0..20 {
            ask(&ca, "say", json!([room, format!("{room}-{n}")])).await;
        }
        for said in [&mut said_b, &mut said_c] {
            for n in 0..20 {
                let event = next(said).await;
                assert_eq!(
                    event.payload().to_value().unwrap(),
                    json!(format!("{room}-{n}"))
                );
            }
        }
    }
    silent(&mut said_b).await;
    silent(&mut said_c).await;
    silent(&mut said_a).await;

    // send_to a connection held by another instance.
    let mut direct_a = ca.subscribe_to_event("direct");
    ask(&cc, "direct", json!([id_a, "hello"])).await;
    assert_eq!(
        next(&mut direct_a).await.payload().to_value().unwrap(),
        json!("hello")
    );

    // Cluster-wide queries.
    assert_eq!(ask(&cb, "count", json!(null)).await, json!(3));
    let members = ask(&cc, "members", json!(there)).await;
    assert_eq!(members.as_array().unwrap().len(), 3, "{members}");
    eventually("every backend available", || async {
        [&a, &b, &c].iter().all(|i| i.backend.stats().available)
    })
    .await;
}

//! TestCluster: rooms, send_to, presence and cluster queries across nodes
//! on the in-memory bus, and its faults.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use zap_core::{EventRegister, MetaTag, Target};
use zap_test::{TestClient, TestCluster};

fn app() -> EventRegister {
    EventRegister::new()
        .presence_event("presence")
        .on_event("join", |ctx| async move {
            let name: String = ctx.payload_as()?;
            ctx.join_with_meta("lobby", MetaTag::new(name));
            ctx.connection().send("joined", ())?;
            Ok(())
        })
        .on_event("say", |ctx| async move {
            ctx.router()
                .to("lobby")
                .except(ctx.connection().id())
                .send("said", ctx.payload())?;
            Ok(())
        })
        .on_event("dm", |ctx| async move {
            let (to, text): (String, String) = ctx.payload_as()?;
            ctx.router().send_to(&to, "dm", text)?;
            Ok(())
        })
        .on_event("census", |ctx| async move {
            let members = ctx.router().cluster_members("lobby").await?;
            let count = ctx.router().cluster_count().await?;
            ctx.reply(json!({"members": members.len(), "connections": count}))?;
            Ok(())
        })
}

async fn joined(cluster: &TestCluster, node: usize, name: &str) -> TestClient {
    let mut client = cluster.node(node).connect().await;
    client.send("join", name);
    client.expect("joined").await;
    client
}

#[tokio::test(start_paused = true)]
async fn a_room_broadcast_reaches_members_on_every_node() {
    let cluster = TestCluster::new(3, app());
    let ada = joined(&cluster, 0, "ada").await;
    let mut bob = joined(&cluster, 1, "bob").await;
    let mut cy = joined(&cluster, 2, "cy").await;
    ada.send("say", "hi");
    bob.expect_payload("said", "hi").await;
    cy.expect_payload("said", "hi").await;
    let published = cluster.bus().published();
    let said = published.iter().find(|p| p.event.name == "said").unwrap();
    assert_eq!(said.from, 0);
    assert_eq!(said.target, Target::Room("lobby".into()));
    assert_eq!(said.except, [ada.id().clone()]);
}

#[tokio::test(start_paused = true)]
async fn send_to_reaches_a_connection_held_by_another_node() {
    let cluster = TestCluster::new(2, app());
    let ada = cluster.node(0).connect().await;
    let mut bob = cluster.node(1).connect().await;
    ada.send("dm", (bob.id().as_str(), "psst"));
    bob.expect_payload("dm", "psst").await;
}

#[tokio::test(start_paused = true)]
async fn presence_crosses_nodes() {
    let cluster = TestCluster::new(2, app());
    let mut ada = joined(&cluster, 0, "ada").await;
    let bob = joined(&cluster, 1, "bob").await;
    let seen = ada.expect("presence").await;
    assert_eq!(seen.payload["action"], "join");
    assert_eq!(seen.payload["id"], bob.id().as_str());
}

#[tokio::test(start_paused = true)]
async fn cluster_queries_count_every_node() {
    let cluster = TestCluster::new(2, app());
    let mut ada = joined(&cluster, 0, "ada").await;
    let _bob = joined(&cluster, 1, "bob").await;
    let _idle = cluster.node(1).connect().await;
    let census = ada.request("census", ()).await;
    assert_eq!(census.payload, json!({"members": 2, "connections": 3}));
}

#[tokio::test(start_paused = true)]
async fn a_node_cut_off_the_bus_neither_hears_nor_is_heard() {
    let cluster = TestCluster::new(2, app());
    let mut ada = joined(&cluster, 0, "ada").await;
    let mut bob = joined(&cluster, 1, "bob").await;
    let mut bea = joined(&cluster, 1, "bea").await;
    ada.take_all();
    bob.take_all();
    cluster.cut_off(1);
    ada.send("say", "anyone?");
    bob.send("say", "only bea");
    bea.expect_payload("said", "only bea").await;
    bob.expect_nothing().await;
    ada.expect_nothing().await;
}

#[tokio::test(start_paused = true)]
async fn a_restored_node_is_heard_again_with_what_it_did_meanwhile() {
    let cluster = TestCluster::new(2, app());
    let mut ada = joined(&cluster, 0, "ada").await;
    cluster.cut_off(1);
    let bob = joined(&cluster, 1, "bob").await;
    ada.expect_nothing().await; // bob's presence did not cross
    cluster.restore(1);
    let census = ada.request("census", ()).await;
    assert_eq!(census.payload, json!({"members": 2, "connections": 2}));
    bob.send("say", "back");
    ada.expect_payload("said", "back").await;
}

#[tokio::test(start_paused = true)]
async fn killing_a_node_drops_its_clients_and_tells_the_other_nodes_they_left() {
    let cluster = TestCluster::new(2, app());
    let mut ada = joined(&cluster, 0, "ada").await;
    let mut bob = joined(&cluster, 1, "bob").await;
    ada.take_all();
    cluster.kill(1);
    assert_eq!(
        bob.expect_ended().await,
        None,
        "a crash sends no close frame"
    );
    let left = ada.expect("presence").await;
    assert_eq!(left.payload["action"], "leave");
    assert_eq!(left.payload["id"], bob.id().as_str());
    assert_eq!(left.payload["meta"]["name"], "bob");
    let census = ada.request("census", ()).await;
    assert_eq!(census.payload, json!({"members": 1, "connections": 1}));
}

#[tokio::test(start_paused = true)]
async fn a_client_cut_on_one_node_reconnects_on_another() {
    let cluster = TestCluster::new(2, app());
    let mut ada = joined(&cluster, 0, "ada").await;
    let bob = joined(&cluster, 1, "bob").await;
    ada.take_all();
    let cut = bob.cut().await;
    let left = ada.expect("presence").await;
    assert_eq!(left.payload["action"], "leave");
    let mut bob = cluster.node(0).resume(cut).await.unwrap();
    bob.send("join", "bob");
    bob.expect("joined").await;
    ada.send("say", "welcome back");
    bob.expect_payload("said", "welcome back").await;
}

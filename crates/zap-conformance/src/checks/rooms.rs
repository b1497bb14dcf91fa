//! Rooms and routing: join, leave, metadata, broadcast with exclude, to
//! everyone, leaving on disconnect, and sending to a connection from
//! anywhere in the process.

use serde_json::json;
use zap_core::SendError;

use super::until;
use crate::{Client, Endpoint, Integration, Probe, Running, conformance_register};

async fn serve(it: &impl Integration) -> (Running, Probe, zap_core::ConnectionRouter) {
    let (register, probe) = conformance_register();
    let router = register.router().clone();
    (it.serve(Endpoint::new(register)).await, probe, router)
}

/// A room broadcast reaches every member but the excluded sender, and no
/// one outside the room.
pub async fn a_room_broadcast_reaches_members_except_the_sender(it: &impl Integration) {
    let (server, _probe, _router) = serve(it).await;
    let mut clients = Vec::new();
    for _ in 0..4 {
        clients.push(Client::connect(server.url()).await);
    }
    let (members, outsider) = clients.split_at_mut(3);
    for client in members.iter_mut() {
        assert_eq!(client.call("join", json!("lobby")).await, json!(true));
    }
    // The reply to `say` is queued after the broadcast: had the sender been
    // included, `said` would arrive first.
    let (sender, others) = members.split_first_mut().unwrap();
    assert_eq!(sender.call("say", json!(["lobby", "hi"])).await, json!(2));
    for client in others {
        assert_eq!(client.expect("said").await, json!("hi"));
    }
    // Likewise the outsider's echo comes after anything the broadcast queued.
    outsider[0].assert_echoes("nothing before me").await;
}

/// Joining twice reports `false` and counts the member once.
pub async fn joining_twice_is_reported_and_counted_once(it: &impl Integration) {
    let (server, _probe, router) = serve(it).await;
    let mut client = Client::connect(server.url()).await;
    assert_eq!(client.call("join", json!("r")).await, json!(true));
    assert_eq!(client.call("join", json!("r")).await, json!(false));
    assert_eq!(router.room_size("r"), 1);
}

/// Leaving stops delivery; an empty room disappears.
pub async fn leaving_stops_delivery_and_empty_rooms_disappear(it: &impl Integration) {
    let (server, _probe, router) = serve(it).await;
    let mut a = Client::connect(server.url()).await;
    let mut b = Client::connect(server.url()).await;
    a.call("join", json!("r")).await;
    b.call("join", json!("r")).await;
    assert_eq!(b.call("leave", json!("r")).await, json!(true));
    assert_eq!(b.call("leave", json!("r")).await, json!(false));
    assert_eq!(a.call("say", json!(["r", "anyone?"])).await, json!(0));
    b.assert_echoes("nothing before me").await;
    a.call("leave", json!("r")).await;
    assert!(router.room_names().is_empty());
}

/// Members carry the metadata they joined with.
pub async fn members_carry_their_metadata(it: &impl Integration) {
    let (server, _probe, router) = serve(it).await;
    let mut a = Client::connect(server.url()).await;
    let mut b = Client::connect(server.url()).await;
    a.call("join", json!("r")).await;
    b.call("join", json!("r")).await;
    let mut expected = vec![a.id.clone(), b.id.clone()];
    expected.sort();
    assert_eq!(a.call("members", json!("r")).await, json!(expected));
    let member = &router.members("r")[0];
    assert_eq!(member.meta.as_ref().unwrap().values["n"], 1);
}

/// A connection leaves every room when it disconnects.
pub async fn a_connection_leaves_every_room_when_it_disconnects(it: &impl Integration) {
    let (server, mut probe, router) = serve(it).await;
    let mut a = Client::connect(server.url()).await;
    let mut b = Client::connect(server.url()).await;
    for room in ["r1", "r2", "r3"] {
        a.call("join", json!(room)).await;
    }
    b.call("join", json!("r1")).await;
    a.ws.close(None).await.unwrap();
    probe.wait_disconnected(&[&a.id]).await;
    until("a to leave its rooms", || router.room_names() == ["r1"]).await;
    assert_eq!(b.call("say", json!(["r1", "x"])).await, json!(0));
}

/// A broadcast to everyone reaches every connection, the sender included.
pub async fn a_broadcast_to_everyone_reaches_every_connection(it: &impl Integration) {
    let (server, _probe, _router) = serve(it).await;
    let mut clients = Vec::new();
    for _ in 0..5 {
        clients.push(Client::connect(server.url()).await);
    }
    clients[0].send("shout", json!("hey")).await;
    for client in &mut clients {
        assert_eq!(client.expect("shouted").await, json!("hey"));
    }
}

/// A connection is reachable by id from another connection's handler and
/// from code outside any handler; an unknown id is `NotFound`.
pub async fn a_connection_is_sent_to_from_anywhere_in_the_process(it: &impl Integration) {
    let (server, _probe, router) = serve(it).await;
    let mut a = Client::connect(server.url()).await;
    let mut b = Client::connect(server.url()).await;
    a.send("poke", json!(b.id)).await;
    assert_eq!(b.expect("poked").await, json!(a.id));
    // From a task of the application, on whatever thread it runs.
    let outside = router.clone();
    let target = a.id.clone();
    tokio::task::spawn_blocking(move || {
        outside
            .send_to(&target, "from-outside", json!({"ok": true}))
            .unwrap();
    })
    .await
    .unwrap();
    assert_eq!(a.expect("from-outside").await, json!({"ok": true}));
    let err = router.send_to("zpt-nobody", "x", ()).unwrap_err();
    assert!(matches!(err, SendError::NotFound(_)));
    assert_eq!(router.connection(&a.id).unwrap().id().as_str(), a.id);
}

/// Every member of a large room gets each broadcast exactly once, in order.
pub async fn a_room_of_many_gets_each_broadcast_exactly_once(it: &impl Integration) {
    const N: usize = 40;
    let (server, _probe, _router) = serve(it).await;
    let mut clients = Vec::new();
    for _ in 0..N {
        let mut client = Client::connect(server.url()).await;
        client.call("join", json!("big")).await;
        clients.push(client);
    }
    let (sender, receivers) = clients.split_first_mut().unwrap();
    for round in 0..3 {
        let delivered = sender
            .call("say", json!(["big", format!("m{round}")]))
            .await;
        assert_eq!(delivered, json!(N - 1));
    }
    for client in receivers.iter_mut() {
        for round in 0..3 {
            assert_eq!(client.expect("said").await, json!(format!("m{round}")));
        }
        client.assert_echoes("no fourth").await;
    }
}

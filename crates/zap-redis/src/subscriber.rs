//! The subscriber task: listens on the bus channels and delivers what other
//! instances publish to this instance's connections; reconnects by itself.
//!
//! - One server: one pub/sub connection on `{prefix}:bus`.
//! - Sentinel: the same, to the master the Sentinels name, asked again
//!   after the connection is lost (a failover).
//! - Cluster: sharded pub/sub (`SSUBSCRIBE`) on every bucket channel,
//!   through a RESP3 cluster connection that moves subscriptions with the
//!   slots. A channel the server drops (its slot migrated), or a change of
//!   the masters seen by the heartbeat, makes it subscribe to every channel
//!   again and rewrite this instance's membership.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;
use redis::{PushInfo, PushKind, Value};
use tokio::sync::mpsc;

use crate::conn::{Listen, cluster_client};
use crate::state::State;
use crate::wire;

const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Listens until aborted; `subscribed` is told once the first subscription
/// to every bus channel is in place.
pub(crate) async fn run(
    state: Arc<State>,
    listen: Listen,
    subscribed: tokio::sync::oneshot::Sender<()>,
) {
    let mut subscribed = Some(subscribed);
    let mut backoff = Duration::from_millis(50);
    loop {
        let outcome = match &listen {
            Listen::Cluster(nodes) => listen_cluster(&state, nodes, &mut subscribed).await,
            Listen::Single(client) => listen_one(&state, client.clone(), &mut subscribed).await,
            Listen::Sentinel(master) => match master.client().await {
                Ok(client) => listen_one(&state, client, &mut subscribed).await,
                Err(err) => Err(err),
            },
        };
        match outcome {
            Ok(()) => {
                backoff = Duration::from_millis(50);
                state.mark_unavailable(&"pub/sub connection lost");
            }
            Err(err) => state.mark_unavailable(&err),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Listens on one server until the connection is lost (`Ok`) or a
/// subscription fails (`Err`).
async fn listen_one(
    state: &State,
    client: redis::Client,
    subscribed: &mut Option<tokio::sync::oneshot::Sender<()>>,
) -> redis::RedisResult<()> {
    let generation = state.generation();
    let connect = client.get_async_pubsub();
    let mut pubsub = match tokio::time::timeout(state.config.connect_timeout, connect).await {
        Ok(pubsub) => pubsub?,
        Err(_) => return Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into()),
    };
    pubsub.subscribe(state.keys.buses()).await?;
    state.mark_available(generation);
    if let Some(subscribed) = subscribed.take() {
        let _ = subscribed.send(());
    }
    let mut messages = pubsub.on_message();
    loop {
        tokio::select! {
            message = messages.next() => match message {
                Some(message) => deliver(state, message.get_payload_bytes()),
                None => return Ok(()),
            },
            () = state.resubscribe.notified() => {}
        }
    }
}

/// Listens on every bucket channel of a cluster until the cluster
/// connection cannot be made (`Err`).
async fn listen_cluster(
    state: &State,
    nodes: &[String],
    subscribed: &mut Option<tokio::sync::oneshot::Sender<()>>,
) -> redis::RedisResult<()> {
    let generation = state.generation();
    let (push, mut pushes) = mpsc::unbounded_channel();
    let client = cluster_client(nodes, &state.config, Some(push))?;
    let connect = client.get_async_connection();
    let mut conn = match tokio::time::timeout(state.config.connect_timeout, connect).await {
        Ok(conn) => conn?,
        Err(_) => return Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into()),
    };
    let channels = state.keys.buses();
    subscribe_all(state, &mut conn, &channels).await?;
    state.mark_available(generation);
    if let Some(subscribed) = subscribed.take() {
        let _ = subscribed.send(());
    }
    loop {
        tokio::select! {
            push = pushes.recv() => match push {
                Some(push) => on_push(state, push),
                None => return Ok(()),
            },
            () = state.resubscribe.notified() => {
                // Ask each channel's current owner; what fails is retried at
                // the next change or dropped channel.
                if let Err(err) = subscribe_all(state, &mut conn, &channels).await {
                    tracing::warn!(%err, "subscribing again after a topology change failed; retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    state.resubscribe.notify_one();
                }
            }
        }
    }
}

/// Subscribes to every channel (one `SSUBSCRIBE` each: a command stays in
/// one slot), all at once, within the query timeout.
async fn subscribe_all(
    state: &State,
    conn: &mut redis::cluster_async::ClusterConnection,
    channels: &[String],
) -> redis::RedisResult<()> {
    let subscribing = futures_util::future::join_all(channels.iter().map(|channel| {
        let mut conn = conn.clone();
        async move { conn.ssubscribe(channel).await }
    }));
    match tokio::time::timeout(state.config.query_timeout, subscribing).await {
        Ok(results) => results.into_iter().collect(),
        Err(_) => Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into()),
    }
}

fn on_push(state: &State, push: PushInfo) {
    match push.kind {
        PushKind::SMessage | PushKind::Message => match push.data.get(1) {
            Some(Value::BulkString(bytes)) => deliver(state, bytes),
            _ => tracing::warn!("ignoring a malformed push message"),
        },
        // The server dropped a channel we did not leave: its slot moved.
        PushKind::SUnsubscribe => state.topology_changed(),
        // A node's connection went: the client reconnects to it and
        // subscribes again; the node may be a promoted replica that lost
        // the last writes.
        PushKind::Disconnection => state.topology_changed(),
        _ => {}
    }
}

fn deliver(state: &State, bytes: &[u8]) {
    let Some(message) = wire::decode(bytes) else {
        tracing::warn!(len = bytes.len(), "ignoring a malformed bus message");
        return;
    };
    if let (Some((epoch, offset)), zap_core::Target::Room(room)) = (&message.stamp, &message.target)
    {
        state.note_delivered(room, epoch, *offset);
        // Rooms with history are delivered by every instance, this one
        // included, in the order Redis gave them their offsets.
        if let Some(router) = state.router() {
            router.deliver_sequenced(room, &message.except, &message.frame, epoch, *offset);
        }
        return;
    }
    if let (Some(seq), zap_core::Target::Connection(id)) = (message.seq, &message.target) {
        // Numbered by Redis: every instance gets it, the holder queues it.
        if let Some(router) = state.router() {
            router.deliver_direct(id.as_str(), seq, &message.frame);
        }
        return;
    }
    if message.origin == state.instance {
        return; // delivered locally when it was published
    }
    state.received.fetch_add(1, Ordering::Relaxed);
    if let Some(router) = state.router() {
        router.deliver_local(&message.target, &message.except, &message.frame);
    }
}

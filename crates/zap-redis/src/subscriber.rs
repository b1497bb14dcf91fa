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

const MAX_BACKOFF: Duration = Duration::from_millis(1000);

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
        state.set_listening(false);
        let outcome = match &listen {
            Listen::Cluster(nodes) => listen_cluster(&state, nodes, &mut subscribed).await,
            Listen::Single(client) => listen_one(&state, client.clone(), &mut subscribed).await,
            Listen::Sentinel(master) => match master.client().await {
                Ok(client) => listen_one(&state, client, &mut subscribed).await,
                Err(err) => Err(err),
            },
        };
        match outcome {
            // A cluster's topology changed: subscribe again at once, on a
            // new connection.
            Ok(()) if matches!(listen, Listen::Cluster(_)) => {
                backoff = Duration::from_millis(50);
            }
            Ok(()) => {
                backoff = Duration::from_millis(50);
                state.mark_unavailable(&"pub/sub connection lost");
            }
            Err(err) => {
                tracing::debug!(%err, "listening failed");
                state.mark_unavailable(&err);
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Delivers the events of `room` that this instance missed while it was
/// not subscribed (after a failover): those after `seen` (the last
/// `(epoch, offset)` it delivered) and before `next` (the event that showed
/// the hole; `None` after subscribing again: everything there is), read from
/// the room's stream. When the room is in a new epoch since, the new
/// epoch's events are delivered (the client is told of the gap). What the
/// stream no longer has stays missing here; a client that resumes is told
/// of the gap by the history read.
async fn fill_hole(state: &State, room: &str, seen: (&str, u64), next: Option<(&str, u64)>) {
    // A transaction is not redirected: one that met a slot moving (MOVED)
    // is tried again once the client has the new slot map.
    let mut attempts = 0;
    let (epoch, missed) = loop {
        match crate::history::since(state, room, seen).await {
            Ok(found) => break found,
            Err(err) if attempts < 5 => {
                tracing::debug!(room, %err, "reading the events missed meanwhile: trying again");
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(err) => {
                tracing::warn!(room, %err, "cannot read the events missed while subscribing again");
                return;
            }
        }
    };
    let missed: Vec<_> = missed
        .into_iter()
        .filter(|(offset, _, _)| match next {
            Some((next_epoch, next_offset)) => next_epoch != epoch || *offset < next_offset,
            None => true,
        })
        .collect();
    if missed.is_empty() {
        return;
    }
    tracing::info!(
        room,
        missed = missed.len(),
        "delivering the events missed while subscribing again"
    );
    let Some(router) = state.router() else {
        return;
    };
    for (offset, frame, except) in missed {
        state.note_delivered(room, &epoch, offset);
        router.deliver_sequenced(room, &except, &frame, &epoch, offset);
    }
}

/// After subscribing again: delivers what was published meanwhile in every
/// room with history this instance has delivered (its members get the
/// events; and a resume here needs the room's log to be up to date), and
/// the direct events Redis numbered for its connections meanwhile.
async fn catch_up(state: &State) {
    for (room, (epoch, last)) in state.all_delivered() {
        fill_hole(state, &room, (&epoch, last), None).await;
    }
    catch_up_direct(state).await;
}

/// Delivers, in order, the direct events kept in Redis for every
/// connection of this instance (the session drops those it already has):
/// those numbered and published while this instance was not listening.
async fn catch_up_direct(state: &State) {
    let Some(router) = state.router() else {
        return;
    };
    let ids: Vec<String> = router
        .connections()
        .iter()
        .map(|connection| connection.id().as_str().to_owned())
        .collect();
    if ids.is_empty() {
        return;
    }
    let mut batch = crate::batch::Batch::new(&state.keys);
    let mut positions = Vec::with_capacity(ids.len());
    for id in &ids {
        let key = state.keys.direct_events(id);
        let (group, pipe) = batch.group(&key);
        positions.push((group, pipe.len()));
        pipe.cmd("LRANGE").arg(key).arg(0).arg(-1);
    }
    let reading = batch.run_values(&state.commands);
    let Ok(replies) = tokio::time::timeout(state.config.query_timeout, reading).await else {
        tracing::warn!("reading the direct events kept meanwhile timed out");
        return;
    };
    let mut kept = 0usize;
    for (id, (group, n)) in ids.iter().zip(positions) {
        let Some(Ok(values)) = replies.get(group) else {
            continue;
        };
        let Some(Value::Array(entries)) = values.get(n) else {
            continue;
        };
        for entry in entries {
            let Value::BulkString(bytes) = entry else {
                continue;
            };
            let Some((seq, frame)) = std::str::from_utf8(bytes)
                .ok()
                .and_then(|text| text.split_once('|'))
                .and_then(|(seq, frame)| Some((seq.parse::<u64>().ok()?, frame)))
            else {
                continue;
            };
            router.deliver_direct(id, seq, &zap_core::Frame::from_text(frame));
            kept += 1;
        }
    }
    tracing::debug!(
        connections = ids.len(),
        kept,
        "direct events kept in redis handed to their sessions"
    );
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
    tracing::debug!(instance = %state.instance, server = ?client.get_connection_info().addr(), "listening on the bus");
    state.set_listening(true);
    state.mark_available(generation);
    if let Some(subscribed) = subscribed.take() {
        let _ = subscribed.send(());
    }
    catch_up(state).await;
    let mut messages = pubsub.on_message();
    loop {
        tokio::select! {
            message = messages.next() => match message {
                Some(message) => deliver(state, message.get_payload_bytes()).await,
                None => return Ok(()),
            },
            () = state.resubscribe.notified() => {}
        }
    }
}

/// Listens on every bucket channel of a cluster, through a cluster
/// connection of its own, until the topology changes (`Ok`: a new
/// connection, with a fresh slot map, subscribes again at once) or a
/// channel cannot be subscribed to (`Err`). A subscription that hangs
/// on a node that died is never waited for: the whole connection goes.
async fn listen_cluster(
    state: &State,
    nodes: &[String],
    subscribed: &mut Option<tokio::sync::oneshot::Sender<()>>,
) -> redis::RedisResult<()> {
    let generation = state.generation();
    let (push, mut pushes) = mpsc::unbounded_channel();
    let client = cluster_client(nodes, &state.config, Some(push))?;
    let connect = client.get_async_connection();
    let conn = match tokio::time::timeout(state.config.connect_timeout, connect).await {
        Ok(conn) => conn?,
        Err(_) => return Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into()),
    };
    let channels = state.keys.buses();
    subscribe_all(state, &conn, &channels).await?;
    tracing::info!(instance = %state.instance, channels = channels.len(), "listening on the sharded bus channels");
    state.set_listening(true);
    state.mark_available(generation);
    catch_up(state).await;
    if let Some(subscribed) = subscribed.take() {
        let _ = subscribed.send(());
    }
    loop {
        tokio::select! {
            push = pushes.recv() => match push {
                Some(push) => {
                    if on_push(state, push).await {
                        return Ok(());
                    }
                }
                None => return Ok(()),
            },
            () = state.resubscribe.notified() => return Ok(()),
        }
    }
}

/// Subscribes to every channel (one `SSUBSCRIBE` each: a command stays in
/// one slot), all at once, within the query timeout.
async fn subscribe_all(
    state: &State,
    conn: &redis::cluster_async::ClusterConnection,
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

/// Handles one push of the cluster connection; `true` when the
/// subscriptions must be made again on a new connection.
async fn on_push(state: &State, push: PushInfo) -> bool {
    match push.kind {
        PushKind::SMessage | PushKind::Message => {
            match push.data.get(1) {
                Some(Value::BulkString(bytes)) => deliver(state, bytes).await,
                _ => tracing::warn!("ignoring a malformed push message"),
            }
            false
        }
        // The server dropped a channel we did not leave (its slot moved),
        // or a node's connection went (maybe a master that died: its
        // replica may be promoted without the last writes).
        PushKind::SUnsubscribe | PushKind::Disconnection => {
            tracing::debug!(kind = ?push.kind, data = ?push.data, "subscriptions to make again");
            state.topology_changed();
            true
        }
        _ => false,
    }
}

async fn deliver(state: &State, bytes: &[u8]) {
    let Some(message) = wire::decode(bytes) else {
        tracing::warn!(len = bytes.len(), "ignoring a malformed bus message");
        return;
    };
    if let (Some((epoch, offset)), zap_core::Target::Room(room)) = (&message.stamp, &message.target)
    {
        // Rooms with history are delivered by every instance, this one
        // included, in the order Redis gave them their offsets. Offsets
        // this instance missed (it was subscribing again after a failover)
        // come first, from the room's stream.
        if let Some((seen, last)) = state.delivered(room)
            && ((seen == *epoch && *offset > last + 1) || (seen != *epoch && *offset > 1))
        {
            fill_hole(state, room, (&seen, last), Some((epoch, *offset))).await;
        }
        state.note_delivered(room, epoch, *offset);
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

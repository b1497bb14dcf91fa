//! The subscriber task: listens on the bus channel and delivers what other
//! instances publish to this instance's connections; reconnects by itself.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;

use crate::state::State;
use crate::wire;

const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Listens until aborted; `subscribed` is told once the first subscription
/// to the bus channel is in place.
pub(crate) async fn run(
    state: Arc<State>,
    client: redis::Client,
    subscribed: tokio::sync::oneshot::Sender<()>,
) {
    let mut subscribed = Some(subscribed);
    let mut backoff = Duration::from_millis(50);
    loop {
        let generation = state.generation();
        match subscribe(&state, &client).await {
            Ok(mut pubsub) => {
                backoff = Duration::from_millis(50);
                state.mark_available(generation);
                if let Some(subscribed) = subscribed.take() {
                    let _ = subscribed.send(());
                }
                let mut messages = pubsub.on_message();
                while let Some(message) = messages.next().await {
                    deliver(&state, message.get_payload_bytes());
                }
                state.mark_unavailable(&"pub/sub connection lost");
            }
            Err(err) => state.mark_unavailable(&err),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn subscribe(
    state: &State,
    client: &redis::Client,
) -> redis::RedisResult<redis::aio::PubSub> {
    let connect = client.get_async_pubsub();
    let mut pubsub = match tokio::time::timeout(state.config.connect_timeout, connect).await {
        Ok(pubsub) => pubsub?,
        Err(_) => return Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into()),
    };
    pubsub.subscribe(state.keys.bus()).await?;
    Ok(pubsub)
}

fn deliver(state: &State, bytes: &[u8]) {
    let Some(message) = wire::decode(bytes) else {
        tracing::warn!(len = bytes.len(), "ignoring a malformed bus message");
        return;
    };
    if let (Some((epoch, offset)), zap_core::Target::Room(room)) = (&message.stamp, &message.target)
    {
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

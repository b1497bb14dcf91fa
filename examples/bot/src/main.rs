//! A zaptools bot on `zap-client`: joins a room each time it is online,
//! answers `!ping` in that room, and rides out server restarts.
//!
//! ```text
//! ZAP_URL=ws://127.0.0.1:8000/ ZAP_TOKEN=secret ZAP_ROOM=lobby cargo run -p example-bot
//! ```
//!
//! It speaks the API sketch's chat protocol, as typed events: it sends
//! `join` (payload: the room) and `say` (`{"room", "text"}`), and listens to
//! `said` (`{"text"}`).

use std::time::Duration;

use futures_util::StreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use zap_client::{ConnectionState, Event, Heartbeat, ReconnectPolicy, ZapClient, ZapSubscriber};

/// Joins a room (the payload is the room's name).
#[derive(Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "join")]
struct Join(String);

/// Says something in a room.
#[derive(Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "say")]
struct Say {
    room: String,
    text: String,
}

/// Something was said in a room the bot is in.
#[derive(Serialize, Deserialize, JsonSchema, Event)]
#[event(name = "said")]
struct Said {
    text: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Logs, and every handler's error (a `warn`), go to stderr through
    // `tracing`; `RUST_LOG=debug` (or `RUST_LOG=zap_client=debug`) shows more.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,zap_client=debug".into()),
        )
        .init();
    let url = std::env::var("ZAP_URL").unwrap_or_else(|_| "ws://127.0.0.1:8000/".into());
    let room = std::env::var("ZAP_ROOM").unwrap_or_else(|_| "lobby".into());

    let mut builder = ZapSubscriber::builder(&url)
        .reconnect(ReconnectPolicy::exponential().max_delay(Duration::from_secs(10)))
        .heartbeat(Heartbeat::new(
            Duration::from_secs(15),
            Duration::from_secs(35),
        ))
        .outbox(32);
    if let Ok(token) = std::env::var("ZAP_TOKEN") {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    let bot = builder.build();

    // Subscribe before connecting: nothing is missed, and the streams keep
    // receiving across reconnections.
    let mut said = bot.subscribe::<Said>();
    let mut states = bot.connection_state();
    let mut errors = bot.errors();

    // With a reconnect policy, connect() waits until the server is up.
    tracing::info!(%url, "connecting");
    let connecting = bot.connect();
    tokio::pin!(connecting);
    let mut connected = false;

    loop {
        tokio::select! {
            result = &mut connecting, if !connected => {
                result?;
                connected = true;
            }
            Some(state) = states.next() => {
                tracing::info!(%state, "connection state");
                // Join on the first connection and after every reconnection.
                if state == ConnectionState::Online {
                    join(&bot, &room);
                }
            }
            Some(said) = said.next() => {
                let said = match said {
                    Ok(said) => said,
                    Err(error) => {
                        tracing::warn!(%error, "unexpected `said` payload");
                        continue;
                    }
                };
                if said.text.trim() == "!ping" {
                    let reply = Say { room: room.clone(), text: "pong".into() };
                    if let Err(error) = bot.emit(&reply) {
                        tracing::warn!(%error, "could not answer");
                    }
                }
            }
            Some(error) = errors.next() => tracing::debug!(%error, "connection problem"),
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    bot.clean().await;
    Ok(())
}

fn join(bot: &ZapClient, room: &str) {
    match bot.emit(&Join(room.to_owned())) {
        Ok(()) => tracing::info!(room, "joined"),
        Err(error) => tracing::warn!(%error, room, "could not join"),
    }
}

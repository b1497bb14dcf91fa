//! [`conformance_register`]: the one register every check serves, with a
//! handler for each behaviour the suite exercises.

use std::time::Duration;

use serde_json::json;
use zap_core::{ErrorKind, EventContext, EventRegister, HandlerResult, MetaTag, SendError};

use crate::Probe;

/// Message of a `fail` event whose error handler must fail too.
pub(crate) const FAIL_THE_ERROR_HANDLER: &str = "fail the error handler too";

/// The standard register of the suite, and the [`Probe`] its handlers log to.
///
/// | event | handler |
/// | --- | --- |
/// | `connected` | logs `connected:<id>`; greets the client with a `connected` event whose payload is `{id, path, query, agent, peer_ip}` from the handshake (`?slow=1` first sleeps 50 ms, to expose ordering races) |
/// | `disconnected` | checks that sends now fail, logs `disconnected:<id>` |
/// | `error` | logs `error:<kind>`, sends `error-seen` with the error payload as received |
/// | `echo` | sends the payload back as `echo` |
/// | `fail`, `panic`, `typed` | returns `Err(payload)`, panics, parses a `u32` and replies `n + 1` |
/// | `close-me`, `bye` | closes with 1000; sends `n` 0..10 then closes with 4000 "done" |
/// | `headers-empty`, `headers-full` | sends an event with `{}` headers, with `{"room": "lobby"}` |
/// | `join`, `leave`, `say`, `shout`, `members`, `whoami`, `poke` | rooms and routing (see the `rooms` checks) |
/// | anything else | logs `event:<name>`, replies `seen` with `{name, payload, headers}` |
pub fn conformance_register() -> (EventRegister, Probe) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let log = move |entry: String| {
        let _ = tx.send(entry);
    };
    let (on_connected, on_disconnected, on_error, on_other) =
        (log.clone(), log.clone(), log.clone(), log);
    let register = EventRegister::new()
        .on_connected(move |ctx| {
            let log = on_connected.clone();
            async move {
                if ctx.handshake().query_param("slow").is_some() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                log(format!("connected:{}", ctx.connection().id()));
                greet(&ctx)
            }
        })
        .on_disconnected(move |ctx| {
            let log = on_disconnected.clone();
            async move {
                let id = ctx.connection().id();
                match ctx.connection().send("late", ()) {
                    Err(SendError::Closed) => log(format!("disconnected:{id}")),
                    other => log(format!("disconnected-but-send-gave:{other:?}:{id}")),
                }
            }
        })
        .on_error(move |ctx| {
            let log = on_error.clone();
            async move {
                let info = ctx
                    .error()
                    .cloned()
                    .ok_or("an error handler without ErrorInfo")?;
                log(format!("error:{}", kind_name(info.kind)));
                if info.message == FAIL_THE_ERROR_HANDLER {
                    panic!("the error handler fails too");
                }
                ctx.connection().send("error-seen", ctx.payload())?;
                Ok(())
            }
        })
        .on_event("echo", |ctx| async move {
            ctx.connection().send("echo", ctx.payload())?;
            Ok(())
        })
        .on_event("fail", |ctx| async move {
            let message: String = ctx.payload_as()?;
            Err(message.into())
        })
        .on_event("panic", |_ctx| async move { explode() })
        .on_event("typed", |ctx| async move {
            let n: u32 = ctx.payload_as()?;
            ctx.reply(n + 1)?;
            Ok(())
        })
        .on_event("close-me", |ctx| async move { ctx.connection().close() })
        .on_event("bye", |ctx| async move {
            for n in 0..10 {
                ctx.connection().send("n", n)?;
            }
            ctx.connection().close_with(4000, "done");
            Ok(())
        })
        .on_event("headers-empty", |ctx| async move {
            ctx.connection()
                .send_with_headers("headers-empty", (), zap_core::Headers::new())?;
            Ok(())
        })
        .on_event("headers-full", |ctx| async move {
            let mut headers = zap_core::Headers::new();
            headers.insert("room".into(), json!("lobby"));
            ctx.connection()
                .send_with_headers("headers-full", "x", headers)?;
            Ok(())
        })
        .on_event("join", join)
        .on_event("leave", |ctx| async move {
            let room: String = ctx.payload_as()?;
            ctx.reply(ctx.leave(&room))?;
            Ok(())
        })
        .on_event("say", say)
        .on_event("shout", |ctx| async move {
            let text: String = ctx.payload_as()?;
            ctx.router().all().send("shouted", &text)?;
            Ok(())
        })
        .on_event("members", members)
        .on_event("whoami", |ctx| async move {
            ctx.reply(ctx.connection().id().as_str())?;
            Ok(())
        })
        .on_event("poke", |ctx| async move {
            let target: String = ctx.payload_as()?;
            let from = ctx.connection().id().as_str();
            ctx.router().send_to(&target, "poked", from)?;
            Ok(())
        })
        .fallback(move |ctx| {
            let log = on_other.clone();
            async move {
                log(format!("event:{}", ctx.event_name()));
                let seen = json!({
                    "name": ctx.event_name(),
                    "payload": ctx.payload().to_value()?,
                    "headers": ctx.headers(),
                });
                ctx.connection().send("seen", seen)?;
                Ok(())
            }
        });
    (register, Probe::new(rx))
}

fn greet(ctx: &EventContext) -> HandlerResult {
    let hs = ctx.handshake();
    let greeting = json!({
        "id": ctx.connection().id().as_str(),
        "path": hs.path(),
        "query": hs.query(),
        "agent": hs.header("x-agent"),
        "peer_ip": hs.peer_addr().map(|addr| addr.ip().to_string()),
    });
    ctx.connection().send("connected", greeting)?;
    Ok(())
}

fn explode() {
    panic!("handler exploded");
}

fn kind_name(kind: ErrorKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{kind:?}"))
}

async fn join(ctx: EventContext) -> HandlerResult {
    let room: String = ctx.payload_as()?;
    let meta = MetaTag::new(ctx.connection().id().as_str()).value("n", 1);
    ctx.reply(ctx.join_with_meta(&room, meta))?;
    Ok(())
}

/// Sends `said` to the room but the sender, then replies with the count.
async fn say(ctx: EventContext) -> HandlerResult {
    let (room, text): (String, String) = ctx.payload_as()?;
    let delivery = ctx
        .router()
        .to(&room)
        .except(ctx.connection().id())
        .send("said", &text)?;
    ctx.reply(delivery.delivered)?;
    Ok(())
}

async fn members(ctx: EventContext) -> HandlerResult {
    let room: String = ctx.payload_as()?;
    let mut names: Vec<String> = ctx
        .router()
        .members(&room)
        .into_iter()
        .filter_map(|member| member.meta.map(|meta| meta.name))
        .collect();
    names.sort();
    ctx.reply(names)?;
    Ok(())
}

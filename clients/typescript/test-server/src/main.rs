//! The Rust zaptools server that the TypeScript client's tests
//! (`clients/typescript/tests/*.test.mjs`) start: binds `127.0.0.1` (port 0
//! unless `--port` says), prints `PORT <n>` on stdout once listening,
//! serves WebSocket at `/ws`, and exits when its stdin closes (the test that
//! started it ended) or on Ctrl-C.
//!
//! Options: `--port N`, `--window SECONDS` (how long a dropped session stays
//! resumable, default 120), `--rate EVENTS_PER_SECOND` (flood control per
//! connection, burst the same; unlimited by default).
//!
//! Events (payloads in JSON):
//! - `echo` → `echo` with the same payload and the event's own headers;
//! - `join "room"` / `leave "room"` → joins or leaves, replies `true`;
//! - `say {room, text}` → `said {text}` to everyone in `room`;
//! - `publish {room, from, count}` → `tick n` to `room` for `n` in
//!   `from..from+count`, then replies `count`;
//! - `direct {from, count}` → `direct n` to the sender for each `n`;
//! - `add {a, b}` (a request) → replies `a + b`; a payload that is not two
//!   numbers fails to decode;
//! - `fail` → the handler fails (`"refused on purpose"`);
//! - `slow ms` → replies `"done"` after `ms` milliseconds;
//! - `record {key, n}` → appends `n` to the list `key`;
//!   `recorded "key"` → replies with that list (every `n` handled, in order).
//!
//! Rooms named `small:*` keep their last 10 events; every other room its
//! last 20,000 (enough for every test's events).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;
use tokio::io::AsyncReadExt;
use zap_core::extract::{Data, Reply};
use zap_core::{
    ConnectionConfig, EventContext, EventRegister, HandlerResult, History, Limit, RateLimit,
    RecoveryConfig,
};
use zap_server::ZapServer;

/// The lists of `record`, by key.
type Records = Arc<Mutex<HashMap<String, Vec<u64>>>>;

#[derive(Deserialize)]
struct Publish {
    room: String,
    from: u64,
    count: u64,
}

#[derive(Deserialize)]
struct Direct {
    from: u64,
    count: u64,
}

#[derive(Deserialize)]
struct Say {
    room: String,
    text: String,
}

#[derive(Deserialize)]
struct Add {
    a: f64,
    b: f64,
}

#[derive(Deserialize)]
struct Record {
    key: String,
    n: u64,
}

/// The command line.
struct Options {
    port: u16,
    window: Duration,
    rate: Option<f64>,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        port: 0,
        window: Duration::from_secs(120),
        rate: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--port" => options.port = value.parse().context("--port")?,
            "--window" => {
                options.window = Duration::from_secs_f64(value.parse().context("--window")?);
            }
            "--rate" => options.rate = Some(value.parse().context("--rate")?),
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    Ok(options)
}

fn register(records: &Records) -> EventRegister {
    let record = Arc::clone(records);
    let recorded = Arc::clone(records);
    EventRegister::new()
        .history("small:*", History::last(10))
        .history("*", History::last(20_000))
        .on_event("echo", |ctx| async move {
            let headers = ctx.headers().clone();
            ctx.connection()
                .send_with_headers("echo", ctx.payload().to_value()?, headers)?;
            Ok(())
        })
        .on_event("join", |ctx| async move {
            let room: String = ctx.payload_as()?;
            ctx.join(&room);
            ctx.reply(true)?;
            Ok(())
        })
        .on_event("leave", |ctx| async move {
            let room: String = ctx.payload_as()?;
            ctx.leave(&room);
            ctx.reply(true)?;
            Ok(())
        })
        .on(
            "say",
            |Data(say): Data<Say>, ctx: EventContext| async move {
                ctx.router()
                    .to(&say.room)
                    .send("said", serde_json::json!({"text": say.text}))?;
                HandlerResult::Ok(())
            },
        )
        .on("publish", publish)
        .on(
            "direct",
            |Data(direct): Data<Direct>, ctx: EventContext| async move {
                for n in direct.from..direct.from + direct.count {
                    ctx.connection().send("direct", n)?;
                }
                HandlerResult::Ok(())
            },
        )
        .on("add", |Data(add): Data<Add>, reply: Reply| async move {
            reply.send(add.a + add.b)
        })
        .on_event(
            "fail",
            |_ctx| async move { Err("refused on purpose".into()) },
        )
        .on("slow", |Data(ms): Data<u64>, reply: Reply| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            reply.send("done")
        })
        .on("record", move |Data(entry): Data<Record>| {
            let records = Arc::clone(&record);
            async move {
                let mut lists = records.lock().unwrap_or_else(PoisonError::into_inner);
                lists.entry(entry.key).or_default().push(entry.n);
            }
        })
        .on("recorded", move |Data(key): Data<String>, reply: Reply| {
            let records = Arc::clone(&recorded);
            async move {
                let list = records
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get(&key)
                    .cloned()
                    .unwrap_or_default();
                reply.send(list)
            }
        })
}

async fn publish(Data(publish): Data<Publish>, ctx: EventContext) -> HandlerResult {
    for n in publish.from..publish.from + publish.count {
        ctx.router().to(&publish.room).send("tick", n)?;
    }
    ctx.reply(publish.count)?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let options = options()?;
    let records = Records::default();
    let limits = match options.rate {
        Some(rate) => RateLimit::unlimited().events(Some(Limit::new(rate, rate))),
        None => RateLimit::unlimited(),
    };
    let server = ZapServer::builder()
        .address("127.0.0.1")
        .port(options.port)
        .path("/ws")
        .config(ConnectionConfig::default().rate_limit(limits))
        .register(register(&records).recovery(RecoveryConfig::default().window(options.window)))
        .start()
        .await?;
    announce(server.local_addr().port());
    let stdin_closed = async {
        let mut sink = [0u8; 64];
        let mut stdin = tokio::io::stdin();
        while matches!(stdin.read(&mut sink).await, Ok(n) if n > 0) {}
    };
    server
        .run_until(async {
            tokio::select! {
                () = stdin_closed => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        })
        .await;
    Ok(())
}

/// The line the tests read to find the port.
#[allow(clippy::print_stdout)]
fn announce(port: u16) {
    println!("PORT {port}");
}

//! Room fan-out: one sender, N receivers in one room, messages/s delivered
//! end to end; 1 in-process instance versus 2 instances through Redis.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use zap_core::{ConnectionConfig, EventRegister};
use zap_redis::{RedisBackend, RedisConfig};
use zap_server::ZapServer;

use crate::redis_server::RedisServer;

/// Size of one measurement.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    pub(crate) receivers: usize,
    pub(crate) messages: usize,
    pub(crate) payload: usize,
}

/// Messages sent before waiting for every receiver to catch up, so that
/// bounded outbound queues never overflow during the run.
const WINDOW: usize = 50;

fn register() -> EventRegister {
    EventRegister::new()
        .on_event("join", |ctx| async move {
            ctx.join("bench");
            ctx.reply(())?;
            Ok(())
        })
        .on_event("fanout", |ctx| async move {
            ctx.router()
                .to("bench")
                .except(ctx.connection().id())
                .send("tick", ctx.payload(), None)?;
            Ok(())
        })
}

async fn server(register: EventRegister) -> anyhow::Result<ZapServer> {
    Ok(ZapServer::builder()
        .port(0)
        .max_connections(100_000)
        .config(ConnectionConfig::default().outbound_queue(4 * WINDOW))
        .register(register)
        .start()
        .await?)
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn join(url: &str) -> anyhow::Result<Ws> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    ws.send(Message::text(
        r#"{"eventName":"join","headers":{"zap-request-id":"j"}}"#,
    ))
    .await?;
    match ws.next().await {
        Some(Ok(Message::Text(_))) => Ok(ws),
        other => bail!("join failed: {other:?}"),
    }
}

/// One run: receivers spread over `urls` round-robin, the sender on the
/// first. Returns deliveries per second.
async fn run(urls: &[String], options: Options) -> anyhow::Result<f64> {
    let received = Arc::new(AtomicU64::new(0));
    let slowest = Arc::new(tokio::sync::Notify::new());
    let mut receivers = Vec::with_capacity(options.receivers);
    for i in 0..options.receivers {
        receivers.push(join(&urls[i % urls.len()]).await?);
    }
    let (mut sender, _) = tokio_tungstenite::connect_async(urls[0].as_str()).await?;
    let expected = u64::try_from(options.messages)?;
    let mut tasks = Vec::new();
    for mut ws in receivers {
        let (received, slowest) = (received.clone(), slowest.clone());
        tasks.push(tokio::spawn(async move {
            let mut got = 0u64;
            while got < expected {
                match ws.next().await {
                    Some(Ok(Message::Text(_))) => {
                        got += 1;
                        received.fetch_add(1, Ordering::Relaxed);
                        slowest.notify_waiters();
                    }
                    Some(Ok(_)) => {}
                    _ => break,
                }
            }
            got
        }));
    }
    let frame = format!(
        r#"{{"eventName":"fanout","payload":"{}"}}"#,
        "x".repeat(options.payload)
    );
    let receivers = u64::try_from(options.receivers)?;
    let started = Instant::now();
    for sent in 1..=options.messages {
        sender.send(Message::text(frame.as_str())).await?;
        if sent % WINDOW == 0 || sent == options.messages {
            let target = u64::try_from(sent)? * receivers;
            let waited = tokio::time::timeout(Duration::from_secs(60), async {
                while received.load(Ordering::Relaxed) < target {
                    let notified = slowest.notified();
                    if received.load(Ordering::Relaxed) >= target {
                        break;
                    }
                    let _ = tokio::time::timeout(Duration::from_millis(5), notified).await;
                }
            })
            .await;
            waited.context("receivers stopped receiving")?;
        }
    }
    let elapsed = started.elapsed();
    for task in tasks {
        if task.await? != expected {
            bail!("a receiver missed messages");
        }
    }
    let deliveries = received.load(Ordering::Relaxed) as f64;
    Ok(deliveries / elapsed.as_secs_f64())
}

pub(crate) async fn compare(options: Options) -> anyhow::Result<()> {
    println!(
        "room fan-out: {} receivers, {} messages of {} payload bytes, windows of {WINDOW}",
        options.receivers, options.messages, options.payload
    );
    let local = server(register()).await?;
    let in_process = run(&[local.url().to_owned()], options).await?;
    local.shutdown().await;

    let redis = RedisServer::start().await?;
    let mut instances = Vec::new();
    for _ in 0..2 {
        let config = RedisConfig::new(redis.url()).prefix("bench");
        let backend = RedisBackend::connect_with_config(config).await?;
        instances.push(server(register().backend(backend)).await?);
    }
    let urls: Vec<String> = instances.iter().map(|s| s.url().to_owned()).collect();
    let through_redis = run(&urls, options).await?;
    for instance in instances {
        instance.shutdown().await;
    }

    println!("| backend | instances | deliveries/s | ratio |");
    println!("| --- | --- | --- | --- |");
    println!("| in-process (baseline) | 1 | {in_process:.0} | 1.00 |");
    println!(
        "| redis pub/sub | 2 | {through_redis:.0} | {:.2} |",
        through_redis / in_process
    );
    Ok(())
}

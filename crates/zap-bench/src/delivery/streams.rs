//! Room fan-out over Redis, 2 instances: the benchmark room with history in
//! Redis Streams (`.history(…)` on a Redis-backed register) versus plain Redis pub/sub, same
//! load, same run, each against its own fresh redis-server.

use zap_core::{EventRegister, History};
use zap_redis::{RedisBackend, RedisConfig};

use crate::loadgen::fanout::{self, Fanout, WINDOW};
use crate::redis_fanout::server;
use crate::redis_server::RedisServer;
use crate::servers;

/// Deliveries per second through 2 instances sharing one fresh Redis.
async fn through_redis(shape: Fanout, history: bool) -> anyhow::Result<f64> {
    let redis = RedisServer::start().await?;
    let mut instances = Vec::new();
    for _ in 0..2 {
        let config = RedisConfig::new(redis.url()).prefix("bench");
        let backend = RedisBackend::connect_with_config(config).await?;
        let register: EventRegister = if history {
            servers::register()
                .backend(backend)
                .history("bench", History::last(1_000))
        } else {
            servers::register().backend(backend)
        };
        instances.push(server(register).await?);
    }
    let urls: Vec<String> = instances.iter().map(|s| s.url().to_owned()).collect();
    let rate = fanout::run(&urls, shape).await?.per_second();
    for instance in instances {
        instance.shutdown().await;
    }
    Ok(rate)
}

#[allow(clippy::print_stdout)]
pub(crate) async fn compare(shape: Fanout) -> anyhow::Result<()> {
    println!(
        "room fan-out over Redis, 2 instances: {} receivers, {} messages of {} payload bytes, windows of {WINDOW}",
        shape.receivers, shape.messages, shape.payload
    );
    let pubsub = through_redis(shape, false).await?;
    let streams = through_redis(shape, true).await?;
    println!("| backend | deliveries/s | ratio |");
    println!("| --- | --- | --- |");
    println!("| redis pub/sub, no history (baseline) | {pubsub:.0} | 1.00 |");
    println!(
        "| redis with history in Streams (last 1,000) | {streams:.0} | {:.2} |",
        streams / pubsub
    );
    Ok(())
}

//! Room fan-out across instances: 1 in-process instance versus 2 instances
//! through Redis, same load, same run.

use zap_core::EventRegister;
use zap_redis::{RedisBackend, RedisConfig};
use zap_server::ZapServer;

use crate::loadgen::fanout::{self, Fanout, WINDOW};
use crate::redis_server::RedisServer;
use crate::servers;

pub(crate) async fn server(register: EventRegister) -> anyhow::Result<ZapServer> {
    Ok(ZapServer::builder()
        .port(0)
        .max_connections(1_000_000)
        .config(servers::config())
        .register(register)
        .start()
        .await?)
}

#[allow(clippy::print_stdout)]
pub(crate) async fn compare(shape: Fanout) -> anyhow::Result<()> {
    println!(
        "room fan-out: {} receivers, {} messages of {} payload bytes, windows of {WINDOW}",
        shape.receivers, shape.messages, shape.payload
    );
    let local = server(servers::register()).await?;
    let in_process = fanout::run(&[local.url().to_owned()], shape)
        .await?
        .per_second();
    local.shutdown().await;

    let redis = RedisServer::start().await?;
    let mut instances = Vec::new();
    for _ in 0..2 {
        let config = RedisConfig::new(redis.url()).prefix("bench");
        let backend = RedisBackend::connect_with_config(config).await?;
        instances.push(server(servers::register().backend(backend)).await?);
    }
    let urls: Vec<String> = instances.iter().map(|s| s.url().to_owned()).collect();
    let through_redis = fanout::run(&urls, shape).await?.per_second();
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

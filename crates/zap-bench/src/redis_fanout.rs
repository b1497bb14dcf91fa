//! Room fan-out across instances: 1 in-process instance versus 2 instances
//! through one Redis, and through a Redis Cluster of 3 masters (sharded
//! pub/sub), same load, same run.

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
    drop(redis);

    let through_cluster = match cluster::Cluster::start().await {
        Ok(cluster) => {
            let mut instances = Vec::new();
            for _ in 0..2 {
                let config = RedisConfig::new(cluster.url()).prefix("bench");
                let backend = RedisBackend::connect_with_config(config).await?;
                instances.push(server(servers::register().backend(backend)).await?);
            }
            let urls: Vec<String> = instances.iter().map(|s| s.url().to_owned()).collect();
            let rate = fanout::run(&urls, shape).await?.per_second();
            for instance in instances {
                instance.shutdown().await;
            }
            Ok(rate)
        }
        Err(err) => Err(err),
    };

    println!("| backend | instances | deliveries/s | ratio |");
    println!("| --- | --- | --- | --- |");
    println!("| in-process (baseline) | 1 | {in_process:.0} | 1.00 |");
    println!(
        "| redis pub/sub | 2 | {through_redis:.0} | {:.2} |",
        through_redis / in_process
    );
    match through_cluster {
        Ok(rate) => println!(
            "| redis cluster, 3 masters (sharded pub/sub) | 2 | {rate:.0} | {:.2} |",
            rate / in_process
        ),
        Err(err) => println!("| redis cluster, 3 masters | 2 | not run: {err:#} | |"),
    }
    Ok(())
}

/// A Redis Cluster of 3 masters (no replicas) on free ports, created with
/// `redis-cli --cluster create`; its processes are killed on drop.
mod cluster {
    use std::process::Stdio;
    use std::time::Duration;

    use anyhow::{Context, bail};
    use tokio::process::{Child, Command};

    pub(crate) struct Cluster {
        _nodes: Vec<Child>,
        _dir: tempfile::TempDir,
        ports: Vec<u16>,
    }

    impl Cluster {
        pub(crate) async fn start() -> anyhow::Result<Cluster> {
            let dir = tempfile::tempdir()?;
            let listeners = (0..6)
                .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
                .collect::<Result<Vec<_>, _>>()?;
            let free = listeners
                .iter()
                .map(|l| l.local_addr().map(|a| a.port()))
                .collect::<Result<Vec<_>, _>>()?;
            drop(listeners);
            let mut nodes = Vec::new();
            let mut ports = Vec::new();
            for pair in free.chunks(2) {
                let (port, bus) = (pair[0], pair[1]);
                let node_dir = dir.path().join(port.to_string());
                std::fs::create_dir_all(&node_dir)?;
                let child = Command::new("redis-server")
                    .args([
                        "--port",
                        &port.to_string(),
                        "--cluster-port",
                        &bus.to_string(),
                    ])
                    .args(["--bind", "127.0.0.1", "--cluster-enabled", "yes"])
                    .args(["--cluster-config-file", "nodes.conf", "--save", ""])
                    .args(["--appendonly", "no", "--loglevel", "warning"])
                    .current_dir(&node_dir)
                    .stdout(Stdio::null())
                    .kill_on_drop(true)
                    .spawn()
                    .context("redis-server not found: apt-get install -y redis-server")?;
                nodes.push(child);
                ports.push(port);
            }
            for &port in &ports {
                until(port, "PONG", &["PING"]).await?;
            }
            let created = Command::new("redis-cli")
                .args(["--cluster", "create"])
                .args(ports.iter().map(|p| format!("127.0.0.1:{p}")))
                .args(["--cluster-replicas", "0", "--cluster-yes"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .await
                .context("redis-cli not found: apt-get install -y redis-tools")?;
            if !created.success() {
                bail!("redis-cli --cluster create failed");
            }
            for &port in &ports {
                until(port, "cluster_state:ok", &["CLUSTER", "INFO"]).await?;
            }
            Ok(Cluster {
                _nodes: nodes,
                _dir: dir,
                ports,
            })
        }

        pub(crate) fn url(&self) -> String {
            let seeds: Vec<String> = self
                .ports
                .iter()
                .map(|p| format!("127.0.0.1:{p}"))
                .collect();
            format!("redis+cluster://{}", seeds.join(","))
        }
    }

    /// Asks the node at `port` (with `redis-cli`) until its reply to
    /// `command` contains `want` (at most 10 s).
    async fn until(port: u16, want: &str, command: &[&str]) -> anyhow::Result<()> {
        for _ in 0..500 {
            let asked = Command::new("redis-cli")
                .args(["-p", &port.to_string()])
                .args(command)
                .stderr(Stdio::null())
                .output()
                .await
                .context("redis-cli not found: apt-get install -y redis-tools")?;
            if String::from_utf8_lossy(&asked.stdout).contains(want) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!("redis at port {port} never answered {want}")
    }
}

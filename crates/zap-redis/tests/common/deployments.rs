//! Redis deployments started by the tests: a Redis Cluster of six
//! `redis-server --cluster-enabled yes` processes (three masters, three
//! replicas, created with `redis-cli --cluster create`), and a master with
//! a replica watched by three Sentinels (`redis-server --sentinel`). Every
//! port is a free one; every wait is bounded polling.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::{redis_installed, within};

/// `count` distinct free ports (all bound at once, then released).
fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<std::net::TcpListener> = (0..count)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

/// Whether the tools are there; in CI (`CI` set) their absence fails.
fn tools_installed(what: &str) -> bool {
    let cli = std::process::Command::new("redis-cli")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if redis_installed() && cli {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "redis-server and redis-cli are required in CI for {what}: apt-get install -y redis-server"
        );
    }
    eprintln!("SKIPPED: redis-server or redis-cli not installed ({what})");
    false
}

/// One `redis-server` process of a deployment.
pub struct Node {
    pub port: u16,
    child: Option<Child>,
}

impl Node {
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// SIGKILL: its data is gone (no persistence).
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }
}

fn spawn(args: &[String], dir: &Path) -> Child {
    Command::new("redis-server")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// A command's reply from the node at `port` (a plain connection), or
/// `None` while it does not answer.
pub async fn ask<T: redis::FromRedisValue>(port: u16, cmd: &redis::Cmd) -> Option<T> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).ok()?;
    let asking = async {
        let mut conn = client.get_multiplexed_async_connection().await.ok()?;
        cmd.query_async::<T>(&mut conn).await.ok()
    };
    tokio::time::timeout(Duration::from_secs(1), asking)
        .await
        .ok()
        .flatten()
}

async fn until_answers(port: u16) {
    within("redis to answer PING", async {
        while ask::<String>(port, &redis::cmd("PING")).await.as_deref() != Some("PONG") {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

/// Cuts the replica at port `replica` off its master (at port `master`) and
/// freezes it for `seconds` (`CLIENT KILL TYPE master` then `DEBUG SLEEP`),
/// so that what the master writes meanwhile never reaches it; returns once
/// the master has seen it go. Keep the returned stream until then.
pub async fn detach_replica(replica: u16, master: u16, seconds: u32) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut link = tokio::net::TcpStream::connect(("127.0.0.1", replica))
        .await
        .unwrap();
    link.write_all(format!("CLIENT KILL TYPE master\r\nDEBUG SLEEP {seconds}\r\n").as_bytes())
        .await
        .unwrap();
    within("the master to lose its replica", async {
        loop {
            let mut info = redis::cmd("INFO");
            info.arg("replication");
            let text: String = ask(master, &info).await.unwrap_or_default();
            if text.contains("connected_slaves:0") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    link
}

/// A local Redis Cluster: 3 masters, 3 replicas.
pub struct RedisCluster {
    pub nodes: Vec<Node>,
    _dir: tempfile::TempDir,
}

/// One line of `CLUSTER NODES`.
#[derive(Debug, Clone)]
pub struct ClusterNode {
    pub id: String,
    pub port: u16,
    pub master: bool,
    pub failed: bool,
    /// For a replica: its master's id.
    pub of: Option<String>,
    /// Slot ranges it serves (`a-b` or `a`).
    pub slots: Vec<(u16, u16)>,
}

fn parse_nodes(text: &str) -> Vec<ClusterNode> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let addr = fields.get(1)?.split('@').next()?;
            let port = addr.rsplit(':').next()?.parse().ok()?;
            let flags: Vec<&str> = fields.get(2)?.split(',').collect();
            let slots = fields
                .iter()
                .skip(8)
                .filter(|f| !f.starts_with('['))
                .filter_map(|range| match range.split_once('-') {
                    Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                    None => range.parse().ok().map(|s| (s, s)),
                })
                .collect();
            Some(ClusterNode {
                id: fields[0].to_owned(),
                port,
                master: flags.contains(&"master"),
                failed: flags.contains(&"fail"),
                of: fields
                    .get(3)
                    .filter(|f| **f != "-")
                    .map(|f| (*f).to_owned()),
                slots,
            })
        })
        .collect()
}

impl RedisCluster {
    /// Starts and creates the cluster, or `None` (after a notice) when
    /// Redis is not installed and `CI` is not set.
    pub async fn start() -> Option<RedisCluster> {
        if !tools_installed("the Redis Cluster tests") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let ports = free_ports(12);
        let mut nodes = Vec::new();
        for pair in ports.chunks(2) {
            let (port, bus) = (pair[0], pair[1]);
            let node_dir = dir.path().join(port.to_string());
            std::fs::create_dir_all(&node_dir).unwrap();
            let mut args = server_args(port);
            args.extend(
                [
                    "--cluster-port",
                    &bus.to_string(),
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "1000",
                    "--cluster-require-full-coverage",
                    "no",
                    "--cluster-replica-validity-factor",
                    "0",
                ]
                .iter()
                .map(|s| (*s).to_owned()),
            );
            nodes.push(Node {
                port,
                child: Some(spawn(&args, &node_dir)),
            });
        }
        for node in &nodes {
            until_answers(node.port).await;
        }
        let created = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(nodes.iter().map(Node::addr))
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let created = within("redis-cli --cluster create", created).await.unwrap();
        assert!(created.success(), "redis-cli --cluster create failed");
        let cluster = RedisCluster { nodes, _dir: dir };
        cluster.until_settled().await;
        cluster.until_replicas_online().await;
        Some(cluster)
    }

    /// `redis+cluster://` with every node as a seed.
    pub fn url(&self) -> String {
        let seeds: Vec<String> = self.nodes.iter().map(Node::addr).collect();
        format!("redis+cluster://{}", seeds.join(","))
    }

    /// `CLUSTER NODES` as seen by a running node.
    pub async fn view(&self) -> Vec<ClusterNode> {
        for node in self.nodes.iter().filter(|n| n.is_running()) {
            let mut cmd = redis::cmd("CLUSTER");
            cmd.arg("NODES");
            if let Some(text) = ask::<String>(node.port, &cmd).await {
                return parse_nodes(&text);
            }
        }
        Vec::new()
    }

    /// Waits until every running node says `cluster_state:ok` and sees
    /// three healthy masters serving all 16384 slots.
    pub async fn until_settled(&self) {
        within("the cluster to settle", async {
            loop {
                if self.settled().await {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
    }

    /// Waits until every master has its replica online (in sync).
    async fn until_replicas_online(&self) {
        within("the replicas in sync", async {
            loop {
                let mut online = 0;
                for node in &self.nodes {
                    let mut info = redis::cmd("INFO");
                    info.arg("replication");
                    let text: String = ask(node.port, &info).await.unwrap_or_default();
                    if text.contains("role:master") && text.contains("state=online") {
                        online += 1;
                    }
                }
                if online == 3 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
    }

    async fn settled(&self) -> bool {
        for node in self.nodes.iter().filter(|n| n.is_running()) {
            let mut info = redis::cmd("CLUSTER");
            info.arg("INFO");
            let Some(text) = ask::<String>(node.port, &info).await else {
                return false;
            };
            if !text.contains("cluster_state:ok") {
                return false;
            }
            let mut nodes = redis::cmd("CLUSTER");
            nodes.arg("NODES");
            let Some(text) = ask::<String>(node.port, &nodes).await else {
                return false;
            };
            let masters: Vec<ClusterNode> = parse_nodes(&text)
                .into_iter()
                .filter(|n| n.master && !n.failed && !n.slots.is_empty())
                .collect();
            let served: u32 = masters
                .iter()
                .flat_map(|m| &m.slots)
                .map(|(a, b)| u32::from(*b) - u32::from(*a) + 1)
                .sum();
            if masters.len() != 3 || served != 16384 {
                return false;
            }
        }
        true
    }

    /// The slot of `key`.
    pub async fn slot(&self, key: &str) -> u16 {
        let mut cmd = redis::cmd("CLUSTER");
        cmd.arg("KEYSLOT").arg(key);
        let port = self.nodes.iter().find(|n| n.is_running()).unwrap().port;
        ask(port, &cmd).await.unwrap()
    }

    /// The index (in `nodes`) of the master serving `key`.
    pub async fn master_of(&self, key: &str) -> usize {
        let slot = self.slot(key).await;
        let view = self.view().await;
        let master = view
            .iter()
            .find(|n| {
                n.master && !n.failed && n.slots.iter().any(|(a, b)| (*a..=*b).contains(&slot))
            })
            .unwrap_or_else(|| panic!("no master serves slot {slot}: {view:?}"));
        self.nodes
            .iter()
            .position(|n| n.port == master.port)
            .unwrap()
    }

    /// The index of the replica of the master at `index`, as the master
    /// itself says (`INFO replication`: gossip may not have told every node
    /// yet).
    pub async fn replica_of(&self, index: usize) -> usize {
        let port = self.nodes[index].port;
        let replica = within("the master to name its replica", async {
            loop {
                let mut info = redis::cmd("INFO");
                info.arg("replication");
                let text: String = ask(port, &info).await.unwrap_or_default();
                let replica = text
                    .lines()
                    .filter(|line| line.starts_with("slave0:") && line.contains("state=online"))
                    .flat_map(|line| line.split(','))
                    .find_map(|field| field.strip_prefix("port="))
                    .and_then(|port| port.trim().parse::<u16>().ok());
                if let Some(replica) = replica {
                    return replica;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        self.nodes.iter().position(|n| n.port == replica).unwrap()
    }

    /// Moves the slot of `key` from its master to another master (the
    /// steps of `redis-cli --cluster reshard`: importing/migrating,
    /// `MIGRATE` of its keys, then the new owner told to every master);
    /// returns the index of the new owner.
    pub async fn migrate_slot_of(&self, key: &str) -> usize {
        let slot = self.slot(key).await;
        let from = self.master_of(key).await;
        let view = self.view().await;
        let masters: Vec<&ClusterNode> = view
            .iter()
            .filter(|n| n.master && !n.failed && !n.slots.is_empty())
            .collect();
        let source = (*masters
            .iter()
            .find(|n| n.port == self.nodes[from].port)
            .unwrap())
        .clone();
        let target = (*masters.iter().find(|n| n.port != source.port).unwrap()).clone();
        let setslot = |how: &str, id: &str| {
            let mut cmd = redis::cmd("CLUSTER");
            cmd.arg("SETSLOT").arg(slot).arg(how).arg(id);
            cmd
        };
        let ok: String = ask(target.port, &setslot("IMPORTING", &source.id))
            .await
            .unwrap();
        assert_eq!(ok, "OK");
        let ok: String = ask(source.port, &setslot("MIGRATING", &target.id))
            .await
            .unwrap();
        assert_eq!(ok, "OK");
        loop {
            let mut keys = redis::cmd("CLUSTER");
            keys.arg("GETKEYSINSLOT").arg(slot).arg(100);
            let keys: Vec<String> = ask(source.port, &keys).await.unwrap();
            if keys.is_empty() {
                break;
            }
            let mut migrate = redis::cmd("MIGRATE");
            migrate
                .arg("127.0.0.1")
                .arg(target.port)
                .arg("")
                .arg(0)
                .arg(5000)
                .arg("KEYS")
                .arg(&keys);
            let ok: String = ask(source.port, &migrate).await.unwrap();
            assert_eq!(ok, "OK");
        }
        // The new owner first, then the old one, then the others.
        let mut order = vec![target.clone(), source.clone()];
        order.extend(
            masters
                .iter()
                .filter(|m| m.port != source.port && m.port != target.port)
                .map(|m| (*m).clone()),
        );
        for master in &order {
            let ok: String = ask(master.port, &setslot("NODE", &target.id))
                .await
                .unwrap();
            assert_eq!(ok, "OK");
        }
        within("every node to see the slot moved", async {
            loop {
                let mut all = true;
                for node in self.nodes.iter().filter(|n| n.is_running()) {
                    let mut nodes = redis::cmd("CLUSTER");
                    nodes.arg("NODES");
                    let text: String = ask(node.port, &nodes).await.unwrap_or_default();
                    all &= parse_nodes(&text).iter().any(|n| {
                        n.port == target.port
                            && n.slots.iter().any(|(a, b)| (*a..=*b).contains(&slot))
                    });
                }
                if all {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        self.nodes
            .iter()
            .position(|n| n.port == target.port)
            .unwrap()
    }

    /// See [`detach_replica`].
    pub async fn detach_replica(
        &self,
        replica: usize,
        master: usize,
        seconds: u32,
    ) -> tokio::net::TcpStream {
        detach_replica(self.nodes[replica].port, self.nodes[master].port, seconds).await
    }

    /// Kills the master at `index` and waits until a replica serves its
    /// slots (bounded polling of `CLUSTER NODES`); returns the index of the
    /// promoted replica.
    pub async fn kill_master_until_promoted(&mut self, index: usize) -> usize {
        let before = self.view().await;
        let dead = before
            .iter()
            .find(|n| n.port == self.nodes[index].port)
            .cloned()
            .unwrap();
        assert!(dead.master, "node {index} is not a master: {before:?}");
        self.nodes[index].kill().await;
        let promoted = within("a replica promoted", async {
            loop {
                let view = self.view().await;
                if let Some(heir) = view
                    .iter()
                    .find(|n| n.master && !n.failed && n.port != dead.port && n.slots == dead.slots)
                {
                    return heir.port;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        self.until_settled().await;
        self.nodes.iter().position(|n| n.port == promoted).unwrap()
    }
}

/// A master, a replica and three Sentinels watching them as `zapmaster`.
pub struct RedisSentinel {
    pub master: Node,
    pub replica: Node,
    pub sentinels: Vec<Node>,
    _dir: tempfile::TempDir,
}

pub const MASTER_NAME: &str = "zapmaster";

impl RedisSentinel {
    pub async fn start() -> Option<RedisSentinel> {
        if !tools_installed("the Sentinel tests") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let ports = free_ports(5);
        let plain = |port: u16, extra: &[String]| -> Vec<String> {
            let mut args = server_args(port);
            args.extend_from_slice(extra);
            args
        };
        let master = Node {
            port: ports[0],
            child: Some(spawn(&plain(ports[0], &[]), dir.path())),
        };
        let replica_of = [
            "--replicaof".to_owned(),
            "127.0.0.1".to_owned(),
            ports[0].to_string(),
        ];
        let replica = Node {
            port: ports[1],
            child: Some(spawn(&plain(ports[1], &replica_of), dir.path())),
        };
        until_answers(master.port).await;
        until_answers(replica.port).await;
        // Sentinels learn of replicas from the master's INFO, asked at once
        // and then every 10 s: start them once the replica is in sync.
        let master_port = master.port;
        within("the replica in sync", async {
            loop {
                let mut info = redis::cmd("INFO");
                info.arg("replication");
                let text: String = ask(master_port, &info).await.unwrap_or_default();
                if text.contains("state=online") {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        let mut sentinels = Vec::new();
        for &port in &ports[2..] {
            let conf = dir.path().join(format!("sentinel-{port}.conf"));
            std::fs::write(
                &conf,
                format!(
                    "port {port}\nbind 127.0.0.1\ndir {dir}\n\
                     sentinel monitor {MASTER_NAME} 127.0.0.1 {master} 2\n\
                     sentinel down-after-milliseconds {MASTER_NAME} 1000\n\
                     sentinel failover-timeout {MASTER_NAME} 2000\n\
                     sentinel parallel-syncs {MASTER_NAME} 1\n",
                    dir = dir.path().display(),
                    master = master.port,
                ),
            )
            .unwrap();
            let args = vec![conf.display().to_string(), "--sentinel".to_owned()];
            sentinels.push(Node {
                port,
                child: Some(spawn(&args, dir.path())),
            });
        }
        for sentinel in &sentinels {
            until_answers(sentinel.port).await;
        }
        let setup = RedisSentinel {
            master,
            replica,
            sentinels,
            _dir: dir,
        };
        setup.until_watching().await;
        Some(setup)
    }

    /// `redis+sentinel://s1,s2,s3/zapmaster`.
    pub fn url(&self) -> String {
        let sentinels: Vec<String> = self.sentinels.iter().map(Node::addr).collect();
        format!("redis+sentinel://{}/{MASTER_NAME}", sentinels.join(","))
    }

    /// Waits until every Sentinel knows the replica and the two other
    /// Sentinels (else no failover can be agreed on), and the replica is
    /// in sync.
    async fn until_watching(&self) {
        within("the sentinels to watch the master", async {
            loop {
                let mut ready = true;
                for sentinel in &self.sentinels {
                    let mut replicas = redis::cmd("SENTINEL");
                    replicas.arg("REPLICAS").arg(MASTER_NAME);
                    let mut peers = redis::cmd("SENTINEL");
                    peers.arg("SENTINELS").arg(MASTER_NAME);
                    let replicas: Vec<redis::Value> =
                        ask(sentinel.port, &replicas).await.unwrap_or_default();
                    let peers: Vec<redis::Value> =
                        ask(sentinel.port, &peers).await.unwrap_or_default();
                    ready &= replicas.len() == 1 && peers.len() == 2;
                }
                let mut info = redis::cmd("INFO");
                info.arg("replication");
                let text: String = ask(self.replica.port, &info).await.unwrap_or_default();
                ready &= text.contains("master_link_status:up");
                if ready {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
    }

    /// The port of the master the Sentinels name.
    pub async fn master_port(&self) -> Option<u16> {
        for sentinel in self.sentinels.iter().filter(|s| s.is_running()) {
            let mut cmd = redis::cmd("SENTINEL");
            cmd.arg("GET-MASTER-ADDR-BY-NAME").arg(MASTER_NAME);
            if let Some((_, port)) = ask::<(String, u16)>(sentinel.port, &cmd).await {
                return Some(port);
            }
        }
        None
    }

    /// Kills the master and waits (bounded polling) until the Sentinels
    /// name the replica.
    pub async fn kill_master_until_promoted(&mut self) {
        self.master.kill().await;
        let replica = self.replica.port;
        within("the sentinels to promote the replica", async {
            while self.master_port().await != Some(replica) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
    }
}

/// The arguments every test `redis-server` starts with: on 127.0.0.1 only,
/// nothing written to disk, quiet, `DEBUG` allowed (the tests use it to
/// stall a node), replicas synced at once.
fn server_args(port: u16) -> Vec<String> {
    [
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--loglevel",
        "warning",
        "--enable-debug-command",
        "local",
        "--repl-diskless-sync-delay",
        "0",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

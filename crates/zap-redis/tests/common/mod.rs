//! Test fixtures: a real `redis-server` on a free port in a temp dir, server
//! instances using the Redis backend, and zap-client clients.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::print_stderr)]

use std::future::Future;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};
use zap_client::ZapSubscriber;
use zap_core::EventRegister;
use zap_redis::{RedisBackend, RedisConfig};
use zap_server::ZapServer;

pub mod deployments;

pub const WAIT: Duration = Duration::from_secs(15);

pub async fn within<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Polls `check` until it holds (bounded by [`WAIT`]).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    within(what, async {
        while !check().await {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await;
}

/// A `redis-server` of our own, killed on drop.
pub struct Redis {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

pub(crate) fn redis_installed() -> bool {
    std::process::Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Redis {
    /// Starts a Redis, or returns `None` (after a printed notice) when
    /// `redis-server` is not installed and `CI` is not set.
    pub async fn start() -> Option<Redis> {
        if !redis_installed() {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "redis-server is required in CI: apt-get update && apt-get install -y redis-server"
                );
            }
            eprintln!("SKIPPED: redis-server not installed (apt-get install -y redis-server)");
            return None;
        }
        let mut redis = Redis {
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
        };
        redis.spawn().await;
        Some(redis)
    }

    async fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--loglevel", "warning"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let port = self.port;
        within("redis to answer PING", async move {
            loop {
                if let Ok(mut tcp) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                    let mut reply = [0u8; 7];
                    if tcp.write_all(b"PING\r\n").await.is_ok()
                        && tcp.read_exact(&mut reply).await.is_ok()
                        && &reply == b"+PONG\r\n"
                    {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills Redis (its data is lost: no persistence).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts Redis again on the same port.
    pub async fn restart(&mut self) {
        self.spawn().await;
    }
}

/// Backend settings for tests: quick heartbeats and a short TTL.
pub fn config(redis: &Redis, prefix: &str) -> RedisConfig {
    config_at(&redis.url(), prefix)
}

/// [`config`] for Redis at `url` (any deployment).
pub fn config_at(url: &str, prefix: &str) -> RedisConfig {
    RedisConfig::new(url)
        .prefix(prefix)
        .heartbeat(Duration::from_millis(100))
        .instance_ttl(Duration::from_millis(600))
        .query_timeout(Duration::from_secs(2))
        .connect_timeout(Duration::from_millis(500))
}

/// The handlers every test instance runs.
pub fn register() -> EventRegister {
    EventRegister::new()
        .on_event("join", |ctx| async move {
            let room: String = ctx.payload_as()?;
            ctx.reply(ctx.join(&room))?;
            Ok(())
        })
        .on_event("say", |ctx| async move {
            let (room, text): (String, String) = ctx.payload_as()?;
            let delivery = ctx
                .router()
                .to(&room)
                .except(ctx.connection().id())
                .send("said", &text)?;
            ctx.reply(format!("{:?}", delivery.remote))?;
            Ok(())
        })
        .on_event("say-except", |ctx| async move {
            let (room, text, other): (String, String, String) = ctx.payload_as()?;
            ctx.router()
                .to(&room)
                .except(ctx.connection().id())
                .except(other)
                .send("said", &text)?;
            ctx.reply(())?;
            Ok(())
        })
        .on_event("direct", |ctx| async move {
            let (id, text): (String, String) = ctx.payload_as()?;
            ctx.router().send_to(&id, "direct", &text)?;
            ctx.reply(())?;
            Ok(())
        })
        .on_event("whoami", |ctx| async move {
            ctx.reply(ctx.connection().id().as_str())?;
            Ok(())
        })
        .on_event("members", |ctx| async move {
            let room: String = ctx.payload_as()?;
            match ctx.router().cluster_members(&room).await {
                Ok(members) => {
                    let ids: Vec<Value> = members.iter().map(|m| json!([m.id, m.local])).collect();
                    ctx.reply(ids)?;
                }
                Err(err) => {
                    ctx.reply(json!({"error": err.to_string()}))?;
                }
            }
            Ok(())
        })
        .on_event("count", |ctx| async move {
            ctx.reply(ctx.router().cluster_count().await?)?;
            Ok(())
        })
}

/// A server instance on 127.0.0.1:0 using the Redis backend.
pub struct Instance {
    pub server: ZapServer,
    pub backend: RedisBackend,
}

pub async fn instance(redis: &Redis, prefix: &str) -> Instance {
    instance_with(redis, prefix, register()).await
}

pub async fn instance_with(redis: &Redis, prefix: &str, register: EventRegister) -> Instance {
    instance_at(&redis.url(), prefix, register).await
}

/// An instance using Redis at `url` (any deployment).
pub async fn instance_at(url: &str, prefix: &str, register: EventRegister) -> Instance {
    let backend = RedisBackend::connect_with_config(config_at(url, prefix))
        .await
        .unwrap();
    let register = register.backend(backend.clone());
    let server = ZapServer::builder()
        .port(0)
        .register(register)
        .start()
        .await
        .unwrap();
    Instance { server, backend }
}

/// A connected client.
pub async fn client(url: &str) -> ZapSubscriber {
    within("a client to connect", ZapSubscriber::builder(url).connect())
        .await
        .unwrap()
}

/// Sends a request and returns the reply's payload.
pub async fn ask(client: &ZapSubscriber, event: &str, payload: Value) -> Value {
    let reply = within(event, client.request(event, payload)).await.unwrap();
    reply.payload().to_value().unwrap()
}

/// Waits until the cluster lists exactly `count` members of `room`, asked
/// through `client` (membership reaches Redis asynchronously).
pub async fn until_members(what: &str, client: &ZapSubscriber, room: &str, count: usize) {
    eventually(what, || async {
        ask(client, "members", json!(room))
            .await
            .as_array()
            .is_some_and(|members| members.len() == count)
    })
    .await;
}

/// The next event of a subscription.
pub async fn next(events: &mut zap_client::Subscription) -> zap_core::EventData {
    use futures_util::StreamExt;
    within("an event", events.next()).await.unwrap()
}

/// Asserts that no event arrives for a while.
pub async fn silent(events: &mut zap_client::Subscription) {
    use futures_util::StreamExt;
    let next = tokio::time::timeout(Duration::from_millis(300), events.next()).await;
    assert!(next.is_err(), "expected nothing, got {next:?}");
}

/// A unique prefix per test so tests can share nothing by accident.
pub fn prefix(test: &str) -> String {
    format!("t-{test}-{}", std::process::id())
}

/// Runs the test `entry` of this test binary in a child process (with
/// `vars` in its environment) and returns it with the text after `marker`
/// on the first line that has it (the child prints its address). The
/// child is killed on drop.
pub async fn spawn_test_child(
    entry: &str,
    vars: &[(&str, String)],
    marker: &str,
) -> (Child, String) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--ignored",
            "--exact",
            entry,
            "--nocapture",
            "--test-threads=1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (key, value) in vars {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let found = within("the child's address", async {
        loop {
            let line = lines
                .next_line()
                .await
                .unwrap()
                .expect("the child exited early");
            // The harness may print `test name ... ` on the same line.
            if let Some((_, rest)) = line.split_once(marker) {
                return rest.trim().to_owned();
            }
        }
    })
    .await;
    (child, found)
}

/// Sends `signal` (`STOP`, `CONT`) to a child process.
pub async fn signal(child: &Child, signal: &str) {
    let pid = child.id().expect("the child runs").to_string();
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .await
        .unwrap();
    assert!(status.success(), "kill -{signal} {pid}");
}

/// The name of a key in the bucket of `of` (a room name or a connection
/// id): the key layout of zap-redis (`{prefix:N}:rest`), restated here so
/// that a change to it is a deliberate one.
pub fn bucket_key(prefix: &str, of: &str, rest: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in of.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{{{prefix}:{}}}:{rest}", hash % 64)
}

/// The name of a key of the instance registry (`{prefix}:rest`).
pub fn registry_key(prefix: &str, rest: &str) -> String {
    format!("{{{prefix}}}:{rest}")
}

/// Logs to the test's output when `ZAP_TEST_LOG` is set (a filter such as
/// `zap_redis=debug`).
pub fn logs() {
    if let Ok(filter) = std::env::var("ZAP_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    }
}

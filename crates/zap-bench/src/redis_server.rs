//! A throwaway `redis-server` on a free port for the benchmarks.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

/// A running Redis, killed on drop.
pub(crate) struct RedisServer {
    _child: Child,
    _dir: tempfile::TempDir,
    port: u16,
}

impl RedisServer {
    pub(crate) async fn start() -> anyhow::Result<RedisServer> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let dir = tempfile::tempdir()?;
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--appendonly", "no", "--loglevel", "warning"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("redis-server not found: apt-get install -y redis-server")?;
        for _ in 0..250 {
            if let Ok(mut tcp) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                let mut reply = [0u8; 7];
                if tcp.write_all(b"PING\r\n").await.is_ok()
                    && tcp.read_exact(&mut reply).await.is_ok()
                    && &reply == b"+PONG\r\n"
                {
                    return Ok(RedisServer {
                        _child: child,
                        _dir: dir,
                        port,
                    });
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!("redis-server did not start on port {port}")
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

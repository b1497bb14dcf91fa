//! A server under test in a process of its own (`zap-bench serve KIND`),
//! pinned to core 0 when `taskset` is available, killed when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use anyhow::Context;

/// A running server process and the URL it listens on.
pub(crate) struct ServerProcess {
    child: Child,
    url: String,
}

impl ServerProcess {
    /// Starts `zap-bench serve KIND` and waits for its `PORT n` line.
    pub(crate) fn spawn(kind: &str) -> anyhow::Result<ServerProcess> {
        ServerProcess::spawn_under(&[], kind)
    }

    /// Starts `WRAPPER… zap-bench serve KIND` (a wrapper such as valgrind
    /// that runs the program in its own process) and waits for `PORT n`.
    pub(crate) fn spawn_under(wrapper: &[&str], kind: &str) -> anyhow::Result<ServerProcess> {
        let exe = std::env::current_exe()?;
        let pinned = Command::new("taskset").arg("--version").output().is_ok();
        let mut line: Vec<std::ffi::OsString> = wrapper.iter().map(Into::into).collect();
        line.push(exe.into_os_string());
        let mut command = if pinned {
            let mut command = Command::new("taskset");
            command.args(["-c", "0"]).args(&line);
            command
        } else {
            let mut command = Command::new(&line[0]);
            command.args(&line[1..]);
            command
        };
        let mut child = command
            .args(["serve", kind])
            .stdout(Stdio::piped())
            .spawn()
            .context("cannot start the server process")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .with_context(|| format!("server `{kind}` said {line:?}"))?;
        Ok(ServerProcess {
            child,
            url: format!("ws://127.0.0.1:{port}/"),
        })
    }

    /// The server's process id (for `/proc`).
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The WebSocket URL it serves.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

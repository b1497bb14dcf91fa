//! [`Driver`]: a chromedriver process of the test's own, on a free port.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::Session;
use super::http::call;

/// The flags every Chromium of the test gets (plus a fresh `--user-data-dir`).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--window-size=1000,680",
];

const INSTALL_HINT: &str =
    "apt-get install -y chromium chromium-driver (Debian), or `cargo xtask setup`";

/// A running chromedriver; killed when dropped.
#[derive(Debug)]
pub struct Driver {
    process: Child,
    addr: SocketAddr,
    chromium: PathBuf,
}

impl Driver {
    /// Starts chromedriver, or returns `None` (after printing a notice) when
    /// Chromium or chromedriver is not installed. With `CI` set, a missing
    /// browser is an error instead.
    pub async fn start_or_skip() -> anyhow::Result<Option<Driver>> {
        let (Some(chromium), Some(chromedriver)) = (
            find(&["chromium", "chromium-browser"]),
            find(&["chromedriver"]),
        ) else {
            if std::env::var_os("CI").is_some() {
                bail!("chromium and chromedriver are required in CI: {INSTALL_HINT}");
            }
            eprintln!("SKIPPED: chromium or chromedriver not found; {INSTALL_HINT}");
            return Ok(None);
        };
        let mut process = Command::new(&chromedriver)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", chromedriver.display()))?;
        let stdout = process.stdout.take().context("no chromedriver stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        // "ChromeDriver was started successfully on port 43793."
        let port = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(rest) = line.split("successfully on port ").nth(1) {
                    return Ok(rest.trim_end_matches('.').parse::<u16>()?);
                }
            }
            bail!("chromedriver exited before it was ready")
        })
        .await
        .context("chromedriver did not start within 20 s")??;
        // Keep draining its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Some(Driver {
            process,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            chromium,
        }))
    }

    /// A new headless Chromium with a fresh profile in its own directory.
    pub async fn session(&self) -> anyhow::Result<Session> {
        let profile = tempfile::tempdir().context("cannot make a profile directory")?;
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|&flag| flag.to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": self.chromium, "args": args},
        }}});
        let created = call(self.addr, "POST", "/session".into(), Some(capabilities))
            .await
            .context("chromedriver could not start Chromium")?;
        let id = created["sessionId"]
            .as_str()
            .context("no session id from chromedriver")?
            .to_owned();
        let session = Session::new(self.addr, id, profile);
        // Page waits (`wait_for`) run as async scripts bounded by this.
        session.set_script_timeout(Duration::from_secs(20)).await?;
        Ok(session)
    }

    /// chromedriver's process id (for logs).
    pub fn pid(&self) -> Option<u32> {
        self.process.id()
    }
}

/// The first of `names` found on `PATH`.
fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    })
}

fn is_executable(path: &Path) -> bool {
    path.metadata().is_ok_and(|meta| meta.is_file())
}

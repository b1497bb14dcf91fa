//! The comparison suite: each server kind in a process of its own pinned to
//! core 0 (the load generator runs on core 1), measured for echo throughput,
//! latency and CPU per message, fan-out, and memory per idle connection;
//! every figure also as a ratio to the hand-written baseline.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::loadgen::echo::{self, Echo};
use crate::loadgen::fanout::{self, Fanout};
use crate::loadgen::idle;
use crate::procstat::{cpu_seconds, rss_bytes};

/// Sizes of one suite run.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) kinds: Vec<String>,
    pub(crate) echo: Echo,
    pub(crate) fanout: Fanout,
    pub(crate) idle: Vec<usize>,
}

/// A server process under test.
struct ServerProcess {
    child: Child,
    url: String,
}

impl ServerProcess {
    fn spawn(kind: &str) -> anyhow::Result<ServerProcess> {
        let exe = std::env::current_exe()?;
        let pinned = Command::new("taskset").arg("--version").output().is_ok();
        let mut command = if pinned {
            let mut command = Command::new("taskset");
            command.args(["-c", "0"]).arg(exe);
            command
        } else {
            Command::new(exe)
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

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One server's figures.
#[derive(Debug, Default, Clone)]
struct Figures {
    echo_per_second: f64,
    p50_us: u64,
    p99_us: u64,
    cpu_us_per_echo: f64,
    fanout_per_second: f64,
    cpu_us_per_delivery: f64,
    bytes_per_idle: Vec<f64>,
}

async fn measure(kind: &str, plan: &Plan) -> anyhow::Result<Figures> {
    let mut figures = Figures::default();
    {
        let server = ServerProcess::spawn(kind)?;
        let warmup = Echo {
            duration: Duration::from_secs(1),
            ..plan.echo
        };
        echo::run(&server.url, warmup).await?;
        let before = cpu_seconds(server.pid())?;
        let result = echo::run(&server.url, plan.echo).await?;
        let cpu = cpu_seconds(server.pid())? - before;
        figures.echo_per_second = result.per_second();
        figures.p50_us = result.latency.value_at_quantile(0.50);
        figures.p99_us = result.latency.value_at_quantile(0.99);
        figures.cpu_us_per_echo = cpu * 1e6 / result.messages as f64;

        let before = cpu_seconds(server.pid())?;
        let result = fanout::run(std::slice::from_ref(&server.url), plan.fanout).await?;
        let cpu = cpu_seconds(server.pid())? - before;
        figures.fanout_per_second = result.per_second();
        figures.cpu_us_per_delivery = cpu * 1e6 / result.deliveries as f64;
    }
    for &count in &plan.idle {
        let server = ServerProcess::spawn(kind)?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = rss_bytes(server.pid())?;
        let sockets = idle::open(&server.url, count).await?;
        let after = settled_rss(server.pid()).await?;
        figures
            .bytes_per_idle
            .push(after.saturating_sub(before) as f64 / count as f64);
        drop(sockets);
    }
    Ok(figures)
}

/// The RSS once it stops growing (bounded wait).
async fn settled_rss(pid: u32) -> anyhow::Result<u64> {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = rss_bytes(pid)?;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = rss_bytes(pid)?;
        if now.abs_diff(last) * 200 < last || Instant::now() > deadline {
            return Ok(now);
        }
        last = now;
    }
}

fn ratio(value: f64, baseline: f64) -> String {
    if baseline > 0.0 {
        format!("{:.2}×", value / baseline)
    } else {
        "n/a".to_owned()
    }
}

#[allow(clippy::print_stdout, clippy::print_stderr)]
pub(crate) async fn run(plan: Plan) -> anyhow::Result<()> {
    if plan.kinds.first().map(String::as_str) != Some("baseline") {
        bail!("the first server kind must be `baseline`: every figure is a ratio to it");
    }
    let mut all = Vec::new();
    for kind in &plan.kinds {
        eprintln!("measuring {kind}…");
        all.push((kind.clone(), measure(kind, &plan).await?));
    }
    let base = all[0].1.clone();
    println!(
        "echo: {} connections × {} in flight, {:?}, {}-byte payload; fan-out: {} receivers × {} messages",
        plan.echo.connections,
        plan.echo.window,
        plan.echo.duration,
        plan.echo.payload,
        plan.fanout.receivers,
        plan.fanout.messages
    );
    print!(
        "| server | echo msg/s | p50 µs | p99 µs | server CPU µs/echo | CPU ratio | fan-out deliveries/s | ratio | CPU µs/delivery |"
    );
    for count in &plan.idle {
        print!(" RSS/idle conn ({count}) | ratio |");
    }
    println!();
    print!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for _ in &plan.idle {
        print!(" --- | --- |");
    }
    println!();
    for (kind, f) in &all {
        print!(
            "| {kind} | {:.0} | {} | {} | {:.2} | {} | {:.0} | {} | {:.3} |",
            f.echo_per_second,
            f.p50_us,
            f.p99_us,
            f.cpu_us_per_echo,
            ratio(f.cpu_us_per_echo, base.cpu_us_per_echo),
            f.fanout_per_second,
            ratio(f.fanout_per_second, base.fanout_per_second),
            f.cpu_us_per_delivery,
        );
        for (i, bytes) in f.bytes_per_idle.iter().enumerate() {
            print!(
                " {:.0} B | {} |",
                bytes,
                ratio(*bytes, base.bytes_per_idle[i])
            );
        }
        println!();
    }
    Ok(())
}

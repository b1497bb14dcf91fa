//! `cargo xtask bench [scenario] [options]`: builds the benchmark binary in
//! release mode and runs it; each scenario prints a table of figures as
//! ratios to a baseline measured in the same run.

use std::process::Command;

use anyhow::{Context, bail};

/// Runs `zap-bench` with `args` (default scenario: `redis-fanout`).
pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command.args([
        "run",
        "--release",
        "--locked",
        "--package",
        "zap-bench",
        "--",
    ]);
    if args.is_empty() {
        command.arg("redis-fanout");
    } else {
        command.args(args);
    }
    let status = command.status().context("cannot run cargo")?;
    if !status.success() {
        bail!("benchmark failed ({status})");
    }
    Ok(())
}

//! `cargo xtask bench [scenario] [options]`: builds the benchmark binary in
//! release mode and runs it pinned to core 1 (it starts each server under
//! test pinned to core 0); every table compares against the hand-written
//! baseline measured in the same run. Without arguments it runs every
//! scenario (`all`): instruction counts under callgrind (when valgrind is
//! installed), the rounds of the suite with their medians, 19,000
//! connections in one process, and room fan-out through Redis. It prints the
//! whole table of `BENCHMARKS.md` (about 15 minutes on a 2-core machine).

use std::process::Command;

use anyhow::{Context, bail};

/// Builds `zap-bench` and runs it with `args` (default: `all`).
pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let built = Command::new(&cargo)
        .args(["build", "--release", "--locked", "--package", "zap-bench"])
        .status()
        .context("cannot run cargo")?;
    if !built.success() {
        bail!("building the benchmarks failed ({built})");
    }
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_owned());
    let binary = format!("{target}/release/zap-bench");
    let pinned = Command::new("taskset").arg("--version").output().is_ok();
    let mut command = if pinned {
        let mut command = Command::new("taskset");
        command.args(["-c", "1", &binary]);
        command
    } else {
        Command::new(&binary)
    };
    if args.is_empty() {
        command.arg("all");
    } else {
        command.args(args);
    }
    let status = command
        .status()
        .with_context(|| format!("cannot run {binary}"))?;
    if !status.success() {
        bail!("benchmark failed ({status})");
    }
    Ok(())
}

//! `cargo xtask ci`'s TypeScript step: the `zaptools` npm package in
//! `clients/typescript` gets its dev packages from its committed lockfile
//! (`npm ci`), is type-checked (`tsc --noEmit`: the committed `dist/` is
//! compared with a fresh build by a test, not overwritten), and tested
//! (`node --test`: against the Rust test server and the Python zaptools
//! server, the type tests, the build's freshness).
//!
//! Without `node` or `npm` the step fails when `CI` is set and is skipped
//! with a notice otherwise.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

/// Runs the step in `root/clients/typescript`.
pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    let dir = root.join("clients").join("typescript");
    eprintln!("==> typescript (npm ci, tsc --noEmit, node --test in clients/typescript)");
    let started = Instant::now();
    let missing: Vec<&str> = ["node", "npm"]
        .into_iter()
        .filter(|tool| !answers(tool))
        .collect();
    if !missing.is_empty() {
        let message = format!(
            "{} not found: the TypeScript client's tests need Debian's `nodejs` and `npm`",
            missing.join(" and ")
        );
        if std::env::var_os("CI").is_some() {
            bail!("{message}");
        }
        eprintln!("\n!!!!!!!! SKIPPED: {message} !!!!!!!!\n");
        return Ok(());
    }
    let steps: [(&str, &[&str]); 3] = [
        (
            "npm",
            &["ci", "--no-audit", "--no-fund", "--loglevel=error"],
        ),
        (
            "node",
            &[
                "node_modules/typescript/bin/tsc",
                "-p",
                "tsconfig.json",
                "--noEmit",
            ],
        ),
        (
            "node",
            &[
                "--test",
                "--test-concurrency=1",
                "--test-timeout=300000",
                "tests/",
            ],
        ),
    ];
    for (program, args) in steps {
        let status = Command::new(program)
            .args(args)
            .current_dir(&dir)
            .status()
            .with_context(|| format!("cannot run {program} in {}", dir.display()))?;
        if !status.success() {
            bail!(
                "step `typescript` failed: `{program} {}` ({status})",
                args.join(" ")
            );
        }
    }
    eprintln!("<== typescript ok in {:.0?}", started.elapsed());
    Ok(())
}

/// Whether `tool --version` runs.
fn answers(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

//! `cargo xtask ci`: what CI runs (`.ci/run` calls exactly this): first
//! `setup` (installs what the tests need and the machine lacks; skipped
//! with `--no-setup`), then fmt, clippy, tests and docs with `--locked` so
//! a stale `Cargo.lock` fails, the docs both with every feature and with
//! the default ones, and last the repository conventions (`tidy`).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

/// One step: a name, a cargo command line and extra environment.
struct Step {
    name: &'static str,
    command: &'static str,
    env: &'static [(&'static str, &'static str)],
}

const STEPS: &[Step] = &[
    Step {
        name: "format",
        command: "fmt --all -- --check",
        env: &[],
    },
    Step {
        name: "clippy",
        command: "clippy --workspace --all-targets --all-features --locked -- -D warnings",
        env: &[],
    },
    Step {
        name: "tests",
        command: "test --workspace --all-features --locked",
        env: &[],
    },
    Step {
        name: "docs",
        command: "doc --workspace --no-deps --all-features --locked",
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
    // Links that resolve only with a feature on (a TLS type, say) break
    // the docs of a default build: check that build too.
    Step {
        name: "docs (default features)",
        command: "doc --workspace --no-deps --locked",
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
];

pub(crate) fn run(root: &Path, setup: bool) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let started = Instant::now();
    if setup {
        eprintln!("==> setup (install what the tests need; --no-setup skips this)");
        crate::setup::run(root)?;
    }
    for step in STEPS {
        eprintln!("==> {} (cargo {})", step.name, step.command);
        let step_started = Instant::now();
        let status = Command::new(&cargo)
            .current_dir(root)
            .args(step.command.split_whitespace())
            .envs(step.env.iter().copied())
            .status()
            .with_context(|| format!("cannot run cargo for step `{}`", step.name))?;
        if !status.success() {
            bail!("step `{}` failed ({status})", step.name);
        }
        eprintln!("<== {} ok in {:.0?}", step.name, step_started.elapsed());
    }
    crate::typescript::run(root)?;
    eprintln!("==> tidy (repository conventions)");
    crate::tidy::run(root)?;
    eprintln!("all checks passed in {:.0?}", started.elapsed());
    Ok(())
}

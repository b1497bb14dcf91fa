//! `cargo xtask ci`: the same steps as `.ci/run`, in the same order, with
//! `--locked` so a stale `Cargo.lock` fails here as it does in CI.

use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

/// One step: a name and a cargo command line.
struct Step {
    name: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
}

const STEPS: &[Step] = &[
    Step {
        name: "format",
        args: &["fmt", "--all", "--", "--check"],
        env: &[],
    },
    Step {
        name: "clippy",
        args: &[
            "clippy", "--workspace", "--all-targets", "--all-features", "--locked", "--", "-D",
            "warnings",
        ],
        env: &[],
    },
    Step {
        name: "tests",
        args: &["test", "--workspace", "--all-features", "--locked"],
        env: &[],
    },
    Step {
        name: "docs",
        args: &["doc", "--workspace", "--no-deps", "--all-features", "--locked"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
];

pub(crate) fn run() -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let started = Instant::now();
    for step in STEPS {
        eprintln!("==> {} (cargo {})", step.name, step.args.join(" "));
        let step_started = Instant::now();
        let status = Command::new(&cargo)
            .args(step.args)
            .envs(step.env.iter().copied())
            .status()
            .with_context(|| format!("cannot run cargo for step `{}`", step.name))?;
        if !status.success() {
            bail!("step `{}` failed ({status})", step.name);
        }
        eprintln!("<== {} ok in {:.0?}", step.name, step_started.elapsed());
    }
    eprintln!("all checks passed in {:.0?}", started.elapsed());
    Ok(())
}

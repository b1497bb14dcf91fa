//! The command line of `cargo xtask`.

use anyhow::{Context, bail};

/// One task to run.
pub(crate) enum Task {
    /// Every check CI runs: setup, fmt, clippy, tests, docs, tidy.
    Ci {
        /// Install missing prerequisites first.
        setup: bool,
    },
    /// Install what the tests need.
    Setup,
    /// The benchmarks, with their arguments.
    Bench(Vec<String>),
    /// Bump the publishable crates to a version and check they package.
    Release {
        /// The new version.
        version: String,
        /// Write nothing, only show and check.
        dry_run: bool,
    },
    /// Repository conventions.
    Tidy,
    /// Print the usage.
    Help,
}

impl Task {
    pub(crate) fn parse(args: &[String]) -> anyhow::Result<Task> {
        match args.first().map(String::as_str) {
            Some("ci") => match args.get(1).map(String::as_str) {
                None => Ok(Task::Ci { setup: true }),
                Some("--no-setup") if args.len() == 2 => Ok(Task::Ci { setup: false }),
                Some(other) => bail!("unknown ci argument `{other}`"),
            },
            Some("setup") => Ok(Task::Setup),
            Some("bench") => Ok(Task::Bench(args[1..].to_vec())),
            Some("release") => {
                let mut version = None;
                let mut dry_run = false;
                for arg in &args[1..] {
                    match arg.as_str() {
                        "--dry-run" => dry_run = true,
                        flag if flag.starts_with('-') => bail!("unknown release flag `{flag}`"),
                        value if version.is_none() => version = Some(value.to_owned()),
                        extra => bail!("unexpected argument `{extra}`"),
                    }
                }
                let version = version.context("release needs a VERSION")?;
                Ok(Task::Release { version, dry_run })
            }
            Some("tidy") => Ok(Task::Tidy),
            None | Some("help" | "-h" | "--help") => Ok(Task::Help),
            Some(other) => bail!("unknown task `{other}`"),
        }
    }
}

pub(crate) fn print_help() {
    eprintln!(
        "usage: cargo xtask <task>\n\n\
         tasks:\n  \
         ci       what CI runs (.ci/run calls exactly this): setup, then fmt, clippy -D warnings,\n           \
         tests, docs, tidy (`--no-setup`: install nothing)\n  \
         setup    install what the tests need and the machine lacks (Debian, rustup, pip, npm),\n           \
         saying what and why\n  \
         tidy     repository conventions: `//!` openings, versioned path dependencies, crate metadata,\n           \
         README install lines and code, Quick start and examples show their logs\n  \
         release  `cargo xtask release VERSION [--dry-run]`: bump the publishable crates, date their\n           \
         changelogs, check each packages in publish order (never uploads; --dry-run writes nothing)\n  \
         bench    run the benchmarks (release build, pinned cores): all, or `suite [--quick]`, `idle [--kinds …]`, `redis-fanout`\n  \
         help     show this message"
    );
}

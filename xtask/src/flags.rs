//! The command line of `cargo xtask`.

use anyhow::bail;

/// One task to run.
pub(crate) enum Task {
    /// Every check CI runs: fmt, clippy, tests, docs.
    Ci,
    /// The benchmarks, with their arguments.
    Bench(Vec<String>),
    /// Print the usage.
    Help,
}

impl Task {
    pub(crate) fn parse(args: &[String]) -> anyhow::Result<Task> {
        match args.first().map(String::as_str) {
            Some("ci") => Ok(Task::Ci),
            Some("bench") => Ok(Task::Bench(args[1..].to_vec())),
            None | Some("help" | "-h" | "--help") => Ok(Task::Help),
            Some(other) => bail!("unknown task `{other}`"),
        }
    }
}

pub(crate) fn print_help() {
    eprintln!(
        "usage: cargo xtask <task>\n\n\
         tasks:\n  \
         ci     run every check CI runs (fmt, clippy -D warnings, tests, docs), as .ci/run does\n  \
         bench  run the benchmarks (release build): `cargo xtask bench redis-fanout [--receivers N]`\n  \
         help   show this message"
    );
}

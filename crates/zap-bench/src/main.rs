//! Benchmark binary: `zap-bench <scenario> [options]`, normally run through
//! `cargo xtask bench`. Every figure is reported beside a baseline measured
//! in the same run, as a ratio.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod fanout;
mod redis_server;

use anyhow::{Context, bail};

fn usage() -> &'static str {
    "usage: zap-bench redis-fanout [--receivers N] [--messages M] [--payload BYTES]\n\n\
     redis-fanout  room broadcast deliveries/s: 2 instances through Redis vs 1 in-process instance"
}

/// `--name value` from the arguments, parsed, or `default`.
fn option(args: &[String], name: &str, default: usize) -> anyhow::Result<usize> {
    match args.iter().position(|arg| arg == name) {
        None => Ok(default),
        Some(index) => args
            .get(index + 1)
            .with_context(|| format!("{name} needs a value"))?
            .parse()
            .with_context(|| format!("{name} takes a whole number")),
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Thousands of sockets: lift the soft descriptor limit to the hard one.
    if let Ok((_, hard)) = rlimit::Resource::NOFILE.get() {
        let _ = rlimit::Resource::NOFILE.set(hard, hard);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match args.first().map(String::as_str) {
        Some("redis-fanout") => {
            let options = fanout::Options {
                receivers: option(&args, "--receivers", 1000)?,
                messages: option(&args, "--messages", 200)?,
                payload: option(&args, "--payload", 64)?,
            };
            runtime.block_on(fanout::compare(options))
        }
        _ => bail!("{}", usage()),
    }
}

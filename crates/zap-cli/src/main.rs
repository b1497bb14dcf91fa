//! `zap`, the command-line tool of zaptools: `listen`, `send`, `repl`,
//! `serve` and `bench` against any zaptools server. See `zap --help`.
// A command-line tool talks on stdout and stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod client;
mod commands;
mod exit;
mod input;
mod output;
mod ready;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use args::{Cli, Command};
use exit::Failure;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // zap reports states and errors itself; ZAP_LOG=debug shows the libraries' logs.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZAP_LOG")
                .unwrap_or_else(|_| "error".into()),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("zap: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(dispatch(cli.command));
    // A pending read of stdin (repl) must not hold the process open.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("zap: error: {failure}");
            failure.code()
        }
    }
}

async fn dispatch(command: Command) -> Result<(), Failure> {
    match command {
        Command::Listen(args) => commands::listen::run(args).await,
        Command::Send(args) => commands::send::run(args).await,
        Command::Repl(args) => commands::repl::run(args).await,
        Command::Serve(args) => commands::serve::run(args).await,
        Command::Bench(args) => commands::bench::run(args).await,
        Command::Wait(args) => commands::wait::run(args).await,
    }
}

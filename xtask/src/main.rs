//! Repository automation, run as `cargo xtask <task>`: this file only
//! dispatches; each task lives in its own module.

#![allow(clippy::print_stderr)]

mod bench;
mod ci;
mod first_steps;
mod flags;
mod install_lines;
mod readme_code;
mod release;
mod setup;
mod tidy;
mod typescript;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match flags::Task::parse(&args) {
        Ok(flags::Task::Ci { setup }) => ci::run(&root(), setup),
        Ok(flags::Task::Setup) => setup::run(&root()),
        Ok(flags::Task::Bench(args)) => bench::run(&args),
        Ok(flags::Task::Release { version, dry_run }) => release::run(&root(), &version, dry_run),
        Ok(flags::Task::Tidy) => tidy::run(&root()),
        Ok(flags::Task::Help) => {
            flags::print_help();
            Ok(())
        }
        Err(err) => {
            flags::print_help();
            Err(err)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root: the parent of this crate's directory.
fn root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

//! `zap bench URL`: drives `zap_cli::bench` and prints its report, as a
//! table or as JSON, with a progress bar on a terminal.

use std::time::Duration;

use anyhow::anyhow;
use indicatif::{ProgressBar, ProgressStyle};
use zap_cli::bench::{BenchConfig, BenchError, Mode, run as run_bench};

use crate::args::{BenchArgs, BenchMode};
use crate::exit::Failure;
use crate::output::print_line;

/// Runs shorter than this get no progress bar.
const BAR_FROM: Duration = Duration::from_secs(3);

pub(crate) async fn run(args: BenchArgs) -> Result<(), Failure> {
    let config = BenchConfig::new(args.url.as_str())
        .mode(match args.mode {
            BenchMode::Echo => Mode::Echo,
            BenchMode::Fanout => Mode::FanOut,
        })
        .connections(args.connections)
        .window(args.window)
        .duration(args.duration)
        .payload_bytes(args.payload_size)
        .event(args.event.as_str());
    let bar = progress_bar(args.duration);
    let report = run_bench(&config, |progress| {
        bar.set_position(u64::try_from(progress.elapsed.as_millis()).unwrap_or(u64::MAX));
        bar.set_message(format!(
            "{} sent, {} received, {} errors",
            progress.sent, progress.received, progress.errors
        ));
    })
    .await;
    bar.finish_and_clear();
    let report = report.map_err(|error| match error {
        BenchError::InvalidConfig(_) => Failure::usage(error),
        BenchError::Connect { .. } | BenchError::ConnectTimeout { .. } => Failure::connect(error),
        error => Failure::from(anyhow!(error)),
    })?;
    if args.json {
        let json = serde_json::to_string(&report).map_err(anyhow::Error::from)?;
        print_line(&json)?;
    } else {
        print_line(&report.to_string())?;
    }
    if report.received == 0 {
        return Err(Failure::from(anyhow!(nothing_came_back(
            args.mode,
            report.sent
        ))));
    }
    Ok(())
}

/// Why a run that received nothing is a failure, and the likely mistake.
fn nothing_came_back(mode: BenchMode, sent: u64) -> String {
    let server = match mode {
        BenchMode::Echo => "`zap serve --echo`, or any server that sends each event back",
        BenchMode::Fanout => {
            "`zap serve --broadcast`, or any server that relays each event to the others"
        }
    };
    format!("sent {sent} event(s) and nothing came back: this mode needs a server like {server}")
}

fn progress_bar(duration: Duration) -> ProgressBar {
    if duration < BAR_FROM {
        return ProgressBar::hidden();
    }
    // Drawn on stderr, and only when stderr is a terminal.
    let bar = ProgressBar::new(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX));
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {elapsed:>4}/{duration:4} {msg}") {
        bar.set_style(style);
    }
    bar
}

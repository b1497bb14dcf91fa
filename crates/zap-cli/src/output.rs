//! What `zap` prints: events as JSON lines on stdout.

use std::io::Write;

use anyhow::Context;
use zap_client::EventData;

use crate::exit::Failure;

/// An event as one line of JSON (`headers` only when the sender gave some),
/// or indented with `pretty`.
pub(crate) fn event_json(event: &EventData, pretty: bool) -> String {
    let frame = event.encode();
    if !pretty {
        return frame.as_str().to_owned();
    }
    serde_json::from_str::<serde_json::Value>(frame.as_str())
        .and_then(|value| serde_json::to_string_pretty(&value))
        .unwrap_or_else(|_| frame.as_str().to_owned())
}

/// Writes one line on stdout; fails (code 1) when stdout is gone.
pub(crate) fn print_line(line: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .context("cannot write to stdout")?;
    Ok(())
}

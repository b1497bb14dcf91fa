//! Memory per room of history: a child process (`zap-bench rooms-child`)
//! broadcasts the same events to the same rooms, once with every room
//! keeping its last N events and once without history, and reports how much
//! its resident memory grew.

use std::process::Command;

use anyhow::{Context, bail};
use zap_core::{EventRegister, History};

use crate::procstat::{rss_bytes, settled_rss};

/// Shape of the memory run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rooms {
    pub(crate) rooms: usize,
    /// Events broadcast to each room, and kept by each room with history.
    pub(crate) events: usize,
    pub(crate) payload: usize,
}

/// In the child process: fills the rooms and prints `RSS before after`.
#[allow(clippy::print_stdout)]
pub(crate) async fn child(history: bool, shape: Rooms) -> anyhow::Result<()> {
    let mut register = EventRegister::new();
    if history {
        register = register.history("room:*", History::last(shape.events));
    }
    let router = register.router().clone();
    let payload = "x".repeat(shape.payload);
    let pid = std::process::id();
    let before = settled_rss(pid).await?;
    for event in 0..shape.events {
        for room in 0..shape.rooms {
            router.to(&format!("room:{room}")).send("tick", &payload)?;
        }
        if event % 50 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let after = settled_rss(pid).await?;
    // Keep the register (and its rooms) alive until measured.
    drop(register);
    println!("RSS {before} {after} {}", rss_bytes(pid)?);
    Ok(())
}

/// Runs the child with or without history; returns its RSS growth in bytes.
fn growth(history: bool, shape: Rooms) -> anyhow::Result<u64> {
    let output = Command::new(std::env::current_exe()?)
        .args([
            "rooms-child",
            if history { "history" } else { "plain" },
            &shape.rooms.to_string(),
            &shape.events.to_string(),
            &shape.payload.to_string(),
        ])
        .output()
        .context("cannot start the rooms child")?;
    if !output.status.success() {
        bail!(
            "rooms child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let text = String::from_utf8(output.stdout)?;
    let fields: Vec<u64> = text
        .trim()
        .strip_prefix("RSS ")
        .with_context(|| format!("rooms child said {text:?}"))?
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    match fields.as_slice() {
        [before, after, ..] => Ok(after.saturating_sub(*before)),
        _ => bail!("rooms child said {text:?}"),
    }
}

#[allow(clippy::print_stdout)]
pub(crate) async fn compare(shape: Rooms) -> anyhow::Result<()> {
    println!(
        "memory per room of history: {} rooms, History::last({}), {} payload bytes per event",
        shape.rooms, shape.events, shape.payload
    );
    let plain = growth(false, shape)?;
    let history = growth(true, shape)?;
    let rooms = shape.rooms as f64;
    let kept = rooms * shape.events as f64;
    let extra = history.saturating_sub(plain) as f64;
    println!("| rooms | RSS growth | per room | per retained event |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| without history (baseline) | {:.1} MiB | {:.0} B | n/a |",
        plain as f64 / 1048576.0,
        plain as f64 / rooms
    );
    println!(
        "| with history | {:.1} MiB | {:.0} B | {:.0} B |",
        history as f64 / 1048576.0,
        history as f64 / rooms,
        history as f64 / kept
    );
    println!(
        "| history minus baseline | {:.1} MiB | {:.0} B | {:.0} B |",
        extra / 1048576.0,
        extra / rooms,
        extra / kept
    );
    Ok(())
}

//! Instruction counts under valgrind's callgrind: unlike CPU time, they do
//! not move when other work shares the machine, so they are the figure to
//! trust on a busy host. Each server kind runs under callgrind; after a
//! warm-up the counters are zeroed, a load runs, and the instructions and
//! `malloc` calls it cost are read back per echoed event and per fan-out
//! delivery.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::loadgen::echo::{self, Echo};
use crate::loadgen::fanout::{self, Fanout};
use crate::server_process::ServerProcess;
use crate::stats::ratio;

/// What one load cost the server.
#[derive(Debug, Clone, Copy)]
struct Cost {
    instructions: f64,
    allocations: f64,
}

/// Per-unit costs of one server kind.
#[derive(Debug, Clone, Copy)]
struct Costs {
    echo: Cost,
    delivery: Cost,
}

/// Runs every kind under callgrind and prints the table.
#[allow(clippy::print_stdout, clippy::print_stderr)]
///
/// The dumps are kept in `keep` when given (for `callgrind_annotate`), in a
/// temporary directory otherwise.
pub(crate) async fn run(
    kinds: &[String],
    echo: Echo,
    fanout: Fanout,
    keep: Option<&Path>,
) -> anyhow::Result<()> {
    if Command::new("valgrind").arg("--version").output().is_err() {
        println!("callgrind: valgrind is not installed, instruction counts skipped");
        return Ok(());
    }
    let temporary = tempfile::tempdir()?;
    let dir = keep.unwrap_or(temporary.path());
    let mut all = Vec::new();
    for kind in kinds {
        let costs = measure(kind, dir, echo, fanout).await?;
        eprintln!("callgrind {kind}: {costs:?}");
        all.push((kind, costs));
    }
    let Some((_, base)) = all.first().copied() else {
        return Ok(());
    };
    println!();
    println!(
        "Instructions (callgrind Ir) and malloc calls in the server, per echoed event \
         ({} connections × {} in flight) and per fan-out delivery ({} receivers):",
        echo.connections, echo.window, fanout.receivers
    );
    println!();
    println!(
        "| server | instructions/echo | vs baseline | mallocs/echo | instructions/delivery | vs baseline | mallocs/delivery | targets (issue 18) |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (kind, c) in &all {
        let echo = c.echo.instructions / base.echo.instructions;
        let delivery = c.delivery.instructions / base.delivery.instructions;
        println!(
            "| {kind} | {:.0} | {} | {:.2} | {:.0} | {} | {:.2} | {} |",
            c.echo.instructions,
            ratio(c.echo.instructions, base.echo.instructions),
            c.echo.allocations,
            c.delivery.instructions,
            ratio(c.delivery.instructions, base.delivery.instructions),
            c.delivery.allocations,
            targets(echo, c.echo.allocations, delivery),
        );
    }
    println!();
    println!(
        "Targets: instructions per echo at most {ECHO_TARGET}x the baseline's with at most \
         {MALLOC_TARGET} mallocs, per delivery at most {DELIVERY_TARGET}x."
    );
    Ok(())
}

/// Issue 18's targets: instructions per echo (ratio to the baseline),
/// mallocs per echo, instructions per fan-out delivery (ratio).
const ECHO_TARGET: f64 = 1.2;
const MALLOC_TARGET: f64 = 2.0;
const DELIVERY_TARGET: f64 = 1.0;

/// Which of the targets a row meets.
fn targets(echo: f64, mallocs: f64, delivery: f64) -> String {
    let mark = |met: bool| if met { "met" } else { "not met" };
    format!(
        "echo {}, mallocs {}, delivery {}",
        mark(echo <= ECHO_TARGET),
        mark(mallocs <= MALLOC_TARGET),
        mark(delivery <= DELIVERY_TARGET)
    )
}

async fn measure(kind: &str, dir: &Path, echo: Echo, fanout: Fanout) -> anyhow::Result<Costs> {
    let out = dir.join(format!("callgrind.{kind}"));
    let out_arg = format!("--callgrind-out-file={}", out.display());
    let server =
        ServerProcess::spawn_under(&["valgrind", "-q", "--tool=callgrind", &out_arg], kind)?;
    let echo = echo.for_kind(kind);
    let warmup = Echo {
        duration: Duration::from_secs(2),
        ..echo
    };
    echo::run(server.url(), warmup).await?;

    control(server.pid(), "--zero")?;
    let result = echo::run(server.url(), echo).await?;
    let echo_cost = read(server.pid(), &out, "echo", result.messages as f64)?;

    let prepared = fanout::prepare(&[server.url().to_owned()], fanout).await?;
    control(server.pid(), "--zero")?;
    let result = prepared.send_all().await?;
    let delivery_cost = read(server.pid(), &out, "fanout", result.deliveries as f64)?;
    Ok(Costs {
        echo: echo_cost,
        delivery: delivery_cost,
    })
}

fn control(pid: u32, action: &str) -> anyhow::Result<String> {
    let output = Command::new("callgrind_control")
        .arg(action)
        .arg(pid.to_string())
        .output()
        .context("cannot run callgrind_control")?;
    if !output.status.success() {
        bail!("callgrind_control {action} failed: {}", output.status);
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Dumps the counters since the last zeroing and divides them by `units`.
fn read(pid: u32, out: &Path, label: &str, units: f64) -> anyhow::Result<Cost> {
    let before = dumps(out)?;
    control(pid, &format!("--dump={label}"))?;
    let dump = dumps(out)?
        .into_iter()
        .find(|path| !before.contains(path))
        .context("callgrind wrote no dump")?;
    let text = std::fs::read_to_string(&dump)?;
    let (instructions, allocations) = totals(&text)?;
    Ok(Cost {
        instructions: instructions / units,
        allocations: allocations / units,
    })
}

/// The dump files written so far (`OUT.N`, one per `--dump`).
fn dumps(out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let dir = out.parent().context("no dump directory")?;
    let stem = out
        .file_name()
        .and_then(|name| name.to_str())
        .context("no dump name")?;
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with(stem))
        {
            found.push(path);
        }
    }
    Ok(found)
}

/// Total instructions and calls to `malloc`/`calloc`/`realloc` in one dump.
///
/// Callgrind compresses names: `cfn=(7) malloc` defines id 7 the first time,
/// later lines say only `cfn=(7)`; the `calls=N …` line after a `cfn=` line
/// counts the calls of that edge.
fn totals(dump: &str) -> anyhow::Result<(f64, f64)> {
    let mut names: HashMap<&str, &str> = HashMap::new();
    let mut instructions = None;
    let mut callee: Option<&str> = None;
    let mut allocations = 0.0;
    for line in dump.lines() {
        if let Some(total) = line
            .strip_prefix("totals:")
            .or(line.strip_prefix("summary:"))
        {
            instructions = Some(total.trim().parse::<f64>()?);
        } else if let Some(rest) = line.strip_prefix("cfn=").or(line.strip_prefix("fn=")) {
            let name = match rest.split_once(' ') {
                Some((id, name)) => {
                    names.insert(id, name);
                    Some(name)
                }
                None => names.get(rest).copied(),
            };
            callee = if line.starts_with("cfn=") { name } else { None };
        } else if let Some(rest) = line.strip_prefix("calls=") {
            if matches!(callee, Some("malloc" | "calloc" | "realloc")) {
                let count = rest.split_whitespace().next().unwrap_or("0");
                allocations += count.parse::<f64>()?;
            }
            callee = None;
        }
    }
    Ok((instructions.context("no totals in the dump")?, allocations))
}

#[cfg(test)]
mod tests {
    use super::totals;

    #[test]
    fn a_dump_gives_its_total_and_its_malloc_calls() {
        let dump = "events: Ir\nfn=(1) main\ncfn=(2) malloc\ncalls=3 0x1\n0x2 40\n\
                    cfn=(3) free\ncalls=3 0x3\n0x4 9\nfn=(4) other\ncfn=(2)\ncalls=2 0x1\n0x5 20\n\
                    totals: 1234\n";
        assert_eq!(totals(dump).expect("parses"), (1234.0, 5.0));
    }
}

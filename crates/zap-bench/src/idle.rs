//! `zap-bench idle`: only the suite's memory per idle connection, for the
//! server kinds asked, each in a fresh process pinned like the suite's, in
//! rounds (medians), with every figure as a ratio to zap-server and, when
//! it is among the kinds, to the baseline.

use anyhow::bail;

/// Prints RSS per idle connection of each kind (median of `rounds`, each
/// with `connections` connections) and its ratios to zap-server's and the
/// baseline's (`NaN` when the baseline was not measured).
#[allow(clippy::print_stdout, clippy::print_stderr)]
pub(crate) async fn run(kinds: &[String], connections: usize, rounds: usize) -> anyhow::Result<()> {
    if !kinds.iter().any(|kind| kind == "zap-server") {
        bail!("`idle` compares with zap-server: list it among the kinds");
    }
    let mut medians = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let mut measured = Vec::with_capacity(rounds);
        for number in 1..=rounds {
            let bytes = crate::suite::idle_bytes(kind, connections).await?;
            eprintln!("round {number}/{rounds} idle {kind}: {bytes:.0} B per connection");
            measured.push(bytes);
        }
        measured.sort_by(f64::total_cmp);
        medians.push((kind, measured[measured.len() / 2]));
    }
    let median_of = |wanted: &str| {
        medians
            .iter()
            .find(|(kind, _)| *kind == wanted)
            .map_or(f64::NAN, |(_, bytes)| *bytes)
    };
    let server = median_of("zap-server");
    let baseline = median_of("baseline");
    println!(
        "RSS per idle connection ({connections} connections, median of {rounds} rounds)\n\n\
         | server | RSS/idle conn | vs baseline | vs zap-server |\n|---|---:|---:|---:|"
    );
    for (kind, bytes) in &medians {
        println!(
            "| {kind} | {bytes:.0} B | {:.2}× | {:.2}× |",
            bytes / baseline,
            bytes / server
        );
    }
    Ok(())
}

//! `zap-bench idle`: only the suite's memory per idle connection, for the
//! server kinds asked, each in a fresh process pinned like the suite's, in
//! rounds (medians), with every figure as a ratio to zap-server.

use anyhow::bail;

/// Prints RSS per idle connection of each kind (median of `rounds`, each
/// with `connections` connections) and its ratio to zap-server's.
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
    let server = medians
        .iter()
        .find(|(kind, _)| *kind == "zap-server")
        .map_or(f64::NAN, |(_, bytes)| *bytes);
    println!(
        "RSS per idle connection ({connections} connections, median of {rounds} rounds)\n\n\
         | server | RSS/idle conn | vs zap-server |\n|---|---:|---:|"
    );
    for (kind, bytes) in &medians {
        println!("| {kind} | {bytes:.0} B | {:.2}× |", bytes / server);
    }
    Ok(())
}

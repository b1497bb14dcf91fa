//! The suite's tables: medians of the rounds, ratios to the baseline and to
//! zap-server, and the targets of issue 12 checked against them.

use std::fmt;

use crate::many::ManyResult;
use crate::stats::{median, ratio};
use crate::suite::Plan;

/// One round of one server kind.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Round {
    pub(crate) echo_per_second: f64,
    pub(crate) p50_us: f64,
    pub(crate) p99_us: f64,
    pub(crate) cpu_us_per_echo: f64,
    pub(crate) fanout_per_second: f64,
    pub(crate) cpu_us_per_delivery: f64,
}

impl fmt::Display for Round {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "echo {:.0}/s, {:.2} µs CPU/echo, fan-out {:.0}/s, {:.3} µs CPU/delivery",
            self.echo_per_second,
            self.cpu_us_per_echo,
            self.fanout_per_second,
            self.cpu_us_per_delivery
        )
    }
}

/// Everything measured for one server kind.
#[derive(Debug, Default, Clone)]
pub(crate) struct Figures {
    pub(crate) rounds: Vec<Round>,
    pub(crate) bytes_per_idle: f64,
    pub(crate) many: Option<ManyResult>,
}

impl Figures {
    fn median(&self, field: fn(&Round) -> f64) -> f64 {
        median(&self.rounds.iter().map(field).collect::<Vec<_>>())
    }
}

fn cpu(round: &Round) -> f64 {
    round.cpu_us_per_echo
}

fn fanout(round: &Round) -> f64 {
    round.fanout_per_second
}

/// Prints the tables (markdown) to stdout.
#[allow(clippy::print_stdout)]
pub(crate) fn print(plan: &Plan, all: &[(&str, &Figures)]) {
    let Some((_, base)) = all.first() else { return };
    let server = all
        .iter()
        .find(|(kind, _)| *kind == "zap-server")
        .map(|(_, f)| *f);
    println!(
        "Medians of {} rounds. Echo: {} connections × {} in flight, {:?}, {}-byte payload. \
         Fan-out: 1 sender, {} receivers × {} messages. Idle: {} connections.",
        plan.rounds,
        plan.echo.connections,
        plan.echo.window,
        plan.echo.duration,
        plan.echo.payload,
        plan.fanout.receivers,
        plan.fanout.messages,
        plan.idle
    );
    println!();
    println!(
        "| server | echo msg/s | p50 µs | p99 µs | CPU µs/echo | vs baseline | vs zap-server \
         | fan-out deliveries/s | vs baseline | CPU µs/delivery | RSS/idle conn | vs baseline | vs zap-server |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (kind, f) in all {
        let (server_cpu, server_idle) =
            server.map_or((f64::NAN, f64::NAN), |s| (s.median(cpu), s.bytes_per_idle));
        println!(
            "| {kind} | {:.0} | {:.0} | {:.0} | {:.2} | {} | {} | {:.0} | {} | {:.3} | {:.0} B | {} | {} |",
            f.median(|r| r.echo_per_second),
            f.median(|r| r.p50_us),
            f.median(|r| r.p99_us),
            f.median(cpu),
            ratio(f.median(cpu), base.median(cpu)),
            ratio(f.median(cpu), server_cpu),
            f.median(fanout),
            ratio(f.median(fanout), base.median(fanout)),
            f.median(|r| r.cpu_us_per_delivery),
            f.bytes_per_idle,
            ratio(f.bytes_per_idle, base.bytes_per_idle),
            ratio(f.bytes_per_idle, server_idle),
        );
    }
    print_many(plan, all);
    if let Some(server) = server {
        print_targets(all, base, server);
    }
}

#[allow(clippy::print_stdout)]
fn print_many(plan: &Plan, all: &[(&str, &Figures)]) {
    let measured: Vec<(&str, ManyResult)> = all
        .iter()
        .filter_map(|(kind, f)| Some((*kind, f.many?)))
        .collect();
    let Some((_, base)) = measured.first() else {
        return;
    };
    println!();
    println!(
        "{} connections in one process ({} broadcasts to all of them after they joined one room):",
        plan.many.connections, plan.many.broadcasts
    );
    println!();
    println!(
        "| server | RSS/idle conn | vs baseline | CPU ms per broadcast to all | vs baseline |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for (kind, m) in &measured {
        println!(
            "| {kind} | {:.0} B | {} | {:.1} | {} |",
            m.bytes_per_connection,
            ratio(m.bytes_per_connection, base.bytes_per_connection),
            m.cpu_ms_per_broadcast,
            ratio(m.cpu_ms_per_broadcast, base.cpu_ms_per_broadcast),
        );
    }
}

/// Issue 12's targets, each with the measured ratio.
#[allow(clippy::print_stdout)]
fn print_targets(all: &[(&str, &Figures)], base: &Figures, server: &Figures) {
    println!();
    println!("| target | measured | |");
    println!("| --- | --- | --- |");
    let row = |target: &str, value: f64, limit: f64, at_most: bool| {
        let met = if at_most {
            value <= limit
        } else {
            value >= limit
        };
        let verdict = if value.is_nan() {
            "not measured"
        } else if met {
            "met"
        } else {
            "NOT met"
        };
        println!("| {target} | {value:.2}× | {verdict} |");
    };
    row(
        "zap-server CPU per echoed event ≤ 0.9× baseline",
        server.median(cpu) / base.median(cpu),
        0.9,
        true,
    );
    row(
        "zap-server fan-out deliveries/s ≥ 1.2× baseline",
        server.median(fanout) / base.median(fanout),
        1.2,
        false,
    );
    row(
        "zap-server RSS per idle connection ≤ 0.6× baseline",
        server.bytes_per_idle / base.bytes_per_idle,
        0.6,
        true,
    );
    for (kind, f) in all {
        if matches!(*kind, "axum" | "actix" | "warp") {
            row(
                &format!("{kind} CPU per event ≤ 1.15× zap-server"),
                f.median(cpu) / server.median(cpu),
                1.15,
                true,
            );
            row(
                &format!("{kind} RSS per idle connection ≤ 1.3× zap-server"),
                f.bytes_per_idle / server.bytes_per_idle,
                1.3,
                true,
            );
        }
    }
}

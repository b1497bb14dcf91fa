//! `zap bench` against `zap serve`, and the measurement core as a library
//! against an in-process zap-server.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;
use zap_cli::bench::{BenchConfig, BenchError, Mode, run as bench};

#[tokio::test]
async fn bench_echo_prints_a_json_summary() {
    let (_server, url) = zap_serve(&["--echo"]).await;
    let run = run(&["bench", &url, "-c", "3", "-w", "4", "-d", "500ms", "--json"]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["mode"], "echo");
    assert_eq!(report["connections"], 3);
    assert_eq!(report["errors"], 0);
    assert!(report["received"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(
        report["received"], report["sent"],
        "every probe came back: {report}"
    );
    assert!(
        report["latency_us"]["p99"].as_u64().unwrap()
            >= report["latency_us"]["p50"].as_u64().unwrap()
    );
}

#[tokio::test]
async fn bench_fanout_counts_every_delivery() {
    let (_server, url) = zap_serve(&["--broadcast"]).await;
    let run = run(&[
        "bench", &url, "--mode", "fanout", "-c", "3", "-w", "2", "-d", "500ms",
    ])
    .await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout.starts_with("fan-out benchmark against"),
        "{run:?}"
    );
    assert!(run.stdout.contains("throughput"), "{run:?}");
    assert!(run.stdout.contains("p99"), "{run:?}");
}

#[tokio::test]
async fn bench_against_nothing_exits_3() {
    let url = format!("ws://127.0.0.1:{}/", closed_port());
    let run = run(&["bench", &url, "-d", "1s"]).await;
    assert_eq!(run.code, Some(3), "{run:?}");
}

#[tokio::test]
async fn the_library_measures_fanout_against_a_zap_server() {
    let register = zap_core::EventRegister::new().fallback(|ctx| async move {
        ctx.router()
            .all()
            .except(ctx.connection().id())
            .send(ctx.event_name(), ctx.payload())?;
        Ok(())
    });
    let server = serve(register).await;
    let config = BenchConfig::new(server.url())
        .mode(Mode::FanOut)
        .connections(4)
        .window(3)
        .duration(Duration::from_millis(300));
    let mut ticks = 0;
    let report = within("the benchmark", bench(&config, |_| ticks += 1))
        .await
        .unwrap();
    assert!(ticks > 0);
    assert_eq!(report.errors, 0);
    assert!(report.sent > 0);
    // Every probe reaches the 4 receivers, and the run waits for all of them.
    assert_eq!(report.received, report.sent * 4, "{report}");
}

#[tokio::test]
async fn the_library_refuses_an_empty_window() {
    let config = BenchConfig::new("ws://127.0.0.1:1/").window(0);
    let error = bench(&config, |_| {}).await.unwrap_err();
    assert!(matches!(error, BenchError::InvalidConfig(_)), "{error}");
}

#[tokio::test]
async fn bench_fanout_against_an_echo_server_says_nothing_came_back_and_fails() {
    let (_server, url) = zap_serve(&["--echo"]).await;
    let run = run(&["bench", &url, "--mode", "fanout", "-c", "2", "-d", "300ms"]).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("nothing came back"), "{run:?}");
    assert!(run.stderr.contains("zap serve --broadcast"), "{run:?}");
    assert_eq!(
        run.stderr.matches("zap: error").count(),
        1,
        "said once: {run:?}"
    );
}

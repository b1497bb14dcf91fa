//! `zap listen` against a real zap-server: one JSON line per event, name
//! filters, states on stderr, exit codes, and reconnection.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::json;
use zap_core::{EventRegister, Headers};

/// A server that greets each connection with `events` (name, payload).
fn greeter(events: &'static [(&'static str, i64)]) -> EventRegister {
    EventRegister::new().on_connected(move |ctx| async move {
        for (name, n) in events {
            let mut headers = Headers::new();
            headers.insert("n".into(), json!(n));
            let _ = ctx
                .connection()
                .send_with_headers(name, json!({"n": n}), headers);
        }
    })
}

#[tokio::test]
async fn listen_prints_each_event_as_one_json_line() {
    let server = serve(greeter(&[("a", 1), ("b", 2)])).await;
    let run = run(&["listen", server.url(), "--count", "2"]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        concat!(
            r#"{"eventName":"a","payload":{"n":1},"headers":{"n":1}}"#,
            "\n",
            r#"{"eventName":"b","payload":{"n":2},"headers":{"n":2}}"#,
            "\n"
        )
    );
}

#[tokio::test]
async fn listen_prints_only_the_events_asked_for() {
    let server = serve(greeter(&[("a", 1), ("b", 2), ("a", 3)])).await;
    let run = run(&[
        "listen",
        server.url(),
        "--event",
        "a",
        "-n",
        "2",
        "--pretty",
    ])
    .await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(!run.stdout.contains("\"b\""), "{run:?}");
    assert_eq!(
        run.stdout.matches("\"eventName\": \"a\"").count(),
        2,
        "{run:?}"
    );
}

#[tokio::test]
async fn listen_reports_states_and_exits_1_when_the_server_closes_the_connection() {
    let server = serve(greeter(&[("hi", 1)])).await;
    let mut listen = Running::spawn(zap(&["listen", server.url()]));
    listen.stderr_until("zap: connecting").await;
    listen.stderr_until("zap: online ws://127.0.0.1:").await;
    listen.stdout_line().await;
    server.shutdown().await; // close frames with 1001
    listen.stderr_until("zap: offline").await;
    listen
        .stderr_until("the server closed the connection")
        .await;
    assert_eq!(listen.exit_code().await, Some(1));
}

#[tokio::test]
async fn listen_reconnects_after_the_server_restarts() {
    let first = serve(greeter(&[("boot", 1)])).await;
    let port = first.local_addr().port();
    let url = first.url().to_owned();
    let mut listen = Running::spawn(zap(&["listen", &url, "--reconnect", "-n", "2"]));
    assert_eq!(
        listen.stdout_line().await,
        r#"{"eventName":"boot","payload":{"n":1},"headers":{"n":1}}"#
    );
    first.shutdown().await;
    listen.stderr_until("zap: offline").await;
    let _second = serve_on(port, greeter(&[("boot", 2)])).await;
    assert_eq!(
        listen.stdout_line().await,
        r#"{"eventName":"boot","payload":{"n":2},"headers":{"n":2}}"#
    );
    assert_eq!(listen.exit_code().await, Some(0));
}

#[tokio::test]
async fn listen_on_a_wrong_path_shows_the_status_and_the_server_s_reason() {
    let server = serve(EventRegister::new()).await;
    let url = format!("{}elsewhere", server.url());
    let run = run(&["listen", &url]).await;
    assert_eq!(run.code, Some(3), "{run:?}");
    assert!(
        run.stderr
            .contains("HTTP status 400: no WebSocket endpoint at this path"),
        "{run:?}"
    );
}

//! `zap send --wait` against a real Python zaptools server (PyPI `zaptools`
//! on FastAPI and uvicorn): the CLI speaks the family's protocol, not only
//! ours.
//!
//! Needs `python3` with `zaptools`, `fastapi` and `uvicorn` (`cargo xtask setup`
//! installs them). Without them the test fails when `CI` is set and is
//! skipped with a notice otherwise.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::process::Stdio;

use common::*;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

const INSTALL: &str = "python3 -m pip install zaptools==0.5.2 fastapi uvicorn";

fn python_has_server_deps() -> bool {
    std::process::Command::new("python3")
        .args([
            "-c",
            "import zaptools.connectors, fastapi, uvicorn, websockets",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Starts the FastAPI server; returns it and its WebSocket URL.
async fn python_server() -> (tokio::process::Child, String) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/fastapi_server.py"
    );
    let mut child = tokio::process::Command::new("python3")
        .arg(script)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = within("the python server's port", lines.next_line())
        .await
        .unwrap()
        .expect("the python server exited");
    let port = line.strip_prefix("PORT ").expect("a PORT line");
    (child, format!("ws://127.0.0.1:{port}/ws"))
}

#[tokio::test]
async fn zap_send_wait_talks_to_a_python_zaptools_server() {
    if !python_has_server_deps() {
        if std::env::var_os("CI").is_some() {
            panic!("python3 with zaptools, fastapi and uvicorn is required in CI: {INSTALL}");
        }
        eprintln!("SKIPPED: python3 with zaptools, fastapi and uvicorn not found ({INSTALL})");
        return;
    }
    let (_server, url) = python_server().await;

    let hello = run(&["send", &url, "hello", "\"rust\"", "--wait", "hello"]).await;
    assert_eq!(hello.code, Some(0), "{hello:?}");
    let reply: Value = serde_json::from_str(&hello.stdout).unwrap();
    assert_eq!(reply["eventName"], "hello");
    assert_eq!(reply["payload"], json!({"hi": "rust"}));

    let echoed = run(&[
        "send",
        &url,
        "echo",
        r#"{"nested": [1, {"x": null}]}"#,
        "-H",
        "trace=abc",
        "--wait",
        "echo",
    ])
    .await;
    assert_eq!(echoed.code, Some(0), "{echoed:?}");
    let reply: Value = serde_json::from_str(&echoed.stdout).unwrap();
    assert_eq!(reply["payload"], json!({"nested": [1, {"x": null}]}));
    assert_eq!(reply["headers"], json!({"trace": "abc"}));

    let silent = run(&[
        "send",
        &url,
        "nobody-answers",
        "--wait",
        "x",
        "--timeout",
        "300ms",
    ])
    .await;
    assert_eq!(silent.code, Some(4), "{silent:?}");
}

//! The real Python zaptools client (PyPI `zaptools`) against this server:
//! the contract of docs/protocol.md with a peer we did not write.
//!
//! Needs `python3` with `zaptools` installed (`cargo xtask setup` installs it). Without
//! it the test fails when `CI` is set and is skipped with a notice otherwise.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::process::Stdio;

use common::*;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use zap_core::{EventRegister, Headers};

fn python_has_zaptools() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import zaptools.client"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn register() -> EventRegister {
    EventRegister::new()
        .on_connected(|ctx| async move {
            // The Python reference server greets this way in its tests.
            ctx.connection().send("connected", "welcome")?;
            Ok(())
        })
        .on_event("hello", |ctx| async move {
            let from: Value = ctx.payload_as()?;
            ctx.connection()
                .send("hello", json!({"hi": from["from"]}))?;
            Ok(())
        })
        .on_event("echo", |ctx| async move {
            // Python always sends `headers`; hand them back explicitly.
            let headers: Headers = ctx.headers().clone();
            ctx.connection()
                .send_with_headers("echo", ctx.payload(), headers)?;
            Ok(())
        })
        .on_event("typed", |ctx| async move {
            let _: u32 = ctx.payload_as()?;
            Ok(())
        })
        .on_error(|ctx| async move {
            let info = ctx.error().cloned().unwrap();
            let _ = ctx.connection().send("error", json!({"event": info.event}));
        })
}

#[tokio::test]
async fn the_python_client_talks_to_the_rust_server() {
    if !python_has_zaptools() {
        if std::env::var_os("CI").is_some() {
            panic!(
                "python3 with zaptools is required in CI: python3 -m pip install zaptools==0.5.2"
            );
        }
        eprintln!(
            "SKIPPED: python3 with zaptools not found (python3 -m pip install zaptools==0.5.2)"
        );
        return;
    }
    let server = start(register()).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/python_client.py"
    );
    let mut child = tokio::process::Command::new("python3")
        .arg(script)
        .arg(server.url())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut events = Vec::new();
    within("the python client", async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line == "DONE" {
                break;
            }
            if let Some(event) = line.strip_prefix("EVENT ") {
                events.push(serde_json::from_str::<Value>(event).unwrap());
            }
        }
    })
    .await;
    assert!(
        within("python to exit", child.wait())
            .await
            .unwrap()
            .success()
    );
    assert_eq!(
        events,
        vec![
            json!({"eventName": "connected", "payload": "welcome", "headers": {}}),
            json!({"eventName": "hello", "payload": {"hi": "python"}, "headers": {}}),
            json!({"eventName": "echo", "payload": {"nested": [1, 2, {"x": null}]}, "headers": {"trace": "abc"}}),
            json!({"eventName": "error", "payload": {"event": "typed"}, "headers": {}}),
        ]
    );
}

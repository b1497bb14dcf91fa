//! The generated TypeScript, type-checked by the real `tsc`: code using
//! the typed client correctly compiles, a wrong payload does not.

mod common;

use std::path::Path;
use std::process::{Command, Output};

/// Writes the contract and `code` (as `app.ts`) into a fresh directory and
/// runs `tsc --strict --noEmit` on them.
fn tsc(node_modules: &Path, code: &str) -> Output {
    let dir = tempfile::tempdir().expect("tempdir");
    common::contract()
        .write_to(dir.path())
        .expect("contract written");
    std::fs::write(dir.path().join("app.ts"), code).expect("app.ts written");
    Command::new("node")
        .arg(node_modules.join("typescript/bin/tsc"))
        .args([
            "--strict", "--noEmit", "--target", "es2020", "--module", "es2020",
        ])
        .args(["--moduleResolution", "node", "app.ts"])
        .current_dir(dir.path())
        .output()
        .expect("tsc runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_declarations_and_correct_client_code_type_check() {
    let Some(node_modules) = common::node_modules() else {
        return;
    };
    let output = tsc(&node_modules, include_str!("ts/good.ts"));
    assert!(
        output.status.success(),
        "tsc rejected correct code:\n{}",
        text(&output)
    );
}

#[test]
fn a_wrong_payload_does_not_type_check() {
    let Some(node_modules) = common::node_modules() else {
        return;
    };
    let output = tsc(&node_modules, include_str!("ts/wrong_payload.ts"));
    assert!(!output.status.success(), "tsc accepted a wrong payload");
    let text = text(&output);
    assert!(
        text.contains("app.ts(") && text.contains("TS2322"),
        "unexpected tsc output:\n{text}"
    );
}

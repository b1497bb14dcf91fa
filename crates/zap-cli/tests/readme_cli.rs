//! The repository README's `zap` CLI block, taken from README.md and run
//! as a real bash script (`set -e`: every line must succeed), as a user
//! pastes it: the server in the background, `zap wait` for it, a listener,
//! a send, a bench, `kill %1`.
//!
//! Two substitutions, each checked: the `cargo install` line is left out
//! (the test puts the `zap` cargo just built for it first on `PATH`
//! instead of building a second, release copy), and port 9000 becomes a
//! free port (no fixed ports in tests). The script runs in a fresh
//! temporary folder, where `zap listen --ready-file` writes its file.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Stdio;

use common::*;
use tokio::process::Command;

/// The ```sh block of the section `## The zap CLI`.
fn readme_cli_block() -> String {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(readme).unwrap();
    let section = readme
        .split("\n## The zap CLI\n")
        .nth(1)
        .expect("README has a `## The zap CLI` section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .expect("the section has a ```sh block");
    block.split("```").next().unwrap().to_owned()
}

#[tokio::test]
async fn the_readme_cli_block_runs_as_a_script() {
    let block = readme_cli_block();
    let installs = block
        .lines()
        .filter(|line| line.starts_with("cargo install"))
        .count();
    assert_eq!(installs, 1, "expected one install line:\n{block}");
    assert!(
        block.contains(":9000/"),
        "the block no longer uses port 9000:\n{block}"
    );
    let port = closed_port().to_string();
    let script: String = block
        .lines()
        .filter(|line| !line.starts_with("cargo install"))
        .map(|line| line.replace(":9000/", &format!(":{port}/")))
        .map(|line| line.replace("--port 9000", &format!("--port {port}")))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        !script.contains("9000"),
        "a port left unreplaced:\n{script}"
    );

    let folder = tempfile_dir();
    let bin = Path::new(env!("CARGO_BIN_EXE_zap")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = within(
        "the README's CLI block to finish (its listener included)",
        Command::new("bash")
            .args(["-e", "-c", &script])
            .current_dir(&folder)
            .env("PATH", path)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let shown = format!("script:\n{script}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(output.status.success(), "{shown}");
    // `zap listen` printed the event `zap send` sent (the output is read to
    // its end, so the background listener has finished too).
    assert!(
        stdout.contains(r#"{"eventName":"hello","payload":{"text":"hi"}}"#),
        "{shown}"
    );
    // The bench ran (a run that gets nothing back exits 1, failing the
    // script), and the server logged no event.
    assert!(stdout.contains("throughput"), "{shown}");
    assert!(
        !stdout.contains("zpt-"),
        "zap serve printed events: {shown}"
    );
    // The listener removed its ready file when it exited.
    assert!(!folder.join("zap-listening").exists(), "{shown}");
    std::fs::remove_dir_all(&folder).unwrap();
}

/// A fresh, empty folder of this test's own.
fn tempfile_dir() -> std::path::PathBuf {
    let folder = std::env::temp_dir().join(format!(
        "zap-readme-cli-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

//! `zap serve` driven by `zap send`: quiet by default, it prints what it
//! receives with --verbose, echoes with --echo, relays with --broadcast.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Stdio;

use common::*;
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn serve_verbose_prints_each_event_and_echo_sends_it_back() {
    let (mut server, url) = zap_serve(&["--echo", "--verbose"]).await;
    let run = run(&[
        "send",
        &url,
        "ping",
        r#"{"n": 1}"#,
        "-H",
        "k=v",
        "--wait",
        "ping",
    ])
    .await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        "{\"eventName\":\"ping\",\"payload\":{\"n\":1},\"headers\":{\"k\":\"v\"}}\n"
    );
    let logged = server.stdout_line().await;
    assert!(logged.starts_with("zpt-"), "{logged}");
    assert!(
        logged.ends_with(r#"{"eventName":"ping","payload":{"n":1},"headers":{"k":"v"}}"#),
        "{logged}"
    );
}

#[tokio::test]
async fn serve_echo_answers_requests() {
    let (_server, url) = zap_serve(&["--echo"]).await;
    let run = run(&["send", &url, "ask", "42", "--request"]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains(r#""payload":42"#), "{run:?}");
}

#[tokio::test]
async fn serve_broadcast_relays_to_every_other_connection() {
    let (_server, url) = zap_serve(&["--broadcast"]).await;
    let mut listen = Running::spawn(zap(&["listen", &url, "-n", "1"]));
    listen.stderr_until("zap: online").await;
    // The sender stays connected (a repl) until the listener has the event.
    let mut command = zap(&["repl", &url]);
    command.stdin(Stdio::piped());
    let mut sender = Running::spawn(command);
    let mut stdin = sender.child.stdin.take().unwrap();
    sender.stderr_until("zap: online").await;
    stdin.write_all(b"news \"hello all\"\n").await.unwrap();
    assert_eq!(
        listen.stdout_line().await,
        r#"{"eventName":"news","payload":"hello all"}"#
    );
    assert_eq!(listen.exit_code().await, Some(0));
    drop(stdin);
    assert_eq!(sender.exit_code().await, Some(0));
}

#[tokio::test]
async fn serve_prints_no_event_and_no_connection_by_default() {
    let (mut server, url) = zap_serve(&["--echo"]).await;
    for n in 0..3 {
        let payload = n.to_string();
        let run = run(&["send", &url, "ping", &payload, "--wait", "ping"]).await;
        assert_eq!(run.code, Some(0), "{run:?}");
    }
    // Stopped by Ctrl-C (SIGINT), it exits cleanly: then everything it
    // ever printed is in the pipes, and none of it is per event.
    let pid = server.child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(server.exit_code().await, Some(0));
    let mut printed = Vec::new();
    while let Some(line) = within("stdout", server.stdout.next_line()).await.unwrap() {
        printed.push(line);
    }
    while let Some(line) = within("stderr", server.stderr.next_line()).await.unwrap() {
        printed.push(line);
    }
    assert!(
        printed
            .iter()
            .all(|line| !line.contains("ping") && !line.contains("connected")),
        "printed per event or connection: {printed:?}"
    );
}

//! `zap wait`, for scripts: a URL until its server accepts a WebSocket
//! connection, a file until it is there and its process runs; exit 3 when
//! the time runs out.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use zap_core::EventRegister;

#[tokio::test]
async fn wait_returns_once_the_server_accepts_connections() {
    let port = closed_port();
    let url = format!("ws://127.0.0.1:{port}/");
    let mut waiting = Running::spawn(zap(&["wait", &url]));
    // The server comes up while `zap wait` is already trying.
    let _server = serve_on(port, EventRegister::new()).await;
    assert_eq!(waiting.exit_code().await, Some(0));
}

#[tokio::test]
async fn wait_gives_up_with_exit_3_when_nothing_listens() {
    let url = format!("ws://127.0.0.1:{}/", closed_port());
    let run = run(&["wait", &url, "--timeout", "300ms"]).await;
    assert_eq!(run.code, Some(3), "{run:?}");
    assert!(
        run.stderr.contains("accepted no connection within 300ms"),
        "{run:?}"
    );
}

#[tokio::test]
async fn wait_stops_at_once_on_a_wrong_path() {
    let server = serve(EventRegister::new()).await;
    let url = format!("{}elsewhere", server.url());
    let run = run(&["wait", &url, "--timeout", "60s"]).await;
    assert_eq!(run.code, Some(3), "{run:?}");
    assert!(run.stderr.contains("HTTP status 400"), "{run:?}");
}

#[tokio::test]
async fn wait_for_a_file_left_by_a_process_that_is_gone_times_out() {
    let folder = std::env::temp_dir().join(format!("zap-wait-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let stale = folder.join("stale");
    // No process has this id (above Linux's largest pid_max).
    std::fs::write(&stale, "4294967294\n").unwrap();
    let path = stale.to_str().unwrap();
    let stale_run = run(&["wait", path, "--timeout", "200ms"]).await;
    assert_eq!(stale_run.code, Some(3), "{stale_run:?}");
    // A file naming a running process (this test) is ready at once.
    std::fs::write(&stale, format!("{}\n", std::process::id())).unwrap();
    let live_run = run(&["wait", path, "--timeout", "10s"]).await;
    assert_eq!(live_run.code, Some(0), "{live_run:?}");
    std::fs::remove_dir_all(&folder).unwrap();
}

#[tokio::test]
async fn listen_writes_its_ready_file_once_subscribed_and_removes_it_on_exit() {
    let server = serve(EventRegister::new().on_event("ping", |ctx| async move {
        ctx.router().all().send("pong", ctx.payload())?;
        Ok(())
    }))
    .await;
    let folder = std::env::temp_dir().join(format!("zap-ready-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let ready = folder.join("listening");
    let ready_path = ready.to_str().unwrap();
    let mut listen = Running::spawn(zap(&[
        "listen",
        server.url(),
        "--count",
        "1",
        "--ready-file",
        ready_path,
    ]));
    let waited = run(&["wait", ready_path]).await;
    assert_eq!(waited.code, Some(0), "{waited:?}");
    let sent = run(&["send", server.url(), "ping", "1"]).await;
    assert_eq!(sent.code, Some(0), "{sent:?}");
    assert_eq!(
        listen.stdout_line().await,
        r#"{"eventName":"pong","payload":1}"#
    );
    assert_eq!(listen.exit_code().await, Some(0));
    assert!(!ready.exists(), "the ready file outlived zap listen");
    std::fs::remove_dir_all(&folder).unwrap();
}

//! `zap send` against a real zap-server: the event arrives as typed, replies
//! are printed, and every failure has its exit code and a clear message.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use zap_core::EventRegister;

/// A server that records each event it receives and answers `ack`.
fn recorder() -> (EventRegister, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let register = EventRegister::new().fallback(move |ctx| {
        let tx = tx.clone();
        async move {
            // zap-client asks for recovery by default: its `zap-id` header
            // (reserved for the extension) is not part of what was sent.
            let mut event: Value = serde_json::from_str(ctx.event().encode().as_str()).unwrap();
            if let Some(headers) = event["headers"].as_object_mut() {
                headers.retain(|name, _| !name.starts_with("zap-"));
            }
            let _ = tx.send(event.to_string());
            ctx.connection().send("ack", ())?;
            zap_core::HandlerResult::Ok(())
        }
    });
    (register, rx)
}

const GREET: &[&str] = &[
    "greet",
    r#"{"text": "hi"}"#,
    "-H",
    "room=lobby",
    "-H",
    "n:=2",
];

fn greeting() -> Value {
    json!({"eventName": "greet", "payload": {"text": "hi"}, "headers": {"room": "lobby", "n": 2}})
}

#[tokio::test]
async fn send_delivers_the_payload_and_headers() {
    let (register, mut received) = recorder();
    let server = serve(register).await;
    let mut args = vec!["send", server.url()];
    args.extend_from_slice(GREET);
    args.extend_from_slice(&["--wait", "ack"]);
    let run = run(&args).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let event = within("the event", received.recv()).await.unwrap();
    assert_eq!(serde_json::from_str::<Value>(&event).unwrap(), greeting());
}

/// Without `--wait`, `zap send` disconnects right after sending: the event
/// is still written first (zap-client's `disconnect()` writes what it accepted).
#[tokio::test]
async fn send_without_wait_still_delivers_the_event() {
    let (register, mut received) = recorder();
    let server = serve(register).await;
    let mut args = vec!["send", server.url()];
    args.extend_from_slice(GREET);
    let run = run(&args).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let event = within("the event", received.recv()).await.unwrap();
    assert_eq!(serde_json::from_str::<Value>(&event).unwrap(), greeting());
}

#[tokio::test]
async fn send_wait_prints_the_reply_event() {
    let server = serve(echo()).await;
    let run = run(&["send", server.url(), "ping", "[1, 2]", "--wait", "ping"]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "{\"eventName\":\"ping\",\"payload\":[1,2]}\n");
}

#[tokio::test]
async fn send_request_prints_the_reply_that_answers_it() {
    let server = serve(echo()).await;
    let run = run(&["send", server.url(), "ask", "\"time?\"", "--request"]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let reply: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(reply["payload"], "time?");
    assert!(reply["headers"]["zap-response-to"].is_string(), "{reply}");
}

#[tokio::test]
async fn send_wait_without_a_reply_exits_4() {
    let server = serve(EventRegister::new()).await;
    let run = run(&[
        "send",
        server.url(),
        "ping",
        "--wait",
        "pong",
        "--timeout",
        "300ms",
    ])
    .await;
    assert_eq!(run.code, Some(4), "{run:?}");
    assert!(run.stderr.contains("no `pong` event within"), "{run:?}");
}

#[tokio::test]
async fn bad_payload_json_exits_2_with_a_clear_message() {
    let run = run(&["send", "ws://127.0.0.1:1/", "say", "{text: hi}"]).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr.contains("PAYLOAD_JSON is not valid JSON"),
        "{run:?}"
    );
    assert!(run.stderr.contains("hint:"), "{run:?}");
    assert!(!run.stderr.contains("panicked"), "{run:?}");
}

#[tokio::test]
async fn bad_header_exits_2() {
    let run = run(&["send", "ws://127.0.0.1:1/", "say", "-H", "no-equals-sign"]).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("not key=value"), "{run:?}");
}

#[tokio::test]
async fn an_unreachable_server_exits_3() {
    let url = format!("ws://127.0.0.1:{}/", closed_port());
    let run = run(&["send", &url, "say"]).await;
    assert_eq!(run.code, Some(3), "{run:?}");
    assert!(run.stderr.contains("cannot reach the server"), "{run:?}");
}

#[tokio::test]
async fn a_failed_connection_is_reported_once_and_nothing_follows_it() {
    let url = format!("ws://127.0.0.1:{}/", closed_port());
    let run = run(&["listen", &url]).await;
    assert_eq!(run.code, Some(3), "{run:?}");
    assert_eq!(
        run.stderr.matches("cannot reach the server").count(),
        1,
        "{run:?}"
    );
    let (_, after) = run.stderr.split_once("cannot reach the server").unwrap();
    assert!(!after.contains("connecting"), "{run:?}");
    assert!(run.stderr.starts_with("zap: connecting ws://"), "{run:?}");
}

#[tokio::test]
async fn a_url_that_is_not_websocket_exits_2() {
    let run = run(&["send", "http://127.0.0.1:1/", "say"]).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("invalid URL"), "{run:?}");
}

#[tokio::test]
async fn send_request_shows_the_server_s_error_reply_at_once() {
    use zap_core::extract::{Data, Reply};
    let server = serve(EventRegister::new().on(
        "shout",
        |Data(text): Data<String>, reply: Reply| async move {
            reply.send(text.to_uppercase())?;
            Ok::<(), zap_core::SendError>(())
        },
    ))
    .await;
    // A timeout far beyond the test's own: only the error reply ends it.
    let run = run(&[
        "send",
        server.url(),
        "shout",
        "42",
        "--request",
        "--timeout",
        "1h",
    ])
    .await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .contains("the server could not handle `shout` (invalid_payload)"),
        "{run:?}"
    );
}

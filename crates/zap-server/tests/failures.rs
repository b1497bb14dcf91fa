//! Failure isolation: handler errors and panics, invalid, binary and
//! oversized frames raise `error` with the right payload; the connection (or,
//! for an oversized frame, every other connection) keeps working.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::json;
use zap_core::{ConnectionConfig, ErrorKind, EventRegister};

fn explode(message: &str) {
    panic!("{message}");
}

/// Echo, a failing and a panicking handler, and an `error` handler that
/// reports what it saw back to the client as an `error-seen` event.
fn register() -> EventRegister {
    echo_register()
        .on_event("fail", |_ctx| async move {
            Err("the database is on fire".into())
        })
        .on_event("panic", |_ctx| async move { explode("handler exploded") })
        .on_event("typed", |ctx| async move {
            let n: u32 = ctx.payload_as()?;
            ctx.reply(n + 1)?;
            Ok(())
        })
        .on_error(|ctx| async move {
            let info = ctx
                .error()
                .cloned()
                .expect("error handlers get an ErrorInfo");
            assert_eq!(ctx.event_name(), "error");
            assert_eq!(ctx.payload().parse::<zap_core::ErrorInfo>().unwrap(), info);
            ctx.connection().send("error-seen", &info)?;
            Ok(())
        })
}

async fn expect_error(ws: &mut Ws, event: Option<&str>, kind: ErrorKind) -> String {
    let seen = recv_event(ws).await;
    assert_eq!(seen.event_name(), "error-seen");
    let info: zap_core::ErrorInfo = seen.payload().parse().unwrap();
    assert_eq!(info.event.as_deref(), event);
    assert_eq!(info.kind, kind);
    info.message
}

#[tokio::test]
async fn a_handler_error_reaches_the_error_handler_and_the_connection_survives() {
    let server = start(register()).await;
    let mut ws = connect(&server).await;
    send_text(&mut ws, r#"{"eventName":"fail"}"#).await;
    let message = expect_error(&mut ws, Some("fail"), ErrorKind::Handler).await;
    assert_eq!(message, "the database is on fire");
    assert_echoes(&mut ws, "still here").await;
}

#[tokio::test]
async fn a_handler_panic_reaches_the_error_handler_and_the_connection_survives() {
    let server = start(register()).await;
    let mut ws = connect(&server).await;
    send_text(&mut ws, r#"{"eventName":"panic"}"#).await;
    let message = expect_error(&mut ws, Some("panic"), ErrorKind::Panic).await;
    assert_eq!(message, "handler exploded");
    assert_echoes(&mut ws, "still here").await;
}

#[tokio::test]
async fn a_bad_typed_payload_reaches_the_error_handler() {
    let server = start(register()).await;
    let mut ws = connect(&server).await;
    send_text(&mut ws, r#"{"eventName":"typed","payload":41}"#).await;
    assert_eq!(recv_event(&mut ws).await.payload().as_json(), "42");
    send_text(&mut ws, r#"{"eventName":"typed","payload":"forty"}"#).await;
    let message = expect_error(&mut ws, Some("typed"), ErrorKind::Handler).await;
    assert!(message.contains("u32"), "{message}");
    assert_echoes(&mut ws, "ok").await;
}

#[tokio::test]
async fn invalid_frames_raise_error_and_the_connection_survives() {
    let server = start(register()).await;
    let mut ws = connect(&server).await;
    for (frame, needle) in [
        ("not json at all", "not valid JSON"),
        (r#"{"payload":1}"#, "no `eventName`"),
        (r#"{"eventName":7}"#, "`eventName` is a number"),
        ("[1,2,3]", "an array, not a JSON object"),
    ] {
        send_text(&mut ws, frame).await;
        let message = expect_error(&mut ws, None, ErrorKind::InvalidFrame).await;
        assert!(message.contains(needle), "{frame}: {message}");
    }
    assert_echoes(&mut ws, "after invalid frames").await;
}

#[tokio::test]
async fn a_binary_frame_raises_error_and_the_connection_survives() {
    use futures_util::SinkExt;
    let server = start(register()).await;
    let mut ws = connect(&server).await;
    ws.send(tokio_tungstenite::tungstenite::Message::binary(vec![
        1u8, 2, 3,
    ]))
    .await
    .unwrap();
    let message = expect_error(&mut ws, None, ErrorKind::BinaryFrame).await;
    assert!(message.contains("3 bytes"), "{message}");
    assert_echoes(&mut ws, "after binary").await;
}

#[tokio::test]
async fn an_oversized_frame_closes_that_connection_with_1009_and_no_other() {
    let server = builder(register())
        .config(ConnectionConfig::default().max_message_size(1024))
        .start()
        .await
        .unwrap();
    let mut bystander = connect(&server).await;
    let mut offender = connect(&server).await;
    let big = format!(r#"{{"eventName":"echo","payload":"{}"}}"#, "x".repeat(4096));
    send_text(&mut offender, &big).await;
    let message = expect_error(&mut offender, None, ErrorKind::TooLarge).await;
    assert!(message.contains("1024"), "{message}");
    let frame = recv_close(&mut offender).await.unwrap();
    assert_eq!(u16::from(frame.code), 1009);
    assert_echoes(&mut bystander, "unaffected").await;
}

#[tokio::test]
async fn a_failing_error_handler_is_contained() {
    let register = echo_register()
        .on_event("fail", |_ctx| async move { Err("first failure".into()) })
        .on_error(|_ctx| async move { explode("the error handler fails too") });
    let server = start(register).await;
    let mut ws = connect(&server).await;
    send_text(&mut ws, r#"{"eventName":"fail"}"#).await;
    send_text(&mut ws, "garbage").await;
    assert_echoes(&mut ws, "survived").await;
}

#[tokio::test]
async fn one_bad_client_never_harms_another() {
    let server = start(register()).await;
    let mut good = connect(&server).await;
    let mut bad = connect(&server).await;
    for i in 0..100 {
        let frame = match i % 4 {
            0 => "{".to_owned(),
            1 => r#"{"eventName":"panic"}"#.to_owned(),
            2 => r#"{"eventName":"fail"}"#.to_owned(),
            _ => json!({"eventName": null}).to_string(),
        };
        send_text(&mut bad, &frame).await;
        assert_echoes(&mut good, &format!("good-{i}")).await;
    }
    for _ in 0..100 {
        assert_eq!(recv_event(&mut bad).await.event_name(), "error-seen");
    }
    assert_echoes(&mut bad, "bad survives too").await;
}

//! zap-server's own failure case: an oversized frame closes that connection
//! with 1009 and no other. (Handler errors, panics, invalid and binary
//! frames are conformance checks, run against zap-server in
//! zap-conformance's `tests/zap_server.rs`.)
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
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

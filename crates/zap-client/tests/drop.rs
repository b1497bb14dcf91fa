//! A client dropped without `disconnect()`, as when a program returns from
//! `main`: the connection still ends with a close frame (1000), so a
//! server that offers recovery ends the session at once instead of keeping
//! it parked for its window.

mod common;

use std::time::Duration;

use common::{RawServer, within};
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use zap_client::ZapSubscriber;

/// Runs `program` like a `#[tokio::main]` body on a runtime of its own, in
/// a thread of its own: once the body returns, the runtime is dropped,
/// with whatever tasks are still running.
fn run_as_main<F: std::future::Future<Output = ()> + Send + 'static>(program: F) {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(program);
        drop(runtime);
    })
    .join()
    .expect("the program ran");
}

/// The next frame that is not a ping or pong: the close frame, or what
/// came instead.
async fn next_close(
    socket: &mut tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
) -> Message {
    loop {
        match within("the close frame", socket.next()).await {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(message)) => return message,
            other => panic!("no close frame: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_dropped_client_closes_with_1000() {
    let mut raw = RawServer::start().await;
    let client = ZapSubscriber::new(&raw.url);
    let (connected, mut socket) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");
    drop(client);
    match next_close(&mut socket).await {
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Normal),
        other => panic!("not a close frame: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_program_that_returns_from_main_without_disconnect_closes_with_1000() {
    let mut raw = RawServer::start().await;
    let url = raw.url.clone();
    let (online_tx, mut online) = mpsc::unbounded_channel();
    let program = tokio::task::spawn_blocking(move || {
        run_as_main(async move {
            let client = ZapSubscriber::builder(url)
                .connect()
                .await
                .expect("connects");
            client.send_event("hello", 1).expect("sent");
            let _ = online_tx.send(());
            // `main` returns: the client is dropped, then the runtime.
        });
    });
    let mut socket = raw.accept().await;
    within("the program online", online.recv()).await;
    match next_close(&mut socket).await {
        Message::Text(text) if text.contains("hello") => match next_close(&mut socket).await {
            Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Normal),
            other => panic!("not a close frame: {other:?}"),
        },
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Normal),
        other => panic!("not a close frame: {other:?}"),
    }
    within("the program to end", program).await.expect("ran");
}

/// End to end: zap-server runs `disconnected` at once, not after the
/// recovery window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_program_that_returns_from_main_ends_its_session_on_zap_server_at_once() {
    let (ended_tx, mut ended) = mpsc::unbounded_channel();
    let register = zap_core::EventRegister::new().on_disconnected(move |ctx| {
        let ended_tx = ended_tx.clone();
        async move {
            let _ = ended_tx.send(ctx.connection().id().to_string());
        }
    });
    let server = zap_server::ZapServer::builder()
        .port(0)
        .register(register)
        .start()
        .await
        .expect("serves");
    let url = server.url().to_owned();
    let program = tokio::task::spawn_blocking(move || {
        run_as_main(async move {
            let client = ZapSubscriber::builder(url)
                .connect()
                .await
                .expect("connects");
            // Online with its session begun, then `main` returns.
            let mut sessions = client.sessions();
            let _ = tokio::time::timeout(Duration::from_secs(5), sessions.next()).await;
        });
    });
    within("the program to end", program).await.expect("ran");
    let id = within("`disconnected` on the server", ended.recv()).await;
    assert!(id.is_some_and(|id| id.starts_with("zpt-")));
}

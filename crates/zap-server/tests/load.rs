//! Load and fault tests, bounded in count and time, on 127.0.0.1 only:
//! thousands of clients with abrupt disconnects, a 100 MB frame, and a flood
//! of invalid frames.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use zap_core::{ConnectionConfig, EventRegister};

#[derive(Default)]
struct Counters {
    connected: AtomicUsize,
    disconnected: AtomicUsize,
    errors: AtomicUsize,
}

fn counting_register(counters: Arc<Counters>) -> EventRegister {
    let (c1, c2, c3) = (counters.clone(), counters.clone(), counters);
    echo_register()
        .on_connected(move |_| {
            let c = c1.clone();
            async move {
                c.connected.fetch_add(1, Ordering::SeqCst);
            }
        })
        .on_disconnected(move |_| {
            let c = c2.clone();
            async move {
                c.disconnected.fetch_add(1, Ordering::SeqCst);
            }
        })
        .on_error(move |_| {
            let c = c3.clone();
            async move {
                c.errors.fetch_add(1, Ordering::SeqCst);
            }
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_clients_with_abrupt_disconnects_leak_nothing() {
    const CLIENTS: usize = 2000;
    let counters = Arc::new(Counters::default());
    let server = start(counting_register(counters.clone())).await;
    let url = server.url().to_owned();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let url = url.clone();
            tokio::spawn(async move {
                let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
                for n in 0..3 {
                    ws.send(Message::text(format!(
                        r#"{{"eventName":"echo","payload":[{i},{n}]}}"#
                    )))
                    .await
                    .unwrap();
                }
                if i % 4 == 0 {
                    // Abrupt: RST without a close frame, replies unread.
                    if let tokio_tungstenite::MaybeTlsStream::Plain(tcp) = ws.into_inner() {
                        #[allow(deprecated)]
                        tcp.set_linger(Some(Duration::ZERO)).unwrap();
                    }
                    return;
                }
                let mut replies = 0;
                while replies < 3 {
                    if let Some(Ok(Message::Text(_))) = ws.next().await {
                        replies += 1;
                    }
                }
                ws.close(None).await.unwrap();
                while ws.next().await.is_some() {}
            })
        })
        .collect();
    within("every client to finish", async {
        for client in clients {
            client.await.unwrap();
        }
    })
    .await;
    within("every connection to be gone", async {
        while server.router().count() > 0 || counters.disconnected.load(Ordering::SeqCst) < CLIENTS
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert_eq!(counters.connected.load(Ordering::SeqCst), CLIENTS);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        counters.disconnected.load(Ordering::SeqCst),
        CLIENTS,
        "`disconnected` ran once each"
    );
    assert!(server.router().room_names().is_empty());
}

#[tokio::test]
async fn a_100_megabyte_frame_is_refused_at_the_limit_without_being_read() {
    const CLAIMED: u64 = 100 * 1024 * 1024;
    let counters = Arc::new(Counters::default());
    let server = builder(counting_register(counters.clone()))
        .config(ConnectionConfig::default().max_message_size(1024 * 1024))
        .start()
        .await
        .unwrap();
    let mut bystander = connect(&server).await;
    let ws = connect(&server).await;
    let tokio_tungstenite::MaybeTlsStream::Plain(tcp) = ws.into_inner() else {
        unreachable!("plain ws")
    };
    let (mut reader, mut writer) = tcp.into_split();
    // One masked text frame announcing 100 MiB, then its payload, streamed.
    let mut header = vec![0x81, 0x80 | 127];
    header.extend_from_slice(&CLAIMED.to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    let sending = tokio::spawn(async move {
        let mut sent = 0u64;
        if writer.write_all(&header).await.is_err() {
            return sent;
        }
        let chunk = vec![b'x'; 64 * 1024];
        while sent < CLAIMED {
            match tokio::time::timeout(Duration::from_millis(500), writer.write_all(&chunk)).await {
                Ok(Ok(())) => sent += chunk.len() as u64,
                _ => break, // refused: the server stopped reading
            }
        }
        sent
    });
    // The server answers with a close frame: 0x88, length, code 1009.
    let mut close = [0u8; 4];
    within("the close frame", reader.read_exact(&mut close))
        .await
        .unwrap();
    assert_eq!(close[0], 0x88);
    assert_eq!(u16::from_be_bytes([close[2], close[3]]), 1009);
    let sent = within("the sender to give up", sending).await.unwrap();
    assert!(
        sent < 32 * 1024 * 1024,
        "the server read {sent} bytes of a refused frame"
    );
    assert_eq!(counters.errors.load(Ordering::SeqCst), 1);
    assert_echoes(&mut bystander, "unaffected by the big frame").await;
}

#[tokio::test]
async fn ten_thousand_invalid_frames_harm_no_one() {
    const INVALID: usize = 10_000;
    let counters = Arc::new(Counters::default());
    let server = start(counting_register(counters.clone())).await;
    let mut bystander = connect(&server).await;
    let mut offender = connect(&server).await;
    let flood = tokio::spawn(async move {
        for i in 0..INVALID {
            let frame = match i % 3 {
                0 => "not json".to_owned(),
                1 => format!(r#"{{"eventName":{i}}}"#),
                _ => r#"{"payload":"no name"}"#.to_owned(),
            };
            offender.feed(Message::text(frame)).await.unwrap();
        }
        offender.flush().await.unwrap();
        offender
    });
    for i in 0..100 {
        assert_echoes(&mut bystander, &format!("still served {i}")).await;
    }
    let mut offender = within("the flood to be sent", flood).await.unwrap();
    within("every invalid frame to be reported", async {
        while counters.errors.load(Ordering::SeqCst) < INVALID {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_echoes(&mut offender, "the offender is still connected").await;
}

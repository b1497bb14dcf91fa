//! The load generator: echo round trips, room fan-out and idle connections
//! against any server speaking the zaptools protocol at a URL.

pub(crate) mod echo;
pub(crate) mod fanout;
pub(crate) mod idle;

use anyhow::bail;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

pub(crate) type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects with a 4 KiB read buffer: tungstenite's 128 KiB default would be
/// zero-filled in each of thousands of receivers of the load generator.
pub(crate) async fn connect(url: &str) -> anyhow::Result<Ws> {
    let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
    Ok(
        tokio_tungstenite::connect_async_with_config(url, Some(config), true)
            .await?
            .0,
    )
}

/// Connects and joins the benchmark room (every server answers `join`).
pub(crate) async fn join(url: &str) -> anyhow::Result<Ws> {
    join_open(connect(url).await?).await
}

/// Joins an open connection to the benchmark room and waits for the answer.
pub(crate) async fn join_open(mut ws: Ws) -> anyhow::Result<Ws> {
    ws.send(Message::text(r#"{"eventName":"join","payload":null}"#))
        .await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(_))) => return Ok(ws),
            Some(Ok(_)) => continue,
            other => bail!("join failed: {other:?}"),
        }
    }
}

/// The text of an event whose payload is a string of `bytes` characters.
pub(crate) fn event(name: &str, bytes: usize) -> String {
    format!(
        r#"{{"eventName":"{name}","payload":"{}"}}"#,
        "x".repeat(bytes)
    )
}

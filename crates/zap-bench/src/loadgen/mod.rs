//! The load generator: echo round trips, room fan-out and idle connections
//! against any server speaking the zaptools protocol at a URL.

pub(crate) mod echo;
pub(crate) mod fanout;
pub(crate) mod idle;

use anyhow::bail;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

pub(crate) type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) async fn connect(url: &str) -> anyhow::Result<Ws> {
    Ok(tokio_tungstenite::connect_async(url).await?.0)
}

/// Connects and joins the benchmark room (both servers answer `join`).
pub(crate) async fn join(url: &str) -> anyhow::Result<Ws> {
    let mut ws = connect(url).await?;
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

//! Idle connections: open N WebSocket connections and hold them.

use super::Ws;

/// Opens `count` connections to `url`, a few at a time.
pub(crate) async fn open(url: &str, count: usize) -> anyhow::Result<Vec<Ws>> {
    let mut sockets = Vec::with_capacity(count);
    for chunk in (0..count).collect::<Vec<_>>().chunks(64) {
        let batch: Vec<_> = chunk.iter().map(|_| super::connect(url)).collect();
        for socket in futures_util::future::join_all(batch).await {
            sockets.push(socket?);
        }
    }
    Ok(sockets)
}

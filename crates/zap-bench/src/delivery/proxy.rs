//! A TCP proxy in front of a server that can cut every link at once (both
//! sockets dropped, no WebSocket close), while it keeps accepting new ones.

use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// The proxy's listening task and its live links; stops when dropped.
pub(crate) struct Proxy {
    port: u16,
    links: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Proxy {
    /// Listens on a free port and forwards every connection to `upstream`.
    pub(crate) async fn start(upstream: std::net::SocketAddr) -> anyhow::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let links: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let kept = links.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                kept.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(link.abort_handle());
            }
        })
        .abort_handle();
        Ok(Proxy {
            port,
            links,
            accept,
        })
    }

    /// The WebSocket URL through the proxy.
    pub(crate) fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/", self.port)
    }

    /// Cuts every live link; returns how many there were.
    pub(crate) fn cut(&self) -> usize {
        let links = std::mem::take(
            &mut *self
                .links
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for link in &links {
            link.abort();
        }
        links.len()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

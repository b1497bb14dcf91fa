//! [`Proxy`]: a TCP proxy in front of the chat, so the browser test can cut
//! one page's link (both sockets dropped, no close handshake, like a
//! network failure) and keep it down until it restores it.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::AbortHandle;

/// Forwards every connection to the server while up; while down, new
/// connections are dropped at once.
pub struct Proxy {
    pub addr: SocketAddr,
    up: watch::Sender<bool>,
    pipes: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (up, state) = watch::channel(true);
        let pipes: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let registry = Arc::clone(&pipes);
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !*state.borrow() {
                    continue; // down: dropped
                }
                // The pipe ends itself when the proxy goes down, so that a
                // connection accepted while `cut` runs cannot outlive it.
                let mut down = state.clone();
                let pipe = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            _ = down.wait_for(|up| !*up) => {}
                        }
                    }
                });
                let mut pipes = registry.lock().unwrap_or_else(PoisonError::into_inner);
                pipes.push(pipe.abort_handle());
            }
        })
        .abort_handle();
        Ok(Proxy {
            addr,
            up,
            pipes,
            accept,
        })
    }

    /// Drops every connection through the proxy and refuses new ones.
    pub fn cut(&self) {
        self.up.send_replace(false);
        let mut pipes = self.pipes.lock().unwrap_or_else(PoisonError::into_inner);
        for pipe in pipes.drain(..) {
            pipe.abort();
        }
    }

    /// Lets new connections through again.
    pub fn restore(&self) {
        self.up.send_replace(true);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

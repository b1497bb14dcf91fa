//! A TCP proxy for tests that can cut every link it carries at any moment
//! and refuse new ones until restored (a Wi-Fi switch, a dead load balancer).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The proxy: `127.0.0.1:<port>` forwarding to an upstream address.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

struct Shared {
    upstream: Mutex<SocketAddr>,
    links: Mutex<Vec<JoinHandle<()>>>,
    /// `true` while links are cut: new connections are dropped at once.
    cut: watch::Sender<bool>,
}

impl Proxy {
    /// Starts forwarding to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            upstream: Mutex::new(upstream),
            links: Mutex::new(Vec::new()),
            cut: watch::channel(false).0,
        });
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        Proxy {
            addr,
            shared,
            accept,
        }
    }

    /// `ws://<proxy>/`.
    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    /// Drops every link now (both sides see the TCP connection end, with no
    /// WebSocket close) and refuses new ones until [`Proxy::restore`].
    pub fn cut(&self) {
        self.shared.cut.send_replace(true);
        for link in self.shared.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    /// Accepts and forwards new connections again.
    pub fn restore(&self) {
        self.shared.cut.send_replace(false);
    }

    /// Forwards new connections to another address (another instance).
    pub fn set_upstream(&self, upstream: SocketAddr) {
        *self.shared.upstream.lock().unwrap() = upstream;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((mut inbound, _)) = listener.accept().await {
        if *shared.cut.borrow() {
            drop(inbound);
            continue;
        }
        let upstream = *shared.upstream.lock().unwrap();
        let link = tokio::spawn(async move {
            let Ok(mut outbound) = TcpStream::connect(upstream).await else {
                return;
            };
            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
        });
        let mut links = shared.links.lock().unwrap();
        links.retain(|link| !link.is_finished());
        links.push(link);
    }
}

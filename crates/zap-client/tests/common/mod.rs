//! Shared fixtures of the zap-client tests: a zap-server with test handlers,
//! a raw WebSocket server for protocol-level cases, a proxy whose
//! connections can be cut, and timeouts so no test can hang.
#![allow(dead_code, unreachable_pub)] // each test binary uses a subset

pub mod scripted;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;
use tokio_tungstenite::WebSocketStream;
use zap_client::{ConnectionState, StateStream, Subscription, ZapSubscriber};
use zap_core::{EventContext, EventRegister};
use zap_server::ZapServer;

/// The longest any single wait in a test may take.
pub const LIMIT: Duration = Duration::from_secs(10);

/// Awaits `future`, failing the test after [`LIMIT`].
pub async fn within<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(LIMIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Logs to the test output when `RUST_LOG` is set.
pub fn trace() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// Handlers used across the tests:
/// - `echo`: sends the same event (name, payload, headers) back;
/// - `burst` (payload `n`): sends `tick` events `0..n`;
/// - `ask`: replies `{"ok": true, "echo": payload}` with `ctx.reply`;
/// - `bye`: the server closes the connection.
pub fn register() -> EventRegister {
    EventRegister::new()
        .on_event("echo", |ctx: EventContext| async move {
            match ctx.event().headers_opt() {
                Some(headers) => ctx.connection().send_with_headers(
                    ctx.event_name(),
                    ctx.payload(),
                    headers.clone(),
                )?,
                None => ctx.connection().send(ctx.event_name(), ctx.payload())?,
            };
            Ok(())
        })
        .on_event("burst", |ctx: EventContext| async move {
            let n: u32 = ctx.payload_as()?;
            for i in 0..n {
                ctx.connection().send("tick", i)?;
            }
            Ok(())
        })
        .on_event("ask", |ctx: EventContext| async move {
            ctx.reply(json!({"ok": true, "echo": ctx.payload()}))?;
            Ok(())
        })
        .on_event("bye", |ctx: EventContext| async move {
            ctx.connection().close();
        })
}

/// A zap-server with [`register`] on 127.0.0.1 and a free port.
pub async fn server() -> ZapServer {
    ZapServer::builder()
        .port(0)
        .register(register())
        .start()
        .await
        .expect("server starts")
}

/// Waits for the next state and checks it.
pub async fn expect_states(states: &mut StateStream, expected: &[ConnectionState]) {
    for want in expected {
        let got = within("a state change", states.next())
            .await
            .expect("state stream ended");
        assert_eq!(got, *want, "expected the sequence {expected:?}");
    }
}

/// Waits until the state stream reports `state`, returning what came before.
pub async fn wait_for_state(
    states: &mut StateStream,
    state: ConnectionState,
) -> Vec<ConnectionState> {
    let mut seen = Vec::new();
    loop {
        let got = within("a state change", states.next())
            .await
            .expect("state stream ended");
        if got == state {
            return seen;
        }
        seen.push(got);
    }
}

/// The payload of the next event of `subscription`, as JSON.
pub async fn next_payload(subscription: &mut Subscription) -> serde_json::Value {
    let event = within("an event", subscription.next())
        .await
        .expect("subscription ended");
    event.payload().to_value().expect("payload is JSON")
}

/// Sends `count` events of one megabyte each: more than the socket buffers
/// of both ends hold, so a server that does not read leaves a write stuck.
/// The payload is encoded once (a raw JSON string), so this is quick.
pub fn flood(client: &ZapSubscriber, count: usize) {
    let text = format!("\"{}\"", "x".repeat(1 << 20));
    let big = serde_json::value::RawValue::from_string(text).expect("valid JSON");
    for _ in 0..count {
        client.send_event("big", &big).expect("queued");
    }
}

/// A bare WebSocket server: each accepted connection is handed to the test,
/// which plays the server by hand.
pub struct RawServer {
    pub url: String,
    pub addr: SocketAddr,
    sockets: mpsc::Receiver<WebSocketStream<TcpStream>>,
    accept: AbortHandle,
}

impl RawServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (tx, sockets) = mpsc::channel(16);
        let accept = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await
                    && tx.send(ws).await.is_err()
                {
                    break;
                }
            }
        })
        .abort_handle();
        RawServer {
            url: format!("ws://{addr}/"),
            addr,
            sockets,
            accept,
        }
    }

    /// The next connection a client opened.
    pub async fn accept(&mut self) -> WebSocketStream<TcpStream> {
        within("a client connection", self.sockets.recv())
            .await
            .expect("accept loop ended")
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// A TCP proxy that owns its port for the whole test, so a "restarted"
/// server is reached at the same address without rebinding a port (which
/// another process could take in between). [`Proxy::cut`] drops every
/// connection through it without a close handshake, like a network
/// failure; [`Proxy::refusing`] makes one with no server behind it yet,
/// which drops each connection at once, and [`Proxy::route_to`] sets the
/// server behind it.
pub struct Proxy {
    pub url: String,
    target: watch::Sender<Option<SocketAddr>>,
    pipes: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Proxy {
    /// A proxy in front of `target`.
    pub async fn start(target: SocketAddr) -> Self {
        let proxy = Self::refusing().await;
        proxy.route_to(target);
        proxy
    }

    /// A proxy with no server behind it: connections are dropped at once.
    pub async fn refusing() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (target, routes) = watch::channel(None::<SocketAddr>);
        let pipes: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let registry = Arc::clone(&pipes);
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let Some(target) = *routes.borrow() else {
                    continue; // dropped: no server behind the proxy
                };
                let pipe = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                registry.lock().expect("lock").push(pipe.abort_handle());
            }
        })
        .abort_handle();
        Proxy {
            url: format!("ws://{addr}/"),
            target,
            pipes,
            accept,
        }
    }

    /// Routes new connections to `target`.
    pub fn route_to(&self, target: SocketAddr) {
        self.target.send_replace(Some(target));
    }

    /// Drops every connection through the proxy and refuses new ones until
    /// [`Proxy::route_to`].
    pub fn down(&self) {
        self.target.send_replace(None);
        self.cut();
    }

    /// Drops every connection through the proxy (new ones still pass).
    pub fn cut(&self) {
        for pipe in self.pipes.lock().expect("lock").drain(..) {
            pipe.abort();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

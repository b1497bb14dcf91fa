//! [`serve_in_memory`]: the fifth integration. zap-core's [`Endpoint`](zap_core::Endpoint)
//! served over in-memory pipes (`tokio::io::duplex`): hyper and
//! zap-tungstenite's upgrade on the server end, tungstenite on the client
//! end, so the suite's checks run unchanged, with no socket and no port.
//!
//! A served endpoint gets an address in 192.0.2.0/24 (TEST-NET-1, reserved
//! for documentation: never routed), and the suite's client dials such an
//! address through [`dial`] instead of the network.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use tokio::io::DuplexStream;

use crate::{Endpoint, Running};

/// An endpoint served in memory, with its header read timeout and the
/// runtime it is served on.
type Served = (zap_core::Endpoint, Duration, tokio::runtime::Handle);

/// Endpoints served in memory (with their header read timeout), by the
/// address their URL names.
fn servers() -> &'static Mutex<HashMap<SocketAddr, Served>> {
    static SERVERS: OnceLock<Mutex<HashMap<SocketAddr, Served>>> = OnceLock::new();
    SERVERS.get_or_init(Mutex::default)
}

/// Serves `endpoint` in memory at `ws://192.0.2.1:N/ws`, until the returned
/// [`Running`] is dropped.
///
/// ```no_run
/// // crates/zap-conformance/tests/in_memory.rs
/// zap_conformance::conformance_tests!(serve);
/// async fn serve(endpoint: zap_conformance::Endpoint) -> zap_conformance::Running {
///     zap_conformance::serve_in_memory(endpoint).await
/// }
/// # fn main() {}
/// ```
pub async fn serve_in_memory(endpoint: Endpoint) -> Running {
    static NEXT_PORT: AtomicU16 = AtomicU16::new(1);
    let port = NEXT_PORT.fetch_add(1, Ordering::Relaxed);
    let addr = SocketAddr::from((Ipv4Addr::new(192, 0, 2, 1), port));
    let served = zap_core::Endpoint::new(endpoint.register)
        .config(endpoint.config)
        .max_connections(endpoint.max_connections)
        .shutdown_token(endpoint.shutdown);
    servers()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(
            addr,
            (
                served,
                endpoint.handshake_timeout,
                tokio::runtime::Handle::current(),
            ),
        );
    Running::new(format!("ws://{addr}/ws"), Unserve(addr))
}

/// Takes an endpoint out of the registry when its check ends.
struct Unserve(SocketAddr);

impl Drop for Unserve {
    fn drop(&mut self) {
        servers()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.0);
    }
}

/// A pipe to the in-memory endpoint at `addr`, or `None` when nothing is
/// served in memory there.
pub(crate) fn dial(addr: SocketAddr) -> Option<DuplexStream> {
    let (endpoint, header_timeout, runtime) = servers()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&addr)?
        .clone();
    let (client, server) = tokio::io::duplex(64 * 1024);
    // The server side runs on the server's runtime, whoever dials.
    runtime.spawn(accept(endpoint, header_timeout, server));
    Some(client)
}

/// One connection: HTTP/1 by hyper, upgraded by zap-tungstenite exactly
/// as axum and warp upgrade (admission, authorization hook, subprotocols),
/// then the endpoint's session over the pipe.
async fn accept(endpoint: zap_core::Endpoint, header_timeout: Duration, pipe: DuplexStream) {
    // A pipe has no peer address; it stands for a local client.
    let peer = SocketAddr::from((Ipv4Addr::LOCALHOST, 40000));
    let service = hyper::service::service_fn(move |request: http::Request<_>| {
        let endpoint = endpoint.clone();
        async move {
            let uri = request.uri().clone();
            let (parts, _body) = request.into_parts();
            let response = zap_tungstenite::upgrade(endpoint, parts, &uri, Some(peer)).await;
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    let served = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(hyper_util::rt::TokioIo::new(pipe), service)
        .with_upgrades()
        .await;
    if let Err(err) = served {
        tracing::debug!(%err, "in-memory HTTP connection ended");
    }
}

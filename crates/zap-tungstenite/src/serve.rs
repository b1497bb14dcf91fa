//! [`serve`]: hyper HTTP/1 connections with a header read timeout, so that
//! clients sending half an upgrade request and stalling are dropped, for
//! frameworks whose own `serve` sets none (axum, warp).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use zap_core::BoxError;

/// How long a client may take to send a request head (upgrade requests
/// included) unless told otherwise: 10 s, as zap-server.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait after an error such as EMFILE before accepting again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The client's address, in the extensions of every request [`serve`]
/// hands to the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// Serves HTTP/1 connections accepted on `listener` with upgrades enabled:
/// `make_service(peer)` gives each connection its service, and a client
/// that has not sent a whole request head within `header_read_timeout`
/// (after connecting, or between keep-alive requests) is disconnected.
///
/// Returns once `shutdown` completes: the listener is closed, every open
/// HTTP connection finishes its request in flight and closes, and this
/// returns when they have. Upgraded (WebSocket) connections are not HTTP
/// connections any more: their sessions end through the endpoint's
/// shutdown token.
pub async fn serve<M, S, B>(
    listener: TcpListener,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
    mut make_service: M,
) where
    M: FnMut(SocketAddr) -> S,
    S: Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let stop = CancellationToken::new();
    let tracker = TaskTracker::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) if is_connection_error(&err) => continue,
            Err(err) => {
                tracing::error!(%err, "accept failed; retrying");
                tokio::select! {
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                    () = &mut shutdown => break,
                }
            }
        };
        let service = WithPeer {
            inner: make_service(peer),
            peer: PeerAddr(peer),
        };
        tracker.spawn(connection(tcp, service, header_read_timeout, stop.clone()));
    }
    drop(listener);
    stop.cancel();
    tracker.close();
    tracker.wait().await;
}

/// Serves one connection until it ends, or until `stop`, then gracefully.
async fn connection<S, B>(
    tcp: TcpStream,
    service: WithPeer<S>,
    header_read_timeout: Duration,
    stop: CancellationToken,
) where
    S: Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let _ = tcp.set_nodelay(true);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let connection = builder
        .serve_connection(TokioIo::new(tcp), service)
        .with_upgrades();
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = stop.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(err) = result {
        tracing::debug!(%err, "HTTP connection ended with an error");
    }
}

/// Errors that concern one incoming connection only, not the listener.
fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Puts [`PeerAddr`] in every request's extensions.
struct WithPeer<S> {
    inner: S,
    peer: PeerAddr,
}

impl<S: Service<Request<Incoming>>> Service<Request<Incoming>> for WithPeer<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        request.extensions_mut().insert(self.peer);
        self.inner.call(request)
    }
}

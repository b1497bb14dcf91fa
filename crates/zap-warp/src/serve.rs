//! [`serve`]: `warp::serve` with a bound on half-sent requests (hyper's
//! header read timeout), which `warp::serve` does not set.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use warp::reply::Reply;
use warp::{Filter, Rejection};
use zap_tungstenite::DEFAULT_HEADER_READ_TIMEOUT;

/// Serves `filter` on `listener` like `warp::serve(filter).incoming(listener)`,
/// except that a client which has not sent a whole request head (an
/// upgrade request included) within the
/// [header read timeout](Serve::header_read_timeout), 10 s by default, is
/// disconnected: clients that send half a request and stall cannot pile up.
/// zap-warp's filters get the peer's address as with `warp::serve`.
///
/// ```no_run
/// # async fn demo(register: zap_core::EventRegister) -> std::io::Result<()> {
/// use std::time::Duration;
///
/// use warp::{Filter, Rejection};
///
/// let routes = warp::path("ws").and(zap_warp::filter(register));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
/// zap_warp::serve(listener, routes)
///     .header_read_timeout(Duration::from_secs(5))
///     .with_graceful_shutdown(async { let _ = tokio::signal::ctrl_c().await; })
///     .await;
/// # Ok(()) }
/// ```
pub fn serve<F>(listener: TcpListener, filter: F) -> Serve<F>
where
    F: Filter<Error = Rejection> + Clone + Send + Sync + 'static,
    F::Extract: Reply,
{
    Serve {
        listener,
        filter,
        header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
        shutdown: Box::pin(std::future::pending()),
    }
}

/// The server made by [`serve`]: `.await` it to run it.
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve<F> {
    listener: TcpListener,
    filter: F,
    header_read_timeout: Duration,
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl<F> Serve<F> {
    /// Longest time a client may take to send a request head, after
    /// connecting or between keep-alive requests. Default: 10 s.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Stops accepting when `signal` completes, lets the HTTP requests in
    /// flight finish, then returns. WebSocket sessions end through their
    /// filter's shutdown token (see [graceful shutdown](crate#graceful-shutdown)).
    pub fn with_graceful_shutdown<S>(mut self, signal: S) -> Self
    where
        S: Future<Output = ()> + Send + 'static,
    {
        self.shutdown = Box::pin(signal);
        self
    }
}

impl<F> std::fmt::Debug for Serve<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("header_read_timeout", &self.header_read_timeout)
            .finish_non_exhaustive()
    }
}

impl<F> IntoFuture for Serve<F>
where
    F: Filter<Error = Rejection> + Clone + Send + Sync + 'static,
    F::Extract: Reply,
{
    type Output = ();
    type IntoFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        let Serve {
            listener,
            filter,
            header_read_timeout,
            shutdown,
        } = self;
        Box::pin(zap_tungstenite::serve(
            listener,
            header_read_timeout,
            shutdown,
            move |_peer| TowerToHyperService::new(warp::service(filter.clone())),
        ))
    }
}

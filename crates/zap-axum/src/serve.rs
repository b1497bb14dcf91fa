//! [`serve`]: `axum::serve` with a bound on half-sent requests (hyper's
//! header read timeout), which `axum::serve` does not set.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::service::Service;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use zap_tungstenite::DEFAULT_HEADER_READ_TIMEOUT;

/// Serves `app` on `listener` like `axum::serve`, except that a client
/// which has not sent a whole request head (an upgrade request included)
/// within the [header read timeout](Serve::header_read_timeout), 10 s by
/// default, is disconnected: clients that send half a request and stall
/// cannot pile up. Handlers get `ConnectInfo<SocketAddr>`.
///
/// ```no_run
/// # async fn demo(register: zap_core::EventRegister) -> std::io::Result<()> {
/// use std::time::Duration;
///
/// use axum::{Router, routing::get};
///
/// let app = Router::new().route("/ws", get(zap_axum::handler(register)));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
/// zap_axum::serve(listener, app)
///     .header_read_timeout(Duration::from_secs(5))
///     .with_graceful_shutdown(async { let _ = tokio::signal::ctrl_c().await; })
///     .await;
/// # Ok(()) }
/// ```
pub fn serve(listener: TcpListener, app: Router) -> Serve {
    Serve {
        listener,
        app,
        header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
        shutdown: Box::pin(std::future::pending()),
    }
}

/// The server made by [`serve`]: `.await` it to run it.
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve {
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl Serve {
    /// Longest time a client may take to send a request head, after
    /// connecting or between keep-alive requests. Default: 10 s.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Stops accepting when `signal` completes, lets the HTTP requests in
    /// flight finish, then returns. WebSocket sessions end through their
    /// handler's shutdown token (see [graceful shutdown](crate#graceful-shutdown)).
    pub fn with_graceful_shutdown<F>(mut self, signal: F) -> Self
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.shutdown = Box::pin(signal);
        self
    }
}

impl std::fmt::Debug for Serve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("header_read_timeout", &self.header_read_timeout)
            .finish_non_exhaustive()
    }
}

impl IntoFuture for Serve {
    type Output = ();
    type IntoFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        let Serve {
            listener,
            app,
            header_read_timeout,
            shutdown,
        } = self;
        Box::pin(zap_tungstenite::serve(
            listener,
            header_read_timeout,
            shutdown,
            move |peer| WithConnectInfo {
                inner: TowerToHyperService::new(app.clone()),
                peer,
            },
        ))
    }
}

/// Gives axum handlers `ConnectInfo<SocketAddr>`, as
/// `into_make_service_with_connect_info` does.
struct WithConnectInfo {
    inner: TowerToHyperService<Router>,
    peer: SocketAddr,
}

impl Service<http::Request<Incoming>> for WithConnectInfo {
    type Response = <TowerToHyperService<Router> as Service<http::Request<Incoming>>>::Response;
    type Error = <TowerToHyperService<Router> as Service<http::Request<Incoming>>>::Error;
    type Future = <TowerToHyperService<Router> as Service<http::Request<Incoming>>>::Future;

    fn call(&self, mut request: http::Request<Incoming>) -> Self::Future {
        request.extensions_mut().insert(ConnectInfo(self.peer));
        self.inner.call(request)
    }
}

//! The chat example on axum: `cargo run -p example-axum`, then open
//! <http://127.0.0.1:8000/> in two browser tabs. Ctrl-C closes every
//! WebSocket with 1001 and stops the server.
//!
//! `ZAP_ADDRESS` and `ZAP_PORT` override the defaults (127.0.0.1, 8000).
//!
//! Served by `zap_axum::serve` rather than `axum::serve`: a client that
//! sends half a request (an upgrade request included) and stalls is
//! dropped after the header read timeout instead of being held forever.

use std::time::Duration;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use zap_core::{CancellationToken, ConnectionRouter};

/// Waits (at most 10 s) until every session has closed and run its
/// `disconnected` handler: the framework does not wait for upgraded
/// connections, and zap-core has no signal for this yet.
async fn drained(router: ConnectionRouter) {
    let empty = router.until_empty();
    let _ = tokio::time::timeout(Duration::from_secs(10), empty).await;
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Logs, and every handler's error (a `warn`), go to stderr through
    // `tracing`; `RUST_LOG=debug` (or `RUST_LOG=zap_core=debug`) shows more.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let address = std::env::var("ZAP_ADDRESS").unwrap_or_else(|_| "127.0.0.1".to_owned());
    let port: u16 = std::env::var("ZAP_PORT").map_or(Ok(8000), |port| port.parse())?;

    let shutdown = CancellationToken::new();
    let register = example_chat::register();
    let router = register.router().clone();
    let ws = zap_axum::handler(register).shutdown_token(shutdown.clone());
    let app = Router::new()
        .route("/", get(|| async { Html(example_chat::INDEX_HTML) }))
        .route("/ws", get(ws));

    let listener = tokio::net::TcpListener::bind((address.as_str(), port)).await?;
    tracing::info!(
        "chat ready: open http://{} in two tabs",
        listener.local_addr()?
    );
    zap_axum::serve(listener, app)
        .header_read_timeout(Duration::from_secs(10))
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            shutdown.cancel();
            drained(router).await;
        })
        .await;
    Ok(())
}

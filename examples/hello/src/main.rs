//! The zaptools "hello" example: a client sends `hello`, the server answers
//! `hello` with "HELLO FROM SERVER !!!" (the Python README's first example).
//!
//! Run it with `cargo run -p example-hello`, then connect any zaptools client
//! (Rust, Python or Dart) to `ws://127.0.0.1:8000/`.

use zap_core::{Connection, EventContext, EventRegister, SendError};
use zap_server::ZapServer;

/// A handler takes what it needs as arguments (extractors): here the
/// connection the event came from.
async fn hello_trigger(connection: Connection) -> Result<(), SendError> {
    connection.send("hello", "HELLO FROM SERVER !!!")?;
    Ok(())
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

    let register = EventRegister::new()
        .on_connected(|ctx: EventContext| async move {
            tracing::info!(id = %ctx.connection().id(), "connection started")
        })
        .on_disconnected(|ctx| async move {
            tracing::info!(id = %ctx.connection().id(), "connection closed")
        })
        .on_error(|ctx| async move {
            tracing::warn!(error = ?ctx.error(), "an error occurred in an event")
        })
        .on("hello", hello_trigger);

    let server = ZapServer::builder()
        .port(8000)
        .register(register)
        .start()
        .await?;
    tracing::info!("listening on {}", server.url());
    server.run_until(tokio::signal::ctrl_c()).await;
    Ok(())
}

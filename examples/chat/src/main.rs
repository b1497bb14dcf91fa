//! The chat demo: `cargo run -p example-chat`, then open
//! <http://127.0.0.1:8000/> in two browser tabs.
//!
//! `ZAP_ADDRESS` and `ZAP_PORT` override the defaults (127.0.0.1, 8000).
//! `ZAP_CONTRACT_DIR=dir` writes the chat's contract (`asyncapi.json`,
//! `events.d.ts`) into `dir` and exits.

use std::io::IsTerminal;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Logs, and every handler's error (a `warn`), go to stderr through
    // `tracing`; `RUST_LOG=debug` (or `RUST_LOG=zap_core=debug`) shows more.
    tracing_subscriber::fmt()
        // Colour codes only on a terminal, not in a file or a pipe.
        .with_ansi(std::io::stdout().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    if example_chat::contract::contract().write_if_requested()? {
        return Ok(());
    }
    let address = std::env::var("ZAP_ADDRESS").unwrap_or_else(|_| "127.0.0.1".to_owned());
    let port = match std::env::var("ZAP_PORT") {
        Ok(port) => port.parse()?,
        Err(_) => 8000,
    };
    let server = example_chat::start(&address, port).await?;
    tracing::info!(
        "chat ready: open http://{} in two tabs (WebSocket at {})",
        server.local_addr(),
        server.url()
    );
    server.run_until(tokio::signal::ctrl_c()).await;
    Ok(())
}

//! The chat example on actix-web: `cargo run -p example-actix`, then open
//! <http://127.0.0.1:8000/> in two browser tabs. Ctrl-C closes every
//! WebSocket with 1001 and stops the server.
//!
//! `ZAP_ADDRESS` and `ZAP_PORT` override the defaults (127.0.0.1, 8000).

use actix_web::{App, HttpResponse, HttpServer, web};
use zap_core::CancellationToken;

async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(example_chat::INDEX_HTML)
}

#[actix_web::main]
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

    // One register for every worker: they share its rooms and connections.
    let shutdown = CancellationToken::new();
    let ws = zap_actix::handler(example_chat::register()).shutdown_token(shutdown.clone());
    let server = HttpServer::new(move || {
        App::new()
            .route("/", web::get().to(page))
            .route("/ws", web::get().to(ws.clone()))
    })
    // A client that sends half a request (an upgrade request included) and
    // stalls is dropped after this (actix's default is 5 s).
    .client_request_timeout(std::time::Duration::from_secs(10))
    .disable_signals()
    .bind((address.as_str(), port))?;
    for addr in server.addrs() {
        tracing::info!("chat ready: open http://{addr} in two tabs");
    }
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        shutdown.cancel();
        handle.stop(true).await;
    });
    server.await?;
    Ok(())
}

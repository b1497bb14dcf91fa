//! The servers under test, each run in a process of its own by
//! `zap-bench serve <kind>`, printing `PORT <n>` once it listens.

use anyhow::bail;
use tokio::net::TcpListener;
use zap_core::{ConnectionConfig, EventRegister};
use zap_server::ZapServer;

/// Every server kind `serve` knows.
pub(crate) const KINDS: &[&str] = &["baseline", "zap-server"];

/// The zaptools handlers equivalent to the baseline's.
pub(crate) fn register() -> EventRegister {
    EventRegister::new()
        .on_event("echo", |ctx| async move {
            ctx.connection().send("echo", ctx.payload(), None)?;
            Ok(())
        })
        .on_event("join", |ctx| async move {
            ctx.join("bench");
            ctx.connection().send("join", (), None)?;
            Ok(())
        })
        .on_event("fanout", |ctx| async move {
            ctx.router()
                .to("bench")
                .except(ctx.connection().id())
                .send("tick", ctx.payload(), None)?;
            Ok(())
        })
}

/// Limits for benchmarks: no connection cap, a queue deep enough for the
/// fan-out windows.
pub(crate) fn config() -> ConnectionConfig {
    ConnectionConfig::default().outbound_queue(1024)
}

#[allow(clippy::print_stdout)]
pub(crate) async fn serve(kind: &str) -> anyhow::Result<()> {
    match kind {
        "baseline" => {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            println!("PORT {}", listener.local_addr()?.port());
            crate::baseline::serve(listener).await;
        }
        "zap-server" => {
            let server = ZapServer::builder()
                .port(0)
                .max_connections(1_000_000)
                .config(config())
                .register(register())
                .start()
                .await?;
            println!("PORT {}", server.local_addr().port());
            std::future::pending::<()>().await;
        }
        other => bail!(
            "unknown server kind `{other}` (known: {})",
            KINDS.join(", ")
        ),
    }
    Ok(())
}

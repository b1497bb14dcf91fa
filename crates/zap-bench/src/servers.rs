//! The servers under test, each run in a process of its own by
//! `zap-bench serve <kind>`, printing `PORT <n>` once it listens.

use anyhow::bail;
use tokio::net::TcpListener;
use zap_core::{ConnectionConfig, Endpoint, EventRegister, History};
use zap_server::ZapServer;

/// Every server kind `serve` knows.
pub(crate) const KINDS: &[&str] = &[
    "baseline",
    "naive",
    "zap-server",
    "history",
    "prometheus",
    "recovery",
    "axum",
    "actix",
    "actix-upgrade",
    "warp",
];

/// The zaptools handlers equivalent to the baseline's.
pub(crate) fn register() -> EventRegister {
    EventRegister::new()
        .on_event("echo", |ctx| async move {
            ctx.connection().send("echo", ctx.payload())?;
            Ok(())
        })
        .on_event("join", |ctx| async move {
            ctx.join("bench");
            ctx.connection().send("join", ())?;
            Ok(())
        })
        .on_event("fanout", |ctx| async move {
            ctx.router()
                .to("bench")
                .except(ctx.connection().id())
                .send("tick", ctx.payload())?;
            Ok(())
        })
}

/// Limits for benchmarks: no connection cap, a queue deep enough for the
/// fan-out windows, no inbound rate limit (the echo load sends thousands of
/// events per second per connection, past the default flood limit).
pub(crate) fn config() -> ConnectionConfig {
    ConnectionConfig::default()
        .outbound_queue(1024)
        .rate_limit(zap_core::RateLimit::unlimited())
}

/// What the adapters serve: the register and config, with no connection cap
/// in the way of the idle-connection runs.
fn endpoint() -> Endpoint {
    Endpoint::new(register())
        .config(config())
        .max_connections(1_000_000)
}

#[allow(clippy::print_stdout)]
pub(crate) async fn serve(kind: &str) -> anyhow::Result<()> {
    match kind {
        "baseline" => {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            println!("PORT {}", listener.local_addr()?.port());
            crate::baseline::serve(listener).await;
        }
        "naive" => {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            println!("PORT {}", listener.local_addr()?.port());
            crate::naive::serve(listener).await;
        }
        "zap-server" | "history" | "prometheus" | "recovery" => {
            let register = match kind {
                // The benchmark room keeps its last 1,000 events (and the
                // `recovery` kind's clients ask for recovery).
                "history" | "recovery" => register().history("bench", History::last(1_000)),
                _ => register(),
            };
            if kind == "prometheus" {
                // The production case: an exporter's recorder installed
                // (its HTTP listener is not needed to measure the cost).
                let recorder =
                    metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
                metrics::set_global_recorder(recorder)?;
            }
            let server = ZapServer::builder()
                .port(0)
                .max_connections(1_000_000)
                .config(config())
                .register(register)
                .start()
                .await?;
            println!("PORT {}", server.local_addr().port());
            std::future::pending::<()>().await;
        }
        "axum" => {
            let ws = zap_axum::ZapHandler::new(endpoint());
            let app = axum::Router::new().route("/", axum::routing::get(ws));
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            println!("PORT {}", listener.local_addr()?.port());
            let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener, service).await?;
        }
        "warp" => {
            use warp::Filter;
            let routes = warp::path::end().and(zap_warp::endpoint(endpoint()));
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            println!("PORT {}", listener.local_addr()?.port());
            warp::serve(routes).incoming(listener).run().await;
        }
        other => bail!(
            "unknown server kind `{other}` (known: {})",
            KINDS.join(", ")
        ),
    }
    Ok(())
}

/// actix-http with zap-actix's upgrade service (WebSocket upgrades taken
/// out of the HTTP dispatcher), the same app behind it, one worker.
#[allow(clippy::print_stdout)]
pub(crate) fn serve_actix_upgrade() -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async {
        let endpoint = endpoint();
        let ws = zap_actix::ZapHandler::new(endpoint.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        println!("PORT {}", listener.local_addr()?.port());
        actix_web::dev::Server::build()
            .workers(1)
            .max_concurrent_connections(1_000_000)
            .backlog(4096)
            .listen("zap", listener, move || {
                let app = actix_web::App::new().route("/", actix_web::web::get().to(ws.clone()));
                actix_http::HttpService::build()
                    .upgrade(zap_actix::upgrade(endpoint.clone(), "/"))
                    .finish(actix_service::map_config(app, |_| {
                        actix_web::dev::AppConfig::default()
                    }))
                    .tcp()
            })?
            .run()
            .await?;
        Ok(())
    })
}

/// actix-web runs on its own runtime (actix-rt), one worker like the others.
#[allow(clippy::print_stdout)]
pub(crate) fn serve_actix() -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async {
        let ws = zap_actix::ZapHandler::new(endpoint());
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        println!("PORT {}", listener.local_addr()?.port());
        actix_web::HttpServer::new(move || {
            actix_web::App::new().route("/", actix_web::web::get().to(ws.clone()))
        })
        .workers(1)
        .max_connections(1_000_000)
        .backlog(4096)
        .listen(listener)?
        .run()
        .await?;
        Ok(())
    })
}

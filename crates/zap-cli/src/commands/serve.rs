//! `zap serve [--port N] [--echo | --broadcast] [--verbose]`: a throwaway
//! server. Quiet by default (it is `zap bench`'s target): it prints where
//! it listens and the errors; `--verbose` adds every connection and every
//! event it receives, as `CONNECTION_ID JSON` on stdout.

use anyhow::Context;
use zap_core::{ConnectionConfig, EventContext, EventRegister, HandlerResult, RateLimit};
use zap_server::ZapServer;

use crate::args::ServeArgs;
use crate::exit::Failure;

/// What the server does with each event besides printing it.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Nothing,
    Echo,
    Broadcast,
}

pub(crate) async fn run(args: ServeArgs) -> Result<(), Failure> {
    let answer = match (args.echo, args.broadcast) {
        (true, _) => Answer::Echo,
        (_, true) => Answer::Broadcast,
        _ => Answer::Nothing,
    };
    let verbose = args.verbose;
    let register = EventRegister::new()
        .on_connected(move |ctx| async move {
            if verbose {
                let peer = ctx.handshake().peer_addr();
                let peer = peer.map(|addr| addr.to_string()).unwrap_or_default();
                eprintln!("zap: + {} connected {peer}", ctx.connection().id());
            }
        })
        .on_disconnected(move |ctx| async move {
            if verbose {
                eprintln!("zap: - {} disconnected", ctx.connection().id());
            }
        })
        .on_error(|ctx| async move {
            if let Some(info) = ctx.error() {
                eprintln!("zap: ! {} {info}", ctx.connection().id());
            }
        })
        .fallback(move |ctx| handle(ctx, answer, verbose));
    let server = ZapServer::builder()
        .address(args.address.as_str())
        .port(args.port)
        .path(args.path.as_str())
        .register(register)
        // A throwaway server, and `zap bench`'s target: no flood control,
        // so a benchmark measures the server, not its rate limit.
        .config(ConnectionConfig::default().rate_limit(RateLimit::unlimited()))
        .start()
        .await
        .with_context(|| format!("cannot serve on {}:{}", args.address, args.port))?;
    eprintln!("zap: serving on {}", server.url());
    server.run_until(tokio::signal::ctrl_c()).await;
    Ok(())
}

async fn handle(ctx: EventContext, answer: Answer, verbose: bool) -> HandlerResult {
    let frame = ctx.event().encode();
    if verbose {
        println!("{} {}", ctx.connection().id(), frame.as_str());
    }
    match answer {
        Answer::Nothing => {}
        // A request (zap-request-id) gets a reply; anything else comes back as sent.
        Answer::Echo if ctx.request_id().is_some() => {
            ctx.reply(ctx.payload())?;
        }
        Answer::Echo => {
            let (name, payload) = (ctx.event_name(), ctx.payload());
            match ctx.event().headers_opt() {
                Some(headers) => {
                    ctx.connection()
                        .send_with_headers(name, payload, headers.clone())?
                }
                None => ctx.connection().send(name, payload)?,
            };
        }
        Answer::Broadcast => {
            let all = ctx.router().all().except(ctx.connection().id());
            all.send(ctx.event_name(), ctx.payload())?;
        }
    }
    Ok(())
}

//! `zap wait TARGET [--timeout 10s]`: for scripts, waits until a server
//! accepts WebSocket connections (TARGET a `ws://` or `wss://` URL: one
//! handshake, then a clean close) or until a readiness file is there
//! (`zap listen --ready-file`). Exit code 3 when the time runs out, with
//! the last reason; a permanent refusal (a 404 for a wrong path, say) ends
//! the wait at once.

use std::path::Path;
use std::time::Duration;

use anyhow::anyhow;
use tokio::time::Instant;
use zap_client::{ConnectError, Recovery, ZapSubscriber};

use crate::args::WaitArgs;
use crate::exit::Failure;
use crate::ready::is_ready;

/// Between two tries: short, since a server starting takes milliseconds.
const RETRY_EVERY: Duration = Duration::from_millis(50);

pub(crate) async fn run(args: WaitArgs) -> Result<(), Failure> {
    let deadline = Instant::now() + args.timeout;
    if args.target.starts_with("ws://") || args.target.starts_with("wss://") {
        wait_for_server(&args.target, deadline, args.timeout).await
    } else {
        wait_for_file(Path::new(&args.target), deadline, args.timeout).await
    }
}

async fn wait_for_server(url: &str, deadline: Instant, timeout: Duration) -> Result<(), Failure> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let client = ZapSubscriber::builder(url)
            .recovery(Recovery::off())
            .connect_timeout(left.max(RETRY_EVERY))
            .build();
        let error = match client.connect().await {
            Ok(()) => {
                client.disconnect().await;
                return Ok(());
            }
            Err(
                error @ (ConnectError::InvalidUrl { .. }
                | ConnectError::InvalidHeader { .. }
                | ConnectError::TlsNotEnabled),
            ) => return Err(Failure::usage(error)),
            Err(error) if error.is_permanent() => return Err(Failure::connect(error)),
            Err(error) => error,
        };
        client.clean().await;
        if Instant::now() + RETRY_EVERY >= deadline {
            return Err(Failure::connect(anyhow!(
                "{url} accepted no connection within {timeout:?} (last: {error})"
            )));
        }
        tokio::time::sleep(RETRY_EVERY).await;
    }
}

async fn wait_for_file(path: &Path, deadline: Instant, timeout: Duration) -> Result<(), Failure> {
    loop {
        if is_ready(path) {
            return Ok(());
        }
        if Instant::now() + RETRY_EVERY >= deadline {
            return Err(Failure::connect(anyhow!(
                "{} was not ready within {timeout:?}",
                path.display()
            )));
        }
        tokio::time::sleep(RETRY_EVERY).await;
    }
}

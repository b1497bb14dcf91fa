//! The client side shared by listen, send and repl: building and
//! connecting a `ZapSubscriber`, and reporting its states on stderr.

use std::time::Duration;

use anyhow::anyhow;
use futures_util::StreamExt;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use zap_client::{
    ConnectError, ConnectionState, ErrorStream, ReconnectPolicy, StateStream, ZapSubscriber,
};

use crate::args::ConnectArgs;
use crate::exit::Failure;
use crate::input::parse_http_header;

/// A client for `args`, not connected yet (subscribe first, then connect).
pub(crate) fn build(args: &ConnectArgs) -> Result<ZapSubscriber, Failure> {
    let mut builder =
        ZapSubscriber::builder(args.url.as_str()).connect_timeout(args.connect_timeout);
    for spec in &args.http_headers {
        let (name, value) = parse_http_header(spec).map_err(Failure::usage)?;
        builder = builder.header(name, value);
    }
    if args.reconnect {
        builder = builder.reconnect(
            ReconnectPolicy::exponential()
                .initial_delay(Duration::from_millis(250))
                .max_delay(Duration::from_secs(5)),
        );
    }
    Ok(builder.build())
}

/// Connects; a bad URL or header is a usage error (2), anything else a
/// connection failure (3).
pub(crate) async fn connect(client: &ZapSubscriber) -> Result<(), Failure> {
    client.connect().await.map_err(|error| match error {
        ConnectError::InvalidUrl { .. }
        | ConnectError::InvalidHeader { .. }
        | ConnectError::TlsNotEnabled => Failure::usage(error),
        error => Failure::connect(error),
    })
}

/// Reports a client's states and errors on stderr from a task of its own,
/// and says when the connection has ended for good.
#[derive(Debug)]
pub(crate) struct Watch {
    ended: oneshot::Receiver<Failure>,
    task: JoinHandle<()>,
}

impl Watch {
    /// Starts watching; make it before `connect` to report every state.
    ///
    /// Without `--reconnect`, nothing is reported before the connection is
    /// online: a failed first attempt is `connect`'s error, which `main`
    /// prints once (no "connecting" after it, no second copy).
    pub(crate) fn new(client: &ZapSubscriber, reconnect: bool) -> Self {
        let (tx, ended) = oneshot::channel();
        let url = client.url().to_owned();
        if !reconnect {
            eprintln!("zap: connecting {url}");
        }
        let states = client.connection_state();
        let errors = client.errors();
        let task = tokio::spawn(async move {
            let _ = tx.send(report(url, states, errors, reconnect).await);
        });
        Watch { ended, task }
    }

    /// Resolves once the connection has ended for good (lost or closed
    /// without `--reconnect`), with that failure (code 1). Cancel-safe.
    pub(crate) async fn ended(&mut self) -> Failure {
        (&mut self.ended)
            .await
            .unwrap_or_else(|_| anyhow!("the client stopped").into())
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn report(
    url: String,
    mut states: StateStream,
    mut errors: ErrorStream,
    reconnect: bool,
) -> Failure {
    // With --reconnect every attempt is news; without, only what follows
    // the first successful connection.
    let mut reporting = reconnect;
    loop {
        tokio::select! {
            state = states.next() => match state {
                Some(ConnectionState::Online) => {
                    reporting = true;
                    eprintln!("zap: online {url}");
                }
                Some(_) if !reporting => {}
                Some(state) => {
                    eprintln!("zap: {state}");
                    if !reconnect {
                        match state {
                            ConnectionState::Offline => {
                                return anyhow!("the server closed the connection").into();
                            }
                            ConnectionState::Error => {
                                return anyhow!("the connection was lost").into();
                            }
                            _ => {}
                        }
                    }
                }
                None => return anyhow!("the client stopped").into(),
            },
            Some(error) = errors.next() => {
                if reporting {
                    eprintln!("zap: {error}");
                }
            }
        }
    }
}

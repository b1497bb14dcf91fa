//! The client side shared by listen, send and repl: building and
//! connecting a `ZapSubscriber`, and reporting its states on stderr.

use std::time::Duration;

use anyhow::anyhow;
use futures_util::StreamExt;
use zap_client::{
    ConnectError, ConnectionState, ErrorStream, ReconnectPolicy, StateStream, ZapSubscriber,
};

use crate::args::ConnectArgs;
use crate::exit::Failure;
use crate::input::parse_http_header;

/// A client for `args`, not connected yet (subscribe first, then connect).
pub(crate) fn build(args: &ConnectArgs) -> Result<ZapSubscriber, Failure> {
    let mut builder = ZapSubscriber::builder(args.url.as_str()).connect_timeout(args.connect_timeout);
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

/// Watches a client's states and errors, reporting them on stderr.
#[derive(Debug)]
pub(crate) struct Watch {
    url: String,
    states: StateStream,
    errors: ErrorStream,
    reconnect: bool,
}

impl Watch {
    /// Starts watching; make it before `connect` to report every state.
    pub(crate) fn new(client: &ZapSubscriber, reconnect: bool) -> Self {
        Watch {
            url: client.url().to_owned(),
            states: client.connection_state(),
            errors: client.errors(),
            reconnect,
        }
    }

    /// Reports until the connection has ended for good (lost or closed
    /// without `--reconnect`); resolves with that failure (code 1).
    pub(crate) async fn ended(&mut self) -> Failure {
        loop {
            tokio::select! {
                state = self.states.next() => match state {
                    Some(ConnectionState::Online) => eprintln!("zap: online {}", self.url),
                    Some(state) => {
                        eprintln!("zap: {state}");
                        if !self.reconnect {
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
                Some(error) = self.errors.next() => eprintln!("zap: {error}"),
            }
        }
    }
}

//! `zap repl URL`: reads `event {json}` lines from stdin and sends them;
//! prints every received event as it comes.

use anyhow::Context;
use futures_util::StreamExt;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use zap_client::ZapSubscriber;

use crate::args::ReplArgs;
use crate::client::{Watch, build, connect};
use crate::exit::Failure;
use crate::input::parse_json;
use crate::output::{event_json, print_line};

pub(crate) async fn run(args: ReplArgs) -> Result<(), Failure> {
    let client = build(&args.connect)?;
    let mut events = client.subscribe_to_all_events();
    let mut watch = Watch::new(&client, args.connect.reconnect);
    connect(&client).await?;
    eprintln!("zap: type `event` or `event {{json}}` and Enter; Ctrl-D quits");
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let outcome = loop {
        tokio::select! {
            biased;
            event = events.next() => match event {
                Some(event) => print_line(&event_json(&event, args.connect.pretty))?,
                None => break Ok(()),
            },
            line = lines.next_line() => match line.context("cannot read stdin") {
                Ok(Some(line)) => send_line(&client, &line),
                Ok(None) => break Ok(()),
                Err(error) => break Err(error.into()),
            },
            failure = watch.ended() => break Err(failure),
            _ = tokio::signal::ctrl_c() => break Ok(()),
        }
    };
    client.disconnect().await;
    outcome
}

/// Sends one typed line; a mistake is reported on stderr, and the session
/// goes on.
fn send_line(client: &ZapSubscriber, line: &str) {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return;
    }
    let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let payload = match rest.trim() {
        "" => Value::Null,
        json => match parse_json("the payload", json) {
            Ok(payload) => payload,
            Err(error) => return eprintln!("zap: {error:#}"),
        },
    };
    if let Err(error) = client.send_event(name, &payload) {
        eprintln!("zap: not sent: {error}");
    }
}

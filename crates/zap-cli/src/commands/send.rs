//! `zap send URL EVENT [PAYLOAD_JSON]`: sends one event; with `--wait NAME`
//! prints the next event of that name, with `--request` the reply.

use anyhow::anyhow;
use futures_util::StreamExt;
use serde_json::Value;
use zap_client::{Headers, RequestError};

use crate::args::SendArgs;
use crate::client::{Watch, build, connect};
use crate::exit::Failure;
use crate::input::{parse_header, parse_json};
use crate::output::{event_json, print_line};

pub(crate) async fn run(args: SendArgs) -> Result<(), Failure> {
    let payload = match &args.payload {
        Some(text) => parse_json("PAYLOAD_JSON", text).map_err(Failure::usage)?,
        None => Value::Null,
    };
    let headers = if args.headers.is_empty() {
        None
    } else {
        let mut headers = Headers::new();
        for spec in &args.headers {
            parse_header(spec, &mut headers).map_err(Failure::usage)?;
        }
        Some(headers)
    };
    if args.request && headers.is_some() {
        return Err(Failure::usage(anyhow!(
            "--request sends no event headers: drop -H or use --wait"
        )));
    }

    let client = build(&args.connect)?;
    let mut replies = args
        .wait
        .as_ref()
        .map(|name| client.subscribe_to_event(name.as_str()));
    let mut watch = Watch::new(&client, args.connect.reconnect);
    connect(&client).await?;

    let outcome = if args.request {
        tokio::select! {
            reply = client.request_with_timeout(&args.event, &payload, args.timeout) => match reply {
                Ok(reply) => print_line(&event_json(&reply, args.connect.pretty)),
                Err(RequestError::Timeout(after)) => Err(Failure::timeout(anyhow!(
                    "no reply to `{}` within {after:?}", args.event
                ))),
                Err(error) => Err(anyhow::Error::from(error).into()),
            },
            failure = watch.ended() => Err(failure),
        }
    } else {
        let sent = match headers {
            Some(headers) => client.send_event_with_headers(&args.event, &payload, headers),
            None => client.send_event(&args.event, &payload),
        };
        match sent {
            Err(error) => Err(anyhow::Error::from(error).into()),
            Ok(()) => match (&mut replies, &args.wait) {
                (Some(replies), Some(name)) => tokio::select! {
                    reply = tokio::time::timeout(args.timeout, replies.next()) => match reply {
                        Ok(Some(reply)) => print_line(&event_json(&reply, args.connect.pretty)),
                        Ok(None) => Err(anyhow!("the client stopped").into()),
                        Err(_) => Err(Failure::timeout(anyhow!(
                            "no `{name}` event within {:?}", args.timeout
                        ))),
                    },
                    failure = watch.ended() => Err(failure),
                },
                _ => Ok(()),
            },
        }
    };
    // Writes what was sent, then closes with a close frame.
    client.disconnect().await;
    outcome
}

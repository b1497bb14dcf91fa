//! `zap listen URL [--event NAME]...`: prints received events, one JSON
//! line each, until Ctrl-C, `--count` events, or the connection ends.

use futures_util::StreamExt;

use crate::args::ListenArgs;
use crate::client::{Watch, build, connect};
use crate::exit::Failure;
use crate::output::{event_json, print_line};
use crate::ready::ReadyFile;

pub(crate) async fn run(args: ListenArgs) -> Result<(), Failure> {
    let client = build(&args.connect)?;
    let mut events = if args.events.is_empty() {
        client.subscribe_to_all_events()
    } else {
        client.subscribe_to_events(args.events.iter().cloned())
    };
    let mut watch = Watch::new(&client, args.connect.reconnect);
    connect(&client).await?;
    // Subscribed before connecting, online now: nothing sent from here on
    // is missed. Removed on every way out of this function.
    let _ready = match &args.ready_file {
        Some(path) => Some(ReadyFile::write(path)?),
        None => None,
    };
    let mut received = 0u64;
    let outcome = loop {
        if args.count.is_some_and(|count| received >= count) {
            break Ok(());
        }
        tokio::select! {
            biased;
            event = events.next() => match event {
                Some(event) => {
                    print_line(&event_json(&event, args.connect.pretty))?;
                    received += 1;
                }
                None => break Ok(()),
            },
            failure = watch.ended() => break Err(failure),
            _ = tokio::signal::ctrl_c() => break Ok(()),
        }
    };
    client.disconnect().await;
    outcome
}

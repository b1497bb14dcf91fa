//! `disconnect()` against servers that misbehave: one that stops reading
//! (TCP backpressure) cannot keep it from returning.

mod common;

use std::time::{Duration, Instant};

use common::{RawServer, flood, within};
use zap_client::{ConnectionState, Heartbeat, ZapSubscriber};

#[tokio::test]
async fn disconnect_returns_within_the_close_timeout_when_the_server_stops_reading() {
    let mut raw = RawServer::start().await;
    let close_timeout = Duration::from_millis(500);
    let client = ZapSubscriber::builder(&raw.url)
        .heartbeat(Heartbeat::disabled())
        .close_timeout(close_timeout)
        .build();
    let (connected, _not_reading) = tokio::join!(client.connect(), raw.accept());
    connected.expect("connects");
    flood(&client, 32);

    let start = Instant::now();
    within("disconnect", client.disconnect()).await;
    let took = start.elapsed();
    // The close timeout, plus generous slack for a loaded machine.
    assert!(
        took < close_timeout + Duration::from_secs(2),
        "took {took:?}"
    );
    assert_eq!(client.current_state(), ConnectionState::Offline);
}

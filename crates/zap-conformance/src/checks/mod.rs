//! The checks, one async function per behaviour, grouped as the protocol,
//! the lifecycle, failures, limits, rooms, the handshake, shutdown, the
//! shared settings and hostile clients' protocol violations.
//! Each takes the [`Integration`] under test and serves its own endpoint.

use crate::{Endpoint, Integration, Probe, Running, conformance_register};

pub mod failures;
pub mod flood;
pub mod grace;
pub mod handshake;
mod heavy;
pub mod lifecycle;
pub mod limits;
pub mod protocol;
pub mod rooms;
pub mod settings;
pub mod shutdown;
pub mod slow_reader;
pub mod violations;

/// Serves the standard register with the default limits.
async fn standard(it: &impl Integration) -> (Running, Probe) {
    let (register, probe) = conformance_register();
    (it.serve(Endpoint::new(register)).await, probe)
}

/// Waits until `condition` holds, re-checking every few milliseconds
/// (bounded by [`WAIT`](crate::WAIT)); for state that has no signal of its
/// own, such as the router after a `disconnected` handler.
async fn until(what: &str, condition: impl Fn() -> bool) {
    crate::within(what, async {
        while !condition() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await;
}

//! An actix server for the conformance checks: built by the test on
//! 127.0.0.1:0 in a thread of its own (actix runs its own runtime), one
//! worker, stopped when the check ends.

use actix_web::dev::{Server, ServerHandle};
use zap_conformance::Running;

/// Starts the server `build` makes on a bound listener, in a thread of its
/// own, and says where it listens (`ws://…/ws`).
pub(crate) async fn start<F>(build: F) -> Running
where
    F: FnOnce(std::net::TcpListener) -> Server + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
            let addr = listener.local_addr().expect("a bound address");
            let server = build(listener);
            let _ = tx.send((addr, server.handle()));
            server.await
        })
    });
    let (addr, handle) = zap_conformance::within("actix to start", rx)
        .await
        .expect("actix started");
    Running::new(format!("ws://{addr}/ws"), StopOnDrop(handle))
}

/// Stops the server when the check ends.
struct StopOnDrop(ServerHandle);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        // Sends the stop command at once; completion is not awaited.
        drop(self.0.stop(false));
    }
}

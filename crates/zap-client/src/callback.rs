//! [`Reaction`]: what a [`ZapConsumer`](crate::ZapConsumer) callback returns —
//! nothing, or a future the client awaits.
//!
//! Callbacks may be plain closures or async:
//!
//! ```
//! # async fn run() {
//! let consumer = zap_client::ZapConsumer::new("ws://127.0.0.1:8000/");
//! consumer.on_event("said", |event| println!("{}", event.payload()));
//! consumer.on_event("said", |event| async move {
//!     tokio::task::yield_now().await;
//!     println!("later: {}", event.payload());
//! });
//! # }
//! ```

use std::future::Future;

/// The return type of a callback: `()` for a plain closure ([`Immediate`]),
/// or a `Future<Output = ()>` for an async one ([`Deferred`]). The marker
/// `M` lets both kinds share one method; it is inferred.
pub trait Reaction<M>: Send + 'static {
    /// The work left to await once the callback returned.
    fn react(self) -> impl Future<Output = ()> + Send;
}

/// Marks a plain callback (returns `()`).
#[derive(Debug)]
pub enum Immediate {}

/// Marks an async callback (returns a future).
#[derive(Debug)]
pub enum Deferred {}

impl Reaction<Immediate> for () {
    fn react(self) -> impl Future<Output = ()> + Send {
        std::future::ready(())
    }
}

impl<F> Reaction<Deferred> for F
where
    F: Future<Output = ()> + Send + 'static,
{
    fn react(self) -> impl Future<Output = ()> + Send {
        self
    }
}

//! [`Probe`]: what the conformance register's handlers saw, in order.

use tokio::sync::mpsc;

use crate::within;

/// The log of the conformance register: `connected:<id>`, `event:<name>`
/// (fallback), `error:<kind>` and `disconnected:<id>` entries, in the order
/// the handlers ran.
#[derive(Debug)]
pub struct Probe(mpsc::UnboundedReceiver<String>);

impl Probe {
    pub(crate) fn new(rx: mpsc::UnboundedReceiver<String>) -> Self {
        Probe(rx)
    }

    /// The next entry (bounded wait).
    pub async fn next(&mut self) -> String {
        within("a handler to run", self.0.recv())
            .await
            .expect("the register is alive while the probe is")
    }

    /// Waits for the next entry, which must be `expected`.
    pub async fn expect(&mut self, expected: &str) {
        assert_eq!(self.next().await, expected);
    }

    /// Waits for an entry satisfying `pred`, skipping others; returns it.
    pub async fn wait_for(&mut self, pred: impl Fn(&str) -> bool) -> String {
        loop {
            let entry = self.next().await;
            if pred(&entry) {
                return entry;
            }
        }
    }

    /// Waits until `disconnected:<id>` has been logged for every id.
    pub async fn wait_disconnected(&mut self, ids: &[&str]) {
        let mut missing: Vec<String> = ids.iter().map(|id| format!("disconnected:{id}")).collect();
        while !missing.is_empty() {
            let entry = self.next().await;
            missing.retain(|wanted| *wanted != entry);
        }
    }

    /// Everything logged so far, without waiting.
    pub fn drain(&mut self) -> Vec<String> {
        let mut entries = Vec::new();
        while let Ok(entry) = self.0.try_recv() {
            entries.push(entry);
        }
        entries
    }
}

//! The client side of the recovery extension (`docs/protocol.md`, "Recovery
//! and at-least-once delivery"): what the client keeps between connections
//! ([`Resume`]), the wire forms ([`wire`]), the duplicate filter
//! ([`seen`]) and the journal of unacknowledged events ([`journal`]).

mod journal;
mod resume;
mod seen;
mod wire;

pub(crate) use resume::{Resume, Stamp};
pub(crate) use wire::{ACK_EVENT, NACK_EVENT, SESSION_EVENT, is_reserved, unstamped};
